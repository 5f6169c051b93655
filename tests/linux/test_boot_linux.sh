#!/bin/bash
# ./vmm boots Debian's stock kernel (the vmlinuz of linux-image-amd64,
# fetched as the rig fetches it) with a busybox initramfs: with 1, 2 and 8
# vCPUs it prints on the serial console what init sees and powers off
# (status 0); reboot (Linux's own way, no reboot= option) is status 77
# with its line, and so is a panic with panic=-1 (Linux restarts), but
# with Linux's pvpanic driver loaded a panic is status 75; QEMU
# boots the same kernel and initramfs and prints the same lines. Where this host's
# KVM is the PVM kind, whose emulator cannot run a stock kernel, ./vmm runs
# in the rig (vmm/rig). Prints PASS:/FAIL: and "N passed, N failed".
#   test_boot_linux.sh VMM KVM_RIG_SCRIPT BUILD_DIR
set -u
VMM=$1 RIG=$2 BUILD=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# in the build folder: the rig shares it, not /tmp
W=$(mktemp -d "$BUILD/linux-boot.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$top/tests/qemu_guest.sh"	# check, passed, failed

. "$top/vmm/rig/kernel.sh"
rig_kernel "$top/build/rig" || { echo "FAIL: no Debian kernel to boot"; exit 1; }
pvpanic=$kernel_dir/lib/modules/$kernel_version/kernel/drivers/misc/pvpanic
"$here/make-initramfs.sh" "$W/initrd" "$here/boot-init" "$pvpanic/pvpanic.ko" \
	"$pvpanic/pvpanic-mmio.ko" || { echo "FAIL: no initramfs"; exit 1; }
rig_mode=auto qemu_accel=tcg
[ -d /sys/module/kvm_pvm ] && rig_mode=always
[ $rig_mode = auto ] && KVM_RIG=auto "$RIG" --here && qemu_accel=kvm
echo "kernel: $kernel; ./vmm through the rig: $rig_mode; QEMU: $qemu_accel"

# vmm CPUS ACTION: the monitor's stdout in $W/out, stderr in $W/err
# The monitor ends a guest at 200 s itself (status 72); the rig's VM is given
# 480 s. A rig VM that does not end (status 124) is the nested emulator
# hanging under our monitor, not our monitor: that run is made once more,
# and said. A monitor that hangs hangs twice, and fails.
vmm_once() {
	KVM_RIG=$rig_mode "$RIG" --timeout 480 "$VMM" --cpus "$1" --mem 512M --timeout 200 \
		--initrd "$W/initrd" --cmdline "console=ttyS0 quiet panic=-1 action=$2" "$kernel" \
		>"$W/out" 2>"$W/err"
}
vmm() {
	vmm_once "$@"
	local st=$?
	[ $st = 124 ] || return $st
	echo "# $1 vCPUs, $2: the rig's VM did not end within 480 s ($(tail -1 "$W/err")); once more"
	vmm_once "$@"
}
said() { grep -a '^linux-init:' "$W/out" | tr -d '\r'; }

for n in 1 2 8; do
	vmm $n poweroff
	st=$?
	check $(( st != 0 )) "$n vCPUs: Linux powers off, status 0 ($st: $(tail -2 "$W/err" | tr '\n' ' '))"
	check $(said | grep -q "linux-init: kernel $kernel_version, $n cpus online"; echo $?) \
		"... with $n cpus online ($(said | head -1))"
	check $(said | grep -q 'linux-init: console ttyS0'; echo $?) "... its console on COM1, init's lines through the tty"
	[ $n = 2 ] && said >"$W/vmm.said"
done

vmm 1 reboot
st=$?
check $([ $st = 77 ] && grep -q 'guest reset the machine' "$W/err"; echo $?) "reboot: status 77 and its line ($st: $(tail -1 "$W/err"))"
vmm 2 panic
st=$?
check $([ $st = 77 ] && grep -q 'guest reset the machine' "$W/err" &&
	grep -aq 'Kernel panic - not syncing: sysrq triggered crash' "$W/out"; echo $?) \
	"panic=-1: the panic, then status 77 ($st: $(tail -1 "$W/err"))"
vmm 2 pvpanic
st=$?
check $([ $st = 75 ] && grep -q 'guest kernel panicked (pvpanic)' "$W/err" &&
	grep -aq 'Kernel panic - not syncing: sysrq triggered crash' "$W/out"; echo $?) \
	"with Linux's pvpanic driver bound to our QEMU0001 device: the panic, then status 75 ($st: $(tail -1 "$W/err"))"

timeout 300 qemu-system-x86_64 -accel $qemu_accel -M pc -cpu max -smp 2 -m 512 -nodefaults \
	-display none -no-reboot -serial stdio -kernel "$kernel" -initrd "$W/initrd" \
	-append "console=ttyS0 quiet panic=-1 action=poweroff" </dev/null >"$W/out" 2>"$W/err"
st=$?
check $(( st != 0 )) "QEMU ($qemu_accel) boots the same kernel and initramfs ($st)"
said >"$W/qemu.said"
check $(cmp -s "$W/vmm.said" "$W/qemu.said" && [ -s "$W/qemu.said" ]; echo $?) \
	"... and init says the same there ($(diff "$W/vmm.said" "$W/qemu.said" | head -4 | tr '\n' ' '))"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
