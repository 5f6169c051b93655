#!/bin/sh
# Writes a ready libvirt domain XML for a guest image, with absolute paths:
#   images/libvirt/make-domain.sh [--type kvm|qemu] IMAGE [NAME] [SERIAL_FILE] [DEVICES] [HOLD] > domain.xml
# --type is libvirt's domain type: kvm (the default where /dev/kvm can make
# a VM) or qemu (TCG: any host, slower; the default elsewhere). NAME defaults to labyrinth-<image name>, SERIAL_FILE to
# /var/log/NAME.serial, DEVICES (labyrinth devices the guest waits for
# before its tests) to 1, HOLD (rooms guest-tests claims and keeps after
# its tests, each naming itself) to none.  The `pc` machine with ACPI:
# PCI hot-plug needs it.
set -eu
TYPE=qemu
# KVM_CREATE_VM, as vmm/rig/kvm-rig --here asks (this script is installed alone)
perl -e 'sysopen(K, "/dev/kvm", 2) && ioctl(K, 0xAE01, 0) or exit 1' 2>/dev/null && TYPE=kvm
if [ "${1:-}" = --type ]; then
	TYPE=${2:-}
	case $TYPE in kvm | qemu) ;; *) echo "$0: --type is kvm or qemu, not '$TYPE'" >&2; exit 2 ;; esac
	shift 2
fi
[ $# -ge 1 ] || { echo "usage: $0 [--type kvm|qemu] IMAGE [NAME] [SERIAL_FILE] [DEVICES] [HOLD]" >&2; exit 2; }
IMAGE=$(realpath "$1")
[ -r "$IMAGE" ] || { echo "$0: $1: no such image" >&2; exit 1; }
NAME=${2:-labyrinth-$(basename "$IMAGE" .elf)}
SERIAL=${3:-/var/log/$NAME.serial}
DEVICES=${4:-1}
HOLD=${5:+ ivshmem.hold=$5}
case $DEVICES${5:-0} in *[!0-9]*) echo "$0: DEVICES and HOLD are numbers" >&2; exit 2;; esac
case $NAME in *[!A-Za-z0-9._-]*) echo "$0: $NAME: letters, digits, . _ - only" >&2; exit 2;; esac
cat <<XML
<domain type='$TYPE'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMAGE</kernel>
    <cmdline>ivshmem.wait=120 ivshmem.eject=120 ivshmem.devices=$DEVICES$HOLD</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$SERIAL'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
