#!/bin/bash
# The README's first command where this host has no /dev/kvm that can make
# a VM (hidden here: /dev/null bound over it in a mount namespace of our
# own): ./vmm.sh says so in one line and runs the monitor in the rig, with
# the guest's output and status; KVM_RIG=never refuses with status 73 and
# a line saying how to get the rig. Needs root (the mount namespace).
# Prints PASS:/FAIL: lines and "N passed, N failed".
#   test_launcher.sh VMM_SH
set -u
if [ "${1:-}" != --hidden ]; then
	[ "$(id -u)" = 0 ] || { echo "FAIL: needs root to hide /dev/kvm"; echo "0 passed, 1 failed"; exit 1; }
	exec unshare -m bash -c '[ ! -e /dev/kvm ] || mount --bind /dev/null /dev/kvm || exit 1; exec "$0" --hidden "$1"' "$0" "$1"
fi
VMM=$2
top=$(cd "$(dirname "$VMM")" && pwd)
W=$(mktemp -d /tmp/kvm-launcher-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../qemu_guest.sh"	# check, passed, failed
line="vmm: no /dev/kvm here that can make a VM: running the monitor in a QEMU (TCG) VM with nested KVM"
unset KVM_RIG

"$VMM" --cpus 2 "$top/images/labyrinth-demo.elf" >"$W/out" 2>"$W/err"
st=$?
check $(( st != 0 )) "the demo through the rig: status 0 ($st: $(tail -3 "$W/err"))"
check $(grep -q '^labyrinth-demo: vcpus=2 .* violations=0 ' "$W/out"; echo $?) "... its summary line ($(tail -1 "$W/out"))"
check $([ "$(grep -c . "$W/err")" = 1 ] && grep -qF "$line" "$W/err"; echo $?) "... and one line saying where it ran ($(head -c 300 "$W/err"))"

"$VMM" "$top/images/exit3.elf" >"$W/out" 2>"$W/err"
st=$?
check $(( st != 3 )) "a guest's exit status passes through the rig (3: $st)"

KVM_RIG=never "$VMM" "$top/images/exit3.elf" >"$W/out" 2>"$W/err"
st=$?
check $(( st != 73 )) "KVM_RIG=never refuses: status 73 ($st)"
check $([ "$(grep -c . "$W/err")" = 1 ] && grep -q 'KVM_RIG=never (unset it to run the monitor in vmm/rig/kvm-rig' "$W/err"; echo $?) \
	"... with one line saying how to get the rig ($(cat "$W/err"))"
check $([ ! -s "$W/out" ]; echo $?) "... and no guest ran"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
