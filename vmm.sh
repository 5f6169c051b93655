#!/bin/sh
# Launcher for the monitor (./vmm.sh IMAGE ...) and, through the symlink
# ./labyrinth, for the labyrinth command. (The monitor itself cannot be
# ./vmm: the user's fixed layout keeps the monitor's sources in vmm/.)
# It installs the build tools if they are missing (Debian, as root),
# (re)builds with meson when the build is missing or stale, refreshes
# images/*.elf, then runs the program. Build output goes to
# build/launcher.log, never to the guest's stdout; what it is doing, to
# stderr. Where this host has no /dev/kvm that can make a VM, the monitor
# runs in the KVM rig's QEMU VM (vmm/rig/kvm-rig): same output, same exit
# status (73 when the rig cannot run); KVM_RIG=never refuses instead.
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
	echo "vmm.sh: configuring the build in $build (meson setup; log: build/launcher.log)" >&2
	meson setup "$build" "$top" >"$build/launcher.log" 2>&1 || {
		cat "$build/launcher.log" >&2; echo "vmm: meson setup failed" >&2; exit 73; }
fi
ninja -C "$build" -n 2>/dev/null | grep -q '^ninja: no work to do' ||
	echo "vmm.sh: building the monitor, the labyrinth command and the guest images (ninja; log: build/launcher.log)" >&2
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
case $prog in
*/vmm)
	rig=$top/vmm/rig/kvm-rig
	if ! KVM_RIG=${KVM_RIG:-auto} "$rig" --here 2>/dev/null; then
		if [ "${KVM_RIG:-auto}" = never ]; then
			echo "vmm: no /dev/kvm here that can make a VM, and KVM_RIG=never (unset it to run the monitor in vmm/rig/kvm-rig's QEMU VM)" >&2
			exit 73
		fi
		echo "vmm: no /dev/kvm here that can make a VM: running the monitor in a QEMU (TCG) VM with nested KVM (vmm/rig/kvm-rig; KVM_RIG=never refuses instead)" >&2
		exec "$rig" --timeout 0 --fail-status 73 -- "$prog" "$@"
	fi ;;
esac
exec "$prog" "$@"
