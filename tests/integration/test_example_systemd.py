"""examples/systemd/dnsd.service: systemd accepts it, and dnsd runs within its sandbox.

No systemd runs as PID 1 on the test machines, so the unit is never started:
- UnitFileTest: `systemd-analyze verify` on a copy whose ExecStart names the binary under
  test (verify insists that it exists) must pass without a single message (verify only
  warns, exit status 0, about unknown keys and bad values, so any output is a failure;
  a test feeds it broken copies to show that the check catches them); the unit says
  what the install steps of examples/README.md install; `systemd-analyze security` rates
  its exposure at most EXPOSURE.
- SandboxTest (root; strace, setpriv, unshare): runs the unit's ExecStart as the unit
  would (an unprivileged user, only the unit's capabilities, no_new_privs, umask, the
  configuration the install steps install with DNS moved to port 53), in a network
  namespace of its own, under strace; exercises DNS over UDP and TCP, forwarding, static
  zones, the HTTP API, a lease lapse, the unit's ExecReload and SIGTERM; and checks the
  trace against the unit: every system call within SystemCallFilter, sockets within
  RestrictAddressFamilies, no writable+executable memory (MemoryDenyWriteExecute), no
  namespaces, /proc limited to the process' own (ProcSubset=pid), writes only where
  ProtectSystem=strict and PrivateDevices leave them, nothing under the home directories.
"""

import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import unittest

import examples_support as ex
import harness
from harness import poll_until
from test_readme import block, commands

UNIT = ex.example_path("systemd", "dnsd.service")
EX_README = ex.example_path("README.md")
INSTALL_HEADING = "systemd: `systemd/dnsd.service`"
EXPOSURE = 2.0  # systemd-analyze security's scale: 0 (locked down) .. 10 (unprotected)
USER = 65534  # nobody: stands in for the user DynamicUser= allocates


def unit_settings(text):
    """[(section, key, value)] in file order (units may repeat a key)."""
    out, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            section = m.group(1)
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def values(settings, key, section="Service"):
    return [v for s, k, v in settings if s == section and k == key]


def one(settings, key, section="Service"):
    found = values(settings, key, section)
    if len(found) != 1:
        raise AssertionError("%s= in [%s]: %r" % (key, section, found))
    return found[0]


def read_unit():
    with open(UNIT) as f:
        return f.read()


class UnitFileTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        ex.require_tools(self, "systemd-analyze")
        tmp = tempfile.TemporaryDirectory(prefix="dnsd-systemd-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.text = read_unit()
        self.exec_start = shlex.split(one(unit_settings(self.text), "ExecStart"))

    def copy(self, text):
        """The unit with ExecStart's binary replaced by the one under test."""
        path = os.path.join(self.tmp, "dnsd.service")
        with open(path, "w") as f:
            f.write(text.replace(self.exec_start[0], harness.DNSD_BIN))
        return path

    def verify(self, text):
        out = subprocess.run(["systemd-analyze", "verify", self.copy(text)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return out.returncode, out.stdout.decode(errors="replace").strip()

    def test_systemd_analyze_verify_accepts_the_unit(self):
        self.assertEqual(self.verify(self.text), (0, ""))

    def test_the_check_catches_broken_units(self):
        broken = {
            "unknown key": ("ProtectHome=yes", "ProtectHomes=yes"),
            "bad value": ("ProtectHome=yes", "ProtectHome=maybe"),
            "unknown syscall group": ("@system-service", "@system-services"),
            "missing binary": ("ExecStart=" + self.exec_start[0], "ExecStart=/nonexistent/dnsd"),
        }
        for what, (old, new) in broken.items():
            self.assertIn(old, self.text)
            code, output = self.verify(self.text.replace(old, new))
            self.assertTrue(code != 0 or output, "%s passed systemd-analyze verify" % what)

    def test_unit_runs_what_the_install_steps_install(self):
        settings = unit_settings(self.text)
        self.assertEqual(self.exec_start,
                         ["/usr/local/bin/dnsd", "--config", "/etc/dnsd/dnsd.yaml"])
        self.assertEqual(one(settings, "ExecReload"), "/bin/kill -HUP $MAINPID")
        self.assertEqual(one(settings, "Type"), "simple", "dnsd does not notify")
        self.assertEqual(one(settings, "DynamicUser"), "yes")
        caps = one(settings, "AmbientCapabilities")
        self.assertEqual(caps, "CAP_NET_BIND_SERVICE")
        self.assertEqual(one(settings, "CapabilityBoundingSet"), caps)
        install = " ".join(c for c, _ in commands(block(EX_README, INSTALL_HEADING)))
        for src, dst in (("build/dnsd/dnsd", self.exec_start[0]),
                         ("examples/dnsd.yaml", self.exec_start[2]),
                         ("examples/systemd/dnsd.service", "/etc/systemd/system/")):
            self.assertRegex(install, r"install [^|;&]*%s %s" % (re.escape(src), re.escape(dst)))

    def test_exposure_is_low(self):
        path = self.copy(self.text)
        out = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                              "--threshold=%d" % (EXPOSURE * 10), path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = out.stdout.decode(errors="replace")
        self.assertEqual(out.returncode, 0, text)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)", text)
        self.assertTrue(m and float(m.group(1)) <= EXPOSURE, text)


# ---- the sandbox, from a trace ---------------------------------------------------------------

def syscall_groups():
    """{"@group": {names and @groups}} as systemd-analyze lists them."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, timeout=30, check=True).stdout.decode()
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif not line.startswith(" "):
            current = None  # the trailing list of ungrouped calls
        elif current is not None and not line.strip().startswith("#"):
            current.add(line.strip())
    return groups


def expand(names, groups, seen=()):
    out = set()
    for name in names:
        if name.startswith("@"):
            if name in seen:
                continue
            out |= expand(groups[name], groups, seen + (name,))
        else:
            out.add(name)
    return out


def allowed_syscalls(filters, groups):
    """What SystemCallFilter= lines leave allowed (an allow list first, then ~ removals)."""
    allowed = None
    for f in filters:
        deny = f.startswith("~")
        names = expand(f.lstrip("~").split(), groups)
        if allowed is None:
            allowed = expand(["@known"], groups) - names if deny else names
        else:
            allowed = allowed - names if deny else allowed | names
    return allowed


class Trace:
    """strace -f output from the exec of dnsd on (the setpriv before it is not the unit's)."""

    CALL = re.compile(r"^(\d+) +([a-z_][a-z0-9_]*)\((.*)")

    def __init__(self, path, binary):
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
        start = next(i for i, l in enumerate(lines)
                     if re.match(r'\d+ +execve\("%s",.*= 0$' % re.escape(binary), l))
        self.calls = []  # (name, rest of the line)
        for line in lines[start:]:
            m = self.CALL.match(line)
            if m:
                self.calls.append((m.group(2), m.group(3)))

    def names(self):
        return {name for name, _ in self.calls}

    def matching(self, names, pattern=""):
        return ["%s(%s" % (n, rest) for n, rest in self.calls
                if n in names and re.search(pattern, rest)]

    def paths(self):
        """[(syscall, path, writes)] for every call that names an absolute path."""
        out = []
        for name, rest in self.calls:
            m = re.match(r'(?:AT_FDCWD, |\d+, )?"(/[^"]*)"(.*)', rest)
            if m:
                writes = (name in ("mkdir", "mkdirat", "unlink", "unlinkat", "rename",
                                   "renameat", "renameat2", "creat", "truncate", "symlink",
                                   "symlinkat", "link", "linkat", "chmod", "fchmodat")
                          or bool(re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", m.group(2))))
                out.append((name, m.group(1), writes))
        return out


WRITABLE = ("/dev/", "/tmp/", "/var/tmp/", "/var/lib/dnsd/", "/proc/self/", "/proc/thread-self/")
PRIVATE_DEVICES = re.compile(r"/dev/(null|zero|full|random|urandom|tty|ptmx|pts/.*|shm/.*|"
                             r"mqueue/.*|hugepages/.*|log|stdin|stdout|stderr|fd/.*)$")
OWN_PROC = re.compile(r"/proc(/(self|thread-self|\d+)(/.*)?)?$")


def sanitized(path):
    with open(path, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__ubsan_handle" in data


class SandboxTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        if os.geteuid() != 0:
            self.skipTest("needs root: runs dnsd as another user, in a network namespace")
        ex.require_tools(self, "strace", "setpriv", "unshare", "systemd-analyze", "curl", "dig")
        if sanitized(harness.DNSD_BIN):
            self.skipTest("sanitizer build: ASan/LSan make system calls (ptrace, personality) "
                          "of their own; the unit runs a release build")
        try:
            import yaml  # PyYAML (Debian: python3-yaml)
        except ImportError:
            self.skipTest("PyYAML is not installed (python3-yaml)")
        self.yaml = yaml
        self.settings = unit_settings(read_unit())
        tmp = tempfile.TemporaryDirectory(prefix="dnsd-sandbox-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        os.chmod(self.tmp, 0o755)

    def install(self):
        """The binary and the example configuration, as the install steps put them (DNS
        on port 53, zones in a copy of examples/zones, log.queries on for its code path),
        the configuration root:USER 0640 as the README advises for http.tokens."""
        binary = os.path.join(self.tmp, "dnsd")
        shutil.copy(harness.DNSD_BIN, binary)
        os.chmod(binary, 0o755)
        zones = os.path.join(self.tmp, "zones")
        shutil.copytree(ex.example_path("zones"), zones)
        with open(ex.example_path("dnsd.yaml")) as f:
            config = self.yaml.safe_load(f)
        config["dns"]["listen"] = ["127.0.0.1:53", "[::1]:53"]
        config["zones"]["dir"] = zones
        config["log"]["queries"] = True
        path = os.path.join(self.tmp, "dnsd.yaml")
        with open(path, "w") as f:
            self.yaml.safe_dump(config, f)
        os.chown(path, 0, USER)
        os.chmod(path, 0o640)
        self.token = config["http"]["tokens"][0]
        self.http = config["http"]["listen"][0]
        return binary, path

    def start(self, binary, config):
        exec_start = shlex.split(one(self.settings, "ExecStart"))
        exec_start = [binary] + [config if a == exec_start[2] else a for a in exec_start[1:]]
        caps = ",".join("+" + c.lower().replace("cap_", "")
                        for c in one(self.settings, "AmbientCapabilities").split())
        bounding = ",".join("+" + c.lower().replace("cap_", "")
                            for c in one(self.settings, "CapabilityBoundingSet").split())
        self.assertEqual(one(self.settings, "NoNewPrivileges"), "yes")
        setpriv = ["setpriv", "--reuid=%d" % USER, "--regid=%d" % USER, "--clear-groups",
                   "--inh-caps=-all," + caps, "--ambient-caps=-all," + caps,
                   "--bounding-set=-all," + bounding, "--no-new-privs"]
        self.trace_path = os.path.join(self.tmp, "strace.txt")
        self.log = open(os.path.join(self.tmp, "stderr.log"), "w+b")
        self.addCleanup(self.log.close)
        script = "ip link set lo up && umask %s && exec \"$@\"" % one(self.settings, "UMask")
        self.proc = subprocess.Popen(
            ["unshare", "-n", "sh", "-c", script, "sh", "strace", "-f", "-qq", "-s", "256",
             "-o", self.trace_path] + setpriv + exec_start,
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.addCleanup(self.kill)
        try:
            line = ex.read_line(self.proc, "listening ", timeout=30)
        except AssertionError as e:
            raise AssertionError("%s\ndnsd's stderr:\n%s" % (e, self.log_text()))
        self.assertEqual(line, "listening dns=127.0.0.1:53,[::1]:53 http=%s" % self.http,
                         "port 53 as uid %d with %s only" % (USER, caps))
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
            self.dnsd_pid = int(f.read().split()[0])  # strace's child: setpriv, then dnsd

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()  # strace; it takes its tracee along
            self.proc.wait(timeout=10)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.stdout.close()

    def ns(self, cmd):
        out = subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % self.proc.pid] + cmd,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        return out.stdout.decode(errors="replace").strip()

    def api(self, method, path, body=None):
        cmd = ["curl", "-s", "-m", "5", "-X", method, "-w", " %{http_code}",
               "-H", "Authorization: Bearer " + self.token]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "-d", body]
        body, _, status = self.ns(cmd + ["http://%s%s" % (self.http, path)]).rpartition(" ")
        return status, body

    def dig(self, server, *args):
        return self.ns(["dig", "@" + server, "-p", "53", "+time=3", "+tries=1", *args])

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def exercise(self):
        for ident, ttl in (("api-1", "10s"), ("api-2", "1s")):
            status, body = self.api("PUT", "/v1/services/api/instances/" + ident,
                                    '{"address":"10.0.0.7","port":8080,"ttl":"%s"}' % ttl)
            self.assertEqual(status, "200", body)
        self.assertEqual(self.api("PUT", "/v1/services/api/instances/api-1/heartbeat")[0], "200")
        for path in ("/v1/services/api", "/v1/status", "/metrics", "/healthz", "/readyz"):
            self.assertEqual(self.api("GET", path)[0], "200", path)
        srv = "1 1 8080 api-1.api.instance.discovery."
        self.assertIn(srv, self.dig("127.0.0.1", "api.service.discovery", "SRV", "+short"))
        self.assertIn(srv, self.dig("127.0.0.1", "api.service.discovery", "SRV", "+short",
                                    "+tcp"))
        self.assertIn("status: NOERROR", self.dig("::1", "api.service.discovery", "AAAA"))
        self.assertEqual(self.dig("127.0.0.1", "db.internal.example", "A", "+short"), "10.0.0.5")
        # Forwarded to the example's upstreams, which this namespace cannot reach.
        self.assertIn("status: SERVFAIL", self.dig("127.0.0.1", "example.com", "A"))
        poll_until(lambda: '"status":"critical"' in self.api("GET", "/v1/services/api")[1],
                   timeout=5, message="api-2's lease lapsed")
        reload = one(self.settings, "ExecReload").replace("$MAINPID", str(self.dnsd_pid))
        subprocess.run(shlex.split(reload), check=True, timeout=10)
        poll_until(lambda: "zones reloaded" in self.log_text(), timeout=5,
                   message="zones reloaded after ExecReload")
        self.assertEqual(self.api("DELETE", "/v1/services/api/instances/api-1")[0], "200")
        os.kill(self.dnsd_pid, signal.SIGTERM)  # systemctl stop
        timeout = float(one(self.settings, "TimeoutStopSec").rstrip("s"))
        self.assertEqual(self.proc.wait(timeout=timeout), 0, self.log_text())

    def test_dnsd_serves_within_the_units_sandbox(self):
        binary, config = self.install()
        self.start(binary, config)
        self.exercise()
        trace = Trace(self.trace_path, binary)
        self.assertGreater(len(trace.calls), 100, "the trace holds dnsd's calls")

        allowed = allowed_syscalls(values(self.settings, "SystemCallFilter"), syscall_groups())
        self.assertEqual(trace.names() - allowed, set(), "calls outside SystemCallFilter=")
        families = set(one(self.settings, "RestrictAddressFamilies").split())
        used = {m for c in trace.matching({"socket", "socketpair"})
                for m in re.findall(r"\((AF_\w+)", c)}
        self.assertTrue(used, "dnsd opened no socket?")
        self.assertLessEqual(used, families, "RestrictAddressFamilies=")
        if one(self.settings, "MemoryDenyWriteExecute") == "yes":
            self.assertEqual(trace.matching({"mmap", "mmap2"}, r"PROT_WRITE\|PROT_EXEC|"
                                            r"PROT_EXEC\|PROT_WRITE"), [])
            self.assertEqual(trace.matching({"mprotect", "pkey_mprotect"}, "PROT_EXEC"), [])
        if one(self.settings, "RestrictNamespaces") == "yes":
            self.assertEqual(trace.matching({"clone", "clone3", "unshare", "setns"},
                                            "CLONE_NEW"), [])
            self.assertEqual(trace.matching({"unshare", "setns"}), [])
        if one(self.settings, "LockPersonality") == "yes":
            self.assertEqual(trace.matching({"personality"}, r"^(?!0xffffffff\))"), [])

        paths = trace.paths()
        self.assertIn(config, {p[1] for p in paths}, "the trace names the files dnsd read")
        self.assertEqual([p for p in paths if re.match(r"/(home|root|run/user)(/|$)", p[1])],
                         [], "ProtectHome=")
        if one(self.settings, "ProcSubset") == "pid":
            self.assertEqual([p for p in paths if p[1].startswith("/proc")
                              and not OWN_PROC.match(p[1])], [], "ProcSubset=pid")
        self.assertEqual(one(self.settings, "PrivateDevices"), "yes")
        self.assertEqual([p for p in paths if p[1].startswith("/dev/")
                          and not PRIVATE_DEVICES.match(p[1])], [], "PrivateDevices=")
        self.assertEqual(one(self.settings, "ProtectSystem"), "strict")
        self.assertEqual([p for p in paths if p[2] and not p[1].startswith(WRITABLE)], [],
                         "writes that ProtectSystem=strict forbids")
        self.assertEqual(one(self.settings, "StateDirectory"), "dnsd")


if __name__ == "__main__":
    unittest.main()
