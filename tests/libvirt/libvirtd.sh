# libvirtd for a test, by hand and without systemd (as shared/libvirt.md
# verified). Sourced (sh). libvirtd_up DIR: makes sure qemu:///system
# answers, starting a daemon (pid file in DIR) when none does; sets
# LIBVIRTD_PID to the daemon started, empty when one was already up.
# libvirtd_down: stops the daemon libvirtd_up started, if any.
VIRSH="virsh -q -c qemu:///system"
LIBVIRTD_PID=""

libvirtd_up() {
	$VIRSH version >/dev/null 2>&1 && return 0
	mkdir -p /var/log/libvirt
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	if [ ! -e /etc/libvirt/qemu.conf ]; then
		mkdir -p /etc/libvirt
		printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n' >/etc/libvirt/qemu.conf
	fi
	libvirtd -d --pid-file "$1/libvirtd.pid" || return 1
	LIBVIRTD_PID=$(cat "$1/libvirtd.pid" 2>/dev/null)
	i=0
	until $VIRSH version >/dev/null 2>&1; do
		[ $i -ge 300 ] && { echo "libvirtd did not answer in 60 s" >&2; return 1; }
		sleep 0.2; i=$((i + 1))
	done
	echo "libvirtd started (pid $LIBVIRTD_PID)"
}

libvirtd_down() {
	[ -n "$LIBVIRTD_PID" ] || return 0
	kill -TERM "$LIBVIRTD_PID" 2>/dev/null
	i=0; while kill -0 "$LIBVIRTD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	kill -KILL "$LIBVIRTD_PID" 2>/dev/null
	LIBVIRTD_PID=""
}

# libvirt_type KVM_RIG: the domain type this host runs, kvm where its
# /dev/kvm makes VMs and libvirt offers kvm, else qemu (TCG). With
# "linux", qemu on PVM's KVM too (it cannot run a stock kernel).
libvirt_type() {
	if [ "${2:-}" = linux ] && [ -d /sys/module/kvm_pvm ]; then
		echo qemu
	elif KVM_RIG=auto "$1" --here &&
		$VIRSH domcapabilities --virttype kvm 2>/dev/null | grep -q '<domain>kvm</domain>'; then
		echo kvm
	else
		echo qemu
	fi
}
