# SPDX-License-Identifier: MIT
"""`meson install` into a scratch directory (DESTDIR), then the installed
copy is used as an operator would: both programs run (the monitor boots the
installed demo image), the man pages format without a warning and name
every verb, the bash completion completes verbs, options and names, the
systemd units pass `systemd-analyze verify`, the libvirt hook brings up the
server a domain's XML names (and refuses one it cannot), and the installed
make-domain.sh writes a domain for the installed image."""
import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

ENV = os.environ
SCRATCH = tempfile.mkdtemp(prefix="wt-install-")


def installed(where, *parts):
    """A path of the scratch install: @where is an install dir's option."""
    return os.path.join(SCRATCH + ENV["PREFIX"], ENV[where], *parts) \
        if not ENV[where].startswith("/") else \
        os.path.join(SCRATCH + ENV[where], *parts)


LABYRINTH = installed("BINDIR", "labyrinth")
VMM = installed("BINDIR", "vmm")


def sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def setUpModule():
    p = sh(ENV["MESON"], "install", "-C", ENV["BUILD_ROOT"], "--destdir",
           SCRATCH, "--no-rebuild", "--quiet")
    assert p.returncode == 0, p.stdout + p.stderr


def tearDownModule():
    shutil.rmtree(SCRATCH)


class Programs(unittest.TestCase):
    def test_both_say_the_build_version(self):
        for prog in (LABYRINTH, VMM):
            p = sh(prog, "--version")
            self.assertEqual((p.returncode, p.stderr), (0, ""), prog)
            self.assertEqual(p.stdout.split()[1:],
                             ["(labyrinth)", ENV["PROJECT_VERSION"]])

    def test_the_command_makes_lists_and_destroys(self):
        name = "wt-install-%d" % os.getpid()
        self.assertEqual(sh(LABYRINTH, "create", name, "--rooms",
                            "1024").returncode, 0)
        try:
            self.assertIn(name, sh(LABYRINTH, "list").stdout)
            self.assertIn("1024 rooms", sh(LABYRINTH, "info", name).stdout)
        finally:
            self.assertEqual(sh(LABYRINTH, "destroy", name).returncode, 0)

    def test_the_monitor_boots_the_installed_demo(self):
        p = sh(VMM, "--cpus", "2", "--timeout", "60",
               installed("DATADIR", "labyrinth", "images",
                         "labyrinth-demo.elf"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("violations=0", p.stdout)


class ManPages(unittest.TestCase):
    def test_they_format_cleanly_and_name_every_verb(self):
        for page in ("labyrinth.1", "vmm.1"):
            p = sh("groff", "-man", "-ww", "-z",
                   installed("MANDIR", "man1", page))
            self.assertEqual((p.returncode, p.stderr), (0, ""), page)
        p = sh("man", "-l", installed("MANDIR", "man1", "labyrinth.1"),
               env=dict(ENV, MANWIDTH="200"))
        self.assertEqual(p.returncode, 0, p.stderr)
        verbs = [l.split()[1] for l in sh(LABYRINTH, "--help").stdout
                 .splitlines() if l.startswith("labyrinth ")]
        self.assertGreaterEqual(len(verbs), 12)
        for verb in verbs:
            self.assertIn("labyrinth " + verb, p.stdout)


COMPLETE = """source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _labyrinth
echo "${COMPREPLY[*]}"
"""


class Completion(unittest.TestCase):
    def complete(self, *words):
        env = dict(ENV, PATH=os.path.dirname(LABYRINTH) + ":" + ENV["PATH"])
        p = sh("bash", "-c", COMPLETE, "complete",
               installed("DATADIR", "bash-completion", "completions",
                         "labyrinth"), "labyrinth", *words, env=env)
        self.assertEqual(p.stderr, "")
        return p.stdout.split()

    def test_verbs_options_and_names(self):
        self.assertEqual(self.complete("cr"), ["create"])
        self.assertIn("list", self.complete(""))
        self.assertEqual(self.complete("serve", "x", "--max-r"),
                         ["--max-rooms"])
        self.assertEqual(self.complete("help", "to"), ["top"])
        name = "wt-install-comp-%d" % os.getpid()
        sh(LABYRINTH, "create", name, "--rooms", "512")
        try:
            self.assertEqual(self.complete("info", name[:-2]), [name])
        finally:
            sh(LABYRINTH, "destroy", name)


class Units(unittest.TestCase):
    def test_systemd_verifies_them(self):
        """Verified as installed, but naming the scratch copy's programs
        (systemd checks that ExecStart's program exists)."""
        units = installed("PREFIX_LIB", "systemd", "system")
        names = sorted(os.listdir(units))
        self.assertEqual(names, ["labyrinth-metrics@.service",
                                 "labyrinth-metrics@.timer",
                                 "labyrinth-serve@.service",
                                 "labyrinth@.service"])
        bindir = os.path.dirname(LABYRINTH)
        with tempfile.TemporaryDirectory() as d:
            for n in names:
                with open(os.path.join(units, n)) as f:
                    text = f.read()
                with open(os.path.join(d, n), "w") as f:
                    f.write(text.replace(bindir[len(SCRATCH):] + "/",
                                         bindir + "/"))
            p = sh("systemd-analyze", "verify", "--man=no",
                   *["./" + n for n in names], cwd=d)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))


class Hook(unittest.TestCase):
    def setUp(self):
        self.name = "wt-install-hook-%d" % os.getpid()
        self.run_dir = tempfile.mkdtemp(prefix="wt-install-run-")
        self.sock = os.path.join(self.run_dir, self.name + ".sock")
        self.env = dict(ENV, LABYRINTH_RUNDIR=self.run_dir,
                        LABYRINTH_LOGDIR=self.run_dir, LABYRINTH_BIN=LABYRINTH)

    def tearDown(self):
        for pid in self.servers():
            os.kill(pid, 15)
        sh(LABYRINTH, "destroy", self.name)
        shutil.rmtree(self.run_dir)

    def servers(self):
        """The servers the hook started for our socket (none other)."""
        want = [LABYRINTH, "serve", self.name, "--socket", self.sock]
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid) as f:
                    if f.read().split("\0")[:-1] == want:
                        found.append(int(pid))
            except OSError:
                pass
        return found

    def hook(self):
        """The hook on the installed XML, its socket in our run dir."""
        with open(installed("DATADIR", "labyrinth", "libvirt",
                            "labyrinth.xml")) as f:
            xml = f.read().replace("/run/labyrinth/labyrinth.sock",
                                   self.sock)
        return sh(installed("SYSCONFDIR", "libvirt", "hooks", "qemu.d",
                            "labyrinth"), "dom", "prepare", "begin", "-",
                  input="<domain><devices>%s</devices></domain>" % xml,
                  env=self.env)

    def test_it_starts_the_server_once(self):
        sh(LABYRINTH, "create", self.name, "--rooms", "1024")
        for _ in range(2):
            p = self.hook()
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            self.assertEqual(len(self.servers()), 1)
        self.assertTrue(os.path.exists(self.sock))

    def test_no_server_refuses_the_domain_in_one_line(self):
        p = self.hook()
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("no labyrinth of that name", p.stderr)
        self.assertIn("no server for labyrinth '%s'" % self.name, p.stderr)


class MakeDomain(unittest.TestCase):
    def test_it_writes_a_domain_for_the_installed_image(self):
        image = installed("DATADIR", "labyrinth", "images", "guest-tests.elf")
        p = sh(installed("DATADIR", "labyrinth", "libvirt", "make-domain.sh"),
               image)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(ET.fromstring(p.stdout).find("os/kernel").text,
                         image)


if __name__ == "__main__":
    unittest.main()
