# SPDX-License-Identifier: MIT
"""seeing.py - what the Python tests of the command share (tests/see,
tests/command): running the `labyrinth` command, a labyrinth per test,
guests of known shape (see_guest) and the truth they say about
themselves, a server and peers that join it as QEMU does."""
import json
import os
import subprocess

BIN = os.environ.get("LABYRINTH_BIN", "labyrinth")
GUEST = os.environ.get("SEE_GUEST", "see_guest")
DISTRICT = 512


def run(*args, env=None, timeout=30, cwd=None):
    """`labyrinth ARGS`: (status, stdout, stderr)."""
    e = dict(os.environ, **(env or {}))
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       env=e, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def a_labyrinth(test, prefix, *args):
    """A labyrinth of @test's own, "PREFIX-PID" made by `create` ARGS and
    destroyed when the test is over (after its tearDown): its name."""
    name = "%s-%d" % (prefix, os.getpid())
    status, _, err = run("create", name, *args)
    test.assertEqual(status, 0, err)
    test.addCleanup(run, "destroy", name)
    return name


def info(name):
    status, out, err = run("info", name, "--json")
    assert status == 0, err
    return json.loads(out)


class Guest:
    """A see_guest holding rooms until stop(): its lease, pid and rooms."""

    def __init__(self, name, corridor, claim, release=0, refuse=0):
        self.proc = subprocess.Popen(
            [GUEST, name, str(corridor), str(claim), str(release),
             str(refuse)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline().split()
        rooms = self.proc.stdout.readline().split()
        assert ready[:1] == ["ready"] and rooms[:1] == ["rooms"], \
            "see_guest failed: status %s" % self.proc.poll()
        self.guest, self.pid = int(ready[1]), int(ready[2])
        self.rooms = [int(r) for r in rooms[1:]]
        self.claimed, self.released, self.refused = claim, release, refuse

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def owners(rooms, guests):
    """Room -> guest for every claimed room (the guests' own word)."""
    own = {}
    for g in guests:
        for r in g.rooms:
            own[r] = g.guest
    return own


def corridor_starts(rooms, corridors):
    """First district of each corridor, and the end (shared/hall.h)."""
    districts = (rooms + DISTRICT - 1) // DISTRICT
    return [c * districts // corridors for c in range(corridors + 1)]


GLYPHS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
          "0123456789@&")


def cell(rooms, own, first, last):
    """The two characters the map draws for districts first..last-1."""
    size = min(rooms, last * DISTRICT) - first * DISTRICT
    held = [own[r] for r in range(first * DISTRICT, first * DISTRICT + size)
            if r in own]
    if not held:
        return ".."
    who = set(held)
    glyph = GLYPHS[held[0]] if len(who) == 1 else "*"
    fill = "#" if len(held) == size else str(len(held) * 10 // size)
    return glyph + fill


class Server:
    """`labyrinth serve NAME` on a socket of its own, until stop(); its log
    read line by line, so a test waits for what the server says."""

    def __init__(self, name):
        self.sock = "/tmp/%s.sock" % name
        self.proc = subprocess.Popen([BIN, "serve", name, "--socket",
                                      self.sock],
                                     stderr=subprocess.PIPE, text=True)
        self.wait_for("serving labyrinth")

    def wait_for(self, what):
        """The next log line holding @what (and those before it)."""
        for line in self.proc.stderr:
            if what in line:
                return line
        raise AssertionError("serve ended before saying %r" % what)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stderr.close()


QEMU_LIKE = ("import socket, sys\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "s.connect(sys.argv[1])\n"
             "sys.stdin.read()\n")


class QemuPeer:
    """A process that joins the server as QEMU does, named as libvirt names
    QEMU (-name guest=DOMAIN): it is lent an extent until stop()."""

    def __init__(self, server, domain):
        self.proc = subprocess.Popen(
            ["python3", "-c", QEMU_LIKE, server.sock, "-name",
             "guest=%s,debug-threads=on" % domain],
            stdin=subprocess.PIPE, text=True)
        self.pid, self.domain = self.proc.pid, domain
        line = server.wait_for("joined: QEMU pid %d" % self.pid)
        self.guest = int(line.split("lease ")[1].split(",")[0])
        self.server = server

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.server.wait_for("left: extent")
