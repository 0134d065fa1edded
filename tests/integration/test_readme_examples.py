"""examples/README.md's commands, run as written.

Read from its fenced `sh` blocks at test time and run with bash from the repository root,
each in a network namespace of its own (unshare -n; root only, skipped otherwise), so that
their fixed addresses and ports (dnsd's defaults, 10.0.0.10:8500, HAProxy on 8080) are
free and the README's commands need no change. dnsd is the binary under test ($DNSD_BIN).

- RegisterCommandsTest: both `register.sh` lines register the instance the README says,
  with its address, lease and token, and deregister on Ctrl-C (SIGINT).
- HaproxyCommandTest: the HAProxy line balances to an instance registered with dnsd.
test_example_register.py and test_example_haproxy.py test the two examples in depth.
"""

import os
import signal
import unittest
import urllib.parse

import examples_support as ex
import harness
from harness import poll_until
from test_readme import (REPO, NetnsProcess, TmpTestCase, block, commands, env_prefix,
                         readme_defaults, require_root_netns)

EX_README = os.path.join(REPO, "examples", "README.md")


class NetnsDnsd(NetnsProcess):
    """dnsd ($DNSD_BIN) in a namespace of its own; dns and http as its startup line says."""

    def __init__(self, testcase, args=(), prepare=""):
        super().__init__(testcase, [harness.DNSD_BIN, *args], prepare=prepare, name="dnsd")
        self.line = self.read_until("listening ", harness.STARTUP_TIMEOUT)
        dns, http = self.line.split()[1:]
        self.dns = harness.split_hostport(dns.split("=", 1)[1].split(",")[0])
        self.http = http.split("=", 1)[1].split(",")[0]

    command = NetnsProcess.nsenter  # what examples_support.NetnsBackend calls

    def dig(self, name, qtype, *extra):
        host, port = self.dns
        return self.run(["dig", "@" + host, "-p", str(port), name, qtype, *extra,
                         "+time=2", "+tries=1"]).stdout.decode().split("\n")[:-1]

    def status(self, name, qtype):
        out = self.dig(name, qtype, "+noall", "+comments")
        return next((l.split("status: ")[1].split(",")[0] for l in out if "status: " in l), None)

    def curl(self, method, path, *args):
        """(HTTP status, body) from dnsd's API, inside the namespace."""
        out = self.run(["curl", "-s", "-m", "5", "-X", method, "-w", "\n%{http_code}", *args,
                        "http://%s%s" % (self.http, path)]).stdout.decode()
        body, _, code = out.rpartition("\n")
        return int(code), body

    def spawn(self, command, name):
        """A README line in the background, in this namespace, through bash."""
        proc = ex.Process(self.nsenter(["bash", "-c", command]), cwd=REPO, name=name)
        self.testcase.addCleanup(proc.cleanup)
        return proc

    def stop_ok(self):
        self.testcase.assertEqual(self.stop(), 0, "dnsd exit status; stderr:\n"
                                  + self.stderr_text())


def ran_as(proc, program):
    """True once bash has exec'd the README's command, so that a signal reaches it."""
    try:
        with open("/proc/%d/cmdline" % proc.proc.pid, "rb") as f:
            return program.encode() in f.read()
    except OSError:
        return False


class RegisterCommandsTest(TmpTestCase):
    def setUp(self):
        super().setUp()
        require_root_netns(self)
        harness.require_binary()
        ex.require_tools(self, "bash", "curl", "dig")
        self.lines = commands(block(EX_README, "Self-registration: `register.sh`"))
        self.assertEqual(len(self.lines), 2, self.lines)

    def run_script(self, dnsd, command):
        """Runs the line until the instance is in DNS, then Ctrl-C; returns its address."""
        env, words = env_prefix(command)
        self.assertEqual(words[0], "examples/register.sh", command)
        service, ident, port = words[1:4]
        script = dnsd.spawn(command, "register")
        name = "%s.service.discovery" % service
        addresses = poll_until(lambda: dnsd.dig(name, "A", "+short"), timeout=10,
                               message="%s registered by %r" % (name, command))
        self.assertIn("1 1 %s %s.%s.instance.discovery." % (port, ident, service),
                      dnsd.dig(name, "SRV", "+short"))
        code, body = dnsd.curl("GET", "/v1/services/%s" % service)
        self.assertEqual(code, 200, body)
        self.assertIn('"ttl":%d' % int(env.get("TTL", "10s").rstrip("s")), body)
        self.assertIn("registered %s/%s" % (service, ident), script.output())

        poll_until(lambda: ran_as(script, "register.sh"), timeout=5, message="bash exec")
        self.assertEqual(script.stop(signal.SIGINT), 0, script.output())
        self.assertIn("deregistered %s/%s" % (service, ident), script.output())
        self.assertEqual(dnsd.status(name, "A"), "NXDOMAIN", "deregistered at once")
        return env, addresses

    def test_register_with_the_defaults(self):
        command, _ = self.lines[0]
        _, dns, http = readme_defaults()
        dnsd = NetnsDnsd(self)  # on its defaults, where the script's DNSD default points
        self.assertEqual(dnsd.line, "listening dns=%s http=%s" % (dns, http))
        _, addresses = self.run_script(dnsd, command)
        self.assertEqual(addresses, ["127.0.0.1"], "without ADDRESS: the request's source")
        dnsd.stop_ok()

    def test_register_with_every_setting(self):
        command, _ = self.lines[1]
        env, _ = env_prefix(command)
        url = urllib.parse.urlsplit(env["DNSD"])
        self.assertIn("TOKEN", env)
        config = os.path.join(self.tmp, "dnsd.yaml")
        with open(config, "w") as f:
            f.write('dns:\n  listen: ["127.0.0.1:0"]\nhttp:\n  listen: ["%s"]\n'
                    '  tokens: ["%s"]\n' % (url.netloc, env["TOKEN"]))
        dnsd = NetnsDnsd(self, ["--config", config],
                         prepare="ip addr add %s/32 dev lo" % url.hostname)
        self.assertEqual(dnsd.http, url.netloc)
        # The token is what lets the script in.
        code, _ = dnsd.curl("PUT", "/v1/services/x/instances/x-1", "-d", '{"port":1}')
        self.assertEqual(code, 401)
        _, addresses = self.run_script(dnsd, command)
        self.assertEqual(addresses, [env["ADDRESS"]])
        dnsd.stop_ok()


class HaproxyCommandTest(TmpTestCase):
    def setUp(self):
        super().setUp()
        require_root_netns(self)
        harness.require_binary()
        ex.require_tools(self, "bash", "curl", "haproxy")

    def test_haproxy_line_balances_to_a_registered_instance(self):
        (command, _), = commands(block(EX_README, "HAProxy: `haproxy/haproxy.cfg`"))
        env, words = env_prefix(command)
        self.assertEqual(words[0], "haproxy", command)
        _, dns, _ = readme_defaults()
        dnsd = NetnsDnsd(self)
        self.assertEqual(env["DNSD_DNS"], dns, "HAProxy asks dnsd on its default address")
        backend = ex.NetnsBackend(dnsd, "web-1")
        self.addCleanup(backend.close)
        code, body = dnsd.curl("PUT", "/v1/services/web/instances/web-1", "-d",
                               '{"address":"127.0.0.1","port":%d}' % backend.port)
        self.assertEqual(code, 200, body)

        haproxy = dnsd.spawn(command, "haproxy")
        url = "http://%s/" % env["FRONTEND"]

        def answer():
            if not haproxy.running():
                raise AssertionError("haproxy exited:\n" + haproxy.output())
            out = dnsd.run(["curl", "-s", "-m", "2", url], check=False)
            return out.stdout.decode() == "web-1"

        poll_until(answer, timeout=20, interval=0.2, message="web-1 through " + url)
        poll_until(lambda: ran_as(haproxy, "haproxy"), timeout=5, message="bash exec")
        haproxy.stop()
        dnsd.stop_ok()


if __name__ == "__main__":
    unittest.main()
