#!/bin/sh
# libvirt end to end: libvirtd started by hand (shared/libvirt.md),
# the shipped example domain booting guest-tests.elf, `labyrinth serve`, the
# shipped device XML hot-attached twice with virsh (two devices, one extent
# each), the guest's labyrinth cases over the ivshmem doorbells, then the
# guest holding more rooms than one extent has, in its lends' own memory
# (the pool's files of the lent extents hold none of it); hot-detach and
# QEMU's death each returning the extents scrubbed; `labyrinth check` after each step. The domain is of
# type 'kvm' where this host's KVM makes VMs, else 'qemu' (TCG).
# (shared_with_qemu.sh has a ./vmm guest beside a QEMU guest.)
# Stops every daemon and domain it started, whatever happens. Exit 77 (SKIP)
# without root, or without libvirt outside CI.
#   libvirt_e2e.sh LABYRINTH GUEST_TESTS_ELF XML_DIR INSTALL_DEPS
set -u
LAB=$1 ELF=$2 XML=$3 DEPS=$4
HOLD=700	# rooms the guest holds: more than one 2 MiB extent gives it
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: libvirtd cannot be started by hand"
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null ||
   ! command -v qemu-system-x86_64 >/dev/null; then
	[ "${CI:-}" = true ] || skip "libvirt or QEMU not installed (CI=true installs them)"
	"$DEPS" test || { echo "FAIL: cannot install libvirt"; exit 1; }
fi

W=$(mktemp -d /tmp/labyrinth-libvirt.XXXXXX)
NAME=ext-lv$$ DOM=labyrinth-e2e-$$ SOCK=$W/labyrinth.sock SERIAL=$W/serial.log
. "$(dirname "$0")/../qemu_guest.sh"
. "$(dirname "$0")/libvirtd.sh"
V=$VIRSH
SERVER_PID="" DOM_UP="" FAILS=0

cleanup() {
	[ -n "$DOM_UP" ] && $V destroy "$DOM" >/dev/null 2>&1
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		i=0; while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	"$LAB" destroy "$NAME" 2>/dev/null
	libvirtd_down
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# qemu_guest.sh's check, returning the status too (a step that failed ends
# the run early).
check() {	# check COND-EXIT-STATUS MESSAGE; returns the status
	if [ "$1" = 0 ]; then echo "PASS: $2"; else echo "FAIL: $2"; FAILS=$((FAILS+1)); fi
	return "$1"
}

libvirtd_up "$W" || { echo "FAIL: libvirtd"; exit 1; }
TYPE=$(libvirt_type "$(dirname "$0")/../../vmm/rig/kvm-rig")
echo "domain type: $TYPE"

# The labyrinth and its server.
"$LAB" create "$NAME" --rooms 1536 --reserve 24 --extent 2M || exit 1
"$LAB" serve "$NAME" --socket "$SOCK" --stats --vectors 2 >"$W/serve.out" 2>"$W/serve.log" &
SERVER_PID=$!
until_listening "$SOCK" "$W/serve.log"

# The shipped XML, pointed at this run's files.
sed -e "s|/srv/labyrinth/images/guest-tests.elf|$ELF|" \
    -e "s|<domain type='kvm'>|<domain type='$TYPE'>|" \
    -e "s|/var/log/labyrinth-guest-tests.serial|$SERIAL|" \
    -e "s|<name>labyrinth-guest-tests</name>|<name>$DOM</name>|" \
    -e "s|ivshmem.wait=120 ivshmem.eject=120|ivshmem.wait=60 ivshmem.eject=60 ivshmem.devices=2 ivshmem.hold=$HOLD|" \
    "$XML/guest-tests-domain.xml" >"$W/domain.xml"
# Two vectors: the second is the pressure interrupt.
sed -e "s|/run/labyrinth/labyrinth.sock|$SOCK|" -e "s|vectors='1'|vectors='2'|" \
    "$XML/labyrinth.xml" >"$W/labyrinth.xml"

$V create "$W/domain.xml" >/dev/null || { echo "FAIL: virsh create"; exit 1; }
DOM_UP=1
# Attach to a running guest, once its kernel waits: QEMU 7.2 exited when a
# device came while the firmware still set up PCI (a 64-bit BAR mapped at
# 0xffffffff00000000 mid-sizing), seen with five devices.
until_true 60 grep -q "^ivshmem: waiting" "$SERIAL"
check $? "the guest said what it waits for"
lab_check() {	# lab_check WHEN
	"$LAB" check "$NAME" >"$W/check.out" 2>&1
	check $? "labyrinth check $1" || head -5 "$W/check.out"
}
T0=$(date +%s%N)
$V attach-device "$DOM" "$W/labyrinth.xml" --live
check $? "virsh attach-device --live of the shipped device XML"
$V attach-device "$DOM" "$W/labyrinth.xml" --live
check $? "the same XML attached again: a second device"
[ $FAILS = 0 ] || exit 1
until_true 20 grep -q "labyrinth on slot .*extent" "$SERIAL"
T1=$(date +%s%N)
echo "BENCH ivshmem.attach.per_extent $(( (T1 - T0) / 2000000 )) ms"
until_true 20 sh -c "[ \$(grep -c joined '$W/serve.log') -ge 2 ]"
check $? "the server saw QEMU join twice"
grep -q "attaches another labyrinth device" "$W/serve.log"
check $? "the server logged the second device as more memory for the same guest"
QEMU_PID=$(pgrep -f "guest=$DOM" | head -1)
"$LAB" info "$NAME" --json >"$W/info-attached.json"
grep -q "\"qemu_pid\":$QEMU_PID,\"domain\":\"$DOM\"" "$W/info-attached.json"
check $? "info --json shows each peer with QEMU's pid and the domain"

until_true 300 grep -q "^ivshmem: holding" "$SERIAL"
check $? "the guest suite ran and the guest holds its rooms"
echo "---- guest serial ----"; cat "$SERIAL"; echo "----"
grep -q "ivshmem: labyrinth on slot" "$SERIAL"
check $? "the guest found the hot-plugged devices and assigned their BARs"
[ "$(grep -c 'ivshmem: labyrinth on slot' "$SERIAL")" = 2 ]
check $? "the guest uses both devices"
grep -q "^PASS: labyrinth: every page freed" "$SERIAL"
check $? "the guest's labyrinth cases ran over the doorbells"
! grep -q "^FAIL:" "$SERIAL" && ! grep -q "^SKIP: labyrinth" "$SERIAL"
check $? "no guest case failed or skipped"
grep -q "^ivshmem: holding $HOLD rooms on 2 devices" "$SERIAL"
check $? "the guest holds $HOLD rooms (more than one extent's 495) on two devices"
grep -Eq "^ivshmem: holding .*; [1-9][0-9]* pressure drains" "$SERIAL" &&
	grep -q "runs low (.*): pressure interrupt" "$W/serve.log"
check $? "the hold filled an extent: the server rang MSI-X vector 1, the guest gave back its cache"
grep "^BENCH" "$SERIAL"

# The guest's rooms are its lends' own memory (a memfd per device), never
# the pool's: the pool's files of the lent extents hold no page (their
# memory is paid once) and none of the guest's writes; counted once.
"$LAB" info "$NAME" --json >"$W/info-held.json"
python3 - "$NAME" "$W/info-held.json" "$HOLD" <<'PY'
import errno, json, os, sys
name, info, hold = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
paged = 0
for p in info["peers"]:
    for k in p["extents"]:
        fd = os.open("/dev/shm/labyrinth.%s+%d" % (name, k), os.O_RDONLY)
        try:
            os.lseek(fd, 0, os.SEEK_DATA)
            paged += 1
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
        os.close(fd)
rooms = sum(p["rooms"] for p in info["peers"])
print("lent extents whose pool file holds pages: %d; the peers hold %d rooms" % (paged, rooms))
sys.exit(0 if paged == 0 and rooms == hold + 2 * 17 else 1)
PY
check $? "the guest's rooms are its lends' memory, not the pool's files, counted once"
lab_check "with two extents lent and the guest holding its rooms"

$V detach-device "$DOM" "$W/labyrinth.xml" --live
check $? "virsh detach-device --live (one)"
$V detach-device "$DOM" "$W/labyrinth.xml" --live
check $? "virsh detach-device --live (two)"
until_true 30 sh -c "[ \$(grep -c 'eject of slot' '$SERIAL') -ge 2 ]"
check $? "the guest acknowledged both ACPI ejects"
# By the labyrinth, not by counting the server's lines: they are
# rate-limited per QEMU (10 a second). Scrubbed: lab_check below.
until_true 30 sh -c "'$LAB' info '$NAME' --json >'$W/info-back.json' &&
	! grep -Eq '\"state\":\"(lent|returning)\"' '$W/info-back.json'"
check $? "the server took both extents back"
! $V dumpxml "$DOM" | grep -q "<shmem"
check $? "the devices are gone from the domain"
"$LAB" info "$NAME" --json >"$W/info.json"
grep -q '"rooms":1536,"free":1536,' "$W/info.json" && grep -q '"owners":\[\]' "$W/info.json"
check $? "labyrinth back to free == rooms, no lease left"
lab_check "after the detach"

# QEMU's death returns the extent too.
$V attach-device "$DOM" "$W/labyrinth.xml" --live
check $? "attached once more"
until_true 20 sh -c "[ \$(grep -c joined '$W/serve.log') -ge 3 ]"
$V destroy "$DOM" >/dev/null && DOM_UP=""
until_true 30 sh -c "[ \$(grep -c 'scrubbed and returned' '$W/serve.log') -ge 3 ]"
check $? "QEMU's death: the extent came back scrubbed"
"$LAB" info "$NAME" --json >"$W/info-dead.json"
grep -q '"rooms":1536,"free":1536,' "$W/info-dead.json" && grep -q '"owners":\[\]' "$W/info-dead.json"
check $? "nothing leaked after QEMU's death"
lab_check "after QEMU's death"

kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
echo "---- server ----"; cat "$W/serve.log"; cat "$W/serve.out"
echo "libvirt e2e: $FAILS failures"
[ $FAILS = 0 ]
