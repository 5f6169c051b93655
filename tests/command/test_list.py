# SPDX-License-Identifier: MIT
"""`labyrinth list`: every labyrinth under /dev/shm, with the figures
`info --json` gives, and one this user may not use with the reason."""
import json
import os
import threading
import unittest

from seeing import Guest, info, run


class List(unittest.TestCase):
    def setUp(self):
        self.names = ["wt-list-%d-%s" % (os.getpid(), x) for x in "ab"]
        for n, rooms in zip(self.names, (1024, 3000)):
            status, _, err = run("create", n, "--rooms", str(rooms))
            self.assertEqual(status, 0, err)
        self.guests = [Guest(self.names[1], 0, 300)]

    def tearDown(self):
        for g in self.guests:
            g.stop()
        for n in self.names:
            run("destroy", n)

    def listed(self, env=None):
        status, out, err = run("list", "--json", env=env)
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(len(out.splitlines()), 1, out)
        return {e["name"]: e for e in json.loads(out)["labyrinths"]}

    def test_json_agrees_with_info(self):
        listed = self.listed()
        for n in self.names:
            j = info(n)
            self.assertEqual(listed[n], {"name": n, "rooms": j["rooms"],
                                         "free": j["free"],
                                         "claimed": j["claimed"],
                                         "leases": len(j["owners"])})
        self.assertEqual(listed[self.names[1]]["claimed"], 300)
        names = [e for e in listed]
        self.assertEqual(names, sorted(names))

    def test_plain_has_a_line_each(self):
        status, out, err = run("list")
        self.assertEqual((status, err), (0, ""))
        lines = {l.split()[0]: l.split()[1:] for l in out.splitlines()[1:]}
        self.assertEqual(out.split("\n")[0].split(),
                         ["NAME", "ROOMS", "FREE", "CLAIMED", "LEASES"])
        self.assertEqual(lines[self.names[0]], ["1024", "1024", "0", "0"])
        self.assertEqual(lines[self.names[1]], ["3000", "2700", "300", "1"])

    def test_a_file_not_trusted_is_listed_with_the_reason(self):
        os.chmod("/dev/shm/labyrinth." + self.names[0], 0o606)
        entry = self.listed()[self.names[0]]
        self.assertEqual(set(entry), {"name", "error"})
        self.assertIn("not writable by others", entry["error"])
        out = run("list")[1]
        self.assertIn("(refused: ", out)

    def test_a_destroyed_labyrinth_is_gone_and_extents_are_no_names(self):
        run("destroy", self.names[0])
        listed = self.listed()
        self.assertNotIn(self.names[0], listed)
        self.assertFalse([n for n in listed if "+" in n])

    def test_a_labyrinth_cut_short_while_listed_is_an_entry_not_the_end(self):
        # a hall cut short and made whole again, over and over, while list
        # runs (as the monitor's hostile tests do beside it): each list
        # ends with status 0 and lists the others, whatever it met
        name = "wt-list-%d-cut" % os.getpid()
        self.names.append(name)
        self.assertEqual(run("create", name, "--rooms", str(1 << 18))[0], 0)
        hall = "/dev/shm/labyrinth." + name
        with open(hall, "rb") as f:
            whole = f.read()
        stop = threading.Event()

        def cut():
            fd = os.open(hall, os.O_WRONLY)
            while not stop.is_set():
                os.ftruncate(fd, 4096)
                os.pwrite(fd, whole, 0)
            os.close(fd)
        cutter = threading.Thread(target=cut)
        cutter.start()
        # Under AddressSanitizer: a cut that lands inside lab_open leaves
        # its half-made labyrinth to the process's exit (list goes on past
        # it), and SIGBUS stays list's own to take.
        asan = {"ASAN_OPTIONS": "detect_leaks=0:handle_sigbus=0"}
        try:
            for _ in range(200):
                listed = self.listed(asan)
                self.assertEqual(listed[self.names[0]]["rooms"], 1024)
        finally:
            stop.set()
            cutter.join()

    def test_a_name_is_a_usage_error(self):
        status, out, err = run("list", self.names[0])
        self.assertEqual((status, out), (2, ""))
        self.assertEqual(len(err.splitlines()), 1, err)


if __name__ == "__main__":
    unittest.main()
