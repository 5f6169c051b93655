# What the tests of the Linux module share: Debian's kernel and headers,
# the module built by the README's steps, and an initramfs with it whose
# /init is module-init. Sourced (bash), after tests/qemu_guest.sh.
# module_initramfs TOP BUILD W [hostile]: sets kernel (the vmlinuz),
# kernel_version, headers; builds guest/linux (on a copy: the checkout
# stays clean) into W/module, with "hostile" also tests/linux/hostile
# into W/hostile, and packs W/initrd.cpio. Prints a PASS:/FAIL: line for the build
# (with make's last lines when it fails) and returns non-zero on any failure.
. "$1/vmm/rig/kernel.sh"
. "$1/vmm/rig/initramfs.sh"

module_initramfs() {
	local top=$1 build=$2 w=$3 st
	mkdir -p "$build/rig"
	rig_kernel "$build/rig" && rig_headers "$build/rig" || return 1
	cp -r "$top/guest/linux" "$w/module"
	make -C "$headers" M="$w/module" LABYRINTH_INCLUDE="$top/include" modules >"$w/make.log" 2>&1
	st=$?
	check $st "the modules build against Debian's headers ($kernel_version)"
	[ $st = 0 ] || { tail -20 "$w/make.log"; return 1; }
	mkdir -p "$w/initrd/lib/modules"
	cp "$w/module/labyrinth.ko" "$w/module/labyrinth_selftest.ko" "$w/initrd/lib/modules/"
	if [ "${4:-}" = hostile ]; then
		cp -r "$top/tests/linux/hostile" "$w/hostile"
		make -C "$headers" M="$w/hostile" LABYRINTH_INCLUDE="$top/include" \
			LABYRINTH_ABI="$top/guest/linux/abi" modules >"$w/make-hostile.log" 2>&1
		st=$?
		check $st "the hostile test module builds"
		[ $st = 0 ] || { tail -20 "$w/make-hostile.log"; return 1; }
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
