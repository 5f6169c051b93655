# SPDX-License-Identifier: MIT
"""`labyrinth serve`'s log: every line begins with the time it was
written (UTC, to the millisecond), unless stderr is the journal, which
stamps lines itself."""
import datetime
import os
import re
import signal
import subprocess
import tempfile
import unittest

from seeing import BIN, a_labyrinth, run

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z "
                   r"labyrinth serve: ")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class ServeLog(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "wt-servelog", "--rooms", "1024")
        self.sock = "/tmp/%s.sock" % self.name

    def serve(self, env=None):
        """serve's log from start to SIGTERM, with stderr a file (named to
        the server by JOURNAL_STREAM if @env says so)."""
        with tempfile.TemporaryFile("w+") as log:
            e = dict(os.environ)
            if env == "journal":
                st = os.fstat(log.fileno())
                e["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            p = subprocess.Popen([BIN, "serve", self.name, "--socket",
                                  self.sock], stderr=log, env=e)
            while not os.path.exists(self.sock):
                self.assertIsNone(p.poll(), "serve ended")
                os.sched_yield()
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)
            log.seek(0)
            return log.read().splitlines()

    def test_every_line_begins_with_the_time(self):
        before = utc_now().replace(microsecond=0)
        lines = self.serve()
        after = utc_now()
        self.assertGreaterEqual(len(lines), 3, lines)
        for line in lines:
            m = STAMP.match(line)
            self.assertTrue(m, line)
            when = datetime.datetime.fromisoformat(m.group(1))
            self.assertTrue(before <= when <= after, line)

    def test_the_journal_gets_no_time_of_ours(self):
        lines = self.serve(env="journal")
        self.assertGreaterEqual(len(lines), 3, lines)
        for line in lines:
            self.assertTrue(line.startswith("labyrinth serve: "), line)


if __name__ == "__main__":
    unittest.main()
