#!/bin/sh
# Runs a guest image under the monitor and passes on the BENCH lines that
# the guest (stdout) and the monitor's --hc-stats (stderr) print.
# usage: guest_bench.sh VMM IMAGE [vmm options...]
set -u
vmm=$1 image=$2
shift 2
out=$("$vmm" --timeout 120 "$@" "$image" 2>&1)
rc=$?
printf '%s\n' "$out" | grep '^BENCH '
if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^BENCH '; then
	printf '%s\n' "$out" >&2
	echo "guest_bench: $image exited $rc" >&2
	exit 1
fi
