#!/bin/bash
# Debian's kernel with the labyrinth module as a libvirt domain (type kvm
# where this host's KVM runs a stock kernel, else qemu/TCG), written by
# images/libvirt/make-domain.sh and given its devices by the shipped
# device XML, as an operator would:
#   - the domain boots with no labyrinth device; two are attached live
#     with `virsh attach-device`, the module binds both, and its KTAP
#     self-test passes whole (rooms from hrtimer callbacks on every vCPU
#     and across vCPUs by IPI, 0 violations, nothing leaked);
#   - both detached live with `virsh detach-device`: the guest acknowledges
#     each eject, the server takes both extents back scrubbed, the guest
#     powers off on its own;
#   - a domain holding rooms on a device it booted with, destroyed with
#     `virsh destroy`, loses none;
#   - `labyrinth check` is ok after each, and every room is free at the end.
# Prints PASS:/FAIL: and "N passed, N failed". Exit 77 (SKIP) without root
# (libvirtd cannot be started by hand).
#   linux_libvirt.sh LABYRINTH SOURCE_ROOT BUILD_ROOT
set -u
LAB=$1 TOP=$2 BUILD=$3
[ "$(id -u)" = 0 ] || { echo "SKIP: not root: libvirtd cannot be started by hand"; exit 77; }
"$TOP/tests/install-deps" test >&2 || exit 1

W=$(mktemp -d /tmp/labyrinth-linux-libvirt.XXXXXX) NAME=lvl$$ DOM=labyrinth-linux-$$ SERVER=""
. "$TOP/tests/qemu_guest.sh"
. "$TOP/tests/libvirt/libvirtd.sh"
. "$TOP/tests/linux/guest_module.sh" "$TOP"
cleanup() {
	$VIRSH destroy "$DOM" >/dev/null 2>&1
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER"
	"$LAB" destroy "$NAME" 2>/dev/null
	libvirtd_down
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

module_initramfs "$TOP" "$BUILD" "$W" || exit 1
libvirtd_up "$W" || { echo "FAIL: libvirtd"; exit 1; }
TYPE=$(libvirt_type "$TOP/vmm/rig/kvm-rig" linux)

# Extents of two districts, so that the self-test's district case has one
# whole (the first holds the mailbox's rooms).
ROOMS=4096
"$LAB" create "$NAME" --rooms $ROOMS --reserve 64 --extent 4M >/dev/null || exit 1
"$LAB" serve "$NAME" --socket "$W/sock" --vectors 2 >"$W/serve.out" 2>"$W/serve.log" & SERVER=$!
until_listening "$W/sock" "$W/serve.log"
# The shipped device XML, on this run's socket, with the pressure vector.
sed -e "s|/run/labyrinth/labyrinth.sock|$W/sock|" -e "s|vectors='1'|vectors='2'|" \
	"$TOP/images/libvirt/labyrinth.xml" >"$W/device.xml"

# console_has FILE LINE: the guest's console (CRs dropped) has LINE
console_has() { tr -d '\r' <"$1" | grep -q "^$2"; }
all_free() { "$LAB" info "$NAME" --json | grep -q "\"rooms\":$ROOMS,\"free\":$ROOMS,"; }
# Every extent the monitors' again (none lent, none returning).
all_pool() {
	j=$("$LAB" info "$NAME" --json) && ! printf '%s' "$j" | grep -Eq '"state":"(lent|returning)"'
}
# domain FILE MODE [EXTRA]: the domain XML for the module's self-test MODE
domain() {
	sh "$TOP/images/libvirt/make-domain.sh" --type "$TYPE" --memory 512 \
		--initrd "$W/initrd.cpio" \
		--cmdline "console=ttyS0 printk.time=0 loglevel=4 panic=-1 labyrinth_selftest.mode=$2${3:+ $3}" \
		"$kernel" "$DOM" "$1"
}

# 1. Devices attached to and detached from a running Linux guest.
S=$W/serial.plug
domain "$S" hotplug "linux_guest.plug=2 linux_guest.unplug=0 linux_guest.then=poweroff" >"$W/plug.xml"
$VIRSH create "$W/plug.xml" >/dev/null
check $? "virsh create: Debian's kernel ($kernel_version) as a libvirt domain of type $TYPE"
until_true 180 console_has "$S" "linux-guest: waiting for a device to be plugged"
check $? "the guest's module waits for devices"
$VIRSH attach-device "$DOM" "$W/device.xml" --live &&
	$VIRSH attach-device "$DOM" "$W/device.xml" --live
check $? "virsh attach-device --live of the shipped XML, twice"
until_true 600 console_has "$S" "linux-guest: waiting for the device to be unplugged"
tr -d '\r' <"$S" >"$W/console"
ktap_whole "$W/console" && grep -q '^linux-guest: extents 2' "$W/console"
check $? "on 2 hot-plugged devices the KTAP self-test passes: $ktap_said, 0 violations"
grep -E '^not ok|^# violation|WARNING|BUG' "$W/console"
lab_check "with two extents lent to the Linux guest"
# The guest powers off as soon as its last device is gone, which can be
# before libvirt's second detach call returns: that call then fails for a
# reason that is no failure of the detach. It is judged by its outcome (the
# guest saw both devices go), with virsh's words kept for the log.
$VIRSH detach-device "$DOM" "$W/device.xml" --live 2>"$W/detach.err"
check $? "virsh detach-device --live, the first device"
$VIRSH detach-device "$DOM" "$W/device.xml" --live 2>>"$W/detach.err" ||
	echo "# the second detach-device said: $(tr '\n' ' ' <"$W/detach.err")"
until_true 120 console_has "$S" "linux-guest: done" &&
	tr -d '\r' <"$S" | grep -q '^linux-guest: extents 0'
check $? "the guest saw both devices go and powered off on its own"
until_true 60 sh -c "[ \$(grep -c 'eject' '$W/serve.log') -ge 2 ]"
check $? "the server heard the guest acknowledge both ejects"
# Judged by the labyrinth, not the server's log: its "scrubbed and
# returned" lines are rate-limited per QEMU (10 a second), and a guest's
# pressure episodes and ejects can fill that second.
until_true 30 all_pool && until_true 30 all_free
check $? "both extents back in the pool, and every room free"
until_true 60 sh -c "! $VIRSH domstate $DOM"
check $? "the domain is gone after its power-off"
lab_check "after the detach"

# 2. A domain holding rooms on a device it booted with, destroyed.
S=$W/serial.hold
domain "$S" hold | sed "s|</devices>|$(tr -d '\n' <"$W/device.xml" | sed 's/<!--.*-->//')</devices>|" >"$W/hold.xml"
$VIRSH create "$W/hold.xml" >/dev/null
check $? "virsh create of a domain with the device in its XML"
until_true 600 console_has "$S" "linux-guest: holding"
held=$(tr -d '\r' <"$S" | sed -n 's/^# holding \([0-9]*\) rooms.*/\1/p')
check $([ "${held:-0}" -gt 0 ]; echo $?) "the guest holds ${held:-no} rooms"
$VIRSH destroy "$DOM" >/dev/null
check $? "virsh destroy while it holds them"
until_true 30 all_free
check $? "destroyed while holding its rooms, it loses none: every room free again"
lab_check "after the destroy"

kill -TERM $SERVER; wait $SERVER; SERVER=""
lab_check "at the end"
if [ $failed != 0 ]; then
	for c in "$W"/serial.*; do echo "--- ${c##*/}"; tr -d '\r' <"$c" | tail -25; done
	echo "--- serve"; tail -8 "$W/serve.log"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
