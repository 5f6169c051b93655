# SPDX-License-Identifier: MIT
"""`labyrinth top`: --once agrees with `info --json`, rates are tally
differences over time, the live view leaves on q, Ctrl-C and SIGTERM with
the terminal as it was, stops when the labyrinth is destroyed, and errors
are one line with a documented status."""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
import unittest

from seeing import BIN, Guest, a_labyrinth, info, run
from waiting import in_call, wait_until


def frame(text):
    """The figures of one frame."""
    f = {"guests": {}, "corridors": {}}
    head = re.search(r"(\d+) rooms, (\d+) free, (\d+) claimed, "
                     r"(\d+) reserved", text)
    f["rooms"], f["free"], f["claimed"], f["reserved"] = map(int,
                                                             head.groups())
    section = None
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] in ("GUEST", "CORRIDOR"):
            section = words[0]
        elif section == "GUEST" and words[0].isdigit():
            f["guests"][int(words[0])] = {
                "pid": words[1], "rooms": int(words[2]),
                "rates": [float(w) for w in words[3:6]]}
        elif section == "GUEST" and words[0] == "all":
            f["all"] = {"rooms": int(words[1]),
                        "rates": [float(w) for w in words[2:5]]}
        elif section == "CORRIDOR" and words[0].isdigit():
            f["corridors"][int(words[0])] = (int(words[1]), int(words[2]))
    f["dt"] = float(re.search(r"rates over ([\d.]+) s", text).group(1))
    return f


class Top(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "test-see-top", "--rooms", "5000",
                                "--corridors", "3", "--reserve", "16")
        self.guests = []

    def tearDown(self):
        for g in self.guests:
            g.stop()

    def test_once_agrees_with_info_json(self):
        self.guests = [Guest(self.name, 1, 700, release=100),
                       Guest(self.name, 2, 300)]
        status, out, err = run("top", self.name, "--once",
                               "--interval", "0.2")
        self.assertEqual((status, err), (0, ""))
        f, j = frame(out), info(self.name)
        for k in ("rooms", "free", "claimed", "reserved"):
            self.assertEqual(f[k], j[k], k)
        self.assertEqual(f["corridors"],
                         {c["corridor"]: (c["rooms"], c["free"])
                          for c in j["corridors"]})
        self.assertEqual({g: (r["pid"], r["rooms"])
                          for g, r in f["guests"].items()},
                         {o["guest"]: (str(o["pid"]), o["rooms"])
                          for o in j["owners"]})
        self.assertEqual(f["all"]["rooms"], j["claimed"])
        self.assertEqual(f["all"]["rates"], [0.0, 0.0, 0.0])
        self.assertIn("LIMITS", out)
        self.assertIn("pressure:", out)

    def test_a_frame_keeps_to_80_columns(self):
        self.guests = [Guest(self.name, 1, 700, release=100, refuse=3)]
        self.assertEqual(run("limit", self.name, str(self.guests[0].guest),
                             "--max", "1000000", "--min", "1000")[0], 0)
        longest = "wt-top-%d-" % os.getpid()
        longest += "x" * (64 - len(longest))
        self.assertEqual(run("create", longest, "--rooms", "4096")[0], 0)
        try:
            frames = [run("top", n, "--once", "--interval", "0.1")
                      for n in (self.name, longest)]
        finally:
            run("destroy", longest)
        self.assertIn(" 1000000/1000", frames[0][1])
        for status, out, err in frames:
            self.assertEqual((status, err), (0, ""))
            for line in out.splitlines():
                self.assertLessEqual(len(line), 80, repr(line))

    def test_rates_are_tallies_over_time(self):
        top = subprocess.Popen([BIN, "top", self.name, "--once",
                                "--interval", "2"],
                               stdout=subprocess.PIPE, text=True)
        # Its first look taken, it waits out the interval in poll().
        self.assertTrue(wait_until(lambda: in_call(top.pid)),
                        "top never waited for its interval")
        self.guests = [Guest(self.name, 0, 700, release=100, refuse=3)]
        out, _ = top.communicate(timeout=10)
        self.assertEqual(top.returncode, 0)
        f = frame(out)
        g = f["guests"][self.guests[0].guest]
        dt = f["dt"]
        for got, n in zip(g["rates"], (700, 100, 3)):
            # Rates are printed to 0.05, the time to 0.0005 s.
            self.assertAlmostEqual(got, n / dt, delta=0.05 + n * 6e-4 / dt**2)
        self.assertEqual(f["all"]["rates"], g["rates"])


def unread(tty):
    """Bytes typed on terminal @tty that its reader has not read."""
    return struct.unpack("i", fcntl.ioctl(tty, termios.FIONREAD,
                                          b"\0\0\0\0"))[0]


def controlling_terminal():
    """In the child: the pty on stdin becomes its terminal, so ^C there is
    SIGINT to it, as in a shell."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Live(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "test-see-live", "--rooms", "1024")

    def start(self):
        """top in a terminal: (process, master end, slave end, the terminal's
        settings before top took it)."""
        master, slave = pty.openpty()
        before = termios.tcgetattr(slave)
        p = subprocess.Popen([BIN, "top", self.name, "--interval", "0.2"],
                             stdin=slave, stdout=slave, stderr=slave,
                             preexec_fn=controlling_terminal)
        return p, master, slave, before

    def read_until(self, master, what, seconds=5):
        out, end = b"", time.monotonic() + seconds
        while what not in out and time.monotonic() < end:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return out

    def leave(self, how):
        p, master, slave, before = self.start()
        self.slave = slave
        try:
            out = self.read_until(master, b"rates over")
            self.assertIn(b"\033[?1049h", out, "no alternate screen")
            how(p, master)
            self.assertEqual(p.wait(timeout=5), 0)
            out += self.read_until(master, b"\033[?1049l", 2)
            self.assertIn(b"\033[?1049l", out, "alternate screen left on")
            self.assertEqual(termios.tcgetattr(slave), before,
                             "terminal not restored")
        finally:
            if p.poll() is None:
                p.kill()
            os.close(master)
            os.close(slave)

    def test_q_leaves(self):
        self.leave(lambda p, master: os.write(master, b"q"))

    def test_other_keys_do_not(self):
        def keys_then_q(p, master):
            os.write(master, b"x ")
            # Both keys read (none left in the terminal's input) and top
            # back waiting in poll(): it took them and stayed.
            self.assertTrue(wait_until(lambda: unread(self.slave) == 0 and
                                       in_call(p.pid)),
                            "top did not take the keys")
            self.assertIsNone(p.poll())
            os.write(master, b"q")
        self.leave(keys_then_q)

    def test_ctrl_c_leaves(self):
        self.leave(lambda p, master: os.write(master, b"\x03"))

    def test_sigterm_leaves(self):
        self.leave(lambda p, master: p.send_signal(signal.SIGTERM))

    def test_frames_without_a_terminal(self):
        p = subprocess.Popen([BIN, "top", self.name, "--interval", "0.2"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        seen = b""

        def frames():
            nonlocal seen
            if select.select([p.stdout], [], [], 0)[0]:
                seen += os.read(p.stdout.fileno(), 65536)
            return seen.count(b"rates over") >= 3
        self.assertTrue(wait_until(frames), "no 3 frames: %r" % seen)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=5)
        out = seen + out
        self.assertEqual(p.returncode, 0)
        self.assertNotIn(b"\033[", out)
        self.assertGreaterEqual(out.count(b"rates over"), 3)

    def view_then(self, what, *args):
        """top without a terminal (args after the name; the live view every
        0.2 s by default), @what done to its labyrinth once top has looked
        at it and waits for its next look: (status, stdout, stderr) once it
        ended (killed after 5 s)."""
        p = subprocess.Popen([BIN, "top", self.name] +
                             (list(args) or ["--interval", "0.2"]),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.assertTrue(wait_until(lambda: in_call(p.pid)),
                        "top never waited for its interval")
        what()
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("top still runs")
        return p.returncode, out, err

    def destroyed_line(self):
        return "labyrinth: top: '%s': destroyed\n" % self.name

    def test_destroyed_labyrinth_ends_the_view(self):
        status, _, err = self.view_then(lambda: run("destroy", self.name))
        self.assertEqual(status, 3)
        self.assertEqual(err, self.destroyed_line())

    def test_destroyed_labyrinth_ends_once_too(self):
        # --once sleeps its interval between two looks: a labyrinth
        # destroyed meanwhile is status 3 and no frame, as in the live view
        # (it printed the dead labyrinth's frame with status 0).
        status, out, err = self.view_then(lambda: run("destroy", self.name),
                                          "--once", "--interval", "1")
        self.assertEqual((status, out), (3, ""))
        self.assertEqual(err, self.destroyed_line())

    def test_a_labyrinth_made_again_under_the_name_ends_the_view(self):
        # Destroyed and made again: the name is back, but top still maps
        # the old file and showed its still picture for ever.
        def again():
            run("destroy", self.name)
            status, _, err = run("create", self.name, "--rooms", "1024")
            self.assertEqual(status, 0, err)
        status, _, err = self.view_then(again)
        self.assertEqual(status, 3)
        self.assertEqual(err, self.destroyed_line())

    def test_a_file_cut_short_ends_the_view_with_a_line(self):
        # Its owner truncates the file under top's mapping: one line and
        # status 5, not a death by SIGBUS.
        status, _, err = self.view_then(
            lambda: os.truncate("/dev/shm/labyrinth." + self.name, 4096))
        self.assertEqual(status, 5, err)
        self.assertEqual(err, "labyrinth: top: '%s': its file shrank under us "
                         "(cut short by someone who may write it)\n" % self.name)

class TopErrors(unittest.TestCase):
    def test_no_such_labyrinth(self):
        status, out, err = run("top", "test-see-none-%d" % os.getpid(),
                               "--once")
        self.assertEqual((status, out), (3, ""))
        self.assertEqual(len(err.splitlines()), 1, err)

    def test_bad_options(self):
        for args in (["--interval", "0"], ["--interval", "0.05"],
                     ["--interval", "1s"], ["--interval"], ["--bogus"],
                     ["extra"]):
            status, _, err = run("top", "x", "--once", *args)
            self.assertEqual(status, 2, args)
            self.assertEqual(len(err.splitlines()), 1, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
