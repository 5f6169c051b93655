# The rig's throwaway VM. Sourced by kvm-rig (bash), which has set here,
# top, cache, timeout, fail, say and die. rig_vm COMMAND... runs COMMAND in
# a fresh VM and exits with its status.

# Modules the VM's /init loads, in order: KVM for AMD with the workaround
# below, 9p over virtio-pci for the shares, overlay for a writable root.
# kvm_amd npt=0: QEMU's emulation of nested paging corrupts memory now and
# then (inner guests triple-fault at 0xfff0, patterns overwritten, once the
# L1 kernel's "corrupted stack end"); shadow paging in the VM has not.
rig_modules="kvm_amd:npt=0 virtio_pci 9pnet_virtio 9p overlay"

# initramfs KERNEL_DIR VERSION OUT: busybox, /init and the modules (with
# their dependencies, first) as a newc cpio; rebuilt when /init is newer.
initramfs() {
	local kdir=$1 v=$2 out=$3 t m mod args
	[ "$out" -nt "$here/init" ] && [ "$out" -nt "$here/vm.sh" ] &&
		[ "$out" -nt "$here/initramfs.sh" ] && return 0
	t=$(mktemp -d "$out.XXXXXX") || return 1
	mkdir -p "$t/rig" "$t/lib/modules"
	for m in $rig_modules; do
		mod=${m%%:*} args=
		[ "$mod" = "$m" ] || args=${m#*:}
		modprobe -d "$kdir" -S "$v" --show-depends "$mod" 2>/dev/null |
			awk -v a="$args" -v last="$mod" '$1 == "insmod" {
				n = $2; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
				print $2, (n == last ? a : "") }'
	done | awk '!seen[$1]++' >"$t/order.host"
	[ -s "$t/order.host" ] || { echo "kvm-rig: $v has no kvm_amd or 9p modules" >&2; rm -rf "$t"; return 1; }
	while read -r ko a; do
		cp "$ko" "$t/lib/modules/" || { rm -rf "$t"; return 1; }
		echo "/lib/modules/$(basename "$ko") $a"
	done <"$t/order.host" >"$t/modules.order"
	rm "$t/order.host"
	initramfs_pack "$t" "$here/init" "$out"
	local st=$?
	rm -rf "$t"
	return $st
}

# command_script COMMAND...: what the VM's /init runs, as bash: our
# environment (less what belongs to this shell), our directory, COMMAND.
command_script() {
	export -p | grep -vE '^declare -x (PWD|OLDPWD|SHLVL|_|KVM_RIG)='
	printf 'cd -- %q || exit 125\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
}

# Failures of the emulator itself, seen in the VM's console: multi-threaded
# TCG racing the kernel's live patching (an int3 left half-written), and
# nested paging corrupting memory (the scheduler's stack canary). Both are
# worked around here (npt=0, the idle VM); seen again, they are QEMU's.
emulator_fault() {
	grep -a -m1 -oE 'Oops: int3|corrupted stack end detected inside scheduler' "$1" 2>/dev/null
}

# The VM's kernel's own last words, if it died.
kernel_death() {
	grep -a -m1 -oE 'Kernel panic - not syncing: [^[:cntrl:]]*' "$1" 2>/dev/null
}

rig_vm() {
	command -v perl >/dev/null || die "perl is missing"
	"$top/tests/install-deps" rig >&2 || die "cannot install QEMU and busybox (as root: tests/install-deps rig)"
	. "$here/kernel.sh"
	. "$here/initramfs.sh"
	rig_kernel "$cache" || exit "$fail"
	local initrd=$kernel_dir/initramfs.cpio
	{
		flock 9
		initramfs "$kernel_dir" "$kernel_version" "$initrd"
	} 9>"$cache/.initramfs.lock" || die "cannot build the VM's initramfs"

	mkdir -p "$cache/runs"
	run=$(mktemp -d "$cache/runs/XXXXXX") || die "cannot make a run folder in $cache"
	trap '[ -n "${KVM_RIG_KEEP:-}" ] || rm -rf "$run"' EXIT
	printf 'top=%q\n' "$top" >"$run/params"
	# A directory outside the checkout (a test's scratch folder in /tmp,
	# say) is shared too, writable at its path, so the command starts there.
	local -a cwd=()
	case $PWD/ in
	"$top"/* | /) ;;
	*) printf 'cwd=%q\n' "$PWD" >>"$run/params"
	   cwd=(-virtfs "local,path=$PWD,mount_tag=cwd,security_model=none,multidevs=remap") ;;
	esac
	command_script "$@" >"$run/command"

	local -a q=(qemu-system-x86_64 -accel tcg,thread=multi -cpu "${KVM_RIG_CPU:-max}" -smp 2 -m 4G
		-nodefaults -display none -no-reboot -no-user-config
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init"
		-serial "file:$run/console.log"
		-chardev file,id=out,path=/proc/self/fd/1,append=on -serial chardev:out
		-chardev file,id=err,path=/proc/self/fd/3,append=on -serial chardev:err
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$top,mount_tag=work,security_model=none,multidevs=remap"
		-virtfs "local,path=$run,mount_tag=rig,security_model=none,multidevs=remap"
		"${cwd[@]}")
	local t0 qst
	t0=$(date +%s.%N)
	if [ "$timeout" -gt 0 ]; then
		timeout -k 5 "$timeout" "${q[@]}" </dev/null 3>&2 2>"$run/qemu.log" &
	else
		"${q[@]}" </dev/null 3>&2 2>"$run/qemu.log" &
	fi
	qemu=$!
	watch_ready &
	trap 'kill -TERM $qemu 2>/dev/null; wait $qemu; rm -rf "$run"; exit 130' INT
	trap 'kill -TERM $qemu 2>/dev/null; wait $qemu; rm -rf "$run"; exit 143' TERM
	trap 'kill -TERM $qemu 2>/dev/null; wait $qemu; rm -rf "$run"; exit 129' HUP
	wait $qemu
	qst=$?
	wait
	# QEMU appended to files of its own opening: where our stdout and
	# stderr are files, whoever writes through them next must not write
	# over what the command printed.
	perl -e 'sysseek(STDOUT, 0, 2); sysseek(STDERR, 0, 2)'
	rig_times "$t0"
	[ "$qst" = 124 ] && { say "'$1' did not end within $timeout s (the VM was stopped)"; exit 124; }
	local st
	st=$(cat "$run/status" 2>/dev/null)
	case $st in
	[0-9] | [0-9][0-9] | [0-9][0-9][0-9]) exit "$st" ;;
	rig:*) die "${st#rig: }" ;;
	esac
	local why
	why=$(emulator_fault "$run/console.log")
	[ -n "$why" ] && die "the VM's kernel died of a bug of QEMU's TCG ($why), not of ours: run it again"
	why=$(grep -a -m1 '^rig: ' "$run/console.log" | cut -c6-)
	[ -n "$why" ] && die "$why"
	why=$(kernel_death "$run/console.log")
	[ -n "$why" ] && die "the VM's kernel died ($why)"
	why=$(grep -m1 -v '^$' "$run/qemu.log")
	die "the VM ended without a status (QEMU status $qst${why:+: $why})"
}

# With KVM_RIG_TIMES=FILE: "ready SECS" (QEMU's start to /dev/kvm ready in
# the VM, seen from here: the VM's clock starts from the RTC's whole
# seconds) and "total SECS" appended to FILE, for the benchmarks.
watch_ready() {
	[ -n "${KVM_RIG_TIMES:-}" ] || return 0
	while kill -0 "$qemu" 2>/dev/null && [ ! -e "$run/ready" ]; do sleep 0.05; done
	date +%s.%N >"$run/ready.host"
}

rig_times() {
	[ -n "${KVM_RIG_TIMES:-}" ] || return 0
	local t1
	t1=$(date +%s.%N)
	{
		[ -s "$run/ready.host" ] && awk -v a="$1" '{printf "ready %.2f\n", $1 - a}' "$run/ready.host"
		awk -v a="$1" -v b="$t1" 'BEGIN {printf "total %.2f\n", b - a}'
	} >>"$KVM_RIG_TIMES"
}
