"""dnsd as a running DNS server: repeated questions across registry changes (the answer
cache), TCP connection limits, zone reload on SIGHUP, and exit on signals."""

import os
import signal
import socket
import struct
import time
import unittest

import harness
from harness import Dnsd, build_query, parse_message, poll_until, recv_frame, tcp_frame


class RepeatedQueriesTest(unittest.TestCase):
    """The same questions asked again and again (answered from the worker's answer cache
    after the first two) follow every registry change at once."""

    CONFIG = """
dns:
  workers: 1
"""

    def setUp(self):
        self.dnsd = Dnsd(config=self.CONFIG).start()
        self.addCleanup(self.dnsd.cleanup)

    def tearDown(self):
        self.dnsd.stop_ok(self)

    def ask(self, name, qtype, times=4):
        """The answers to `times` identical queries; all of them must agree."""
        seen = []
        for _ in range(times):
            m = parse_message(self.dnsd.query(name, qtype))
            self.assertTrue(m["aa"], m)
            self.assertEqual(m["question"][0][0], name + ".", "question case echoed")
            seen.append((m["rcode"], sorted(r[4] for r in m["answer"]),
                         sorted(r[3] for r in m["answer"])))
        self.assertEqual(len(set((rc, tuple(a), tuple(t)) for rc, a, t in seen)), 1, seen)
        return seen[0]

    def addresses(self, name="Cached.service.discovery"):
        rcode, rdata, _ = self.ask(name, "A")
        return rcode, sorted(socket.inet_ntoa(r) for r in rdata)

    def test_answers_follow_each_change(self):
        d = self.dnsd
        d.register("cached", "c1", address="10.7.0.1", port=80, ttl="1m")
        d.register("cached", "c2", address="10.7.0.2", port=80, ttl="1m")
        self.assertEqual(self.addresses(), (0, ["10.7.0.1", "10.7.0.2"]))
        self.assertEqual(self.addresses("cACHED.SERVICE.discovery"), (0, ["10.7.0.1", "10.7.0.2"]))

        d.register("cached", "c3", address="10.7.0.3", port=80)
        self.assertEqual(self.addresses(), (0, ["10.7.0.1", "10.7.0.2", "10.7.0.3"]))

        self.assertEqual(d.heartbeat("cached", "c2", status="warning"), 200)
        self.assertEqual(self.addresses(), (0, ["10.7.0.1", "10.7.0.3"]))

        status, _, _ = d.request("PUT", "/v1/services/cached/instances/c1/status",
                                 {"status": "maintenance"})
        self.assertEqual(status, 200)
        self.assertEqual(self.addresses(), (0, ["10.7.0.3"]))

        # SRV: a re-registration with another port shows its new port.
        _, before, _ = self.ask("cached.service.discovery", "SRV")
        d.register("cached", "c3", address="10.7.0.3", port=81)
        _, after, _ = self.ask("cached.service.discovery", "SRV")
        self.assertEqual([struct.unpack("!HHH", r[:6])[2] for r in before], [80])
        self.assertEqual([struct.unpack("!HHH", r[:6])[2] for r in after], [81])

        self.assertEqual(d.deregister("cached", "c3"), 200)
        self.assertEqual(self.addresses(), (0, []))  # no healthy instance: NODATA
        d.deregister("cached", "c1")
        d.deregister("cached", "c2")
        self.assertEqual(self.addresses(), (3, []))  # gone: NXDOMAIN
        # The repeats were served by the cache, and each change rebuilt entries.
        text = d.metrics()
        self.assertGreater(harness.metric_value(text, "dnsd_dns_answer_cache_hits_total"), 10)
        self.assertGreater(harness.metric_value(text, "dnsd_dns_answer_cache_builds_total"), 5)

    def test_other_services_keep_their_answers(self):
        d = self.dnsd
        d.register("left", "l1", address="10.8.0.1", port=80)
        d.register("right", "r1", address="10.8.1.1", port=80)
        self.assertEqual(self.addresses("left.service.discovery"), (0, ["10.8.0.1"]))
        self.assertEqual(self.addresses("right.service.discovery"), (0, ["10.8.1.1"]))
        d.register("right", "r2", address="10.8.1.2", port=80)
        self.assertEqual(self.addresses("left.service.discovery"), (0, ["10.8.0.1"]))
        self.assertEqual(self.addresses("right.service.discovery"), (0, ["10.8.1.1", "10.8.1.2"]))
        # A name that did not exist, asked repeatedly, appears once registered.
        self.assertEqual(self.addresses("late.service.discovery"), (3, []))
        d.register("late", "x1", address="10.8.2.1", port=80)
        self.assertEqual(self.addresses("late.service.discovery"), (0, ["10.8.2.1"]))


class TcpLimitsTest(unittest.TestCase):
    CONFIG = """
dns:
  tcp_idle_timeout: 300ms
  tcp_max_connections: 2
  workers: 2
"""

    def setUp(self):
        self.dnsd = Dnsd(config=self.CONFIG).start()
        self.addCleanup(self.dnsd.cleanup)

    def tearDown(self):
        self.dnsd.stop_ok(self)

    def connect_and_ask(self):
        s = socket.create_connection(self.dnsd.dns[0], timeout=3)
        s.sendall(tcp_frame(build_query("x.service.discovery", "A", qid=1)))
        self.assertEqual(parse_message(recv_frame(s))["rcode"], 3)
        return s

    def test_idle_connection_is_closed(self):
        s = self.connect_and_ask()
        start = time.monotonic()
        with s:
            s.settimeout(3)
            try:
                data = s.recv(1)
            except ConnectionResetError:
                data = b""
        self.assertEqual(data, b"")
        self.assertGreater(time.monotonic() - start, 0.2)
        self.assertLess(time.monotonic() - start, 2.0)

    def test_connections_beyond_the_cap_are_closed_at_once(self):
        a = self.connect_and_ask()
        b = self.connect_and_ask()
        with a, b, socket.create_connection(self.dnsd.dns[0], timeout=3) as c:
            try:
                c.sendall(tcp_frame(build_query("x.service.discovery", "A")))
                data = c.recv(1)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            self.assertEqual(data, b"")
        rejected = harness.metric_value(self.dnsd.metrics(),
                                        "dnsd_dns_tcp_connections_rejected_total")
        self.assertGreaterEqual(rejected, 1)

        # Once the others are gone, a new connection is served again.
        def served():
            try:
                with self.connect_and_ask():
                    return True
            except (ConnectionError, AssertionError, socket.timeout, struct.error):
                return False

        poll_until(served, timeout=3, interval=0.05, message="a connection under the cap")


class ZoneReloadTest(unittest.TestCase):
    def setUp(self):
        self.dnsd = Dnsd()
        self.addCleanup(self.dnsd.cleanup)
        self.zones = os.path.join(self.dnsd.workdir.name, "zones")
        os.mkdir(self.zones)
        self.write("origin: internal.example.\nttl: 300\nrecords:\n"
                   "  - {name: db, type: A, data: 10.0.0.5}\n")
        self.dnsd.args += ["--zones", self.zones]
        self.dnsd.start()

    def write(self, text):
        path = os.path.join(self.zones, "internal.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def answer(self):
        return self.dnsd.dig("db.internal.example", "A").rdata(rtype="A")

    def test_sighup_reloads_and_a_broken_file_keeps_the_old_data(self):
        self.assertEqual(self.answer(), ["10.0.0.5"])
        self.write("origin: internal.example.\nttl: 300\nrecords:\n"
                   "  - {name: db, type: A, data: 10.0.0.6}\n")
        self.dnsd.proc.send_signal(signal.SIGHUP)
        poll_until(lambda: self.answer() == ["10.0.0.6"], message="reloaded zone")
        self.write("origin: internal.example.\nrecords: [ {name: db, type: A, data: nope\n")
        self.dnsd.proc.send_signal(signal.SIGHUP)
        poll_until(lambda: "zone reload" in self.dnsd.stderr_text(), message="reload error logged")
        self.assertEqual(self.answer(), ["10.0.0.6"])
        self.dnsd.stop_ok(self)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_and_sigint_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig), Dnsd() as d:
                d.register("web", "w1", address="10.0.0.1", port=80)
                s = socket.create_connection(d.dns[0], timeout=3)  # an open TCP client
                start = time.monotonic()
                self.assertEqual(d.stop(sig), 0, d.stderr_text())
                self.assertLess(time.monotonic() - start, 5.0)
                s.close()

    def test_version_and_check_config(self):
        harness.require_binary()
        import subprocess
        out = subprocess.run([harness.DNSD_BIN, "--version"], capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout.decode(), r"^dnsd \S+")
        with Dnsd(config="dns:\n  ttl: 7\n") as d:
            path = os.path.join(d.workdir.name, "dnsd.yaml")
            out = subprocess.run([harness.DNSD_BIN, "--check-config", "--config", path],
                                 capture_output=True, timeout=10, cwd=d.workdir.name)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(b"config OK", out.stdout)
            with open(path, "w") as f:
                f.write("dns:\n  ttl: many\n  bogus_key: 1\n")
            out = subprocess.run([harness.DNSD_BIN, "--check-config", "--config", path],
                                 capture_output=True, timeout=10, cwd=d.workdir.name)
            self.assertEqual(out.returncode, 1)
            self.assertIn(b"dns.ttl", out.stderr)
            self.assertIn(b"bogus_key", out.stderr)
            out = subprocess.run([harness.DNSD_BIN, "--dns-listen", "nonsense"],
                                 capture_output=True, timeout=10, cwd=d.workdir.name)
            self.assertEqual(out.returncode, 2)
            self.assertTrue(out.stderr)
            d.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
