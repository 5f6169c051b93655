#!/bin/bash
# A hostile Linux guest beside a victim, on one labyrinth served by
# `labyrinth serve`: the victim (guest-tests.elf in QEMU) holds rooms, each
# naming its room; Debian's kernel in another QEMU loads
# tests/linux/hostile's module, which attacks the mailbox (claims from
# every CPU with a slot shared and scribbled, releases of rooms it does not
# hold, unknown calls, bad counts and flags, the server's words in page 0
# rewritten, a doorbell flood) and checks its own extent's accounting. Then:
#   - its KTAP passes whole, 0 violations (on 2 and 4 vCPUs);
#   - the victim's rooms, read from its QEMU's memory, are the same rooms
#     with the same words as before the attack;
#   - `labyrinth check` is ok while the victim holds them, the server still
#     serves (the victim's extent comes back when it goes), every room is
#     free at the end.
# Prints PASS:/FAIL: and "N passed, N failed".
#   linux_hostile.sh LABYRINTH SOURCE_ROOT BUILD_ROOT GUEST_TESTS_ELF
set -u
LAB=$1 TOP=$2 BUILD=$3 ELF=$4
"$TOP/tests/install-deps" linux >&2 || exit 1
W=$(mktemp -d /tmp/labyrinth-hostile.XXXXXX) NAME=lhs$$ SERVER="" VICTIM="" QEMU=""
trap '[ -n "$QEMU" ] && kill -9 "$QEMU" 2>/dev/null; [ -n "$VICTIM" ] && kill -9 "$VICTIM" 2>/dev/null
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait; "$LAB" destroy "$NAME" 2>/dev/null; rm -rf "$W"' EXIT
. "$TOP/tests/qemu_guest.sh"
. "$TOP/tests/linux/guest_module.sh" "$TOP"
module_initramfs "$TOP" "$BUILD" "$W" hostile || exit 1

ROOMS=2048 HOLD=300
"$LAB" create "$NAME" --rooms $ROOMS --reserve 64 --extent 2M >/dev/null || exit 1
"$LAB" serve "$NAME" --socket "$W/sock" --vectors 2 >"$W/serve.out" 2>"$W/serve.log" & SERVER=$!
until_listening "$W/sock" "$W/serve.log"

# victim_rooms: the words of every room in the victim's lent memory that
# names its room, one line each (read through /proc/PID/mem).
victim_rooms() {
	python3 - "$VICTIM" <<'PY'
import re, sys
pid = sys.argv[1]
for line in open("/proc/%s/maps" % pid):
    if "labyrinth-lend" not in line:
        continue
    lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
    with open("/proc/%s/mem" % pid, "rb") as mem:
        for at in range(lo, hi, 4096):
            mem.seek(at)
            words = mem.read(32).split(b"\0")[0]
            if re.fullmatch(rb"labyrinth room [0-9]+", words):
                print("%x %s" % (at - lo, words.decode()))
PY
}

# The victim: our own kernel in QEMU (KVM where this host's runs it).
qemu-system-x86_64 -accel "$(qemu_accel "$TOP/vmm/rig/kvm-rig")" -nodefaults -m 256 -smp 2 \
	-display none -serial file:"$W/victim" -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-chardev socket,path="$W/sock",id=lab -device ivshmem-doorbell,chardev=lab,vectors=2 \
	-kernel "$ELF" -append "ivshmem.hold=$HOLD ivshmem.eject=900" </dev/null 2>"$W/victim.err" &
VICTIM=$!
until_true 300 grep -q '^ivshmem: holding' "$W/victim"
check $? "the victim holds its rooms ($(grep -a '^ivshmem: holding' "$W/victim" | tr -d '\r' | cut -c1-40))"
victim_rooms >"$W/before"
check $([ "$(wc -l <"$W/before")" = $HOLD ]; echo $?) \
	"its $HOLD rooms each name their room, read from its QEMU's memory ($(wc -l <"$W/before") found)"

attack() {
	local smp=$1 c=$W/console.$1 st
	timeout 600 qemu-system-x86_64 -accel "$(qemu_accel "$TOP/vmm/rig/kvm-rig" linux)" \
		-cpu max -m 512 -smp "$smp" -nodefaults -display none -no-reboot -no-user-config \
		-kernel "$kernel" -initrd "$W/initrd.cpio" \
		-append "console=ttyS0 printk.time=0 loglevel=4 panic=-1 labyrinth_selftest.mode=hostile_mailbox" \
		-serial file:"$c" \
		-chardev socket,path="$W/sock",id=lab -device ivshmem-doorbell,chardev=lab,vectors=2 \
		</dev/null 2>"$W/qemu.$smp" & QEMU=$!
	wait $QEMU; st=$? QEMU=""
	sed -i 's/\r$//' "$c"
	ktap_whole "$c"
	check $? "$smp vCPUs: the hostile module's attack leaves its extent exact: $ktap_said (QEMU status $st)"
	grep -E '^not ok|WARNING|BUG|Oops' "$c"
	victim_rooms >"$W/after.$smp"
	cmp -s "$W/before" "$W/after.$smp"
	check $? "$smp vCPUs: the victim's rooms are the same rooms with the same words after the attack"
	lab_check "after the $smp-vCPU attack, the victim holding its rooms"
}
attack 2
attack 4

kill -0 "$SERVER" 2>/dev/null
check $? "the server is still up"
kill -TERM "$VICTIM"; wait "$VICTIM"; VICTIM=""
until_true 30 sh -c "'$LAB' info '$NAME' --json | grep -q '\"rooms\":$ROOMS,\"free\":$ROOMS,'"
check $? "the victim gone, its extent came back: every room free"
kill -TERM $SERVER; wait $SERVER; SERVER=""
lab_check "at the end"
if [ $failed != 0 ]; then
	for c in "$W"/console.*; do echo "--- ${c##*/}"; tail -25 "$c"; done
	echo "--- victim"; tr -d '\r' <"$W/victim" | tail -8; echo "--- serve"; tail -8 "$W/serve.log"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
