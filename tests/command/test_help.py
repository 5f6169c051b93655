# SPDX-License-Identifier: MIT
"""The command explains itself: every verb's --help gives the synopsis
README.md gives (so the two cannot drift apart), `help VERB` says the same,
every line keeps to 80 columns, --help wins wherever it stands, and
--version is the monitor's version line, the project's version."""
import os
import re
import subprocess
import unittest

from seeing import run

README = os.environ["README"]
SYNOPSIS = re.compile(r"^    \./labyrinth (\S+)(.*)$")
CONTINUED = re.compile(r"^\s{6,}(\[|--)")


def readme_synopses():
    """Verb -> its synopsis' words, from README.md's ./labyrinth lines and
    the indented lines continuing them."""
    found, verb = {}, None
    with open(README) as f:
        for line in f:
            m = SYNOPSIS.match(line)
            if m:
                verb = m.group(1)
                found[verb] = m.group(2).split()
            elif verb and CONTINUED.match(line):
                found[verb] += line.split()
            else:
                verb = None
    return found


def help_synopsis(text, lead):
    """The words after "labyrinth VERB" in the synopsis @text begins with
    (after @lead), its continuation lines included."""
    lines = text.splitlines()
    assert lines[0].startswith(lead + "labyrinth "), lines[0]
    words = lines[0][len(lead):].split()[2:]
    for line in lines[1:]:
        if not CONTINUED.match(line):
            break
        words += line.split()
    return words


def command_verbs():
    """The verbs `labyrinth --help` names, with their synopses."""
    status, out, err = run("--help")
    assert status == 0, err
    blocks = out.split("\n\n")
    return {b.split()[1]: help_synopsis(b, "") for b in blocks
            if b.startswith("labyrinth ")}


class Help(unittest.TestCase):
    def test_every_verb_has_the_readme_synopsis(self):
        readme, verbs = readme_synopses(), command_verbs()
        self.assertEqual(sorted(readme), sorted(verbs))
        self.assertGreaterEqual(len(verbs), 12)
        for verb, words in readme.items():
            status, out, err = run(verb, "--help")
            self.assertEqual((status, err), (0, ""), verb)
            self.assertEqual(help_synopsis(out, "usage: "), words, verb)
            self.assertEqual(verbs[verb], words, verb)
            self.assertIn("exit status:", out)

    def test_help_verb_says_what_verb_help_says(self):
        for verb in command_verbs():
            self.assertEqual(run("help", verb), run(verb, "--help"), verb)
        self.assertEqual(run("help"), run("--help"))

    def test_every_line_keeps_to_80_columns(self):
        for args in [("--help",)] + [(v, "--help") for v in command_verbs()]:
            out = run(*args)[1]
            for line in out.splitlines():
                self.assertLessEqual(len(line), 80, "%s: %r" % (args, line))

    def test_help_wins_wherever_it_stands(self):
        name = "wt-help-%d" % os.getpid()
        for args in [("create", name, "--rooms", "512", "--help"),
                     ("destroy", "-h", name), ("serve", "--bogus", "--help")]:
            status, out, err = run(*args)
            self.assertEqual((status, err), (0, ""), args)
            self.assertTrue(out.startswith("usage: labyrinth " + args[0]), out)
        self.assertEqual(run("info", name)[0], 3, "create --help made it")
        # after "--" it is an argument like any other
        status, _, err = run("info", "--", "--help")
        self.assertEqual(status, 3, err)
        self.assertIn("'--help': no labyrinth of that name", err)

    def test_a_verb_or_help_that_does_not_exist_is_one_line(self):
        for args in [("help", "nope"), ("nope", "--help"), ("help", "info", "x")]:
            status, out, err = run(*args)
            self.assertEqual((status, out), (2, ""), args)
            self.assertEqual(len(err.splitlines()), 1, err)


class Version(unittest.TestCase):
    def test_both_commands_say_the_project_version(self):
        status, out, err = run("--version")
        self.assertEqual((status, err), (0, ""))
        vmm = subprocess.run([os.environ["VMM_BIN"], "--version"],
                             capture_output=True, text=True)
        self.assertEqual(vmm.returncode, 0, vmm.stderr)
        self.assertEqual(out, "labyrinth (labyrinth) %s\n"
                         % os.environ["PROJECT_VERSION"])
        self.assertEqual(vmm.stdout.split()[1:], out.split()[1:])


if __name__ == "__main__":
    unittest.main()
