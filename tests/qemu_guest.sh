# What the end-to-end scripts share (those that boot guests, the rig's):
# PASS:/FAIL: lines and their counts, bounded waits on a state. Sourced
# (sh); tests/lib holds what the C and Python tests share.

# check STATUS WHAT: a PASS: or FAIL: line, counted in passed and failed.
passed=0 failed=0
check() {
	if [ "$1" = 0 ]; then echo "PASS: $2"; passed=$((passed + 1))
	else echo "FAIL: $2"; failed=$((failed + 1)); fi
}

# qemu_accel KVM_RIG [linux]: kvm where the rig says this host's /dev/kvm
# runs guests (vmm/rig/kvm-rig --here), else tcg. For a stock Linux kernel,
# tcg on PVM's KVM too: it emulates guest kernel code and stops at
# instructions it lacks.
qemu_accel() {
	if [ "${2:-}" = linux ] && [ -d /sys/module/kvm_pvm ]; then
		echo tcg
	elif KVM_RIG=auto "$1" --here; then
		echo kvm
	else
		echo tcg
	fi
}

# until_true SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds (0) or SECONDS have passed (1).
until_true() {
	local n=$(($1 * 10)); shift
	until "$@" >/dev/null 2>&1; do
		[ $n -le 0 ] && return 1
		sleep 0.1; n=$((n - 1))
	done
}

# listening SOCKET: a Unix socket at SOCKET listens (in /proc/net/unix,
# flags __SO_ACCEPTCON): its file alone only says it is bound, and a
# connect then (QEMU's) is refused.
listening() {
	awk -v p="$1" '$NF == p && $4 == "00010000" { f = 1 } END { exit !f }' /proc/net/unix
}

# until_listening SOCKET LOG: until `labyrinth serve` (its log LOG) listens
# on SOCKET, 10 s at most; else a FAIL: line and exit 1.
until_listening() {
	until_true 10 listening "$1" && return 0
	echo "FAIL: the server does not listen on $1 ($(tail -n 1 "$2" 2>/dev/null))"
	exit 1
}

# lab_check WHEN: `labyrinth check` of $NAME (with $LAB, output in
# $W/check) as a PASS:/FAIL: line.
lab_check() {
	"$LAB" check "$NAME" >"$W/check" 2>&1
	check $? "labyrinth check $1 ($(head -1 "$W/check"))"
}
