#!/bin/sh
# A vmm benchmark where this machine's /dev/kvm makes VMs: run as it is.
# Where it cannot (none, or one that makes no VM), in the KVM rig's VM
# (QEMU TCG with KVM inside, vmm/rig/kvm-rig): each figure is printed as a
# rig figure, `BENCH rig.NAME VALUE UNIT` (the emulator's time: compare
# it only with figures of the same run), and with its ratio to a control,
# a figure measured in the same rig run, `BENCH rig.NAME.over_CONTROL R x`:
# of the CONTROL list (comma-separated), the one sharing the most leading
# dotted parts of its name with the figure, else the first.
# CONTROL_CMD, if given, runs in the same rig VM right after CMD to
# measure CONTROL there (the demo has no figure of its own to compare to).
# usage: rig_bench.sh KVM_RIG CONTROL "CMD" ["CONTROL_CMD"]
set -u
rig=$1 control=$2 cmd=$3 control_cmd=${4:-}

if "$rig" --here; then
	exec sh -c "$cmd"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2016
"$rig" -- sh -c 'sh -c "$1" && { [ -z "$2" ] || sh -c "$2"; }' rig_bench "$cmd" "$control_cmd" >"$out" 2>&1
rc=$?
echo "# rig figures: this machine's /dev/kvm makes no VM; measured in the rig's VM (TCG), ratios against $control of the same run"
awk -v controls="$control" '
	function shared(a, b,   x, y, n, i, k) {	# leading dotted parts in common
		n = split(a, x, "."); split(b, y, ".")
		for (i = 1; i <= n && x[i] == y[i]; i++) k++
		return k
	}
	$1 == "BENCH" { name[++n] = $2; value[n] = $3; unit[n] = $4; v[$2] = $3 }
	$1 != "BENCH" { print "# " $0 }
	END {
		nc = split(controls, c, ",")
		for (j = 1; j <= nc; j++)
			if (!(c[j] in v) || v[c[j]] <= 0) {
				print "rig_bench: no " c[j] " in the run" > "/dev/stderr"; bad = 1
			}
		for (i = 1; i <= n; i++) {
			printf "BENCH rig.%s %s %s\n", name[i], value[i], unit[i]
			best = 1; most = -1
			for (j = 1; j <= nc; j++)
				if (shared(name[i], c[j]) > most) { most = shared(name[i], c[j]); best = j }
			if (!bad && name[i] != c[best] && (unit[i] == "ns" || unit[i] == "ms"))
				printf "BENCH rig.%s.over_%s %.3f x\n", name[i], c[best], value[i] / v[c[best]]
		}
		exit bad
	}' "$out" || exit 1
exit $rc
