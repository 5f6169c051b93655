#!/bin/bash
# Elastic RAM for Linux guests (tests/linux/elastic.py), with what it needs:
# Debian's kernel and headers (the rig's cache under BUILD_ROOT/rig), the
# labyrinth module built against them by the README's steps, an initramfs
# of elastic-init with the kernel's virtio modules and labyrinth.ko.
#   elastic.sh test|bench LABYRINTH SOURCE_ROOT BUILD_ROOT
# test: PASS:/FAIL: lines and "N passed, N failed"; bench: BENCH lines.
set -u
MODE=$1 LAB=$2 TOP=$3 BUILD=$4
"$TOP/tests/install-deps" linux >&2 || exit 1
W=$(mktemp -d /tmp/labyrinth-elastic.XXXXXX)
trap '[ -n "${ELASTIC_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"' EXIT
. "$TOP/tests/qemu_guest.sh"
. "$TOP/tests/linux/guest_module.sh" "$TOP"
module_build "$TOP" "$BUILD" "$W" >&2 || exit 1
mkdir -p "$W/initrd/lib/modules"
mods=$kernel_dir/lib/modules/$kernel_version/kernel/drivers/virtio
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
	virtio_mem virtio_balloon; do
	cp "$mods/$m.ko" "$W/initrd/lib/modules/" || exit 1
done
cp "$W/module/labyrinth.ko" "$W/module/labyrinth_selftest.ko" "$W/initrd/lib/modules/"
initramfs_pack "$W/initrd" "$TOP/tests/linux/elastic-init" "$W/initrd.cpio" || exit 1
python3 "$TOP/tests/linux/elastic.py" "$MODE" "$LAB" "$W/initrd.cpio" "$kernel" "$W"
