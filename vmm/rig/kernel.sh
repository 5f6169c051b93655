# Debian's kernel for throwaway VMs, fetched once and kept in a cache.
# Sourced (bash). rig_kernel CACHE sets kernel_dir (the unpacked package:
# boot/vmlinuz-*, lib/modules/VERSION with a modules.dep), kernel (the
# vmlinuz) and kernel_version, or says why not on stderr and returns 1.
# The package is linux-image-amd64's dependency (the distribution's
# current kernel), or KVM_RIG_KERNEL_PACKAGE. After it, rig_headers CACHE
# sets headers (the folder to build modules against: make -C "$headers").

# The versioned package linux-image-amd64 depends on, asking apt once more
# after `apt-get update` when its lists know none (a fresh machine).
kernel_package() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-/ {print $2; exit}')
	if [ -z "$p" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1
		p=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-/ {print $2; exit}')
	fi
	[ -n "$p" ] || return 1
	echo "$p"
}

# deb_fetch DIR WHAT PACKAGE...: download the packages (WHAT, for the
# messages) and unpack them all into DIR/root (DIR is a fresh temporary
# folder, removed on failure).
deb_fetch() {
	local tmp log what=$2
	tmp=$(cd "$1" && pwd) || return 1
	log=$tmp/apt.log
	shift 2
	echo "kvm-rig: fetching Debian's $* (once; kept in $(dirname "$tmp"))" >&2
	if ! (cd "$tmp" && apt-get download "$@" >"$log" 2>&1); then
		# stale lists name versions the mirror no longer has
		[ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1
		if ! (cd "$tmp" && apt-get download "$@" >"$log" 2>&1); then
			echo "kvm-rig: cannot fetch Debian's $what '$*':" \
				"$(grep -m1 -E '^E:' "$log" | cut -c4-)" >&2
			rm -rf "$tmp"
			return 1
		fi
	fi
	local deb
	for deb in "$tmp"/*.deb; do
		if ! dpkg-deb -x "$deb" "$tmp/root" 2>"$log"; then
			echo "kvm-rig: cannot unpack $(basename "$deb"): $(head -1 "$log")" >&2
			rm -rf "$tmp"
			return 1
		fi
	done
	rm -f "$tmp"/*.deb "$log"
}

# kernel_fetch PACKAGE DIR: download and unpack into DIR (made whole or not
# at all), with the modules.dep the package leaves to its postinst.
kernel_fetch() {
	local pkg=$1 dir=$2 tmp log v
	tmp=$(mktemp -d "$dir.XXXXXX") || return 1
	deb_fetch "$tmp" "kernel package" "$pkg" || return 1
	log=$tmp/depmod.log
	v=$(ls "$tmp/root/lib/modules" | head -1)
	if [ -z "$v" ] || ! depmod -b "$tmp/root" "$v" 2>"$log"; then
		echo "kvm-rig: $pkg has no usable modules: $(head -1 "$log")" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -f "$log"
	mv "$tmp/root" "$dir" && rmdir "$tmp"
}

# headers_fetch VERSION DIR: the kernel's headers for out-of-tree modules
# (linux-headers-VERSION and the -common and linux-kbuild packages it
# depends on, of the same version) unpacked into DIR, whole or not at all.
# Its Makefile names the -common folder by its installed path: it is
# pointed at the unpacked one.
headers_fetch() {
	local v=$1 dir=$2 tmp deps
	deps=$(apt-cache depends "linux-headers-$v" 2>/dev/null |
		awk '/Depends: linux-(headers|kbuild)-/ {print $2}')
	[ -n "$deps" ] || { echo "kvm-rig: apt knows no linux-headers-$v" >&2; return 1; }
	tmp=$(mktemp -d "$dir.XXXXXX") || return 1
	# shellcheck disable=SC2086
	deb_fetch "$tmp" "kernel headers" "linux-headers-$v" $deps || return 1
	sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$v/Makefile" &&
		mv "$tmp/root" "$dir" && rmdir "$tmp"
}

rig_kernel() {
	local cache=$1 pkg=${KVM_RIG_KERNEL_PACKAGE:-}
	if [ -z "$pkg" ]; then
		pkg=$(kernel_package) || {
			echo "kvm-rig: apt knows no linux-image-amd64 (is this Debian?)" >&2
			return 1
		}
	fi
	case $pkg in
	*/* | .* | "") echo "kvm-rig: '$pkg' is not a package name" >&2; return 1 ;;
	esac
	mkdir -p "$cache" || return 1
	kernel_dir=$cache/$pkg
	# One fetch at a time: tests may start several rigs at once.
	{
		flock 9
		[ -d "$kernel_dir" ] || kernel_fetch "$pkg" "$kernel_dir"
	} 9>"$cache/.fetch.lock" || return 1
	kernel_version=$(ls "$kernel_dir/lib/modules" | head -1)
	kernel=$kernel_dir/boot/vmlinuz-$kernel_version
	[ -f "$kernel" ] || { echo "kvm-rig: $pkg holds no vmlinuz" >&2; return 1; }
}

rig_headers() {
	local cache=$1 dir
	dir=$(cd "$cache" && pwd)/linux-headers-$kernel_version || return 1
	{
		flock 9
		[ -d "$dir" ] || headers_fetch "$kernel_version" "$dir"
	} 9>"$cache/.fetch.lock" || return 1
	headers=$dir/usr/src/linux-headers-$kernel_version
	[ -f "$headers/Makefile" ] || { echo "kvm-rig: no headers in $dir" >&2; return 1; }
}
