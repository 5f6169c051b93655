#!/bin/bash
# Boot time of Debian's stock kernel with a busybox initramfs to power-off,
# ./vmm against QEMU (-M pc and -M microvm, KVM) on the same kernel and
# initramfs, in one run, medians of RUNS (5): the whole run (start to
# exit), start to init, the kernel's own time to init ("Run /init", its
# clock), what came before the kernel's clock started (the monitor or the
# firmware), init to the exit, and the CPU time of the monitor's process;
# and QEMU's over ./vmm's for each, as ratios. All
# of it runs where KVM can run Linux: here, or in the rig (on no KVM, and
# on the PVM kind, which cannot run a stock kernel). Under the rig the
# figures are nested TCG's, named linux.boot.rig.* (linux.boot.kvm.* where
# KVM ran them natively): compare the ratios, not the seconds.
#   bench_boot_linux.sh VMM KVM_RIG_SCRIPT BUILD_DIR
set -u
VMM=$1 RIG=$2 BUILD=$3 runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${BENCH_INNER:-}" != 1 ]; then
	. "$top/vmm/rig/kernel.sh"
	rig_kernel "$top/build/rig" || exit 1	# fetched here: the VM has no apt lists
	mode=auto where=kvm
	[ -d /sys/module/kvm_pvm ] && mode=always
	{ [ $mode = always ] || ! KVM_RIG=auto "$RIG" --here; } && where=rig
	BENCH_INNER=1 BENCH_WHERE=$where KVM_RIG=$mode exec "$RIG" "$0" "$@"
fi
. "$top/vmm/rig/kernel.sh"
rig_kernel "$top/build/rig" || exit 1
W=$(mktemp -d "$BUILD/linux-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$here/make-initramfs.sh" "$W/initrd" "$here/boot-init" || exit 1
append="console=ttyS0 panic=-1 reboot=f action=poweroff"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# timed NAME CMD...: runs CMD with its console lines stamped on arrival,
# and appends to $W/NAME one line of seconds: whole (start to exit),
# to_init (start to the arrival of "Run /init"), kernel_to_init (the
# kernel's own clock there), before_kernel (the difference: the monitor or
# firmware until the kernel's clock starts), init_to_off (from then to the
# exit), cpu (user + system of the monitor's process, all its threads).
timed() {
	local name=$1; shift
	perl -MTime::HiRes=time -e '
		my $t0 = time;
		open(my $out, "-|", @ARGV) or die "cannot run $ARGV[0]: $!\n";
		my ($init, $kinit, $said);
		while (my $line = <$out>) {
			my $t = time - $t0;
			if (!defined $init && $line =~ /\[ *([0-9.]+)\] Run \/init as init process/) {
				($init, $kinit) = ($t, $1);
			}
			$said = 1 if $line =~ /^linux-init: action poweroff/;
		}
		my $ok = close($out);
		my $whole = time - $t0;
		my (undef, undef, $cu, $cs) = times;
		exit 2 unless $ok && $said && defined $init;
		printf "%.4f %.4f %.4f %.4f %.4f %.4f\n", $whole, $init, $kinit,
			$init - $kinit, $whole - $init, $cu + $cs;
	' "$@" </dev/null >>"$W/$name" 2>"$W/err" ||
		{ echo "bench_boot_linux: $name failed"; tail -3 "$W/err"; return 1; }
}
q=(qemu-system-x86_64 -accel kvm -cpu host -smp 1 -m 512 -nodefaults -display none
   -no-reboot -serial stdio -kernel "$kernel" -initrd "$W/initrd" -append "$append")
for i in $(seq "$runs"); do
	timed vmm "$VMM" --cpus 1 --mem 512M --timeout 300 --initrd "$W/initrd" \
		--cmdline "$append" "$kernel" || exit 1
	timed qemu_pc "${q[@]}" -M pc || exit 1
	timed qemu_microvm "${q[@]}" -M microvm || exit 1
done
figures="whole to_init kernel_to_init before_kernel init_to_off cpu"
# med NAME COLUMN: the median of a figure
med() { awk -v c="$2" '{print $c}' "$W/$1" | median; }
for n in vmm qemu_pc qemu_microvm; do
	c=1
	for f in $figures; do
		echo "BENCH linux.boot.$BENCH_WHERE.$n.$f $(med $n $c) s"
		c=$((c + 1))
	done
done
for n in qemu_pc qemu_microvm; do
	c=1
	for f in $figures; do
		awk -v q="$(med $n $c)" -v v="$(med vmm $c)" -v n="$n" -v f="$f" -v w="$BENCH_WHERE" \
			'BEGIN {if (v > 0) printf "BENCH linux.boot.%s.%s_over_vmm.%s %.2f x\n", w, n, f, q / v}'
		c=$((c + 1))
	done
done
[ "$BENCH_WHERE" = rig ] && echo "(linux.boot.rig.*: in the rig's VM, nested under TCG: compare the ratios, not the seconds)"
