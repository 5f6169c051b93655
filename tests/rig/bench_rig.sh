#!/bin/bash
# What the KVM rig costs, always in its VM (KVM_RIG=always): QEMU's start to
# /dev/kvm ready in the VM, a whole `kvm-rig true`, and the README's demo,
# medians of RUNS (5) with the rig's wall and CPU time (QEMU's threads:
# TCG is CPU-bound); the demo also here where this host's KVM works, as the
# control, with the ratio. Then each test of the 'kvm' suite through the
# rig, one run each (minutes: not a median). Waits (60 s at most) for the
# machine to be quiet first, and says whether it was.
#   bench_rig.sh KVM_RIG_SCRIPT BUILD_DIR VMM DEMO_ELF
set -u
RIG=$1 BUILD=$2 VMM=$3 DEMO=$4 runs=${RUNS:-5}
export KVM_RIG=always
W=$(mktemp -d /tmp/kvm-rig-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

busy() {	# percent of CPU time busy over one second
	local a b
	a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
	local idle=$(( b[4] + b[5] - a[4] - a[5] )) all=0 i
	for i in 1 2 3 4 5 6 7 8; do all=$(( all + b[i] - a[i] )); done
	echo $(( all > 0 ? 100 * (all - idle) / all : 0 ))
}
t=0
while [ "$(busy)" -gt 15 ] && [ $t -lt 60 ]; do t=$((t + 1)); done
echo "BENCH rig.machine_busy_at_start $(busy) %"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# timed FILE CMD...: appends "wall cpu" of CMD (its children included)
timed() {
	local f=$1; shift
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >"$W/out" 2>"$W/err"; } 2>>"$W/t.$$"
	local st=$?
	awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$W/t.$$" >>"$f"; rm -f "$W/t.$$"
	return $st
}

for i in $(seq "$runs"); do
	KVM_RIG_TIMES=$W/times timed "$W/true" "$RIG" true || { echo "bench_rig: kvm-rig true failed"; cat "$W/err"; exit 1; }
	timed "$W/demo" "$RIG" "$VMM" --cpus 2 "$DEMO" || { echo "bench_rig: the demo failed in the rig"; cat "$W/err"; exit 1; }
	grep -q 'violations=0' "$W/out" || { echo "bench_rig: the demo saw violations"; exit 1; }
done
echo "BENCH rig.ready $(awk '$1 == "ready" {print $2}' "$W/times" | median) s"
echo "BENCH rig.true.wall $(awk '{print $1}' "$W/true" | median) s"
echo "BENCH rig.true.cpu $(awk '{print $2}' "$W/true" | median) s"
echo "BENCH rig.demo.wall $(awk '{print $1}' "$W/demo" | median) s"
echo "BENCH rig.demo.cpu $(awk '{print $2}' "$W/demo" | median) s"
if KVM_RIG=auto "$RIG" --here; then
	for i in $(seq "$runs"); do timed "$W/native" "$VMM" --cpus 2 "$DEMO" || exit 1; done
	n=$(awk '{print $1}' "$W/native" | median)
	echo "BENCH rig.demo.native.wall $n s"
	echo "BENCH rig.demo.native.cpu $(awk '{print $2}' "$W/native" | median) s"
	awk -v r="$(awk '{print $1}' "$W/demo" | median)" -v n="$n" \
		'BEGIN {printf "BENCH rig.demo.rig_over_native %.2f x\n", r / n}'
else
	echo "bench_rig: no KVM here: the demo has no native control on this host"
fi

meson test -C "$BUILD" --no-rebuild --suite kvm --wrapper "$RIG --" >"$W/suite" 2>&1
awk '$2 ~ /:/ && $3 == "/" && ($5 == "OK" || $5 == "FAIL") {
	sub(/s$/, "", $6); print "BENCH rig.suite." $4 ".one_run " $6 " s" }' "$W/suite"
grep -q '^Fail: *0' "$W/suite" || { echo "bench_rig: a kvm test failed in the rig"; grep FAIL "$W/suite"; exit 1; }
