"""examples/haproxy/haproxy.cfg against a real HAProxy (Debian 12: 2.6) and dnsd.

HAProxy resolves _web._tcp.service.discovery (SRV, with the A glue in the additional
section) through dnsd and balances over the registered instances: two tiny HTTP
backends that answer with their own name. A deregistered instance stops getting traffic.
Everything on 127.0.0.1; dnsd on port 0, the frontend on a port that was free.
"""

import os
import signal
import subprocess
import unittest

import examples_support as ex
import harness
from harness import Dnsd, poll_until

CONFIG = ex.example_path("haproxy", "haproxy.cfg")
ROUNDS = 12  # requests per look at where traffic goes


class HaproxyExampleTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        ex.require_tools(self, "haproxy", "ss")

    def start_backend(self, name):
        backend = ex.Backend(name)
        self.addCleanup(backend.close)
        return backend

    def start_haproxy(self, dnsd, transport):
        self.frontend = ("127.0.0.1", ex.free_tcp_port())
        env = dict(os.environ,
                   DNSD_DNS="%s%s:%d" % ((transport,) + dnsd.dns[0]),
                   FRONTEND="%s:%d" % self.frontend)
        check = subprocess.run(["haproxy", "-c", "-f", CONFIG], env=env, timeout=15,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(check.returncode, 0, check.stdout.decode())
        self.haproxy = ex.Process(["haproxy", "-db", "-f", CONFIG], env=env, name="haproxy")
        self.addCleanup(self.haproxy.cleanup)

    @staticmethod
    def tcp_connections_to(addr):
        out = subprocess.run(["ss", "-Htn", "state", "established",
                              "( dst %s and dport = :%d )" % addr],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return out.stdout.decode().strip()

    def seen(self):
        """Backend names answering ROUNDS requests through HAProxy."""
        names = []
        for _ in range(ROUNDS):
            status, body = ex.http_get(*self.frontend)
            if not self.haproxy.running():
                raise AssertionError("haproxy exited:\n" + self.haproxy.output())
            if status == 200:
                names.append(body)
        return names

    def test_traffic_follows_registrations_over_udp(self):
        self.traffic_follows_registrations("")

    def test_traffic_follows_registrations_over_tcp(self):
        """The README's advice for large services: nameserver dnsd tcp@ADDR:PORT."""
        self.traffic_follows_registrations("tcp@")

    def traffic_follows_registrations(self, transport):
        a = self.start_backend("backend-a")
        b = self.start_backend("backend-b")
        with Dnsd() as dnsd:
            dnsd.register("web", "a", address="127.0.0.1", port=a.port, ttl="30s")
            dnsd.register("web", "b", address="127.0.0.1", port=b.port, ttl="30s")
            # What HAProxy will read: one SRV per instance, the A glue in additional.
            srv = dnsd.dig("_web._tcp.service.discovery", "SRV")
            self.assertEqual(len(srv.answer), 2, srv)
            self.assertEqual(sorted(srv.rdata("additional", "A")), ["127.0.0.1"] * 2, srv)

            self.start_haproxy(dnsd, transport)
            seen = set()

            def both_reached():
                seen.update(self.seen())
                return seen >= {"backend-a", "backend-b"}

            poll_until(both_reached, timeout=20, interval=0.2,
                       message="traffic through haproxy to both backends")
            self.assertLessEqual(seen, {"backend-a", "backend-b"})
            if transport == "tcp@":
                poll_until(lambda: self.tcp_connections_to(dnsd.dns[0]), timeout=5,
                           message="a TCP connection from haproxy to dnsd")

            self.assertEqual(dnsd.deregister("web", "b"), 200)
            # Slot emptied after `hold obsolete` (5 s) and one resolution (1 s).
            poll_until(lambda: set(self.seen()) == {"backend-a"}, timeout=20, interval=0.2,
                       message="traffic only to backend-a after deregistering b")
            # And it stays so: one more round, all to a.
            self.assertEqual(set(self.seen()), {"backend-a"})
            # HAProxy lived through the change.
            self.assertTrue(self.haproxy.running(), self.haproxy.output())
            dnsd.stop_ok(self)
        # SIGUSR1 is HAProxy's soft stop: finish what runs, exit 0.
        self.assertEqual(self.haproxy.stop(signal.SIGUSR1), 0, self.haproxy.output())


if __name__ == "__main__":
    unittest.main()
