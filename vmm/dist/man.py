#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""man.py PROGRAM OUTPUT: the man page of the `labyrinth` command or of the
monitor `vmm`, made at build time from the built program's own --help and
--version, so the page says what the program says and cannot drift from
it (README.md's synopses are held to --help by tests/command)."""
import os
import re
import subprocess
import sys

FILES_LABYRINTH = [
    ("/dev/shm/labyrinth.NAME", "the labyrinth's metadata: hall, extent "
     "table, plaque"),
    ("/dev/shm/labyrinth.NAME+K", "its extent K: the rooms"),
    ("/dev/shm/labyrinth.NAME+textfiles", "the textfiles metrics "
     "--textfile wrote for it, which destroy removes"),
]
ENVIRONMENT = [
    ("LABYRINTH_GROUP", "the operators' group (a name or number) whose "
     "members may share a labyrinth file"),
    ("NO_COLOR", "map draws without colour"),
    ("COLUMNS", "the width map fits its rows to"),
]


def roff(text):
    """Text as roff source: backslashes and dashes escaped, a line that
    would start a request guarded."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + l if l[:1] in (".", "'") else l
                     for l in text.split("\n"))


def program_output(program, *args):
    return subprocess.run([program, *args], capture_output=True, text=True,
                          check=True).stdout


def head(name, version, summary):
    return ('.TH %s 1 "" "labyrinth %s" "Labyrinth"\n.SH NAME\n%s \\- %s\n'
            % (name.upper(), version, name, summary))


def section(title, body):
    return ".SH %s\n%s\n" % (title, body)


def pairs(items):
    return "".join(".TP\n.B %s\n%s\n" % (roff(k), roff(v)) for k, v in items)


def verb_blocks(help_text):
    """(synopsis lines, about lines) of each verb in `labyrinth --help`."""
    for block in help_text.split("\n\n"):
        lines = block.split("\n")
        if not lines[0].startswith("labyrinth "):
            continue
        # the about lines are indented 4, a synopsis' continuations more
        about = [l.strip() for l in lines if re.match(r" {4}\S", l)]
        synopsis = [l for l in lines if not re.match(r" {4}\S", l)]
        yield synopsis, about


def labyrinth_page(program, version):
    text = program_output(program, "--help")
    blocks = list(verb_blocks(text))
    synopsis = "".join(".nf\n%s\n.fi\n" % roff("\n".join(s)) for s, _ in blocks)
    verbs = "".join(".TP\n.B %s\n%s\n" % (roff(" ".join(s[0].split()[:2])),
                                          roff(" ".join(a)))
                    for s, a in blocks)
    tail = text.split("\nexit status, every verb:\n", 1)[1]
    statuses, notes = tail.split("\nNAME:", 1)
    return (head("labyrinth", version, "make, share, watch and serve a "
                 "labyrinth of host pages") +
            section("SYNOPSIS", synopsis) +
            section("DESCRIPTION", roff(
                "A labyrinth is a pool of 4 KiB host pages (rooms) in shared "
                "memory that guests of the vmm(1) monitor, and QEMU guests "
                "through labyrinth serve, claim rooms from.  Each verb "
                "explains itself: labyrinth help VERB, or VERB --help.")) +
            section("VERBS", verbs) +
            section("NAMES AND TRUST", roff("NAME:" + notes.rstrip())) +
            section("EXIT STATUS", ".nf\n%s\n.fi" % roff(statuses.rstrip())) +
            section("ENVIRONMENT", pairs(ENVIRONMENT)) +
            section("FILES", pairs(FILES_LABYRINTH)) +
            section("SEE ALSO", ".BR vmm (1)"))


def vmm_page(program, version):
    text = program_output(program, "--help")
    usage, rest = text.split("\n", 1)
    return (head("vmm", version, "boot a kernel on KVM, its page allocator a "
                 "labyrinth") +
            section("SYNOPSIS", ".nf\n%s\n.fi" % roff(usage[len("usage: "):])) +
            section("DESCRIPTION", ".nf\n%s\n.fi" % roff(rest.rstrip())) +
            section("SEE ALSO", ".BR labyrinth (1)"))


def main():
    program, output = sys.argv[1], sys.argv[2]
    version = program_output(program, "--version").split()[-1]
    page = labyrinth_page if os.path.basename(program) == "labyrinth" \
        else vmm_page
    with open(output, "w") as f:
        f.write(page(program, version))


if __name__ == "__main__":
    main()
