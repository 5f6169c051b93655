#!/bin/sh
# make-initramfs.sh OUT INIT [FILE...]: a newc initramfs of Debian's
# busybox-static with INIT as /init (a busybox sh script) and each FILE in
# /bin: enough for a Linux guest to run a test and power off.
set -eu
out=$1 init=$2
shift 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/dev" "$t/proc" "$t/sys" "$t/tmp"
cp /bin/busybox "$t/bin/busybox"
cp "$init" "$t/init"
chmod 755 "$t/init"
for f in "$@"; do cp "$f" "$t/bin/"; done
(cd "$t" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$out.new"
mv "$out.new" "$out"
