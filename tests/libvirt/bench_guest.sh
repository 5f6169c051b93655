#!/bin/sh
# BENCH ivshmem.claim1: the round trip of one CLAIM over the ivshmem mailbox
# seen from guest-tests.elf under plain QEMU (the device present at boot),
# for information. With KVM where this host's makes VMs, else under TCG:
# the figures are named ivshmem.kvm.* or ivshmem.tcg.* accordingly. Also
# prints the server's ivshmem.handle.* for that run. Exit 77 without QEMU.
#   bench_guest.sh LABYRINTH GUEST_TESTS_ELF
set -u
LAB=$1 ELF=$2
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU"; exit 77; }
accel=tcg
KVM_RIG=auto "$(dirname "$0")/../../vmm/rig/kvm-rig" --here && accel=kvm
W=$(mktemp -d /tmp/labyrinth-bench.XXXXXX) NAME=lvb$$ PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; "$LAB" destroy "$NAME" 2>/dev/null; rm -rf "$W"' EXIT
. "$(dirname "$0")/../qemu_guest.sh"
"$LAB" create "$NAME" --rooms 1024 --reserve 16 --extent 2M || exit 1
"$LAB" serve "$NAME" --socket "$W/sock" --stats >"$W/out" 2>"$W/log" & PID=$!
until_listening "$W/sock" "$W/log"
timeout 200 qemu-system-x86_64 -accel $accel -nodefaults -m 256 -smp 2 -display none \
	-serial file:"$W/serial" -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-chardev socket,path="$W/sock",id=lab -device ivshmem-doorbell,chardev=lab,vectors=1 \
	-kernel "$ELF" 2>/dev/null
kill -TERM "$PID"; wait "$PID"; PID=""
grep -h "^BENCH" "$W/serial" | sed "s/^BENCH ivshmem\./BENCH ivshmem.$accel./"
grep -h "^BENCH" "$W/out"
grep -q "^BENCH ivshmem.claim1" "$W/serial"
