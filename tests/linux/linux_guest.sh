#!/bin/bash
# Debian's kernel with the labyrinth module (guest/linux), built by the
# README's steps against Debian's headers of the same version, in QEMU
# (KVM where this host's makes VMs and runs guest kernels natively, TCG
# where not) with two labyrinth devices from `labyrinth serve --vectors 2`:
#   - 2 and 4 vCPUs: the KTAP self-test passes whole (rooms from hrtimer
#     callbacks on every CPU at once and across CPUs by IPI, 0 violations,
#     nothing leaked, NULL and reserve rules, the pressure interrupt, a
#     district claimed whole, zero, and given back once);
#   - a separate boot exhausts the labyrinth and panics with "Sorry, the
#     labyrinth has no exit";
#   - a device plugged into a running guest is used, and unplugged again
#     (the guest acknowledging the eject) its extent is back, free, while
#     the guest runs on;
#   - a guest killed (SIGKILL) while it holds rooms loses none;
#   - `labyrinth check` is ok after each, and every room is free at the end.
# Prints PASS:/FAIL: and "N passed, N failed".
#   linux_guest.sh LABYRINTH SOURCE_ROOT BUILD_ROOT [bench GUEST_TESTS_ELF]
# With "bench", prints the BENCH lines of the 2-vCPU self-test and of our
# minimal kernel (guest-tests.elf) on the same QEMU instead.
set -u
LAB=$1 TOP=$2 BUILD=$3 BENCH=${4:-} ELF=${5:-}
"$TOP/tests/install-deps" linux >&2 || exit 1
W=$(mktemp -d /tmp/labyrinth-linux.XXXXXX) NAME=lnx$$ SERVER="" QEMU=""
trap '[ -n "$QEMU" ] && kill -9 "$QEMU" 2>/dev/null; [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null;
	wait; "$LAB" destroy "$NAME" 2>/dev/null; rm -rf "$W"' EXIT
. "$TOP/tests/qemu_guest.sh"
. "$TOP/tests/linux/guest_module.sh" "$TOP"
accel=$(qemu_accel "$TOP/vmm/rig/kvm-rig" linux)
module_initramfs "$TOP" "$BUILD" "$W" || exit 1

# Four extents of two districts: the first holds the mailbox's rooms, the
# second can be lent whole (the self-test's district case).
ROOMS=4096
"$LAB" create "$NAME" --rooms $ROOMS --reserve 64 --extent 4M >/dev/null || exit 1
"$LAB" serve "$NAME" --socket "$W/sock" --vectors 2 >"$W/serve.out" 2>"$W/serve.log" & SERVER=$!
until_listening "$W/sock" "$W/serve.log"

# boot VCPUS MODE: the guest in the background, its console in
# $W/console.VCPUS.MODE. halt: its end (killed after 240 s) and status.
boot() {
	local smp=$1 mode=$2
	qemu-system-x86_64 -accel $accel -cpu max -m 512 -smp "$smp" \
		-monitor unix:"$W/monitor",server=on,wait=off \
		-nodefaults -display none -no-reboot -no-user-config \
		-kernel "$kernel" -initrd "$W/initrd.cpio" \
		-append "console=ttyS0 printk.time=0 loglevel=4 panic=-1 labyrinth_selftest.mode=$mode" \
		-serial file:"$W/console.$smp.$mode" \
		-chardev socket,path="$W/sock",id=lab0 -device ivshmem-doorbell,chardev=lab0,vectors=2 \
		-chardev socket,path="$W/sock",id=lab1 -device ivshmem-doorbell,chardev=lab1,vectors=2 \
		</dev/null 2>"$W/qemu.$smp.$mode" &
	QEMU=$!
}

halt() {
	local st i=0
	while kill -0 $QEMU 2>/dev/null && [ $i -lt 2400 ]; do sleep 0.1; i=$((i+1)); done
	kill -9 $QEMU 2>/dev/null
	wait $QEMU; st=$?
	QEMU=""
	sed -i 's/\r$//' "$W"/console.*	# the serial line's CRs
	return $st
}

# monitor COMMAND: to the running QEMU's human monitor, left once QEMU
# prompts again after it (it has taken the command; what it echoes is of
# no use: the guest's console and the server's log say what happened).
monitor() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
seen = b""
while seen.count(b"(qemu) ") < 2:
    more = s.recv(4096)
    if not more:
        break
    seen += more' "$W/monitor" "$1"
}

# wait_for FILE LINE: until the guest's console has LINE (120 s at most).
wait_for() { until_true 120 grep -q "^$2" "$1"; }

# info_has JSON: the labyrinth's info says so within 10 s.
info_has() { until_true 10 sh -c "'$LAB' info '$NAME' --json | grep -q '$1'"; }

# Every room free again once the server has taken the extents back.
all_free() {
	info_has "\"rooms\":$ROOMS,\"free\":$ROOMS,"
}

ktap_run() {
	local smp=$1 c=$W/console.$1.test st
	boot "$smp" test
	halt; st=$?
	ktap_whole "$c" ||
		{ echo "--- the last of its console"; tail -n 25 "$c"; ! :; }
	check $? "$smp vCPUs ($accel): KTAP $ktap_said, 0 violations (QEMU status $st)"
	grep -E '^not ok|^# violation|WARNING|BUG' "$c"
	all_free
	check $? "$smp vCPUs: every room free again after the guest"
	lab_check "after $smp vCPUs"
}

# Five rounds, each the Linux guest then our minimal kernel on the same
# QEMU and labyrinth; the median of each figure, and their ratio.
if [ "$BENCH" = bench ]; then
	for round in 1 2 3 4 5; do
		boot 2 test
		halt
		sed -n 's/^# BENCH linux\./BENCH linux.'$accel'./p' "$W/console.2.test" >>"$W/bench"
		timeout 120 qemu-system-x86_64 -accel $accel -nodefaults -m 256 -smp 2 -display none \
			-serial file:"$W/minimal" -device isa-debug-exit,iobase=0xf4,iosize=4 \
			-chardev socket,path="$W/sock",id=lab \
			-device ivshmem-doorbell,chardev=lab,vectors=2 -kernel "$ELF" </dev/null 2>/dev/null
		sed -n 's/^BENCH ivshmem\./BENCH ivshmem.'$accel'./p' "$W/minimal" | tr -d '\r' >>"$W/bench"
	done
	for k in $(awk '{print $2}' "$W/bench" | sort -u); do
		awk -v k="$k" '$2 == k {print $3}' "$W/bench" | sort -n |
			awk -v k="$k" -v u="$(awk -v k="$k" '$2 == k {print $4; exit}' "$W/bench")" \
				'{a[NR] = $1} END {printf "BENCH %s %s %s\n", k, a[int((NR + 1) / 2)], u}'
	done >"$W/medians"
	cat "$W/medians"
	awk '$2 ~ /^linux\..*\.alloc\.miss\.p50$/ {l = $3} $2 ~ /^ivshmem\..*\.claim1$/ {c = $3}
		END {if (l && c) printf "BENCH linux.%s.miss_vs_minimal_claim1 %.2f ratio\n", a, l / c}' \
		a=$accel "$W/medians"
	grep -q "^BENCH linux.$accel.alloc.hrtimer.p50 " "$W/bench" &&
		grep -q "^BENCH ivshmem.$accel.claim1 " "$W/bench"
	exit
fi

ktap_run 2
ktap_run 4

boot 2 no_exit
halt
grep -q 'Kernel panic - not syncing: Sorry, the labyrinth has no exit' "$W/console.2.no_exit"
check $? "no rooms left, reserve included: allocpage_gfp_atomic_exclusive panics with the message"
all_free
check $? "the panicked guest's rooms are all free again"
lab_check "after the panic"

boot 2 hotplug
c=$W/console.2.hotplug
wait_for "$c" "linux-guest: waiting for a device to be plugged"
monitor "chardev-add socket,path=$W/sock,id=lab2"
monitor "device_add ivshmem-doorbell,chardev=lab2,vectors=2,id=plugged"
wait_for "$c" "linux-guest: waiting for the device to be unplugged"
check $(grep -q '^linux-guest: extents 3' "$c" && grep -q '^# 3 extents' "$c" &&
	! grep -q '^not ok' "$c" && grep -q '^# violations 0' "$c"; echo $?) \
	"a device plugged live: the guest uses 3 extents and its KTAP passes"
monitor "device_del plugged"
wait_for "$c" "linux-guest: extents 2"
# As libvirt's detach: the chardev goes once the device has (QEMU keeps
# it, and the server its peer, until then; a retry covers the eject's
# last step).
for try in 1 2 3; do
	monitor "chardev-remove lab2"
	info_has '"leases":2,' && break
done
check $? "unplugged live, the eject acknowledged: its extent is free again while the guest runs"
monitor quit
halt
grep -q 'eject' "$W/serve.log"
check $? "the server heard the guest acknowledge the eject"
all_free
check $? "the guest's other rooms are free after it"
lab_check "after the hot-plug"

boot 2 hold
wait_for "$W/console.2.hold" "linux-guest: holding"
held=$(sed -n 's/^# holding \([0-9]*\) rooms.*/\1/p' "$W/console.2.hold")
check $([ "${held:-0}" -gt 0 ]; echo $?) "a guest holds ${held:-no} rooms"
kill -9 $QEMU; halt 2>/dev/null
all_free
check $? "killed (SIGKILL) while holding them, it loses none: every room free again"
lab_check "after the kill"

kill -TERM $SERVER; wait $SERVER; SERVER=""
lab_check "at the end"
if [ $failed != 0 ]; then
	for c in "$W"/console.*; do echo "--- ${c##*/}"; tail -25 "$c"; done
	echo "--- serve"; tail -8 "$W/serve.log"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
