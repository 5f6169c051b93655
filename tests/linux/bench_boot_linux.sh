#!/bin/bash
# Boot time of Debian's stock kernel with a busybox initramfs to power-off,
# ./vmm against QEMU (-M pc and -M microvm, KVM) on the same kernel and
# initramfs, in one run, medians of RUNS (5): the whole run (start to
# exit), and the kernel's own time to init ("Run /init", its clock). All
# of it runs where KVM can run Linux: here, or in the rig (on no KVM, and
# on the PVM kind, which cannot run a stock kernel). Under the rig the
# figures are nested TCG's: compare the ratios, not the seconds.
#   bench_boot_linux.sh VMM KVM_RIG_SCRIPT BUILD_DIR
set -u
VMM=$1 RIG=$2 BUILD=$3 runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${BENCH_INNER:-}" != 1 ]; then
	. "$top/vmm/rig/kernel.sh"
	rig_kernel "$top/build/rig" || exit 1	# fetched here: the VM has no apt lists
	mode=auto
	[ -d /sys/module/kvm_pvm ] && mode=always
	BENCH_INNER=1 KVM_RIG=$mode exec "$RIG" "$0" "$@"
fi
. "$top/vmm/rig/kernel.sh"
rig_kernel "$top/build/rig" || exit 1
W=$(mktemp -d "$BUILD/linux-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$here/make-initramfs.sh" "$W/initrd" "$here/boot-init" || exit 1
append="console=ttyS0 panic=-1 action=poweroff"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# timed NAME CMD...: appends "wall init" for a run that powered off
timed() {
	local name=$1 t0 t1; shift
	t0=$(date +%s.%N)
	"$@" </dev/null >"$W/out" 2>&1 || { echo "bench_boot_linux: $name failed"; tail -3 "$W/out"; return 1; }
	t1=$(date +%s.%N)
	grep -q '^linux-init: action poweroff' "$W/out" || { echo "bench_boot_linux: $name: no init"; return 1; }
	awk -v a="$t0" -v b="$t1" '/Run \/init as init process/ {
		match($0, /\[ *[0-9.]+\]/); t = substr($0, RSTART + 1, RLENGTH - 2)
		printf "%.3f %.3f\n", b - a, t; exit }' "$W/out" >>"$W/$name"
}
q=(qemu-system-x86_64 -accel kvm -cpu host -smp 1 -m 512 -nodefaults -display none
   -no-reboot -serial stdio -kernel "$kernel" -initrd "$W/initrd" -append "$append")
for i in $(seq "$runs"); do
	timed vmm "$VMM" --cpus 1 --mem 512M --timeout 300 --initrd "$W/initrd" \
		--cmdline "$append" "$kernel" || exit 1
	timed qemu_pc "${q[@]}" -M pc || exit 1
	timed qemu_microvm "${q[@]}" -M microvm || exit 1
done
for n in vmm qemu_pc qemu_microvm; do
	echo "BENCH linux.boot.$n.whole $(awk '{print $1}' "$W/$n" | median) s"
	echo "BENCH linux.boot.$n.to_init $(awk '{print $2}' "$W/$n" | median) s"
done
v=$(awk '{print $1}' "$W/vmm" | median)
for n in qemu_pc qemu_microvm; do
	awk -v q="$(awk '{print $1}' "$W/$n" | median)" -v v="$v" -v n="$n" \
		'BEGIN {printf "BENCH linux.boot.%s_over_vmm.whole %.2f x\n", n, q / v}'
done
