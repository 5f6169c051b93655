# The labyrinth modules for Debian's kernel, as the Linux guest tests boot
# them. Sourced (bash), after vmm/rig/kernel.sh's rig_headers (headers)
# and vmm/rig/initramfs.sh.
#
# module_build TOP DIR: guest/linux of checkout TOP built by the README's
# steps against $headers, on a copy in DIR/module (the checkout stays
# clean); make's output in DIR/make.log. Status: make's.
module_build() {
	rm -rf "$2/module" && cp -r "$1/guest/linux" "$2/module" || return 1
	make -C "$headers" M="$2/module" LABYRINTH_INCLUDE="$1/include" modules >"$2/make.log" 2>&1
}

# module_initramfs TOP DIR: DIR/initrd.cpio, busybox with the modules
# module_build made in DIR, and tests/linux/module-init as /init.
module_initramfs() {
	mkdir -p "$2/initrd/lib/modules" &&
	cp "$2/module/labyrinth.ko" "$2/module/labyrinth_selftest.ko" "$2/initrd/lib/modules/" &&
	initramfs_pack "$2/initrd" "$1/tests/linux/module-init" "$2/initrd.cpio"
}
