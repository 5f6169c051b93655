# SPDX-License-Identifier: MIT
"""`labyrinth map`: the terminal picture (owner and fill per district,
grouping, colour only on a terminal without NO_COLOR), the SVG (XML, one
square per room with the owner the census reports) and the errors."""
import os
import pty
import subprocess
import unittest
import xml.etree.ElementTree as ET

from seeing import (BIN, DISTRICT, GLYPHS, Guest, a_labyrinth, cell,
                    corridor_starts, info, owners, run)

SVG = "{http://www.w3.org/2000/svg}"


def rows(text):
    """corridor -> the cells of its row, two characters each."""
    out = {}
    for line in text.splitlines():
        if line.startswith("corridor ") and "|" in line:
            k = int(line.split("|")[0].split()[1])
            body = line.split("|")[1]
            out[k] = [body[i:i + 2] for i in range(0, len(body), 2)]
    return out


class Map(unittest.TestCase):
    rooms, corridors = 5000, 3

    def setUp(self):
        self.name = a_labyrinth(self, "test-see-map", "--rooms", str(self.rooms),
                                "--corridors", str(self.corridors))
        self.guests = [Guest(self.name, 1, 700, release=100),
                       Guest(self.name, 2, 300),
                       Guest(self.name, 1, 200)]
        self.own = owners(self.rooms, self.guests)

    def tearDown(self):
        for g in self.guests:
            g.stop()

    def expected(self, per_cell):
        starts = corridor_starts(self.rooms, self.corridors)
        want = {}
        for k in range(self.corridors):
            want[k] = [cell(self.rooms, self.own, d,
                            min(d + per_cell, starts[k + 1]))
                       for d in range(starts[k], starts[k + 1], per_cell)]
        return want

    def test_cells_owner_and_fill(self):
        status, out, err = run("map", self.name)
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(rows(out), self.expected(1), out)
        self.assertIn("one cell = 1 district (2 MiB)", out)
        self.assertNotIn("\033[", out, "colour without a terminal")

    def test_legend_names_each_guest(self):
        _, out, _ = run("map", self.name)
        census = {o["guest"]: o for o in info(self.name)["owners"]}
        for g in self.guests:
            line = "  %s   guest %d  pid %d  %d rooms" % (
                GLYPHS[g.guest], g.guest, g.pid, census[g.guest]["rooms"])
            self.assertIn(line, out)
            self.assertEqual(census[g.guest]["rooms"], len(g.rooms))

    def test_big_labyrinth_groups_districts(self):
        # 26 columns make the narrowest row, 8 cells: 10 districts in one
        # corridor do not fit, so two districts share a cell.
        one = "test-see-map1-%d" % os.getpid()
        self.assertEqual(run("create", one, "--rooms", "5000")[0], 0)
        try:
            g = Guest(one, 0, 1500, release=0)
            own = owners(5000, [g])
            _, out, _ = run("map", one, env={"COLUMNS": "26"})
            g.stop()
        finally:
            run("destroy", one)
        self.assertIn("one cell = 2 districts (4 MiB)", out)
        want = [cell(5000, own, d, min(d + 2, 10)) for d in range(0, 10, 2)]
        self.assertEqual(rows(out), {0: want}, out)

    def in_pty(self, env):
        """The map as a terminal shows it."""
        env = dict({k: v for k, v in os.environ.items() if k != "NO_COLOR"},
                   **env)
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([BIN, "map", self.name], stdout=slave,
                                 stderr=slave, env=env)
            os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            self.assertEqual(p.wait(timeout=10), 0)
        finally:
            os.close(master)
        return out.decode()

    def test_colour_on_a_terminal_only_without_no_color(self):
        self.assertIn("\033[48;5;", self.in_pty({"COLUMNS": "80"}))
        plain = self.in_pty({"NO_COLOR": "1", "COLUMNS": "80"})
        self.assertNotIn("\033[", plain)
        self.assertEqual(rows(plain.replace("\r", "")), self.expected(1))

    def test_svg_one_square_per_room_with_its_owner(self):
        path = "/tmp/test-see-%d.svg" % os.getpid()
        try:
            status, out, err = run("map", self.name, "--svg", path)
            self.assertEqual((status, out, err), (0, "", ""))
            root = ET.parse(path).getroot()
        finally:
            if os.path.exists(path):
                os.unlink(path)
        self.assertEqual(root.tag, SVG + "svg")
        squares = [r for r in root.iter(SVG + "rect")
                   if r.get("class") == "room"]
        self.assertEqual(len(squares), self.rooms)
        seen = {}
        for r in squares:
            room = int(r.get("data-room"))
            guest = r.get("data-guest")
            self.assertEqual(guest, None if room not in self.own
                             else str(self.own[room]), "room %d" % room)
            title = r.find(SVG + "title").text
            self.assertTrue(title.startswith("room %d, district %d, "
                                             % (room, room // DISTRICT)))
            self.assertIn("free" if guest is None else "guest " + guest,
                          title)
            if guest is not None:
                seen[int(guest)] = seen.get(int(guest), 0) + 1
        census = {o["guest"]: o["rooms"] for o in info(self.name)["owners"]}
        self.assertEqual(seen, census)
        self.assertEqual(sorted(set(r.get("data-room") for r in squares)),
                         sorted(str(i) for i in range(self.rooms)))

    def test_svg_of_a_big_labyrinth_has_a_square_per_district(self):
        big = "test-see-big-%d" % os.getpid()
        rooms = 40 * DISTRICT
        self.assertEqual(run("create", big, "--rooms", str(rooms),
                             "--corridors", "2")[0], 0)
        try:
            g = Guest(big, 1, 600)
            status, out, _ = run("map", big, "--svg", "-")
            g.stop()
        finally:
            run("destroy", big)
        self.assertEqual(status, 0)
        root = ET.fromstring(out)
        cells = [r for r in root.iter(SVG + "rect")
                 if r.get("class") == "district"]
        self.assertEqual(len(cells), 40)
        own = owners(rooms, [g])
        for r in cells:
            d = int(r.get("data-district"))
            held = sum(1 for x in range(d * DISTRICT, (d + 1) * DISTRICT)
                       if x in own)
            self.assertEqual(r.get("data-guest"),
                             str(g.guest) if held else None)
            self.assertIn(", %d of 512 rooms claimed" % held,
                          r.find(SVG + "title").text)


class MapErrors(unittest.TestCase):
    def test_no_such_labyrinth(self):
        status, out, err = run("map", "test-see-none-%d" % os.getpid())
        self.assertEqual((status, out), (3, ""))
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("map", err)

    def test_bad_option_and_missing_name(self):
        for args in (["map", "x", "--bogus"], ["map"], ["map", "--svg"],
                     ["map", "a", "b"]):
            status, _, err = run(*args)
            self.assertEqual(status, 2, args)
            self.assertEqual(len(err.splitlines()), 1, err)

    def test_unwritable_svg(self):
        name = "test-see-svgerr-%d" % os.getpid()
        self.assertEqual(run("create", name, "--rooms", "512")[0], 0)
        try:
            status, _, err = run("map", name, "--svg",
                                 "/nonexistent/dir/map.svg")
        finally:
            run("destroy", name)
        self.assertEqual(status, 1)
        self.assertEqual(err, "labyrinth: map: cannot write "
                         "'/nonexistent/dir/map.svg': No such file or "
                         "directory\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
