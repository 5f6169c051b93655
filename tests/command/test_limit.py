# SPDX-License-Identifier: MIT
"""`labyrinth limit`: a max below what the guest holds is set, takes
nothing away, and says so in one line; any other change says nothing."""
import os
import unittest

from seeing import Guest, info, run


class Limit(unittest.TestCase):
    def setUp(self):
        self.name = "wt-limit-%d" % os.getpid()
        status, _, err = run("create", self.name, "--rooms", "4096")
        self.assertEqual(status, 0, err)
        self.guest = Guest(self.name, 0, 700)

    def tearDown(self):
        self.guest.stop()
        run("destroy", self.name)

    def limit(self, *args):
        return run("limit", self.name, str(self.guest.guest), *args)

    def test_a_max_below_the_holding_warns_in_one_line(self):
        status, out, err = self.limit("--max", "500")
        self.assertEqual(status, 0, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("holds 700 rooms, above its new max 500", err)
        self.assertIn("none is taken away", err)
        self.assertIn("max 500", out)
        owner = info(self.name)["owners"][0]
        self.assertEqual((owner["max"], owner["rooms"]), (500, 700))

    def test_a_max_at_or_above_the_holding_says_nothing(self):
        for args in (("--max", "700"), ("--max", "900"), ("--max", "none"),
                     ("--min", "10"), ()):
            status, _, err = self.limit(*args)
            self.assertEqual((status, err), (0, ""), args)

    def test_an_ask_is_shown_and_withdrawn(self):
        status, out, err = self.limit("--ask", "300")
        self.assertEqual(status, 0, err)
        # a monitor's guest: nobody passes the ask on, and it is said
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("no QEMU guest of `serve`: the ask is kept, but nothing passes it on",
                      err)
        self.assertIn("asked to hold 300", out)
        owner = info(self.name)["owners"][0]
        self.assertEqual((owner["asked"], owner["held"]), (300, 700))
        status, out, _ = run("info", self.name)
        self.assertIn("asked to hold 300 rooms (1 MiB), holds 700", out)
        status, out, err = self.limit("--ask", "none")
        self.assertEqual((status, err), (0, ""))
        self.assertNotIn("asked", out)
        self.assertIsNone(info(self.name)["owners"][0]["asked"])

    def test_an_ask_of_no_number_or_for_no_guest_is_refused(self):
        status, _, err = self.limit("--ask", "lots")
        self.assertEqual(status, 2, err)
        status, _, err = run("limit", self.name, "5", "--ask", "10")
        self.assertEqual(status, 1, err)
        self.assertIn("no guest holds that lease", err)


if __name__ == "__main__":
    unittest.main()
