#!/bin/sh
# Boot-to-exit of images/hello.elf under our monitor and under QEMU+KVM,
# and of the ELF32 Multiboot image (mbinfo32.elf: 32-bit entry, fw_cfg
# reads) under our monitor, median of RUNS runs each, as BENCH lines (ms).
# usage: boot_bench.sh VMM HELLO_ELF ELF32_IMAGE
set -u
vmm=$1 hello=$2 elf32=$3 runs=${RUNS:-7}

now_ns() { date +%s%N; }

# Median in ms of `runs` timings of the command; fails if any run fails.
median_ms() {
	times=""
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1
		rc=$?
		t1=$(now_ns)
		case $rc in 0|1) ;; *) echo "boot_bench: '$*' exited $rc" >&2; return 1 ;; esac
		times="$times $(( (t1 - t0) / 1000 ))"
		i=$((i + 1))
	done
	printf '%s\n' $times | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]/1000}'
}

v=$(median_ms "$vmm" "$hello") || exit 1
echo "BENCH boot.hello.vmm $v ms"
e=$(median_ms "$vmm" "$elf32") || exit 1
echo "BENCH boot.elf32.vmm $e ms"
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "boot_bench: qemu-system-x86_64 not installed: skipping boot.hello.qemu"
	exit 0
fi
# QEMU's isa-debug-exit turns the guest's 0 into status 1.
q=$(median_ms "$qemu" -enable-kvm -nodefaults -display none -serial stdio \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hello") || exit 1
echo "BENCH boot.hello.qemu $q ms"
awk -v v="$v" -v q="$q" 'BEGIN { if (v > 0) printf "BENCH boot.hello.qemu_over_vmm %.1f x\n", q / v }'
