#!/bin/sh
# make-initramfs.sh OUT INIT [FILE...]: a newc initramfs of Debian's
# busybox-static with INIT as /init (a busybox sh script) and each FILE in
# /bin: enough for a Linux guest to run a test and power off.
set -eu
out=$1 init=$2
shift 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin"
for f in "$@"; do cp "$f" "$t/bin/"; done
. "$(dirname "$0")/../../vmm/rig/initramfs.sh"
initramfs_pack "$t" "$init" "$out"
