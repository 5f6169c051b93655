#!/bin/bash
# The KVM rig itself (vmm/rig/kvm-rig), always in its VM (KVM_RIG=always),
# whatever this host has: the command's status, stdout, stderr, directory
# and environment pass through; the VM has a /dev/kvm that makes VMs and
# the checkout writable at its path, nothing else of ours; a command past
# --timeout is stopped (124, one line, no QEMU left); a kernel package
# that does not exist is one line and the rig's failure status; bad
# options are status 2. Prints PASS:/FAIL: lines and "N passed, N failed".
#   test_rig.sh KVM_RIG_SCRIPT
set -u
RIG=$1
top=$(cd "$(dirname "$RIG")/../.." && pwd)
export KVM_RIG=always
W=$(mktemp -d /tmp/kvm-rig-test.XXXXXX)
trap 'rm -rf "$W" "$top/build/rig-test-$$"' EXIT
. "$(dirname "$0")/../qemu_guest.sh"	# check, passed, failed
one_line() { [ "$(wc -l <"$1")" = 1 ] && grep -q "^kvm-rig: $2" "$1"; }

# 1. Everything of the command passes through, and the VM has what it needs.
cd "$W"
RIG_PROBE='a b$c' "$RIG" bash -c '
	echo "out: $RIG_PROBE $(pwd)"; echo "err: line" >&2
	KVM_RIG=never "$1" --here || echo "no VM" >&2
	touch "$0" || echo "checkout not writable" >&2
	touch /usr/rig-probe || echo "no overlay" >&2
	exit 42' "$top/build/rig-test-$$" "$RIG" >"$W/out" 2>"$W/err"
st=$?
check $(( st != 42 )) "the command's status passes through (42: $st)"
check $([ "$(cat "$W/out")" = "out: a b\$c $W" ]; echo $?) "stdout, the directory and the environment pass through ($(head -c 200 "$W/out"))"
# (the first run on a machine says it fetches the kernel package: the rig's line)
check $([ "$(grep -v "^kvm-rig: fetching Debian's " "$W/err")" = "err: line" ]; echo $?) "stderr passes through, alone: the VM made a VM, the checkout and / were writable ($(head -c 300 "$W/err"))"
check $([ -e "$top/build/rig-test-$$" ] && [ ! -e /usr/rig-probe ]; echo $?) \
	"the checkout is the host's, the rest of / only the VM's"
check $([ -z "$(ls -A "$top/build/rig/runs" 2>/dev/null)" ]; echo $?) "the run's folder is gone"

# 2. A command past --timeout: 124 and one line, and its QEMU is gone.
t0=$(date +%s)
"$RIG" --timeout 4 sleep 600 >"$W/out" 2>"$W/err"
st=$? t=$(( $(date +%s) - t0 ))
check $(( st != 124 )) "a command past --timeout ends the rig with 124 ($st)"
check $(one_line "$W/err" "'sleep' did not end within 4 s"; echo $?) "... with one line ($(cat "$W/err"))"
check $(( t > 30 )) "... soon ($t s)"
check $(pgrep -f "qemu-system-x86_64.*$top/build/rig/runs" >/dev/null; [ $? = 1 ]; echo $?) "... and no QEMU left"

# 3. A kernel package Debian does not have: the failure status, one line.
KVM_RIG_KERNEL_PACKAGE=linux-image-0.0.0-none-amd64 "$RIG" true >"$W/out" 2>"$W/err"
st=$?
check $(( st != 125 )) "a missing kernel package is status 125 ($st)"
check $(grep -q "^kvm-rig: cannot fetch Debian's kernel package 'linux-image-0.0.0-none-amd64'" "$W/err"; echo $?) \
	"... with a line naming it ($(tail -1 "$W/err"))"
check $([ ! -e "$top/build/rig/linux-image-0.0.0-none-amd64" ]; echo $?) "... and nothing left in the cache"
KVM_RIG_KERNEL_PACKAGE=linux-image-0.0.0-none-amd64 "$RIG" --fail-status 73 true 2>/dev/null
st=$?
check $(( st != 73 )) "--fail-status names the rig's failure status (73: $st)"

# 4. The VM dies: its kernel's last words, or QEMU's known bug named as
# such (a line made to look like it), or no SVM to be had; each one line.
died() {	# died WANT [ENV=V] CMD...: status 125 and one line with WANT
	local want=$1; shift
	env "$@" >"$W/out" 2>"$W/err"
	local st=$?
	check $([ $st = 125 ] && one_line "$W/err" "" && grep -qF "$want" "$W/err"; echo $?) \
		"$want: status 125 and one line ($st: $(head -c 300 "$W/err"))"
}
died "the VM's kernel died (Kernel panic - not syncing: sysrq triggered crash)" \
	"$RIG" sh -c 'echo c >/proc/sysrq-trigger'
died "the VM's kernel died of a bug of QEMU's TCG (Oops: int3), not of ours: run it again" \
	"$RIG" sh -c 'echo "<2>Oops: int3 (made by the test)" >/dev/kmsg; echo c >/proc/sysrq-trigger'
died "no /dev/kvm in the VM: the emulator offers no SVM here" KVM_RIG_CPU=max,svm=off "$RIG" true

# 5. Bad options and settings: status 2, one line, no VM.
for bad in "--timeout soon true" "--fail-status 300 true" "--bogus true" "" "--here true"; do
	"$RIG" $bad >"$W/out" 2>"$W/err"
	st=$?
	check $([ $st = 2 ] && one_line "$W/err" ""; echo $?) "kvm-rig $bad: status 2 and one line ($st: $(cat "$W/err"))"
done
KVM_RIG=sometimes "$RIG" true >"$W/out" 2>"$W/err"
st=$?
check $([ $st = 2 ] && one_line "$W/err" "KVM_RIG is auto, always or never"; echo $?) "KVM_RIG=sometimes: status 2 ($st)"
KVM_RIG=always "$RIG" --here
check $(( $? != 1 )) "--here with KVM_RIG=always says: the VM (1)"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
