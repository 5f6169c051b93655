#!/bin/sh
# The single-vCPU claim cost of the labyrinth's core at BASE (a commit,
# default main) against the working tree, in one process (core_ab.c);
# with `churn`, the steady-state churn of every scrubbing mode instead
# (churn_ab.c; further arguments pick its cells).
# usage: core_ab.sh SOURCE_ROOT [BASE [churn [CELL...]]]
set -eu
root=$1
base=${2:-main}
what=${3:-claim}
[ $# -ge 3 ] && shift 3 || set --
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The core's sources (shared/, include/) of one version, in $work/$1.
sources() {
	mkdir -p "$work/$1"
	if [ "$2" = tree ]; then
		cp -r "$root/shared" "$root/include" "$work/$1/"
	else
		git -C "$root" archive "$2" shared include | tar -x -C "$work/$1"
	fi
}

# One relocatable object of it, every symbol it defines prefixed $1_.
core() {
	objs=
	for c in "$work/$1"/shared/*.c; do
		o="$work/$1-$(basename "$c" .c).o"
		cc -std=gnu11 -O2 -ffreestanding -I"$work/$1/shared" -I"$work/$1/include" \
			-c "$c" -o "$o"
		objs="$objs $o"
	done
	# shellcheck disable=SC2086
	ld -r -o "$work/$1.o" $objs
	nm --defined-only -g "$work/$1.o" | awk -v p="$1_" '{ print $3, p $3 }' >"$work/$1.syms"
	objcopy --redefine-syms="$work/$1.syms" "$work/$1.o"
}

sources a "$base"
sources b tree
core a
core b
name=$(echo "$base" | tr -c 'A-Za-z0-9_\n' _)
if [ "$what" = churn ]; then
	cc -std=gnu11 -O2 -pthread -I"$root/include" -I"$root/shared" -I"$root/tests/labyrinth" -I"$root/tests/lib" \
		"$root/tests/labyrinth/churn_ab.c" "$root/tests/labyrinth/churn.c" \
		"$root/tests/labyrinth/bench_guard.c" "$root/tests/lib/test_median.c" \
		"$work/a.o" "$work/b.o" -o "$work/churn_ab"
	"$work/churn_ab" "$name" tree "$@"
	exit
fi
# lending.c's own calls of the core are never made here: left out.
cc -std=gnu11 -O2 -ffunction-sections -I"$root/include" -I"$root/shared" -I"$root/tests/lib" \
	"$root/tests/labyrinth/core_ab.c" "$root/tests/lib/lending.c" "$root/tests/lib/test_median.c" \
	"$work/a.o" "$work/b.o" \
	-Wl,--gc-sections -o "$work/core_ab"
"$work/core_ab" "$name" tree
