"""dnsd as the only resolver of a system: glibc (getent) through resolv.conf.

Runs in a network namespace of its own (root only): dnsd on 127.0.0.1:53 inside it,
dnsmasq on 127.0.0.2:53 as the upstream, and /etc/netns/NAME/resolv.conf, which
`ip netns exec` mounts over /etc/resolv.conf for every command it runs there.
"""

import os
import secrets
import shutil
import subprocess
import unittest

import harness
from harness import Dnsd, poll_until

UPSTREAM = "127.0.0.2"


def run(cmd, timeout=15):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)


class ResolvConfTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        if os.geteuid() != 0:
            self.skipTest("needs root: creates a network namespace (ip netns add)")
        for tool in ("ip", "getent", "dnsmasq", "curl"):
            if not shutil.which(tool):
                self.skipTest("%s is not installed" % tool)
        self.ns = "dnsd-test-%d-%s" % (os.getpid(), secrets.token_hex(3))
        out = run(["ip", "netns", "add", self.ns])
        if out.returncode != 0:
            self.skipTest("ip netns add failed: %s" % out.stdout.decode().strip())
        self.etc = os.path.join("/etc/netns", self.ns)
        self.addCleanup(self.delete_namespace)
        # getaddrinfo's AI_ADDRCONFIG (getent ahosts uses it) ignores 127.0.0.1 and ::1: give
        # the namespace one more address of each family, or glibc would not even ask.
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"],
                    ["ip", "-6", "addr", "add", "2001:db8:ffff::1/128", "dev", "lo"]):
            out = run(["ip", "netns", "exec", self.ns] + cmd)
            self.assertEqual(out.returncode, 0, out.stdout)
        os.makedirs(self.etc)
        self.write_resolv_conf(["127.0.0.1", UPSTREAM])
        self.dnsmasq = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "dnsmasq", "--no-daemon", "--no-resolv",
             "--no-hosts", "--listen-address=" + UPSTREAM, "--port=53", "--bind-interfaces",
             "--address=/upstream.test/127.0.0.9"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop_dnsmasq)
        poll_until(self.dnsmasq_answers, timeout=5, message="dnsmasq in the namespace")

    def dnsmasq_answers(self):
        try:
            return harness.dig(UPSTREAM, 53, "a.upstream.test", netns=self.ns).status == "NOERROR"
        except AssertionError:  # no answer yet
            return False

    def write_resolv_conf(self, nameservers):
        text = "".join("nameserver %s\n" % n for n in nameservers)
        text += "search service.discovery\noptions attempts:1 timeout:2\n"
        with open(os.path.join(self.etc, "resolv.conf"), "w") as f:
            f.write(text)

    def stop_dnsmasq(self):
        if self.dnsmasq.poll() is None:
            self.dnsmasq.terminate()
            try:
                self.dnsmasq.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.dnsmasq.kill()
                self.dnsmasq.wait(timeout=5)

    def delete_namespace(self):
        run(["ip", "netns", "delete", self.ns])
        shutil.rmtree(self.etc, ignore_errors=True)

    def start_dnsd(self, upstream):
        d = Dnsd(netns=self.ns, dns_listen=("127.0.0.1:53",), http_listen=("127.0.0.1:0",),
                 args=["--upstream", upstream])
        self.addCleanup(d.cleanup)
        return d

    def getent(self, *args):
        out = run(["ip", "netns", "exec", self.ns, "getent", *args])
        return out.returncode, out.stdout.decode()

    def test_glibc_resolves_registered_and_forwarded_names(self):
        # "system": the namespace's resolv.conf minus dnsd itself, i.e. dnsmasq.
        d = self.start_dnsd("system").start()
        self.assertEqual(d.dns, [("127.0.0.1", 53)])
        d.register("api", "a1", address="10.0.0.1", port=8080)
        d.register("api", "a2", address="2001:db8::2", port=8080)

        code, out = self.getent("ahosts", "api.service.discovery")
        self.assertEqual(code, 0, out)
        self.assertIn("10.0.0.1", out)
        self.assertIn("2001:db8::2", out)
        # Short name through the search list; getent hosts asks for AAAA first.
        code, out = self.getent("hosts", "api")
        self.assertEqual(code, 0, out)
        self.assertIn("2001:db8::2", out)
        self.assertIn("api.service.discovery", out)
        code, out = self.getent("ahostsv4", "api")
        self.assertEqual(code, 0, out)
        self.assertEqual({line.split()[0] for line in out.splitlines()}, {"10.0.0.1"})
        # A name only the upstream knows.
        code, out = self.getent("ahostsv4", "www.upstream.test")
        self.assertEqual(code, 0, out)
        self.assertIn("127.0.0.9", out)
        # Unknown everywhere: glibc gives up (exit 2), it does not hang or loop.
        code, out = self.getent("hosts", "nothing-here.invalid")
        self.assertEqual(code, 2, out)
        # An instance that goes away leaves glibc's answers at once (no cache here).
        self.assertEqual(d.deregister("api", "a1"), 200)
        code, out = self.getent("ahostsv4", "api")
        self.assertNotEqual(code, 0, out)
        d.stop_ok(self)

    def test_explicit_upstream_in_the_namespace(self):
        d = self.start_dnsd(UPSTREAM).start()
        code, out = self.getent("ahostsv4", "x.upstream.test")
        self.assertEqual(code, 0, out)
        self.assertIn("127.0.0.9", out)
        d.stop_ok(self)

    def test_system_upstreams_that_are_only_dnsd_itself_is_a_startup_error(self):
        self.write_resolv_conf(["127.0.0.1"])
        d = self.start_dnsd("system")
        with self.assertRaises(AssertionError):
            d.start()
        self.assertNotEqual(d.proc.returncode, 0)
        self.assertIn("system", d.stderr_text())


if __name__ == "__main__":
    unittest.main()
