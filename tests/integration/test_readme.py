"""README.md's commands, run as written.

The commands are read from README.md's fenced `sh` blocks at test time, so the README and
the test cannot drift apart.

- ThirtySecondsTest: in a network namespace of its own (unshare -n; root only, skipped
  otherwise), so that the README's fixed ports are free, runs the README's run command
  (`./.ci/run-dnsd`: .ci/setup, then dnsd on its defaults) and then every line of the
  "Thirty seconds with dnsd" block, with the real curl and dig, checking what each
  line's comment promises. The block's `sleep 11` is the lease lapsing, honoured.
- RunDnsdArgumentsTest: `./.ci/run-dnsd ARGS` hands ARGS to dnsd.
- ReadmeTextTest: the synopsis under "Running it" names exactly the options of
  `dnsd --help`, and every `sh` block of README.md and examples/**/README.md is either
  run by a test (COVERED) or says in its first line that the test suite does not run it.

.ci/setup is run with CI unset (it reinstalls every package under CI=true) and must find
every package of .ci/packages installed and build/ configured: the test never installs
packages, and its build is the no-op rebuild of an up-to-date build/ (3 s).
"""

import glob
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from digtool import parse_dig

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README = os.path.join(REPO, "README.md")
SETUP_TIMEOUT = 240  # .ci/setup: cmake configure and an up-to-date build take ~3 s
COMMAND_TIMEOUT = 30  # one README line; the longest is `sleep 11; dig ...`
NOT_RUN_MARK = "not run by the test suite"

# sh blocks (file, heading) that tests run, and by which test.
COVERED = {
    ("README.md", "Set up (fresh Debian 12, as root or with sudo)"):
        "test_readme.ThirtySecondsTest (./.ci/run-dnsd); ./.ci/run-tests is what CI runs (.ci/run)",
    ("README.md", "Thirty seconds with dnsd"): "test_readme.ThirtySecondsTest",
    ("examples/README.md", "Self-registration: `register.sh`"):
        "test_readme_examples.RegisterCommandsTest",
    ("examples/README.md", "HAProxy: `haproxy/haproxy.cfg`"):
        "test_readme_examples.HaproxyCommandTest",
}


# ---- reading the README ------------------------------------------------------------------

def fenced_blocks(path):
    """[(heading, lang, lines)] for every fenced block, under the nearest heading."""
    blocks, heading, block = [], None, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if block is not None:
                if line.strip() == "```":
                    blocks.append(block)
                    block = None
                else:
                    block[2].append(line)
                continue
            m = re.match(r"#{1,6}\s+(.*)", line)
            if m:
                heading = m.group(1).strip()
                continue
            m = re.match(r"```(\S*)\s*$", line)
            if m:
                block = (heading, m.group(1), [])
    return blocks


def block(path, heading, lang="sh"):
    found = [b[2] for b in fenced_blocks(path) if b[0] == heading and b[1] == lang]
    if len(found) != 1:
        raise AssertionError("%s: expected one ```%s block under %r, found %d"
                             % (path, lang, heading, len(found)))
    return found[0]


def split_comment(line):
    """(code, comment or None): a `#` outside quotes, at the start or after a blank."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), None


def commands(lines):
    """[(command, comment)] of a sh block: continued lines joined, comment lines skipped."""
    out, pending = [], ""
    for line in lines:
        code, comment = split_comment(line)
        if code.endswith("\\"):
            pending += code[:-1].strip() + " "
            continue
        code = (pending + code.strip()).strip()
        pending = ""
        if code:
            out.append((code, comment))
    return out


def env_prefix(command):
    """({NAME: value}, rest) for a command that starts with shell variable assignments."""
    words = shlex.split(command)
    env = {}
    while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


# ---- preconditions and processes in a namespace of their own ------------------------------

def require_root_netns(testcase):
    if os.geteuid() != 0:
        testcase.skipTest("needs root: runs the README's fixed ports in a network namespace "
                          "of its own (unshare -n)")
    for tool in ("unshare", "nsenter", "ip"):
        if not shutil.which(tool):
            testcase.skipTest("%s is not installed (util-linux, iproute2)" % tool)


def require_setup_is_offline(testcase):
    """.ci/setup must neither install packages nor build from scratch here."""
    with open(os.path.join(REPO, ".ci", "packages")) as f:
        packages = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL).stdout.decode().find("ok installed") < 0]
    if missing:
        testcase.skipTest(".ci/packages not all installed (%s): ./.ci/setup would install "
                          "them; run it first" % " ".join(missing))
    cache = os.path.join(REPO, "build", "CMakeCache.txt")
    if not os.path.exists(cache):
        testcase.skipTest("build/ is not configured: ./.ci/run-dnsd would build dnsd from "
                          "scratch; run ./.ci/setup first")
    with open(cache) as f:
        if "CMAKE_BUILD_TYPE:STRING=Release\n" not in f.read():
            testcase.skipTest("build/ is not a Release build: .ci/setup would rebuild it all")


def setup_env():
    env = dict(os.environ)
    env.pop("CI", None)  # under CI=true .ci/setup reinstalls every package
    return env


class NetnsProcess:
    """A command run in a network namespace of its own (unshare -n) with loopback up,
    stdout on a pipe, stderr in a file. run()/start() put more commands in the same
    namespace (nsenter) while it lives. stop() signals the PID and waits, bounded."""

    def __init__(self, testcase, cmd, prepare="", env=None, cwd=REPO, name="netns"):
        self.testcase = testcase
        self.stderr = open(os.path.join(testcase.tmp, "%s.stderr" % name), "w+b")
        script = "ip link set lo up && %s exec \"$@\"" % (prepare + " &&" if prepare else "")
        self.proc = subprocess.Popen(["unshare", "-n", "sh", "-c", script, "sh"] + list(cmd),
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.stdout_text = ""
        testcase.addCleanup(self.cleanup)

    def nsenter(self, cmd):
        return ["nsenter", "--net=/proc/%d/ns/net" % self.pid] + list(cmd)

    def run(self, cmd, timeout=COMMAND_TIMEOUT, env=None, check=True):
        out = subprocess.run(self.nsenter(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, timeout=timeout, cwd=REPO, env=env)
        if check and out.returncode != 0:
            raise AssertionError("%s: exit %d\n%s%s" % (cmd, out.returncode,
                                 out.stdout.decode(), out.stderr.decode()))
        return out

    def sh(self, command, **kw):
        """One README line, through bash as a reader would type it."""
        return self.run(["bash", "-c", command], **kw)

    def read_until(self, prefix, timeout):
        """Reads stdout until a line starting with prefix; returns it (bounded)."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = b""
        while True:
            for line in buf.decode(errors="replace").splitlines(keepends=True):
                if line.startswith(prefix) and line.endswith("\n"):
                    self.stdout_text = buf.decode(errors="replace")
                    return line.strip()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r line within %.0fs; stdout:\n%s\nstderr:\n%s"
                                     % (prefix, timeout, buf.decode(errors="replace"),
                                        self.stderr_text()))
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.proc.wait(timeout=10)
                    raise AssertionError("exited with %s before a %r line; stdout:\n%s\n"
                                         "stderr:\n%s" % (self.proc.returncode, prefix,
                                                          buf.decode(errors="replace"),
                                                          self.stderr_text()))
                buf += chunk

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                raise AssertionError("pid %d did not exit within %.0fs of %s"
                                     % (self.pid, timeout, sig))
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        try:  # what it left in its own session (a build interrupted half-way)
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.stdout.close()
        self.stderr.close()


def listening_line(dns, http):
    return "listening dns=%s http=%s" % (dns, http)


def readme_defaults():
    """(run command, dns, http): the Set up block's run command and the defaults it names."""
    (cmd, comment), = [c for c in commands(block(README, "Set up (fresh Debian 12, as root "
                                                 "or with sudo)")) if "run-dnsd" in c[0]]
    m = re.search(r"DNS (\S+), HTTP ([^\s)]+)", comment or "")
    if not m:
        raise AssertionError("the run command's comment names no defaults: %r" % comment)
    return cmd, m.group(1), m.group(2)


class TmpTestCase(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="dnsd-readme-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name


# ---- the tests -----------------------------------------------------------------------------

class ThirtySecondsTest(TmpTestCase):
    def setUp(self):
        super().setUp()
        require_root_netns(self)
        require_setup_is_offline(self)
        for tool in ("curl", "dig", "bash"):
            if not shutil.which(tool):
                self.skipTest("%s is not installed (see .ci/packages)" % tool)

    def expect(self, command, comment, out):
        """Checks one line's output against what its comment promises."""
        text = out.stdout.decode()
        where = "%s\n-> stdout %r, stderr %r" % (command, text, out.stderr.decode())
        if comment is None:  # no promise but success: curl prints dnsd's JSON answer
            if command.startswith("curl"):
                body = json.loads(text)
                self.assertNotIn("error", body, where)
            return "ok"
        m = re.fullmatch(r"\(empty: (\w+)\)", comment)
        if m:
            self.assertEqual(text, "", where)
            if "dig " in command and "+short" in command:  # and the status it names
                dig = command[command.index("dig "):].replace("+short", "")
                result = parse_dig(self.ns.sh(dig).stdout.decode())[0]
                self.assertEqual(result.answer, [], result)
                self.assertEqual("NODATA" if result.status == "NOERROR" else result.status,
                                 m.group(1), result)
            return "empty"
        fragments = re.findall(r'"[^"]+":"[^"]*"', comment)
        if fragments:
            for fragment in fragments:
                self.assertIn(fragment, text, where)
            return "contains"
        if re.match(r"(\S+=\S+ )*dig ", command):
            self.assertEqual(text.splitlines(), [comment], where)
            return "equals"
        self.fail("README line %r promises %r, which this test cannot check" % (command, comment))

    def test_thirty_seconds_block_as_written(self):
        run_cmd, dns, http = readme_defaults()
        lines = commands(block(README, "Thirty seconds with dnsd"))
        (first, first_comment), rest = lines[0], lines[1:]
        self.assertEqual(first, run_cmd + " &", "the block starts the README's run command")

        self.ns = NetnsProcess(self, shlex.split(run_cmd), env=setup_env(), name="run-dnsd")
        line = self.ns.read_until("listening ", SETUP_TIMEOUT)
        self.assertEqual(line, listening_line(dns, http), "dnsd on the README's defaults")
        setup_output = self.ns.stdout_text + self.ns.stderr_text()
        self.assertNotIn("Reading package lists", setup_output,
                         ".ci/setup ran apt although every package is installed")
        # "# or: PATH": the binary the README offers instead, as the run command built it.
        m = re.fullmatch(r"or: (\S+)", first_comment or "")
        self.assertIsNotNone(m, "comment of %r: %r" % (first, first_comment))
        alternative = os.path.join(REPO, m.group(1))
        self.assertTrue(os.path.isfile(alternative) and os.access(alternative, os.X_OK),
                        "%s is not an executable file" % m.group(1))
        self.assertTrue(os.path.samefile(os.readlink("/proc/%d/exe" % self.ns.pid), alternative),
                        "./.ci/run-dnsd runs " + m.group(1))

        kinds = []
        for command, comment in rest:
            out = self.ns.sh(command)
            kinds.append(self.expect(command, comment, out))
        # The promises the block makes: SRV and A answers, the lapsed instance gone from
        # DNS, and listed as critical.
        self.assertEqual(sorted(set(kinds)), ["contains", "empty", "equals", "ok"], kinds)
        self.assertGreaterEqual(kinds.count("equals"), 2, kinds)

        self.assertEqual(self.ns.stop(), 0, "dnsd's exit status; stderr:\n" + self.ns.stderr_text())


class RunDnsdArgumentsTest(TmpTestCase):
    def test_extra_arguments_reach_dnsd(self):
        """No ports are bound (--check-config), so no namespace is needed."""
        require_setup_is_offline(self)
        run_cmd, _, _ = readme_defaults()
        out = subprocess.run(shlex.split(run_cmd) + [
            "--check-config", "--config", "examples/dnsd.yaml", "--zones", "examples/zones"],
            cwd=REPO, env=setup_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, timeout=SETUP_TIMEOUT)
        text = out.stdout.decode(errors="replace")
        self.assertEqual(out.returncode, 0, text)
        self.assertEqual(text.splitlines()[-1], "config OK", text)
        self.assertNotIn("Reading package lists", text)


class ReadmeTextTest(unittest.TestCase):
    def test_synopsis_names_every_option_of_dnsd_help(self):
        harness.require_binary()
        synopsis = "\n".join(block(README, "Running it", lang=""))
        help_text = subprocess.run([harness.DNSD_BIN, "--help"], stdout=subprocess.PIPE,
                                   timeout=10).stdout.decode()
        in_help = set(re.findall(r"^\s+(?:-\w,)?(--[\w-]+)", help_text, re.M)) - {"--help"}
        self.assertTrue(in_help, help_text)
        self.assertEqual(set(re.findall(r"--[\w-]+", synopsis)), in_help)

    def test_every_sh_block_is_run_or_marked(self):
        readmes = [README] + sorted(glob.glob(os.path.join(REPO, "examples", "**", "README.md"),
                                              recursive=True))
        seen = set()
        for path in readmes:
            rel = os.path.relpath(path, REPO)
            for heading, lang, lines in fenced_blocks(path):
                if lang not in ("sh", "bash", "shell", "console"):
                    continue
                seen.add((rel, heading))
                if (rel, heading) in COVERED:
                    continue
                first = lines[0] if lines else ""
                self.assertTrue(first.startswith("#") and NOT_RUN_MARK in first,
                                "%s, %r: no test runs this block; run it in a test (COVERED) "
                                "or start it with a comment saying it is %s and why"
                                % (rel, heading, NOT_RUN_MARK))
        self.assertEqual(set(COVERED) - seen, set(), "COVERED names blocks that do not exist")

    def test_ci_runs_the_readme_test_command(self):
        tests_cmd = [c for c, _ in commands(block(README, "Set up (fresh Debian 12, as root or "
                                                  "with sudo)")) if "run-tests" in c]
        self.assertEqual(tests_cmd, ["./.ci/run-tests"])
        with open(os.path.join(REPO, ".ci", "run")) as f:
            self.assertIn("exec ./.ci/run-tests\n", f.read())


if __name__ == "__main__":
    unittest.main()
