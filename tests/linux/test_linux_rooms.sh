#!/bin/bash
# Linux guests of ./vmm hold rooms to the page. Debian's kernel with the
# labyrinth module (guest/linux), which finds our monitor's hypercall port
# by its ACPI description (include/labyrinth_abi.h), in ./vmm with a named
# labyrinth (in the rig where this host's KVM is the PVM kind, which cannot
# run a stock kernel):
#   - 2 and 4 vCPUs: the KTAP self-test passes whole through the port
#     (hrtimers on every CPU, IPIs, NULL and reserve rules, the pressure
#     line), status 0, `labyrinth check` ok and every room free after;
#   - mode=hostile, 4 vCPUs: every CPU at once writes to a room it gave
#     back: the monitor ends with status 74 and its line, the touches never
#     went through, `labyrinth check` ok and every room free after;
#   - in QEMU, which describes no port: the module says in one line that it
#     binds none, and writes nothing to port 0x500 (an isa-debugcon there
#     keeps whatever is written).
# Prints PASS:/FAIL: and "N passed, N failed".
#   test_linux_rooms.sh VMM LABYRINTH KVM_RIG SOURCE_ROOT BUILD_ROOT
# The guests, where the monitor runs (here, or in the rig: one rig boot):
#   test_linux_rooms.sh --guests DIR VMM LABYRINTH KERNEL
set -u
ROOMS=4096
CASES="test.2 test.4 hostile.4"	# MODE.VCPUS

if [ "${1:-}" = --guests ]; then
	W=$2 VMM=$3 LAB=$4 KERNEL=$5
	for c in $CASES; do
		name=linux-rooms$$-${c%.*}${c#*.}
		# hostile: its lines on the console as they are said (the VM ends under it).
		# cryptomgr.notests: the kernel's crypto self-tests are not ours to
		# run, and in the rig one of them once spun vCPU 1 for 400 s.
		level=4
		[ "${c%.*}" = hostile ] && level=7
		"$LAB" create "$name" --rooms $ROOMS --reserve 64 >/dev/null || exit 1
		"$VMM" --cpus "${c#*.}" --mem 512M --timeout 500 --labyrinth "$name" \
			--initrd "$W/initrd.cpio" --cmdline "console=ttyS0 printk.time=0 loglevel=$level \
panic=-1 cryptomgr.notests labyrinth_selftest.mode=${c%.*}" "$KERNEL" >"$W/out.$c" 2>"$W/err.$c"
		echo $? >"$W/status.$c"
		"$LAB" check "$name" >"$W/check.$c" 2>&1
		echo $? >"$W/checked.$c"
		"$LAB" info "$name" --json >"$W/info.$c" 2>&1
		"$LAB" destroy "$name" >/dev/null
	done
	exit 0
fi

VMM=$1 LAB=$2 RIG=$3 TOP=$4 BUILD=$5
"$TOP/tests/install-deps" linux >&2 || exit 1
. "$TOP/tests/qemu_guest.sh"
. "$TOP/tests/linux/guest_module.sh" "$TOP"
# in the build folder: the rig shares it, not /tmp
W=$(mktemp -d "$BUILD/linux-rooms.XXXXXX")
trap 'rm -rf "$W"' EXIT
module_initramfs "$TOP" "$BUILD" "$W" || { echo "FAIL: no modules or initramfs"; exit 1; }
rig_mode=auto
[ -d /sys/module/kvm_pvm ] && rig_mode=always
echo "kernel: $kernel; ./vmm through the rig: $rig_mode"

KVM_RIG=$rig_mode "$RIG" --timeout 2400 "$0" --guests "$W" "$VMM" "$LAB" "$kernel"
st=$?
check $st "the guests ran where the monitor runs ($st)"

for c in $CASES; do
	out=$W/out.$c
	sed -i 's/\r$//' "$out" 2>/dev/null
	st=$(head -1 "$W/status.$c" 2>/dev/null)
	case $c in
	test.*)
		ktap_whole "$out"
		check $([ $? = 0 ] && [ "$st" = 0 ] && grep -q '^counter extents 1$' "$out"; echo $?) \
			"${c#*.} vCPUs: KTAP $ktap_said through the port, 0 violations, status ${st:-?} $(tail -1 "$W/err.$c")"
		grep -E '^not ok|^# violation|WARNING|BUG' "$out"
		;;
	hostile.*)
		check $([ "$st" = 74 ] && grep -q 'touched unclaimed room-window address' "$W/err.$c" &&
			grep -q "our monitor's port 0x500: room window 16 MiB at 0x100000000" "$out" &&
			grep -q "^# hostile: ${c#*.} CPUs touch rooms given back (rooms held now 0)" "$out" &&
			! grep -q '^# hostile: the touches went through' "$out"; echo $?) \
			"${c#*.} vCPUs touching rooms given back, at once: status ${st:-?}, $(grep -c \
'touched unclaimed' "$W/err.$c") vCPUs stopped there ($(tail -1 "$W/err.$c"))"
		grep -E "^# hostile|our monitor's port" "$out"
		;;
	esac
	check "$(cat "$W/checked.$c" 2>/dev/null || echo 1)" "... labyrinth check after it ($(head -1 "$W/check.$c" 2>/dev/null))"
	check $(grep -q "\"rooms\":$ROOMS,\"free\":$ROOMS," "$W/info.$c" 2>/dev/null; echo $?) \
		"... every room free after it ($(grep -oE '"free":[0-9]+' "$W/info.$c" 2>/dev/null))"
done

# No description, no port: QEMU has none (and would have the labyrinth as
# ivshmem). A write to 0x500 would land in the debugcon's file.
accel=$(qemu_accel "$RIG" linux)
: >"$W/port0x500"
timeout 300 qemu-system-x86_64 -accel "$accel" -M pc -cpu max -smp 2 -m 512 -nodefaults \
	-display none -no-reboot -serial file:"$W/out.qemu" -kernel "$kernel" -initrd "$W/initrd.cpio" \
	-chardev file,id=port,path="$W/port0x500" -device isa-debugcon,iobase=0x500,chardev=port \
	-append "console=ttyS0 printk.time=0 loglevel=4 panic=-1 labyrinth_selftest.mode=bind" \
	</dev/null >/dev/null 2>"$W/err.qemu"
st=$?
sed -i 's/\r$//' "$W/out.qemu"
said=$(grep -c '^linux-guest: said: labyrinth: no hypercall port described (no ACPI device LABY0001): not binding one$' "$W/out.qemu")
check $([ "$st" = 0 ] && [ "$said" = 1 ] && grep -q '^counter extents 0$' "$W/out.qemu"; echo $?) \
	"QEMU ($accel), no description: the module binds no port and says so in one line ($said lines, status $st)"
check $([ -e "$W/port0x500" ] && [ ! -s "$W/port0x500" ]; echo $?) \
	"... and writes nothing to port 0x500 ($(wc -c <"$W/port0x500" 2>/dev/null) bytes)"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
