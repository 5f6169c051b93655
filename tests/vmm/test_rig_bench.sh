#!/bin/sh
# rig_bench.sh with a stand-in rig (no VM): native runs pass through
# unchanged; rig runs label every figure rig.* and give each ns/ms figure
# its ratio to the control sharing most of its name; a missing control or
# a failed run fails.
# usage: test_rig_bench.sh RIG_BENCH
set -u
rb=$1
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fails=0 passes=0
check() {	# what, condition
	if eval "$2"; then passes=$((passes + 1)); echo "PASS: $1"
	else fails=$((fails + 1)); echo "FAIL: $1"; fi
}
printf '#!/bin/sh\n[ "$1" = --here ] && exit 0\nexit 99\n' >"$w/here"
printf '#!/bin/sh\n[ "$1" = --here ] && exit 1\nshift; "$@"\n' >"$w/vm"
chmod +x "$w/here" "$w/vm"
printf 'BENCH hc.null 100 ns\nBENCH vmm.handle.null 4 ns\nBENCH vmm.handle.claim1 40 ns\nBENCH guest.irq_alloc.p50 300 ns\nBENCH guest.hit_rate 97 %%\n' >"$w/figs"

sh "$rb" "$w/here" hc.null "cat $w/figs" >"$w/out"; st=$?
check "native: status 0" '[ $st -eq 0 ]'
check "native: figures unchanged" 'cmp -s "$w/out" "$w/figs"'

sh "$rb" "$w/vm" hc.null,vmm.handle.null "cat $w/figs" >"$w/out"; st=$?
check "rig: status 0" '[ $st -eq 0 ]'
check "rig: every figure labelled" '[ "$(grep -c "^BENCH rig\." "$w/out")" -eq 7 ] && ! grep -q "^BENCH [^r]" "$w/out"'
check "rig: the monitor's figure against the monitor's control" 'grep -qx "BENCH rig.vmm.handle.claim1.over_vmm.handle.null 10.000 x" "$w/out"'
check "rig: a figure of no control's family against the first" 'grep -qx "BENCH rig.guest.irq_alloc.p50.over_hc.null 3.000 x" "$w/out"'
check "rig: no ratio for a percentage or a control itself" '! grep -q "hit_rate.over\|hc.null.over\|handle.null.over" "$w/out"'
check "rig: says what its figures are" 'grep -q "^# rig figures" "$w/out"'

sh "$rb" "$w/vm" hc.none "cat $w/figs" >"$w/out" 2>"$w/err"; st=$?
check "rig: a missing control fails" '[ $st -ne 0 ] && grep -q "no hc.none" "$w/err"'
sh "$rb" "$w/vm" hc.null "cat $w/figs; exit 3" >"$w/out" 2>&1; st=$?
check "rig: a failed run fails with its status" '[ $st -eq 3 ]'
sh "$rb" "$w/vm" hc.null "cat $w/figs" "printf \"BENCH hc.null 50 ns\\n\"" >"$w/out" 2>&1; st=$?
check "rig: the control command runs after, in the same run" '[ $st -eq 0 ] && grep -qx "BENCH rig.hc.null 50 ns" "$w/out"'
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
