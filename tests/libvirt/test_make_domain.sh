#!/bin/sh
# make-domain.sh writes a domain a user can `virsh create` as it is: valid
# against libvirt's schema, absolute paths, the guest's options; and every
# bad argument is refused with one line and status 2 (1: no such image).
#   test_make_domain.sh MAKE_DOMAIN IMAGE
set -u
MK=$(realpath "$1") IMAGE=$(realpath "$2")
W=$(mktemp -d /tmp/labyrinth-mkdom.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../qemu_guest.sh"	# check, passed, failed
# refused STATUS WORDS ARGS...: exits STATUS with one line naming WORDS
refused() {
	want=$1 words=$2; shift 2
	sh "$MK" "$@" >"$W/out" 2>"$W/err"
	got=$?
	[ "$got" = "$want" ] && [ ! -s "$W/out" ] && [ "$(wc -l <"$W/err")" = 1 ] &&
		grep -q "$words" "$W/err"
	check $? "refused with status $want ($words): $(cat "$W/err")"
}

refused 2 usage
refused 1 "no such image" /nonexistent.elf
refused 2 "letters, digits" "$IMAGE" "bad name"
refused 2 "numbers" "$IMAGE" ok /tmp/x.serial 2x
refused 2 "numbers" "$IMAGE" ok /tmp/x.serial 2 -5
refused 2 "kvm or qemu" --type xen "$IMAGE"
refused 2 "kvm or qemu" --type
refused 2 "number of MiB" --memory 12x "$IMAGE"
refused 2 "at least 64" --memory 8 "$IMAGE"
refused 1 "no such initramfs" --initrd /nonexistent.cpio "$IMAGE"
refused 2 "needs a file" --initrd
refused 2 "no < > &" --cmdline "console=ttyS0 a<b" "$IMAGE"
refused 2 "unknown option" --kernel "$IMAGE"

cd "$W"
cp "$IMAGE" guest.elf
sh "$MK" guest.elf big-guest "$W/big.serial" 5 327595 >"$W/d.xml"
check $? "writes a domain for a relative image path"
grep -q "<kernel>$W/guest.elf</kernel>" "$W/d.xml"
check $? "the kernel path is absolute"
grep -q "<cmdline>.*ivshmem.devices=5 ivshmem.hold=327595</cmdline>" "$W/d.xml"
check $? "the guest waits for five devices and holds what it was told"
grep -q "<source path='$W/big.serial'/>" "$W/d.xml"
check $? "the serial file is where it was asked"
for t in kvm qemu; do
	sh "$MK" --type $t guest.elf >"$W/t.xml" && grep -q "^<domain type='$t'>" "$W/t.xml"
	check $? "--type $t makes a domain of type $t"
done
echo initramfs >initrd.cpio
sh "$MK" --memory 512 --initrd initrd.cpio --cmdline "console=ttyS0 panic=-1" guest.elf linux >"$W/l.xml"
check $? "writes a Linux domain: memory, initramfs, command line"
grep -q "<memory unit='MiB'>512</memory>" "$W/l.xml" && grep -q "<initrd>$W/initrd.cpio</initrd>" "$W/l.xml" &&
	grep -q "<cmdline>console=ttyS0 panic=-1</cmdline>" "$W/l.xml" && ! grep -q ivshmem "$W/l.xml"
check $? "the Linux domain has 512 MiB, the initramfs by its absolute path and only the command line given"
! grep -q "<initrd>" "$W/d.xml"
check $? "no initrd element without --initrd"
if command -v virt-xml-validate >/dev/null 2>&1; then
	virt-xml-validate "$W/d.xml" domain >/dev/null && virt-xml-validate "$W/l.xml" domain >/dev/null
	check $? "valid against libvirt's domain schema (both)"
else
	xmllint --noout "$W/d.xml" "$W/l.xml"
	check $? "well-formed XML (no virt-xml-validate here)"
fi
sh "$MK" guest.elf >"$W/default.xml"
grep -q "<name>labyrinth-guest</name>" "$W/default.xml" &&
	grep -q "<source path='/var/log/labyrinth-guest.serial'/>" "$W/default.xml" &&
	grep -q "ivshmem.devices=1</cmdline>" "$W/default.xml"
check $? "defaults: name from the image, serial under /var/log, one device, no hold"
[ $failed = 0 ]
