#!/usr/bin/env python3
"""Elastic RAM for Linux guests, side by side: Debian's kernel in QEMU gains
1 GiB of usable RAM and gives it back through virtio-mem, the balloon and
the labyrinth (guest/linux's elastic RAM, ivshmem-doorbell devices served
by `labyrinth serve`).

  elastic.py bench LABYRINTH INITRD KERNEL WORKDIR
      BENCH lines: per way, the median of 5 of the time to gain 1 GiB and to
      give it back (ms, and MiB/s; a fresh guest each round, the ways in
      turn; the second cycle of each guest, the first as *_cold), each
      way's ratio to virtio-mem, and where the labyrinth's time goes.
  elastic.py test LABYRINTH INITRD KERNEL WORKDIR
      PASS:/FAIL: lines: the labyrinth's elastic RAM grows and shrinks with
      data in it, nothing lost, `labyrinth check` ok; a guest killed while
      it grows loses no room. Then two guests grow and shrink at once, one
      asked by the host (`labyrinth limit --ask`), the other through sysfs,
      no room in both; one asked below what it can free says so and runs
      on; one killed while it grows to an ask loses nothing.

A way's time runs from the host's request (QMP for virtio-mem and the
balloon, a line to the guest for the labyrinth) to the guest seeing its
MemTotal changed by 1 GiB (tests/linux/elastic-init answers on ttyS1).
The initramfs INITRD has elastic-init as /init and the kernel's virtio
modules and labyrinth.ko in /lib/modules.
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

GIB_KIB = 1 << 20
# What a way must add to count as 1 GiB: the labyrinth's first block gives
# Linux 1 GiB less the 17 rooms (68 KiB) of the device's mailbox.
GAIN_KIB = GIB_KIB - 1024
MAILBOX = 17
ROUNDS = 5


def log(*a):
    print(*a, flush=True)


class Guest:
    """One QEMU (TCG unless ACCEL says kvm) running elastic-init."""

    def __init__(self, work, kernel, initrd, mem, extra, accel="tcg"):
        self.work = work
        self.console = os.path.join(work, "console")
        self.qmp_path = os.path.join(work, "qmp.sock")
        self.cmd_path = os.path.join(work, "cmd.sock")
        for p in (self.qmp_path, self.cmd_path):
            if os.path.exists(p):
                os.unlink(p)
        argv = ["nice", "qemu-system-x86_64", "-accel", accel, "-cpu", "max", "-smp", "2",
                "-m", mem, "-nodefaults", "-display", "none", "-no-reboot",
                "-no-user-config", "-kernel", kernel, "-initrd", initrd,
                "-append", "console=ttyS0 printk.time=0 loglevel=4 panic=-1",
                "-serial", "file:" + self.console,
                "-chardev", "socket,id=cmd,path=%s,server=on,wait=off" % self.cmd_path,
                "-device", "isa-serial,chardev=cmd",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path] + extra
        self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stderr=open(os.path.join(work, "qemu.err"), "w"))
        self.qmp = self._connect(self.qmp_path)
        self.qmp_file = self.qmp.makefile("rw")
        self.qmp_file.readline()
        self.qmp_call("qmp_capabilities")
        self.cmd = self._connect(self.cmd_path)
        self.buf = b""
        self.ready_kib = int(self.wait_console("elastic: ready ", 180).split()[-1])

    def _connect(self, path):
        end = time.monotonic() + 30
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > end or self.qemu.poll() is not None:
                    raise RuntimeError("QEMU did not start: " + self.qemu_err())
                time.sleep(0.05)

    def qemu_err(self):
        with open(os.path.join(self.work, "qemu.err")) as f:
            lines = f.read().strip().splitlines()
        return lines[-1] if lines else "(nothing on stderr)"

    def qmp_call(self, name, **args):
        self.qmp_file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.qmp_file.flush()
        while True:
            r = json.loads(self.qmp_file.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (name, r["error"]["desc"]))

    def wait_console(self, prefix, secs):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            try:
                with open(self.console, errors="replace") as f:
                    for line in f:
                        if line.startswith(prefix):
                            return line.strip()
            except FileNotFoundError:
                pass
            if self.qemu.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("the guest never said '%s'; its console ends: %s"
                           % (prefix, self.console_tail()))

    def console_tail(self, n=6):
        try:
            with open(self.console, errors="replace") as f:
                return " | ".join(l.strip() for l in f.read().splitlines()[-n:])
        except FileNotFoundError:
            return "(no console)"

    def kernel_complaints(self):
        """The console's lines of kernel warnings, bugs and oopses."""
        with open(self.console, errors="replace") as f:
            return [l.strip() for l in f if any(w in l for w in (
                "WARNING:", "BUG:", "Oops", "Call Trace", "page dumped because"))][:3]

    def send(self, line):
        self.cmd.sendall(line.encode() + b"\n")

    def answer(self, secs=600):
        """The lines up to "@@ STATUS": (status, lines)."""
        self.cmd.settimeout(secs)
        out = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.cmd.recv(4096)
                if not chunk:
                    raise RuntimeError("the guest's command port closed; console: "
                                       + self.console_tail())
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.decode(errors="replace").strip()
            if line.startswith("@@ "):
                return int(line[3:]), out
            out.append(line)

    def run(self, line, secs=600):
        self.send(line)
        return self.answer(secs)

    def memtotal(self):
        st, out = self.run("memtotal")
        return int(out[-1])

    def stop(self):
        if self.qemu.poll() is None:
            self.qemu.kill()
        self.qemu.wait()
        for s in (self.qmp, self.cmd):
            s.close()


def timed(g, request, direction, kib, secs=600):
    """ms from the request to the guest's MemTotal passing KIB. A request
    is a call on the host (QMP), or a string: a command the guest runs
    first, on the same line (every way pays one round trip to the guest)."""
    t0 = time.monotonic()
    first = ""
    if isinstance(request, str):
        first = request + " "
    else:
        request()
    st, out = g.run("%swaitmem %s %d %d" % (first, direction, kib, secs), secs + 30)
    ms = (time.monotonic() - t0) * 1000
    if st != 0:
        raise RuntimeError("MemTotal never went %s %d KiB: %s" % (direction, kib, " ".join(out)))
    return ms


class Labyrinth:
    """A labyrinth of two 1 GiB extents, served to QEMU."""

    def __init__(self, lab, work, name, rooms, extent, reserve=0):
        self.lab, self.work, self.name = lab, work, name
        self.sock = os.path.join(work, "lab.sock")
        subprocess.run([lab, "destroy", name], capture_output=True)
        r = subprocess.run([lab, "create", name, "--rooms", str(rooms), "--extent", extent,
                            "--reserve", str(reserve)], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("labyrinth create: " + r.stderr.strip())
        self.server = subprocess.Popen([lab, "serve", name, "--socket", self.sock,
                                        "--vectors", "2"], stdout=subprocess.DEVNULL,
                                       stderr=open(os.path.join(work, "serve.log"), "w"))
        end = time.monotonic() + 60    # it maps and pins the pool first
        while not os.path.exists(self.sock):
            if time.monotonic() > end or self.server.poll() is not None:
                self.close()
                raise RuntimeError("labyrinth serve did not start in 60 s")
            time.sleep(0.05)

    def devices(self, n):
        extra = []
        for k in range(n):
            extra += ["-chardev", "socket,path=%s,id=lab%d" % (self.sock, k),
                      "-device", "ivshmem-doorbell,chardev=lab%d,vectors=2" % k]
        return extra

    def info(self):
        r = subprocess.run([self.lab, "info", self.name, "--json"], capture_output=True,
                           text=True)
        return json.loads(r.stdout)

    def check(self):
        r = subprocess.run([self.lab, "check", self.name], capture_output=True, text=True)
        return r.returncode, (r.stdout + r.stderr).strip().splitlines()[:1]

    def all_free(self, secs=180):
        """Every room free: the extents back from QEMU (a 1 GiB extent's
        fresh pages take seconds to fill, tens of them on a loaded host)."""
        end = time.monotonic() + secs
        while time.monotonic() < end:
            i = self.info()
            if i["free"] == i["rooms"]:
                return True
            time.sleep(0.1)
        return False

    def limit(self, guest, *args):
        r = subprocess.run([self.lab, "limit", self.name, str(guest)] + list(args),
                           capture_output=True, text=True)
        return r.returncode, (r.stdout + r.stderr).strip()

    def owner_of(self, qemu_pid):
        """The lease of the QEMU guest with that pid (one device each)."""
        for o in self.info().get("owners", []):
            if o.get("qemu_pid") == qemu_pid:
                return o
        raise RuntimeError("no lease names QEMU pid %d" % qemu_pid)

    def log(self):
        with open(os.path.join(self.work, "serve.log"), errors="replace") as f:
            return f.read()

    def close(self):
        if self.server.poll() is None:
            self.server.terminate()
        self.server.wait()
        subprocess.run([self.lab, "destroy", self.name], capture_output=True)


def quiet(limit=1.5, secs=20):
    """A bounded wait for the machine's load to settle; the load seen."""
    end = time.monotonic() + secs
    while os.getloadavg()[0] > limit and time.monotonic() < end:
        time.sleep(2)
    return os.getloadavg()[0]


# Each way: how to boot the guest, and how to ask for +1 GiB and -1 GiB.
def way_virtio_mem(args, work):
    g = Guest(work, args.kernel, args.initrd, "512M,maxmem=2G",
              ["-object", "memory-backend-ram,id=vmem0,size=1G",
               "-device", "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0"])
    grow = lambda: g.qmp_call("qom-set", path="vm0", property="requested-size", value=1 << 30)
    shrink = lambda: g.qmp_call("qom-set", path="vm0", property="requested-size", value=0)
    return g, grow, shrink, None


def way_balloon(args, work):
    # Full at 1.5 GiB; the round's "give back" is the inflate to 512 MiB.
    g = Guest(work, args.kernel, args.initrd, "1536M", ["-device", "virtio-balloon-pci,id=bal0"])
    grow = lambda: g.qmp_call("balloon", value=1536 << 20)
    shrink = lambda: g.qmp_call("balloon", value=512 << 20)
    return g, grow, shrink, "shrink-first"


def way_labyrinth(args, work, lab):
    g = Guest(work, args.kernel, args.initrd, "512M", lab.devices(2))
    return g, "lab 1024 &&", "lab 0 &&", None


def steps(g):
    """The labyrinth's last request, by step: {claim: ms, add: ms, ...}."""
    st, out = g.run("cat /sys/kernel/labyrinth/elastic/last_us")
    w = out[-1].split()
    return {w[i]: int(w[i + 1]) / 1000 for i in range(0, len(w), 2)}


def cycle(name, g, grow, shrink, order, base):
    """One gain and one give back: (gain ms, give back ms, steps or None)."""
    if order == "shrink-first":
        down = timed(g, shrink, "le", base - GAIN_KIB)
        return timed(g, grow, "ge", base), down, None
    up = timed(g, grow, "ge", base + GAIN_KIB)
    up_steps = steps(g) if name == "labyrinth" else None
    down = timed(g, shrink, "le", base)
    return up, down, (up_steps, steps(g)) if up_steps else None


def boot_way(way, args, work, lab):
    if way == "labyrinth":
        if not lab.all_free():
            raise RuntimeError("the extents did not come back from the last guest")
        return way_labyrinth(args, work, lab)
    return globals()["way_" + way](args, work)


def bench(args):
    """Rounds of the three ways in turn, each a fresh guest (so a change of
    the host's load falls on all of them alike): a first cycle (cold: the
    memory never used in this guest) and a second (warm), both kept."""
    accel = "tcg"
    ways = ["virtio_mem", "balloon", "labyrinth"]
    got = {w: {"cold": ([], []), "warm": ([], [])} for w in ways}
    lab_steps, loads, failed = [], [], set()
    lab = Labyrinth(args.lab, os.path.join(args.work), "w27-bench%d" % os.getpid(), 2 << 18,
                    "1G")
    try:
        for r in range(ROUNDS):
            for way in ways:
                if way in failed:
                    continue
                work = os.path.join(args.work, way)
                os.makedirs(work, exist_ok=True)
                loads.append(quiet())
                try:
                    g, grow, shrink, order = boot_way(way, args, work, lab)
                    try:
                        base = g.memtotal()
                        for c in ("cold", "warm"):
                            up, down, st = cycle(way, g, grow, shrink, order, base)
                            got[way][c][0].append(up)
                            got[way][c][1].append(down)
                            log("# round %d %s %s: gain %.0f ms, give back %.0f ms (load %.1f)"
                                % (r + 1, way, c, up, down, loads[-1]))
                            if st and c == "warm":
                                lab_steps.append(st)
                    finally:
                        g.stop()
                except RuntimeError as e:
                    log("# %s: not measured: %s" % (way, e))
                    failed.add(way)
        if lab.all_free():
            st, line = lab.check()
            if st:
                log("# labyrinth: check after the bench: %s" % line)
                failed.add("labyrinth")
        else:
            log("# labyrinth: the extents did not come back after the bench")
            failed.add("labyrinth")
    finally:
        lab.close()
    log("# loads before each guest: %s" % " ".join("%.1f" % x for x in loads))
    med = {}
    for way in ways:
        if way in failed:
            continue
        for c in ("cold", "warm"):
            ups, downs = got[way][c]
            log("# %s %s: gain %s ms, give back %s ms" % (way, c, " ".join("%.0f" % x for x in ups),
                                                          " ".join("%.0f" % x for x in downs)))
        ups, downs = got[way]["warm"]
        med[way] = (statistics.median(ups), statistics.median(downs))
        for what, ms in zip(("gain", "give_back"), med[way]):
            log("BENCH elastic.%s.%s.%s_1g %.1f ms" % (accel, way, what, ms))
            log("BENCH elastic.%s.%s.%s_1g_rate %.1f MiB/s" % (accel, way, what, 1024e3 / ms))
        cups, cdowns = got[way]["cold"]
        log("BENCH elastic.%s.%s.gain_1g_cold %.1f ms" % (accel, way, statistics.median(cups)))
        log("BENCH elastic.%s.%s.give_back_1g_cold %.1f ms"
            % (accel, way, statistics.median(cdowns)))
    if "labyrinth" in med:
        for i, what in enumerate(("gain", "give_back")):
            for step in lab_steps[0][i]:
                ms = statistics.median(st[i][step] for st in lab_steps)
                if ms:
                    log("BENCH elastic.%s.labyrinth.%s_1g.%s %.1f ms" % (accel, what, step, ms))
    if "virtio_mem" in med:
        vm = med["virtio_mem"]
        for way, (up, down) in med.items():
            if way != "virtio_mem":
                log("BENCH elastic.%s.%s_vs_virtio_mem.gain %.2f ratio" % (accel, way, vm[0] / up))
                log("BENCH elastic.%s.%s_vs_virtio_mem.give_back %.2f ratio"
                    % (accel, way, vm[1] / down))
    return 0 if not failed else 1


def test(args):
    """Grow and shrink with data in the memory; a guest killed mid-grow."""
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        log(("PASS: " if ok else "FAIL: ") + what)
        if ok:
            passed += 1
        else:
            failed += 1
        return ok

    work = os.path.join(args.work, "test")
    os.makedirs(work, exist_ok=True)
    if os.environ.get("ELASTIC_PART") in ("two", "pressure"):
        globals()[{"two": "two_guests", "pressure": "pressure"}[os.environ["ELASTIC_PART"]]](
            args, work, check)
        log("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 else 1
    lab = Labyrinth(args.lab, work, "w27-test%d" % os.getpid(), 2 << 18, "1G")
    try:
        g = Guest(work, args.kernel, args.initrd, "512M", lab.devices(2))
        try:
            base = g.memtotal()
            st, out = g.run("cat /sys/kernel/labyrinth/elastic/block_mib")
            block = int(out[-1]) if st == 0 else 0
            check(block == 128, "the guest's memory block is %s MiB (x86-64: 128)" % block)
            st, out = g.run("lab 100")
            check(st != 0 and any("Invalid argument" in l for l in out),
                  "a size that is no multiple of the block is refused (%s)" % " ".join(out))
            st, out = g.run("lab 1024")
            grown = g.memtotal()
            ram = int(g.run("cat /sys/kernel/labyrinth/elastic/ram_kib")[1][-1])
            check(st == 0 and grown - base == ram and ram >= GIB_KIB - 2 * MAILBOX * 4,
                  "grown by 1024 MiB (%d KiB less mailbox pages): MemTotal %d -> %d KiB"
                  % (ram, base, grown))
            held = lab_rooms(lab)
            check(held == ram // 4 + 2 * MAILBOX,
                  "the host sees the guest hold those rooms and its 2 mailboxes (%s)" % held)
            st, out = g.run("offline_ours")
            check(st == 1 and "not permitted" in " ".join(out),
                  "a block of it offlined from sysfs behind the module's back is refused (%s)"
                  % " ".join(out))
            # Data that must live through the shrink: more than the boot
            # memory's free pages alone hold, so some of it sits in the
            # added blocks, and moves when they are offlined.
            st, out = g.run("fill 600 && verify")
            check(st == 0, "600 MiB written into the grown guest (%s)" % " ".join(out))
            st, out = g.run("lab 2176")
            check(st != 0 and "No space left" in " ".join(out),
                  "asked for more than the devices lend, it says so (%s)" % " ".join(out))
            st, out = g.run("lab 0")
            added = g.run("cat /sys/kernel/labyrinth/elastic/added_mib")[1][-1]
            check(st != 0 and "busy" in " ".join(out) and added != "0",
                  "asked to shrink below what it can free (600 MiB in use), it says so"
                  " (%s; %s MiB stay)" % (" ".join(out), added))
            st, out = g.run("verify")
            check(st == 0, "the 600 MiB are intact after the refused shrink")
            st, out = g.run("rm /tmp/fill && fill 200")
            moved = migrated(g)
            st, out = g.run("lab 0 && verify")
            after = g.memtotal()
            moved = migrated(g) - moved
            check(st == 0 and after == base,
                  "shrunk to 0 with 200 MiB in use: MemTotal back to %d KiB (%d), data intact"
                  % (base, after))
            check(moved > 0, "the shrink moved %d pages out of the blocks it gave back" % moved)
            held = lab_rooms(lab)
            check(held == 2 * MAILBOX, "the host sees only the mailboxes held again (%s)" % held)
            st, line = lab.check()
            check(st == 0, "labyrinth check after grow and shrink (%s)" % " ".join(line))
            # Killed mid-grow: the request is under way when QEMU dies.
            g.send("lab 1024")
            end = time.monotonic() + 60
            mid = lab_rooms(lab)
            while mid <= 2 * MAILBOX + 512 and time.monotonic() < end:
                mid = lab_rooms(lab)
            g.qemu.kill()
        finally:
            g.stop()
        check(not g.kernel_complaints(), "the kernel said no warning: %s" % g.kernel_complaints())
        check(2 * MAILBOX < mid < 262144 + 2 * MAILBOX,
              "the guest held %s rooms when killed mid-grow" % mid)
        check(lab.all_free(), "killed mid-grow, it loses nothing: every room free again")
        st, line = lab.check()
        check(st == 0, "labyrinth check after the kill (%s)" % " ".join(line))
        # virtio-mem beside it holds the kernel's online page callback: the
        # mailboxes' blocks stay out, the other blocks serve.
        work2 = os.path.join(work, "beside-virtio-mem")
        os.makedirs(work2, exist_ok=True)
        g = Guest(work2, args.kernel, args.initrd, "512M,maxmem=2G", lab.devices(2) + [
            "-object", "memory-backend-ram,id=vmem0,size=128M",
            "-device", "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0"])
        try:
            st, out = g.run("lab 1024")
            ram = int(g.run("cat /sys/kernel/labyrinth/elastic/ram_kib")[1][-1])
            st2, said = g.run("dmesg | grep -c 'holds the online page callback'")
            check(st == 0 and ram == GIB_KIB and said[-1] == "1",
                  "with virtio-mem holding the online callback: 1 GiB from the blocks clear of"
                  " the mailboxes (%d KiB), said once (%s)" % (ram, said[-1]))
            st, out = g.run("lab 0")
            check(st == 0 and g.memtotal() == g.ready_kib, "and given back (%s)" % " ".join(out))
        finally:
            g.stop()
        check(not g.kernel_complaints(), "its kernel said no warning: %s" % g.kernel_complaints())
        check(lab.all_free(), "every room free again after that guest")
        st, line = lab.check()
        check(st == 0, "labyrinth check after it (%s)" % " ".join(line))
    except RuntimeError as e:
        check(False, str(e))
    finally:
        lab.close()
    work3 = os.path.join(args.work, "two")
    os.makedirs(work3, exist_ok=True)
    two_guests(args, work3, check)
    work4 = os.path.join(args.work, "pressure")
    os.makedirs(work4, exist_ok=True)
    pressure(args, work4, check)
    log("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def asked_line(g):
    """The guest's view of the host's ask: {asked, holds, unmet} or None."""
    st, out = g.run("cat /sys/kernel/labyrinth/elastic/asked_rooms")
    for line in out:
        w = line.split()
        if len(w) == 8 and w[0] == "peer":
            return {w[i]: int(w[i + 1]) for i in (2, 4, 6)}
    return None


def answered(g, asked, secs=600):
    """A bounded wait for the guest to have acted on the ask of ASKED rooms
    (its sysfs shows it once the work is done: the file waits for it)."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        a = asked_line(g)
        if a and a["asked"] == asked:
            return a
        time.sleep(0.2)
    raise RuntimeError("the guest never acted on the ask of %d rooms (%s)" % (asked, a))


def elastic_rooms(g):
    return int(g.run("cat /sys/kernel/labyrinth/elastic/rooms")[1][-1])


def end_guests(lab, guests, check, who):
    """What a case of several guests ends on: they are stopped, no kernel
    said a warning, every room is free (scrubbed) again and `labyrinth
    check` is ok; then the labyrinth goes."""
    for g in guests:
        g.stop()
    for g in guests:
        check(not g.kernel_complaints(), "no kernel warning: %s" % g.kernel_complaints())
    try:
        check(lab.all_free(), "every room free again after %s" % who)
        st, line = lab.check()
        check(st == 0, "labyrinth check after %s (%s)" % (who, " ".join(line)))
    finally:
        lab.close()


def two_guests(args, work, check):
    """Two guests of one device each, growing and shrinking at once: one
    asked by the host, one through its own sysfs; no room in both, each
    one's rooms those the server counts for its lease."""
    BLOCK = 32768
    lab = Labyrinth(args.lab, work, "t32-two%d" % os.getpid(), 2 << 18, "1G")
    gs = []
    try:
        for k in range(2):
            w = os.path.join(work, "g%d" % k)
            os.makedirs(w, exist_ok=True)
            gs.append(Guest(w, args.kernel, args.initrd, "512M", lab.devices(1)))
        a, b = gs
        la, lb = (lab.owner_of(g.qemu.pid)["guest"] for g in gs)
        # its own count (the console's "ready" line can be cut by the kernel's)
        base_b = b.memtotal()

        def disjoint(what):
            """Each lease's rooms all in its own extent, the extents two,
            each guest's rooms those its lease holds, and check ok."""
            i = lab.info()
            owners = {o["guest"]: o for o in i["owners"]}
            lent = {e["guest"]: e for e in i.get("peers", [])}
            ok = (la != lb and lent[la]["extents"] != lent[lb]["extents"] and
                  all(lent[l]["rooms"] == owners[l]["rooms"] for l in (la, lb)))
            mine = [elastic_rooms(g) for g in gs]
            held = [owners[l]["held"] for l in (la, lb)]
            st, line = lab.check()
            check(ok and mine == held and st == 0,
                  "%s: no room in both (extents %s, %s), each guest's rooms its lease's"
                  " (%s vs %s), check %s" % (what, lent[la]["extents"], lent[lb]["extents"],
                                             mine, held, " ".join(line)))
            return held

        # Both grow at once: a to the host's ask of 3 blocks, b by sysfs.
        st, out = lab.limit(la, "--ask", str(3 * BLOCK))
        b.send("lab 384")
        st_b, out_b = b.answer()
        got = answered(a, 3 * BLOCK)
        check(st_b == 0 and 2 * BLOCK < got["holds"] <= 3 * BLOCK and got["unmet"] == 0,
              "grown at once: asked by the host, %d rooms held of %d asked; by sysfs, %s"
              % (got["holds"], 3 * BLOCK, " ".join(out_b) or "ok"))
        held = disjoint("grown at once")
        o = lab.owner_of(a.qemu.pid)
        check(o["asked"] == 3 * BLOCK and o["held"] == got["holds"],
              "info shows asked %s and held %s" % (o["asked"], o["held"]))
        r = subprocess.run([lab.lab, "metrics", lab.name], capture_output=True, text=True)
        said = [l for l in r.stdout.splitlines()
                if l.startswith("labyrinth_guest_asked_rooms") and 'guest="%d"' % la in l]
        check(said and said[0].split()[-1] == str(3 * BLOCK),
              "metrics show the ask: %s" % said)
        # Both shrink at once.
        lab.limit(la, "--ask", str(BLOCK))
        b.send("lab 128")
        st_b, out_b = b.answer()
        got = answered(a, BLOCK)
        check(st_b == 0 and got["holds"] <= BLOCK and got["unmet"] == 0,
              "shrunk at once: to %d rooms asked, %d held; by sysfs, %s"
              % (BLOCK, got["holds"], " ".join(out_b) or "ok"))
        disjoint("shrunk at once")
        # Asked below what it can free: b holds 512 MiB with 600 MiB in use.
        lab.limit(lb, "--ask", str(4 * BLOCK))
        answered(b, 4 * BLOCK)
        st, out = b.run("fill 600 && verify")
        check(st == 0, "600 MiB written into the guest grown to the host's ask")
        lab.limit(lb, "--ask", "0")
        got = answered(b, 0)
        unmet = int(b.run("cat /sys/kernel/labyrinth/elastic/unmet_mib")[1][-1])
        end = time.monotonic() + 30     # the server looks every 5 ms
        while "cannot come down to the 0 rooms asked" not in lab.log() and \
                time.monotonic() < end:
            time.sleep(0.1)
        line = [l for l in lab.log().splitlines() if "cannot come down" in l]
        check(got["unmet"] > 0 and unmet > 0 and line,
              "asked to shrink below what it can free, it says so: %d rooms unmet, "
              "unmet_mib %d; the server logs: %s" % (got["unmet"], unmet, line[-1:]))
        st, out = b.run("verify")
        o = lab.owner_of(b.qemu.pid)
        check(st == 0 and o["asked"] == 0 and o["held"] == elastic_rooms(b) > 0 and
              o["unmet"] == got["unmet"],
              "it runs on, data intact; info: asked %s, held %s, unmet %s"
              % (o["asked"], o["held"], o["unmet"]))
        disjoint("after the refused shrink")
        b.run("rm /tmp/fill")
        lab.limit(lb, "--ask", "none")
        end = time.monotonic() + 120    # the server must see "none" before "0"
        while asked_line(b) and time.monotonic() < end:
            time.sleep(0.2)
        lab.limit(lb, "--ask", "0")
        got = answered(b, 0)
        now = b.memtotal()
        check(got["holds"] == 0 and got["unmet"] == 0 and now == base_b and
              lab.owner_of(b.qemu.pid)["unmet"] == 0,
              "once the data is gone, the same ask is met: MemTotal back to %d KiB (%d)"
              % (base_b, now))
        # Killed while it grows to the host's ask.
        lab.limit(la, "--ask", str(6 * BLOCK))
        end = time.monotonic() + 120
        mid = lab.owner_of(a.qemu.pid)["held"]
        while mid <= BLOCK + 512 and time.monotonic() < end:
            mid = lab.owner_of(a.qemu.pid)["held"]
        a.qemu.kill()
        a.stop()
        check(BLOCK < mid < 6 * BLOCK, "killed growing to an ask, holding %d rooms" % mid)
        # Its extent comes back scrubbed while the other guest runs on.
        ext_a = [p["extents"][0] for p in lab.info()["peers"] if p["guest"] == la]
        end = time.monotonic() + 180
        back = None
        while time.monotonic() < end:
            i = lab.info()
            back = [e for e in i["extents"] if e["extent"] == ext_a[0]] if ext_a else []
            if back and back[0]["state"] == "pool" and \
                    all(p["guest"] != la for p in i["peers"]):
                break
            time.sleep(0.2)
        st, line = lab.check()
        check(back and back[0]["state"] == "pool" and st == 0,
              "its extent back in the pool, the lease gone, check %s" % " ".join(line))
        st, out = b.run("memtotal")
        check(st == 0, "the other guest runs on")
    except RuntimeError as e:
        check(False, str(e))
    finally:
        end_guests(lab, gs, check, "the two guests")


def pressure(args, work, check):
    """The extent's pressure (vector 1) takes elastic RAM back: a guest of
    one 256 MiB extent with a large share of the reserve grows by the one
    block that leaves the extent at its high watermark; 4096 rooms its
    4 KiB allocator then takes (the self-test module holding them) bring
    the extent below its low one, and the block goes back, data intact."""
    # Two extents of 65536 rooms, a reserve of 56000: 28000 each. The
    # extent's watermarks (65519 rooms, the mailbox aside): low 30047,
    # high 32094. One block (32751 rooms) leaves 32768 free; 4096 held
    # leave 28672 < low.
    lab = Labyrinth(args.lab, work, "t32-pressure%d" % os.getpid(), 2 << 16, "256M", 56000)
    g = None
    try:
        g = Guest(work, args.kernel, args.initrd, "512M", lab.devices(1))
        st, out = g.run("lab 256")
        rooms = elastic_rooms(g)
        check(st != 0 and "No space left" in " ".join(out) and rooms == 32751,
              "growth stops at the extent's high watermark: one block (%d rooms) of the "
              "two asked (%s)" % (rooms, " ".join(out)))
        st, out = g.run("fill 100 && verify")
        episodes = lab.log().count("pressure interrupt")
        st, out = g.run("insmod /lib/modules/labyrinth_selftest.ko mode=hold hold=4096")
        check(st == 0, "the self-test module holds 4096 rooms (%s)" % " ".join(out))
        end = time.monotonic() + 300
        while elastic_rooms(g) and time.monotonic() < end:
            time.sleep(0.5)
        rooms = elastic_rooms(g)
        st, said = g.run("dmesg | grep -c 'its extent runs low'")
        check(rooms == 0 and lab.log().count("pressure interrupt") > episodes and
              said[-1] != "0",
              "under its extent's pressure the guest gave its block back (%d rooms left, "
              "said %s times)" % (rooms, said[-1]))
        st, out = g.run("verify")
        check(st == 0, "the 100 MiB are intact after the pressure took the block")
        o = lab.owner_of(g.qemu.pid)
        held = int(g.run("cat /sys/kernel/labyrinth/rooms_held")[1][-1])
        check(o["held"] == held >= 4096,
              "the host sees the guest hold what it holds: %s (its count %d)" % (o["held"], held))
        st, out = g.run("rmmod labyrinth_selftest")
        check(st == 0, "the held rooms freed (%s)" % " ".join(out))
    except RuntimeError as e:
        check(False, str(e))
    finally:
        end_guests(lab, [g] if g else [], check, "the pressure guest")


def migrated(g):
    st, out = g.run("grep pgmigrate_success /proc/vmstat")
    return int(out[-1].split()[1])


def lab_rooms(lab):
    return sum(o.get("rooms", 0) for o in lab.info().get("owners", []))


class Args:
    pass


if __name__ == "__main__":
    # A stopped run cleans up as a failed one does (QEMU, the server, the
    # labyrinth): the finally clauses run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(sys.argv) != 6 or sys.argv[1] not in ("bench", "test"):
        sys.exit("usage: elastic.py bench|test LABYRINTH INITRD KERNEL WORKDIR")
    a = Args()
    a.lab, a.initrd, a.kernel, a.work = sys.argv[2:]
    sys.exit(bench(a) if sys.argv[1] == "bench" else test(a))
