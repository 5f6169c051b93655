#!/bin/sh
# libvirt end to end: libvirtd started by hand (shared/libvirt.md),
# the shipped example domain booting guest-tests.elf, `labyrinth serve`, the
# shipped device XML hot-attached with virsh, the guest's labyrinth cases over
# the ivshmem doorbell, hot-detach, and the labyrinth back to free == rooms.
# Stops every daemon and domain it started, whatever happens. Exit 77 (SKIP)
# without root or /dev/kvm, or without libvirt outside CI.
#   libvirt_e2e.sh LABYRINTH GUEST_TESTS_ELF XML_DIR INSTALL_DEPS
set -u
LAB=$1 ELF=$2 XML=$3 DEPS=$4
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: libvirtd cannot be started by hand"
[ -c /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null ||
   ! command -v qemu-system-x86_64 >/dev/null; then
	[ "${CI:-}" = true ] || skip "libvirt or QEMU not installed (CI=true installs them)"
	"$DEPS" test || { echo "FAIL: cannot install libvirt"; exit 1; }
fi

W=$(mktemp -d /tmp/labyrinth-libvirt.XXXXXX)
NAME=ext-lv$$ DOM=labyrinth-e2e-$$ SOCK=$W/labyrinth.sock SERIAL=$W/serial.log
V="virsh -q -c qemu:///system"
LIBVIRTD_PID="" SERVER_PID="" DOM_UP="" FAILS=0

cleanup() {
	[ -n "$DOM_UP" ] && $V destroy "$DOM" >/dev/null 2>&1
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		i=0; while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	"$LAB" destroy "$NAME" 2>/dev/null
	if [ -n "$LIBVIRTD_PID" ]; then
		kill -TERM "$LIBVIRTD_PID" 2>/dev/null
		i=0; while kill -0 "$LIBVIRTD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
		kill -KILL "$LIBVIRTD_PID" 2>/dev/null
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() {	# check COND-EXIT-STATUS MESSAGE
	if [ "$1" = 0 ]; then echo "PASS: $2"; else echo "FAIL: $2"; FAILS=$((FAILS+1)); fi
}
# wait_for SECONDS COMMAND...: polls every 0.2 s
wait_for() {
	n=$(($1 * 5)); shift
	while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; n=$((n-1)); done
	return 1
}

# libvirtd, by hand: without systemd, as shared/libvirt.md verified.
if ! $V version >/dev/null 2>&1; then
	mkdir -p /var/log/libvirt
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	if [ ! -e /etc/libvirt/qemu.conf ]; then
		mkdir -p /etc/libvirt
		printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n' >/etc/libvirt/qemu.conf
	fi
	libvirtd -d --pid-file "$W/libvirtd.pid"
	wait_for 60 $V version || { echo "FAIL: libvirtd did not answer in 60 s"; exit 1; }
	LIBVIRTD_PID=$(cat "$W/libvirtd.pid")
	echo "libvirtd started (pid $LIBVIRTD_PID)"
fi
$V domcapabilities --virttype kvm 2>/dev/null | grep -q '<domain>kvm</domain>' ||
	skip "libvirt sees no KVM"

# The labyrinth and its server.
"$LAB" create "$NAME" --rooms 1024 --reserve 16 --extent 2M || exit 1
"$LAB" serve "$NAME" --socket "$SOCK" --stats >"$W/serve.out" 2>"$W/serve.log" &
SERVER_PID=$!
wait_for 10 test -S "$SOCK" || { echo "FAIL: the server did not listen"; cat "$W/serve.log"; exit 1; }

# The shipped XML, pointed at this run's files.
sed -e "s|/srv/labyrinth/images/guest-tests.elf|$ELF|" \
    -e "s|/var/log/labyrinth-guest-tests.serial|$SERIAL|" \
    -e "s|<name>labyrinth-guest-tests</name>|<name>$DOM</name>|" \
    -e "s|ivshmem.wait=120 ivshmem.eject=120|ivshmem.wait=60 ivshmem.eject=60|" \
    "$XML/guest-tests-domain.xml" >"$W/domain.xml"
sed -e "s|/run/labyrinth/labyrinth.sock|$SOCK|" "$XML/labyrinth.xml" >"$W/labyrinth.xml"

$V create "$W/domain.xml" >/dev/null || { echo "FAIL: virsh create"; exit 1; }
DOM_UP=1
sleep 1
$V attach-device "$DOM" "$W/labyrinth.xml" --live
check $? "virsh attach-device --live of the shipped device XML"
[ $FAILS = 0 ] || exit 1
wait_for 20 grep -q "joined" "$W/serve.log"
check $? "the server saw QEMU join"
"$LAB" info "$NAME" --json >"$W/info-attached.json"
grep -q "\"pid\":$SERVER_PID," "$W/info-attached.json"
check $? "info --json shows the peer's lease while attached"

wait_for 300 grep -q "^SUMMARY:" "$SERIAL"
check $? "the guest suite ran to its SUMMARY"
echo "---- guest serial ----"; cat "$SERIAL"; echo "----"
grep -q "ivshmem: labyrinth on slot" "$SERIAL"
check $? "the guest found the hot-plugged device and assigned its BARs"
grep -q "^PASS: labyrinth: every page freed" "$SERIAL"
check $? "the guest's labyrinth cases ran over the doorbell"
! grep -q "^FAIL:" "$SERIAL" && ! grep -q "^SKIP: labyrinth" "$SERIAL"
check $? "no guest case failed or skipped"
grep "^BENCH" "$SERIAL"

$V detach-device "$DOM" "$W/labyrinth.xml" --live
check $? "virsh detach-device --live"
wait_for 30 grep -q "eject of slot" "$SERIAL"
check $? "the guest acknowledged the ACPI eject"
wait_for 30 grep -q "left" "$W/serve.log"
check $? "the server saw QEMU leave"
! $V dumpxml "$DOM" | grep -q "<shmem"
check $? "the device is gone from the domain"
"$LAB" info "$NAME" --json >"$W/info.json"
cat "$W/info.json"
grep -q '"rooms":1024,"free":1024,' "$W/info.json" && grep -q '"owners":\[\]' "$W/info.json"
check $? "labyrinth back to free == rooms, no lease left"

$V destroy "$DOM" >/dev/null && DOM_UP=""
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
echo "---- server ----"; cat "$W/serve.log"; cat "$W/serve.out"
echo "libvirt e2e: $FAILS failures"
[ $FAILS = 0 ]
