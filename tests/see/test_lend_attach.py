# SPDX-License-Identifier: MIT
"""Readers attaching while extents are lent (`info`, as the metrics timer,
`list` or an operator run it at any time): each attach populates the
extents it finds in the pool, and one it found a moment before its lend
must not keep pages in the pool file once lent (its borrower's memory is
its own: `check` calls such pages a breach). Two lends of 512 MiB extents
with `info` attaching over and over meanwhile; `check` ok after."""
import os
import subprocess
import threading
import unittest

from seeing import BIN, QemuPeer, Server, run


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

        def reader():
            while not stop.is_set():
                subprocess.run([BIN, "info", self.name], capture_output=True)
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
