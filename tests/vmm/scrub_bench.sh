#!/bin/sh
# The monitor's handling of RELEASE 64 with the scrub inside the release
# (LABYRINTH_SCRUB=release, the old way) and with the rooms left dirty for
# the background scrubber (the default), one run after the other; the
# first run's figures are renamed *.at_release.
# usage: scrub_bench.sh GUEST_BENCH VMM IMAGE [vmm options...]
set -u
bench=$1
shift
LABYRINTH_SCRUB=release "$bench" "$@" |
	sed -n 's/^BENCH \(vmm\.handle\.[a-z0-9_.]*\) /BENCH \1.at_release /p' || exit 1
"$bench" "$@" | grep '^BENCH vmm\.handle\.'
