#!/bin/sh
# One labyrinth, two kinds of guest at once: guest-tests.elf in a plain
# QEMU (KVM where this kernel has it, TCG where not) on an extent lent by
# `labyrinth serve`, holding rooms; and the ./vmm demo claiming from the
# same labyrinth meanwhile. Both pass with 0 violations, `labyrinth check`
# is ok while both run and after, and every room is free at the end. It
# runs guests through the monitor: suite 'kvm' (the rig's VM where this
# host has no /dev/kvm). Prints PASS:/FAIL: and "N passed, N failed".
#   shared_with_qemu.sh LABYRINTH GUEST_TESTS_ELF VMM DEMO_ELF
set -u
LAB=$1 ELF=$2 VMM=$3 DEMO=$4
W=$(mktemp -d /tmp/labyrinth-shared.XXXXXX) NAME=shq$$ SERVER="" QEMU=""
trap '[ -n "$QEMU" ] && kill "$QEMU" 2>/dev/null; [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null;
	wait; "$LAB" destroy "$NAME" 2>/dev/null; rm -rf "$W"' EXIT
. "$(dirname "$0")/../qemu_guest.sh"
accel=$(qemu_accel "$(dirname "$0")/../../vmm/rig/kvm-rig")

"$LAB" create "$NAME" --rooms 1536 --reserve 24 --extent 2M || exit 1
"$LAB" serve "$NAME" --socket "$W/sock" >"$W/serve.out" 2>"$W/serve.log" & SERVER=$!
until_listening "$W/sock" "$W/serve.log"
timeout 300 qemu-system-x86_64 -accel $accel -nodefaults -m 256 -smp 2 -display none \
	-serial file:"$W/serial" -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-chardev socket,path="$W/sock",id=lab -device ivshmem-doorbell,chardev=lab,vectors=1 \
	-kernel "$ELF" -append "ivshmem.hold=300 ivshmem.eject=30" 2>"$W/qemu.err" &
QEMU=$!
until_true 120 grep -q '^ivshmem: holding' "$W/serial"
check $(grep -q '^ivshmem: holding 300 rooms' "$W/serial"; echo $?) "the QEMU guest ($accel) ran its suite and holds 300 rooms of its extent"
"$VMM" --cpus 2 --labyrinth "$NAME" "$DEMO" >"$W/vmm.out" 2>&1
st=$?
check $([ $st = 0 ] && grep -q 'violations=0' "$W/vmm.out"; echo $?) "a ./vmm guest claimed from the same labyrinth meanwhile ($st: $(tail -1 "$W/vmm.out"))"
"$LAB" check "$NAME" >"$W/check" 2>&1
check $? "labyrinth check with both ($(head -2 "$W/check"))"
wait $QEMU; st=$? QEMU=""
check $([ $st = 1 ] && ! grep -q '^FAIL' "$W/serial"; echo $?) "the QEMU guest's suite passed (QEMU status $st, want 1: guest status 0)"
kill -TERM $SERVER; wait $SERVER; SERVER=""
"$LAB" check "$NAME" >"$W/check" 2>&1
check $? "labyrinth check after both ($(head -2 "$W/check"))"
"$LAB" info "$NAME" --json | grep -q '"rooms":1536,"free":1536,'
check $? "every room free again"
[ $failed = 0 ] || { echo "--- serial"; tail -20 "$W/serial"; echo "--- serve"; tail -5 "$W/serve.log"; }
echo "$passed passed, $failed failed"
[ $failed = 0 ]
