#!/bin/sh
# Writes a ready libvirt domain XML for a guest image, with absolute paths:
#   images/libvirt/make-domain.sh [--type kvm|qemu] [--memory MIB]
#       [--initrd FILE] [--cmdline TEXT] IMAGE [NAME] [SERIAL_FILE] [DEVICES] [HOLD] > domain.xml
# --type is libvirt's domain type: kvm (the default where /dev/kvm can make
# a VM) or qemu (TCG: any host, slower; the default elsewhere). NAME defaults to labyrinth-<image name>, SERIAL_FILE to
# /var/log/NAME.serial, DEVICES (labyrinth devices the guest waits for
# before its tests) to 1, HOLD (rooms guest-tests claims and keeps after
# its tests, each naming itself) to none.  The `pc` machine with ACPI:
# PCI hot-plug needs it. For a Linux kernel (IMAGE a vmlinuz), --initrd
# names its initramfs and --cmdline its whole command line (the console
# is ttyS0), in place of the options of our own guest kernel; --memory
# is the guest's RAM (256 MiB by default).
set -eu
TYPE=qemu
# KVM_CREATE_VM, as vmm/rig/kvm-rig --here asks (this script is installed alone)
perl -e 'sysopen(K, "/dev/kvm", 2) && ioctl(K, 0xAE01, 0) or exit 1' 2>/dev/null && TYPE=kvm
MEMORY=256 INITRD="" CMDLINE=""
USAGE="usage: $0 [--type kvm|qemu] [--memory MIB] [--initrd FILE] [--cmdline TEXT] IMAGE [NAME] [SERIAL_FILE] [DEVICES] [HOLD]"
while [ $# -gt 0 ]; do
	case $1 in
	--type)
		TYPE=${2:-}
		case $TYPE in kvm | qemu) ;; *) echo "$0: --type is kvm or qemu, not '$TYPE'" >&2; exit 2 ;; esac
		shift 2 ;;
	--memory)
		MEMORY=${2:-}
		case $MEMORY in '' | *[!0-9]*) echo "$0: --memory is a number of MiB, not '$MEMORY'" >&2; exit 2 ;; esac
		[ "$MEMORY" -ge 64 ] || { echo "$0: --memory is at least 64 MiB, not $MEMORY" >&2; exit 2; }
		shift 2 ;;
	--initrd)
		[ $# -ge 2 ] || { echo "$0: --initrd needs a file" >&2; exit 2; }
		INITRD=$(realpath "$2" 2>/dev/null) && [ -r "$INITRD" ] ||
			{ echo "$0: $2: no such initramfs" >&2; exit 1; }
		shift 2 ;;
	--cmdline)
		[ $# -ge 2 ] || { echo "$0: --cmdline needs the command line" >&2; exit 2; }
		case $2 in *[\<\>\&\'\"]*) echo "$0: --cmdline: no < > & ' \" in a command line here" >&2; exit 2 ;; esac
		CMDLINE=$2
		shift 2 ;;
	--*) echo "$0: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "$USAGE" >&2; exit 2; }
IMAGE=$(realpath "$1")
[ -r "$IMAGE" ] || { echo "$0: $1: no such image" >&2; exit 1; }
NAME=${2:-labyrinth-$(basename "$IMAGE" .elf)}
SERIAL=${3:-/var/log/$NAME.serial}
DEVICES=${4:-1}
HOLD=${5:+ ivshmem.hold=$5}
case $DEVICES${5:-0} in *[!0-9]*) echo "$0: DEVICES and HOLD are numbers" >&2; exit 2;; esac
case $NAME in *[!A-Za-z0-9._-]*) echo "$0: $NAME: letters, digits, . _ - only" >&2; exit 2;; esac
[ -n "$CMDLINE" ] || CMDLINE="ivshmem.wait=120 ivshmem.eject=120 ivshmem.devices=$DEVICES$HOLD"
INITRD_XML=${INITRD:+
    <initrd>$INITRD</initrd>}
cat <<XML
<domain type='$TYPE'>
  <name>$NAME</name>
  <memory unit='MiB'>$MEMORY</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMAGE</kernel>$INITRD_XML
    <cmdline>$CMDLINE</cmdline>
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
