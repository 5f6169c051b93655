# SPDX-License-Identifier: MIT
"""Guests by name: a QEMU guest shows as its QEMU pid and libvirt domain
(not the server's pid) in info, map, the SVG, top and the metrics; its lent
extent is marked; per guest series carry labels of that guest's life only;
the mailbox rooms count the same everywhere; every count of `info --json`
is a metric and every metric a count of it; `promtool check metrics` finds
nothing to say."""
import json
import re
import subprocess
import unittest
import xml.etree.ElementTree as ET

from seeing import GLYPHS, Guest, QemuPeer, Server, a_labyrinth, info, run
from prometheus_client.parser import text_string_to_metric_families

MAILBOX = 17

# info --json field (arrays as []) -> its metric.  Fields that are no
# count are named below, with why.
METRIC_OF = {
    "rooms": "labyrinth_rooms",
    "free": "labyrinth_rooms_free",
    "reserved": "labyrinth_rooms_reserved",
    "claimed": "labyrinth_rooms_claimed",
    "dirty": "labyrinth_rooms_dirty",
    "leases": "labyrinth_leases",
    "pinned": "labyrinth_pinned",
    "districts": "labyrinth_districts",
    "watermarks.min": "labyrinth_watermark_min_rooms",
    "watermarks.low": "labyrinth_watermark_low_rooms",
    "watermarks.high": "labyrinth_watermark_high_rooms",
    "watermarks.watched": "labyrinth_rooms_watched",
    "pressure.events": "labyrinth_pressure_episodes_total",
    "pressure.now": "labyrinth_under_pressure",
    "corridors[]": "labyrinth_corridors",
    "corridors[].rooms": "labyrinth_corridor_rooms",
    "corridors[].free": "labyrinth_corridor_rooms_free",
    "owners[]": "labyrinth_leases",
    "owners[].pid": "labyrinth_guest_pid",
    "owners[].alive": "labyrinth_guest_alive",
    "owners[].rooms": "labyrinth_guest_rooms",
    "owners[].claimed": "labyrinth_guest_rooms_claimed_total",
    "owners[].released": "labyrinth_guest_rooms_released_total",
    "owners[].refused": "labyrinth_guest_claims_refused_total",
    "owners[].limited": "labyrinth_guest_claims_limited_total",
    "owners[].max": "labyrinth_guest_max_rooms",
    "owners[].min": "labyrinth_guest_min_rooms",
    "owners[].cached": "labyrinth_guest_cached_rooms",
    "owners[].asked": "labyrinth_guest_asked_rooms",
    "owners[].held": "labyrinth_guest_held_rooms",
    "owners[].unmet": "labyrinth_guest_unmet_rooms",
    "owners[].qemu_pid": "labyrinth_guest_qemu_pid",
    "owners[].extents": "labyrinth_guest_extents",
    "owners[].mailbox": "labyrinth_guest_mailbox_rooms",
    "extent_rooms": "labyrinth_extent_size_rooms",
    "extents[]": "labyrinth_extents",
    "extents[].rooms": "labyrinth_extent_rooms",
    "extents[].state": "labyrinth_extent_state",
    "extents[].lendable": "labyrinth_extent_lendable",
    "extents[].mapped": "labyrinth_extent_mapped",
    "extents[].claimed": "labyrinth_extent_claimed_rooms",
    "peers[]": "labyrinth_peers",
    "peers[].rooms": "labyrinth_extent_claimed_rooms",
}
NO_COUNT = {
    "name": "the labyrinth label",
    "corridors[].corridor": "the corridor label",
    "corridors[].fill": "a ratio of two counts",
    "owners[].guest": "the guest label",
    "owners[].domain": "the domain label",
    "extents[].extent": "the extent label",
    "extents[].first_room": "a position: extent times extent_rooms",
    "extents[].guest": "the guest label of the extent's samples",
    "extents[].peer": "the server's own number, in its log",
    "peers[].guest": "the guest label",
    "peers[].peer": "the server's own number, in its log",
    "peers[].qemu_pid": "the pid label of the extent's samples",
    "peers[].domain": "the domain label",
    "peers[].extents[]": "the extent label",
    "peers[].state": "labyrinth_extent_state's state label",
}


def leaves(j, path=""):
    """(path, value) of every field, an array as [] (its length) and its
    objects' fields under it."""
    if isinstance(j, dict):
        for k, v in j.items():
            yield from leaves(v, path + "." + k if path else k)
    elif isinstance(j, list):
        yield path + "[]", len(j)
        for v in j:
            if isinstance(v, (dict, list)):
                yield from leaves(v, path + "[]")
    else:
        yield path, j


def metrics(name):
    status, out, err = run("metrics", name)
    assert status == 0, err
    found = {}
    for fam in text_string_to_metric_families(out):
        for s in fam.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return out, found


def series(found, metric, **labels):
    """The values of @metric's samples that carry @labels."""
    return [v for l, v in found.get(metric, [])
            if all(l.get(k) == str(x) for k, x in labels.items())]


class Guests(unittest.TestCase):
    def setUp(self):
        self.name = a_labyrinth(self, "wt-see-guests", "--rooms", "4096",
                                "--extent", "2M")
        self.server = Server(self.name)
        self.peers, self.guests = [], []

    def tearDown(self):
        for p in self.peers:
            p.stop()
        for g in self.guests:
            g.stop()
        self.server.stop()

    def two_qemus_and_a_monitor(self):
        self.guests = [Guest(self.name, 0, 300)]
        self.peers = [QemuPeer(self.server, "wt-dom-a"),
                      QemuPeer(self.server, "wt-dom-b")]
        return info(self.name)

    def lent_extent(self, j, guest):
        (k,) = [e["extent"] for e in j["extents"] if e.get("guest") == guest
                and e["state"] == "lent"]
        return k

    def test_info_names_each_qemu_guest(self):
        j = self.two_qemus_and_a_monitor()
        owners = {o["guest"]: o for o in j["owners"]}
        for p in self.peers:
            o = owners[p.guest]
            self.assertEqual((o["qemu_pid"], o["domain"], o["extents"],
                              o["mailbox"], o["rooms"]),
                             (p.pid, p.domain, 1, MAILBOX, MAILBOX))
            self.assertEqual(o["pid"], self.server.proc.pid)
        monitor = owners[self.guests[0].guest]
        self.assertEqual((monitor["qemu_pid"], monitor["domain"],
                          monitor["mailbox"]), (None, None, 0))
        status, out, err = run("info", self.name)
        for p in self.peers:
            self.assertIn("guest %d: QEMU pid %d, domain %s, served by pid %d"
                          % (p.guest, p.pid, p.domain, self.server.proc.pid),
                          out)

    def test_map_marks_the_lent_extents_and_names_their_guests(self):
        j = self.two_qemus_and_a_monitor()
        status, out, err = run("map", self.name, env={"COLUMNS": "200"})
        self.assertEqual((status, err), (0, ""))
        row = re.search(r"corridor  0 \|(.*)\|", out).group(1)
        for p in self.peers:
            k = self.lent_extent(j, p.guest)   # one 2 MiB district each
            self.assertEqual(row[2 * k], GLYPHS[p.guest], row)
            self.assertIn("guest %d  QEMU pid %d, domain %s  %d rooms"
                          % (p.guest, p.pid, p.domain, MAILBOX), out)
            self.assertRegex(out, r"lent:.* %d to guest %d" % (k, p.guest))
        status, svg, err = run("map", self.name, "--svg", "-")
        self.assertEqual((status, err), (0, ""))
        rects = ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}rect")
        lent = {}
        for r in rects:
            if r.get("data-lent-to") is not None:
                lent.setdefault(int(r.get("data-lent-to")), []).append(r)
        for p in self.peers:
            self.assertEqual(len(lent[p.guest]), 512)
            free = [r for r in lent[p.guest] if r.get("data-guest") is None]
            self.assertEqual(len(free), 512 - MAILBOX)
            title = free[0].find("{http://www.w3.org/2000/svg}title").text
            self.assertIn("lent to guest %d (QEMU pid %d, domain %s): only "
                          "it claims here" % (p.guest, p.pid, p.domain), title)

    def test_top_shows_qemu_pids_and_lent_extents(self):
        j = self.two_qemus_and_a_monitor()
        status, out, err = run("top", self.name, "--once", "--interval", "0.1")
        self.assertEqual((status, err), (0, ""))
        lines = out.splitlines()
        for p in self.peers:
            (i,) = [i for i, l in enumerate(lines)
                    if l.split()[:2] == [str(p.guest), str(p.pid)]]
            self.assertEqual(lines[i].split()[2], str(MAILBOX))
            self.assertEqual(lines[i + 1].split(), ["domain", p.domain + ",",
                             "extent", str(self.lent_extent(j, p.guest)),
                             "lent,", str(MAILBOX), "rooms", "in", "mailboxes"])

    def test_metrics_label_each_guest_by_its_life(self):
        self.two_qemus_and_a_monitor()
        out, found = metrics(self.name)
        for p in self.peers:
            self.assertEqual(series(found, "labyrinth_guest_rooms",
                                    guest=p.guest, pid=p.pid,
                                    domain=p.domain), [MAILBOX])
        g = self.guests[0]
        self.assertEqual(series(found, "labyrinth_guest_rooms", guest=g.guest,
                                pid=g.pid), [300])
        # The next QEMU in the slot is a series of its own.
        first = self.peers.pop()
        first.stop()
        self.peers.append(QemuPeer(self.server, "wt-dom-c"))
        self.assertEqual(self.peers[-1].guest, first.guest)
        out, found = metrics(self.name)
        self.assertEqual(series(found, "labyrinth_guest_rooms",
                                guest=first.guest), [MAILBOX])
        self.assertEqual(series(found, "labyrinth_guest_rooms", pid=first.pid),
                         [])
        self.assertEqual(series(found, "labyrinth_guest_rooms",
                                pid=self.peers[-1].pid, domain="wt-dom-c"),
                         [MAILBOX])

    def test_promtool_finds_nothing_to_say(self):
        self.two_qemus_and_a_monitor()
        out, _ = metrics(self.name)
        p = subprocess.run(["promtool", "check", "metrics"], input=out,
                           capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))

    def test_the_mailbox_counts_the_same_everywhere(self):
        self.two_qemus_and_a_monitor()
        p = self.peers[0]
        status, out, err = run("limit", self.name, str(p.guest))
        self.assertEqual((status, err), (0, ""))
        self.assertIn("holds %d (%d in its mailbox, outside its max)"
                      % (MAILBOX, MAILBOX), out)
        _, found = metrics(self.name)
        self.assertEqual(series(found, "labyrinth_guest_rooms", guest=p.guest),
                         [MAILBOX])
        self.assertEqual(series(found, "labyrinth_guest_mailbox_rooms",
                                guest=p.guest), [MAILBOX])
        self.peers.remove(p)
        p.proc.stdin.close()
        p.proc.wait(timeout=10)
        line = self.server.wait_for("left: extent")
        self.assertIn("(%d rooms the guest held, its mailbox's %d included)"
                      % (MAILBOX, MAILBOX), line)

    def test_every_info_count_is_a_metric_and_back(self):
        self.two_qemus_and_a_monitor()
        # One guest asked for a size, the others not: both kinds seen.
        status, _, err = run("limit", self.name, str(self.peers[0].guest), "--ask", "0")
        self.assertEqual((status, err), (0, ""))
        j = info(self.name)
        _, found = metrics(self.name)
        paths = {p for p, _ in leaves(j)}
        for path in paths:
            self.assertTrue(path in METRIC_OF or path in NO_COUNT, path)
        self.assertEqual(set(METRIC_OF) | set(NO_COUNT), paths)
        self.assertEqual(set(METRIC_OF.values()), set(found))
        self.check_values(j, found)

    def check_values(self, j, found):
        for path, metric in METRIC_OF.items():
            if "[]." in path:
                continue
            value = j
            for k in path.rstrip("[]").split("."):
                value = value[k]
            if path.endswith("[]"):
                value = len(value)
            self.assertEqual(series(found, metric), [float(value)], path)
        for o in j["owners"]:
            for k in ("pid", "qemu_pid", "max"):
                o[k] = o[k] or 0
            for field in ("pid", "alive", "rooms", "claimed", "released",
                          "refused", "limited", "max", "min", "cached",
                          "qemu_pid", "extents", "mailbox", "held", "unmet"):
                self.assertEqual(series(found, METRIC_OF["owners[]." + field],
                                        guest=o["guest"]),
                                 [float(o[field])], field)
            # no ask is no sample (0 is an ask)
            self.assertEqual(series(found, METRIC_OF["owners[].asked"], guest=o["guest"]),
                             [] if o["asked"] is None else [float(o["asked"])], "asked")
        for c in j["corridors"]:
            for field in ("rooms", "free"):
                self.assertEqual(series(found,
                                        METRIC_OF["corridors[]." + field],
                                        corridor=c["corridor"]),
                                 [c[field]], field)
        for e in j["extents"]:
            k = e["extent"]
            for field in ("rooms", "lendable", "mapped"):
                self.assertEqual(series(found, METRIC_OF["extents[]." + field],
                                        extent=k), [float(e[field])], field)
            self.assertEqual(series(found, "labyrinth_extent_state", extent=k,
                                    state=e["state"]), [1])
            if e["state"] != "pool":
                self.assertEqual(series(found, "labyrinth_extent_claimed_rooms",
                                        extent=k, guest=e["guest"]),
                                 [e["claimed"]])
        for p in j["peers"]:
            self.assertEqual(series(found, "labyrinth_extent_claimed_rooms",
                                    extent=p["extents"][0], pid=p["qemu_pid"],
                                    domain=p["domain"]), [p["rooms"]])


if __name__ == "__main__":
    unittest.main()
