# SPDX-License-Identifier: MIT
"""`destroy` removes the textfiles `metrics --textfile` wrote for the
labyrinth (node_exporter would go on serving its last figures), and
nothing else: not a file that no longer holds its metrics, not another
labyrinth's; a record beside it that is not trusted is refused."""
import os
import shutil
import unittest

from seeing import run


class Textfile(unittest.TestCase):
    def setUp(self):
        self.name = "wt-textfile-%d" % os.getpid()
        self.other = self.name + "-other"
        self.dir = "/tmp/%s.d" % self.name
        os.makedirs(self.dir)
        for n in (self.name, self.other):
            self.assertEqual(run("create", n, "--rooms", "512")[0], 0)

    def tearDown(self):
        for n in (self.name, self.other):
            run("destroy", n)
        shutil.rmtree(self.dir)

    def path(self, f):
        return os.path.join(self.dir, f)

    def metrics(self, name, path, cwd=None):
        return run("metrics", name, "--textfile", path, cwd=cwd)

    def test_destroy_removes_what_metrics_wrote_and_nothing_else(self):
        for args in ((self.name, self.path("a.prom")),
                     (self.name, "b.prom", self.dir),    # relative to cwd
                     (self.name, self.path("a.prom")),   # twice: one line
                     (self.other, self.path("other.prom")),
                     (self.name, self.path("gone.prom"))):
            self.assertEqual(self.metrics(*args), (0, "", ""), args)
        # no longer this labyrinth's metrics: not ours to remove
        with open(self.path("gone.prom"), "w") as f:
            f.write("# HELP node_something else\n")
        record = "/dev/shm/labyrinth.%s+textfiles" % self.name
        with open(record) as f:
            self.assertEqual(f.read().splitlines(),
                             [self.path(f) for f in
                              ("a.prom", "b.prom", "gone.prom")])
        self.assertEqual(run("destroy", self.name), (0, "", ""))
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["gone.prom", "other.prom"])
        self.assertFalse(os.path.exists(record))

    def test_what_is_no_file_of_ours_is_not_recorded(self):
        # a directory (or a device, a fifo) at PATH is not ours to remove
        status, out, err = self.metrics(self.name, self.dir)
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertFalse(os.path.exists(
            "/dev/shm/labyrinth.%s+textfiles" % self.name))

    def test_a_record_not_trusted_is_refused_and_nothing_written(self):
        record = "/dev/shm/labyrinth.%s+textfiles" % self.name
        with open(record, "w") as f:
            f.write(self.path("planted.prom") + "\n")
        os.chmod(record, 0o666)
        status, out, err = self.metrics(self.name, self.path("a.prom"))
        self.assertEqual((status, out), (5, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertEqual(os.listdir(self.dir), [])
        os.unlink(record)


if __name__ == "__main__":
    unittest.main()
