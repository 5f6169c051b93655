# A busybox initramfs for a throwaway VM of Debian's kernel. Sourced (bash).
# initramfs_pack DIR INIT OUT: DIR, holding what the VM needs besides
# (modules, say), gets the folders /init mounts on, busybox and INIT as
# /init, and becomes the newc cpio OUT (replaced whole or not at all).
initramfs_pack() {
	local t=$1 init=$2 out=$3
	mkdir -p "$t/bin" "$t/proc" "$t/sys" "$t/dev" "$t/tmp" "$t/lib/modules" || return 1
	cp /bin/busybox "$t/bin/busybox" && cp "$init" "$t/init" && chmod 755 "$t/init" ||
		return 1
	(cd "$t" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$out.new" && mv "$out.new" "$out"
}
