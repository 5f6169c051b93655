#!/bin/sh
# As much as a guest needs: one libvirt guest on DEVICES labyrinth devices
# (default five: five 256 MiB extents of a six-extent labyrinth) claims
# HOLD rooms (default: every room it can, more than 1 GiB), each naming
# itself, then `labyrinth info` and `labyrinth check` are read. Prints
# BENCH ivshmem.hold.rooms and ivshmem.hold.seconds (the guest's kernel
# runs emulated here: minutes). A benchmark, not a test: it needs a
# running libvirtd (SKIP, 77, without one).
#   [DEVICES=N] [HOLD=ROOMS] hold_gib.sh LABYRINTH GUEST_TESTS_ELF XML_DIR
set -u
LAB=$1 ELF=$2 XML=$3
DEVICES=${DEVICES:-5} HOLD=${HOLD:-$((DEVICES * 65536))}
V="virsh -q -c qemu:///system"
$V version >/dev/null 2>&1 || { echo "SKIP: no libvirtd running"; exit 77; }
W=$(mktemp -d /tmp/labyrinth-gib.XXXXXX)
NAME=ext-gib$$ DOM=labyrinth-gib-$$ SOCK=$W/labyrinth.sock SERIAL=$W/serial.log
SERVER_PID=""
cleanup() {
	$V destroy "$DOM" >/dev/null 2>&1
	# the server gone (not hoped gone) before its labyrinth is destroyed
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID"
	"$LAB" destroy "$NAME" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
"$LAB" create "$NAME" --rooms $(((DEVICES + 1) * 65536)) --extent 256M || exit 1
"$LAB" serve "$NAME" --socket "$SOCK" >"$W/serve.out" 2>"$W/serve.log" &
SERVER_PID=$!
n=0
while [ ! -S "$SOCK" ] && [ $n -lt 120 ]; do sleep 0.5; n=$((n + 1)); done
[ -S "$SOCK" ] || { echo "FAIL: the server did not listen"; cat "$W/serve.log"; exit 1; }
sed -e "s|/srv/labyrinth/images/guest-tests.elf|$ELF|" \
    -e "s|/var/log/labyrinth-guest-tests.serial|$SERIAL|" \
    -e "s|<name>labyrinth-guest-tests</name>|<name>$DOM</name>|" \
    -e "s|ivshmem.wait=120 ivshmem.eject=120|ivshmem.wait=60 ivshmem.devices=$DEVICES ivshmem.hold=$HOLD|" \
    "$XML/guest-tests-domain.xml" >"$W/domain.xml"
sed -e "s|/run/labyrinth/labyrinth.sock|$SOCK|" "$XML/labyrinth.xml" >"$W/labyrinth.xml"
$V create "$W/domain.xml" >/dev/null || { echo "FAIL: virsh create"; exit 1; }
# Attach to a running guest, as a user would: once its kernel waits.
n=0
while ! grep -q "^ivshmem: waiting" "$SERIAL" 2>/dev/null && [ $n -lt 120 ]; do
	sleep 0.5; n=$((n + 1))
done
T0=$(date +%s)
for i in $(seq "$DEVICES"); do
	$V attach-device "$DOM" "$W/labyrinth.xml" --live ||
		{ echo "FAIL: attach $i"; tail -n 8 "$SERIAL"; tail -n 5 "$W/serve.log"; exit 1; }
done
n=0
while ! grep -q "^ivshmem: holding" "$SERIAL" 2>/dev/null && [ $n -lt 900 ]; do
	sleep 1; n=$((n + 1))
done
T1=$(date +%s)
held=$(sed -n 's/^ivshmem: holding \([0-9]*\) rooms.*/\1/p' "$SERIAL")
[ -n "$held" ] || { echo "FAIL: the guest never said what it holds"; tail -5 "$SERIAL"; exit 1; }
grep "^SUMMARY" "$SERIAL"	# the guest's own tests, run before it holds
"$LAB" info "$NAME"
"$LAB" check "$NAME" || exit 1
echo "BENCH ivshmem.hold.rooms $held rooms"
echo "BENCH ivshmem.hold.seconds $((T1 - T0)) s"
