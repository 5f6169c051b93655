#!/bin/sh
# Launcher for the monitor (./vmm.sh IMAGE ...) and, through the symlink
# ./labyrinth, for the labyrinth command. (The monitor itself cannot be
# ./vmm: the user's fixed layout keeps the monitor's sources in vmm/.)
# It installs the build tools if they are missing (Debian, as root),
# (re)builds with meson when the build is missing or stale, refreshes
# images/*.elf, then runs the program. Build output goes to
# build/launcher.log, never to the guest's stdout.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
build="$top/build"
case "$(basename "$0")" in
labyrinth) prog="$build/vmm/command/labyrinth" ;;
*) prog="$build/vmm/monitor/vmm" ;;
esac

"$top/tests/install-deps" build >&2 || exit 73
if [ ! -f "$build/build.ninja" ]; then
	mkdir -p "$build"
	meson setup "$build" "$top" >"$build/launcher.log" 2>&1 || {
		cat "$build/launcher.log" >&2; echo "vmm: meson setup failed" >&2; exit 73; }
fi
if ! ninja -C "$build" >"$build/launcher.log" 2>&1; then
	cat "$build/launcher.log" >&2
	echo "vmm: build failed (see above)" >&2
	exit 73
fi
# Built images are outputs; they are copied beside their recipes in images/.
for img in "$build"/images/*.elf; do
	[ -f "$img" ] || continue
	dst="$top/images/$(basename "$img")"
	cmp -s "$img" "$dst" 2>/dev/null || cp "$img" "$dst"
done
exec "$prog" "$@"
