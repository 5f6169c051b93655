# What the tests of the Linux module share: Debian's kernel and headers,
# the module built by the README's steps, and an initramfs with it whose
# /init is module-init. Sourced (bash), after tests/qemu_guest.sh.
. "$1/vmm/rig/kernel.sh"
. "$1/vmm/rig/initramfs.sh"

# module_make SRC DIR WHAT [MAKE ARGS...]: the Kbuild folder SRC built on
# a copy in DIR (the checkout stays clean) against $headers, make's output
# in DIR.log; a PASS:/FAIL: line saying WHAT (make's last lines on a
# failure). Status: make's.
module_make() {
	local src=$1 dir=$2 what=$3 st
	shift 3
	rm -rf "$dir" && cp -r "$src" "$dir" || return 1
	make -C "$headers" M="$dir" "$@" modules >"$dir.log" 2>&1
	st=$?
	check $st "$what"
	[ $st = 0 ] || tail -20 "$dir.log"
	return $st
}

# module_build TOP BUILD W: sets kernel (the vmlinuz), kernel_version,
# kernel_dir and headers (fetched into BUILD/rig once), and builds
# guest/linux of checkout TOP into W/module.
module_build() {
	local top=$1 build=$2 w=$3
	mkdir -p "$build/rig"
	rig_kernel "$build/rig" && rig_headers "$build/rig" || return 1
	module_make "$top/guest/linux" "$w/module" \
		"the modules build against Debian's headers ($kernel_version)" \
		LABYRINTH_INCLUDE="$top/include"
}

# module_initramfs TOP BUILD W [hostile]: module_build, with "hostile"
# also tests/linux/hostile into W/hostile, and W/initrd.cpio of the
# modules with module-init as /init. Non-zero on any failure.
module_initramfs() {
	local top=$1 build=$2 w=$3
	module_build "$top" "$build" "$w" || return 1
	mkdir -p "$w/initrd/lib/modules"
	cp "$w/module/labyrinth.ko" "$w/module/labyrinth_selftest.ko" "$w/initrd/lib/modules/"
	if [ "${4:-}" = hostile ]; then
		module_make "$top/tests/linux/hostile" "$w/hostile" "the hostile test module builds" \
			LABYRINTH_INCLUDE="$top/include" LABYRINTH_ABI="$top/guest/linux/abi" ||
			return 1
		cp "$w/hostile/labyrinth_hostile.ko" "$w/initrd/lib/modules/"
	fi
	initramfs_pack "$w/initrd" "$top/tests/linux/module-init" "$w/initrd.cpio"
}

# ktap_whole FILE: the module's KTAP in FILE (CRs dropped) passes whole:
# every test of its plan ok, none not ok, and "# violations 0". Sets
# ktap_said to "N of M ok".
ktap_whole() {
	local plan oks
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$1" | cut -c4-)
	oks=$(grep -cE '^ok [0-9]+ ' "$1")
	ktap_said="${oks:-0} of ${plan:-?} ok"
	[ -n "$plan" ] && [ "$oks" = "$plan" ] && ! grep -q '^not ok' "$1" &&
		grep -q '^# violations 0$' "$1"
}
