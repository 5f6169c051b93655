# SPDX-License-Identifier: MIT
"""Attaches while extents are lent: a monitor's (see_guest: it backs,
populates and pins every extent it finds the monitors') and a reader's
(`info`, as the metrics timer, `list` or an operator run it at any time:
it backs them). One that found
an extent the monitors' a moment before its lend must not leave pages in
the pool file once it is lent (its borrower's memory is its own: `check`
calls such pages a breach). Two lends of 512 MiB extents with the two
attaching over and over meanwhile; `check` ok after."""
import os
import subprocess
import threading
import unittest

from seeing import BIN, GUEST, QemuPeer, Server, run


class LendAttach(unittest.TestCase):
    def setUp(self):
        self.name = "wt-lend-attach-%d" % os.getpid()
        status, _, err = run("create", self.name, "--rooms", str(1 << 18), "--extent",
                             "512M", "--reserve", "0")
        self.assertEqual(status, 0, err)
        self.server = Server(self.name)
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.stop()
        self.server.stop()
        run("destroy", self.name)

    def test_no_lent_extent_keeps_pool_pages(self):
        stop = threading.Event()
        attaches = []

        # Not check in the loop: under ThreadSanitizer, with it, the test
        # ran past its 120 s (a check reads every free room of 1 GiB, each
        # extent under its fill lock, which a lend waits for); the last
        # check reads after the lends.
        attachers = ([GUEST, self.name, "0", "0", "0", "0"], [BIN, "info", self.name])

        def reader():
            while not stop.is_set():
                subprocess.run(attachers[len(attaches) % len(attachers)], capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=60)
                attaches.append(1)

        t = threading.Thread(target=reader)
        t.start()
        try:
            for k in range(2):
                self.peers.append(QemuPeer(self.server, "wt-dom-%d" % k))
        finally:
            stop.set()
            t.join()
        r = subprocess.run([BIN, "check", self.name], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "after %d attaches: %s%s"
                         % (len(attaches), r.stdout, r.stderr))


if __name__ == "__main__":
    unittest.main()
