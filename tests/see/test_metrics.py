# SPDX-License-Identifier: MIT
"""`labyrinth metrics`: the text parses with Debian's
python3-prometheus-client and its figures are the census's and the
guests' tallies; --textfile replaces a file whole; --listen serves it on
loopback; each error is one line and a documented status."""
import contextlib
import os
import re
import signal
import socket
import subprocess
import unittest
import urllib.error
import urllib.request

from seeing import BIN, Guest, a_labyrinth, info, run

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None


def samples(text):
    """(name, frozen labels) -> value, and name -> type, via the parser."""
    values, types = {}, {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            values[(s.name, frozenset(s.labels.items()))] = s.value
    return values, types


@unittest.skipIf(text_string_to_metric_families is None,
                 "python3-prometheus-client is not installed")
class Metrics(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "test-see-metrics", "--rooms", "5000",
                                "--corridors", "3", "--reserve", "32")
        self.guests = [Guest(self.name, 1, 700, release=100, refuse=3),
                       Guest(self.name, 2, 300)]

    def tearDown(self):
        for g in self.guests:
            g.stop()

    def label(self, **kv):
        return frozenset(dict(labyrinth=self.name, **kv).items())

    def check(self, text):
        values, types = samples(text)
        j = info(self.name)
        for key in ("rooms", "free", "claimed", "reserved"):
            metric = "labyrinth_rooms" if key == "rooms" \
                else "labyrinth_rooms_" + key
            self.assertEqual(types[metric], "gauge")
            self.assertEqual(values[(metric, self.label())], j[key], key)
        # The guests are idle once set up, so the watched count (what
        # their cursors published) reads the same here and in `info`.
        self.assertEqual(values[("labyrinth_rooms_watched", self.label())],
                         j["watermarks"]["watched"])
        self.assertEqual(types["labyrinth_rooms_dirty"], "gauge")
        self.assertLessEqual(values[("labyrinth_rooms_dirty", self.label())],
                             j["free"])
        for c in j["corridors"]:
            k = str(c["corridor"])
            self.assertEqual(values[("labyrinth_corridor_rooms",
                                     self.label(corridor=k))], c["rooms"])
            self.assertEqual(values[("labyrinth_corridor_rooms_free",
                                     self.label(corridor=k))], c["free"])
        # A guest's samples say its life: the slot and the pid.
        for o in j["owners"]:
            g = self.label(guest=str(o["guest"]), pid=str(o["pid"]))
            self.assertEqual(values[("labyrinth_guest_rooms", g)], o["rooms"])
            self.assertEqual(values[("labyrinth_guest_pid", g)], o["pid"])
            for tally, metric in (("claimed", "rooms_claimed"),
                                  ("released", "rooms_released"),
                                  ("refused", "claims_refused")):
                self.assertEqual(values[("labyrinth_guest_%s_total" % metric,
                                         g)], o[tally])
        for g in self.guests:
            lab = self.label(guest=str(g.guest), pid=str(g.pid))
            self.assertEqual(values[("labyrinth_guest_rooms_claimed_total",
                                     lab)], g.claimed)
            self.assertEqual(values[("labyrinth_guest_rooms_released_total",
                                     lab)], g.released)
            self.assertEqual(values[("labyrinth_guest_claims_refused_total",
                                     lab)], g.refused)
        for fam in ("labyrinth_guest_rooms_claimed",
                    "labyrinth_guest_rooms_released",
                    "labyrinth_guest_claims_refused"):
            self.assertEqual(types[fam], "counter")

    def test_text_parses_and_matches_the_census(self):
        status, out, err = run("metrics", self.name)
        self.assertEqual((status, err), (0, ""))
        self.check(out)

    def test_exposition_format_exactly(self):
        _, out, _ = run("metrics", self.name)
        self.assertTrue(out.endswith("\n"))
        names = set()
        for line in out.splitlines():
            if line.startswith("# HELP "):
                names.add(line.split()[2])
                continue
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split()
                self.assertIn(name, names, "TYPE before its HELP")
                self.assertEqual(kind == "counter", name.endswith("_total"))
                continue
            m = re.fullmatch(r'(labyrinth_[a-z_]+)\{labyrinth="[^"]+"'
                             r'(,(corridor|extent)="\d+")?'
                             r'(,state="(pool|lent|returning)")?'
                             r'(,guest="\d+",pid="\d+")?\} \d+', line)
            self.assertTrue(m, line)
            self.assertIn(m.group(1), names, "sample before its HELP")

    def test_textfile_replaced_whole(self):
        d = "/tmp/test-see-prom-%d" % os.getpid()
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "labyrinth.prom")
        try:
            with open(path, "w") as f:
                f.write("stale\n")
            status, out, err = run("metrics", self.name, "--textfile", path)
            self.assertEqual((status, out, err), (0, "", ""))
            self.assertEqual(os.listdir(d), ["labyrinth.prom"])
            with open(path) as f:
                self.check(f.read())
        finally:
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)

    @contextlib.contextmanager
    def listening(self):
        """`metrics --listen 0`: the port it says it serves on loopback;
        afterwards SIGTERM, which must end it with status 0."""
        p = subprocess.Popen([BIN, "metrics", self.name, "--listen", "0"],
                             stderr=subprocess.PIPE, text=True)
        try:
            line = p.stderr.readline()
            m = re.fullmatch(r"labyrinth: metrics: serving "
                             r"http://127\.0\.0\.1:(\d+)/metrics\n", line)
            self.assertTrue(m, line)
            yield int(m.group(1))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=5)
            p.stderr.close()
        self.assertEqual(p.returncode, 0)

    def test_listen_serves_on_loopback(self):
        with self.listening() as port:
            url = "http://127.0.0.1:%d" % port
            with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
                self.assertEqual(r.status, 200)
                self.assertTrue(r.headers["Content-Type"].startswith(
                    "text/plain; version=0.0.4"))
                self.check(r.read().decode())
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url + "/", timeout=5)
            self.assertEqual(e.exception.code, 404)
            # Peers that send nothing never keep a scrape out: with one
            # connection at a time, eight of them held it 16 s (2 s each),
            # past Prometheus's 10 s; more than the server's 16 places
            # make room by going, oldest first.  (The 5 s are a bound far
            # from both, not a figure.)
            for idle_count in (8, 40):
                idle = [socket.create_connection(("127.0.0.1", port))
                        for _ in range(idle_count)]
                with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
                    self.assertEqual(r.status, 200)
                    self.check(r.read().decode())
                for s in idle:
                    s.close()

    def test_listen_refuses_what_is_not_a_scrape(self):
        # Another method is 405; a request head past 8 KiB is dropped
        # unanswered (a peer may not make us buffer without bound); the
        # server answers the next scrape as ever.
        with self.listening() as port:
            url = "http://127.0.0.1:%d/metrics" % port
            req = urllib.request.Request(url, data=b"x", method="POST")
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=5)
            self.assertEqual(e.exception.code, 405)
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(5)
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 +
                          b"\r\n\r\n")
                answer = s.recv(100)
            except ConnectionResetError:
                answer = b""
            s.close()
            self.assertEqual(answer, b"", "an oversized head was answered")
            with urllib.request.urlopen(url, timeout=5) as r:
                self.assertEqual(r.status, 200)
                self.check(r.read().decode())

    def test_listen_ends_when_the_labyrinth_is_destroyed(self):
        # Figures of a labyrinth nobody can reach any more (or, made again
        # under its name, of the old one) must not be served as the
        # name's: one line and status 3, as top says it.
        for again in (False, True):
            p = subprocess.Popen([BIN, "metrics", self.name, "--listen", "0"],
                                 stderr=subprocess.PIPE, text=True)
            try:
                self.assertIn("serving", p.stderr.readline())
                run("destroy", self.name)
                if again:
                    self.assertEqual(run("create", self.name, "--rooms",
                                         "512")[0], 0)
                p.wait(timeout=5)
                err = p.stderr.read()
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stderr.close()
            self.assertEqual((p.returncode, err),
                             (3, "labyrinth: metrics: '%s': destroyed\n"
                              % self.name), again)
            if not again:
                self.assertEqual(run("create", self.name, "--rooms",
                                     "512")[0], 0)


class MetricsErrors(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "test-see-merr", "--rooms", "512")

    def one_line(self, want_status, *args):
        status, out, err = run("metrics", *args)
        self.assertEqual((status, out), (want_status, ""), args)
        self.assertEqual(len(err.splitlines()), 1, err)
        return err

    def test_no_such_labyrinth(self):
        self.one_line(3, "test-see-none-%d" % os.getpid())

    def test_usage(self):
        for args in (["--bogus"], ["--listen"], ["--textfile"],
                     ["--listen", "9", "--textfile", "/tmp/x.prom"],
                     ["--listen", "65536"], ["--listen", "localhost:9"],
                     ["--listen", "1.2.3.4:"], ["extra"]):
            self.one_line(2, self.name, *args)

    def test_unwritable_textfile(self):
        err = self.one_line(1, self.name, "--textfile",
                            "/nonexistent/dir/labyrinth.prom")
        self.assertIn("cannot write '/nonexistent/dir/labyrinth.prom'", err)

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            port = s.getsockname()[1]
            err = self.one_line(1, self.name, "--listen", str(port))
        finally:
            s.close()
        self.assertEqual(err, "labyrinth: metrics: cannot listen on %d: "
                         "Address already in use\n" % port)


if __name__ == "__main__":
    unittest.main(verbosity=2)
