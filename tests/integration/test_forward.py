"""Forwarding names dnsd is not authoritative for, with dnsmasq as the upstream."""

import shutil
import socket
import struct
import subprocess
import threading
import time
import unittest

import harness
from harness import Dnsd, build_query, parse_message, poll_until

BIG_TXT = ",".join(['"' + "x" * 200 + '"'] * 4)  # ~800 bytes: over 512, under 1232


class Dnsmasq:
    """dnsmasq on 127.0.0.1 and a port picked by binding port 0 first."""

    def __init__(self, *records):
        self.port = harness.free_port()
        self.args = list(records)
        self.proc = None

    def start(self):
        if not shutil.which("dnsmasq"):
            raise unittest.SkipTest("dnsmasq is not installed")
        # dnsmasq binds UDP and TCP on a port that was free a moment ago; another test
        # running in parallel may take it first. Then it exits: try another port.
        errors = []
        for _ in range(5):
            if self._start_once():
                return self
            errors.append(self.proc.stderr.read().decode().strip() or "(no message)")
            self.proc.stderr.close()
            self.port = harness.free_port()
        raise AssertionError("dnsmasq exited 5 times: %s" % "; ".join(errors))

    def _start_once(self):
        self.proc = subprocess.Popen(
            # --no-daemon: no fork, no pid file, no change of user; --log-facility=-:
            # its errors (a port in use) on stderr.
            ["dnsmasq", "--no-daemon", "--log-facility=-", "--no-resolv", "--no-hosts",
             "--listen-address=127.0.0.1", "--port=%d" % self.port, "--bind-interfaces",
             *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def ready():
            try:
                harness.wire_query("127.0.0.1", self.port, build_query("ready.test", "A"),
                                   timeout=0.2)
                return True
            except OSError:
                return self.proc.poll() is not None  # exited: reported by start
        poll_until(ready, timeout=5, message="dnsmasq answering")
        return self.proc.poll() is None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc:
            self.proc.stderr.close()


class FakeUpstream:
    """A UDP upstream that answers every query with one rcode (e.g. SERVFAIL)."""

    def __init__(self, rcode):
        self.rcode = rcode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def serve(self):
        deadline = time.monotonic() + 120  # bounded even if stop() is never called
        while self.running and time.monotonic() < deadline:
            try:
                query, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(query) < 12:
                continue
            self.queries += 1
            flags = 0x8000 | (struct.unpack("!H", query[2:4])[0] & 0x7900) | 0x80 | self.rcode
            end = harness.decode_name(query, 12)[1] + 4
            header = query[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0)
            self.sock.sendto(header + query[12:end], peer)

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class ForwardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binary()
        cls.good = Dnsmasq("--address=/upstream.test/127.0.0.9",
                           "--txt-record=txt.upstream.test,hello world",
                           "--txt-record=big.upstream.test," + BIG_TXT).start()
        cls.refusing = Dnsmasq().start()  # no data, no upstream: REFUSED for everything
        cls.servfail = FakeUpstream(rcode=2)
        # Silent upstream: a socket nobody reads (UDP) and nobody accepts on (TCP).
        cls.silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.silent.bind(("127.0.0.1", 0))
        cls.silent_address = "127.0.0.1:%d" % cls.silent.getsockname()[1]

    @classmethod
    def tearDownClass(cls):
        cls.good.stop()
        cls.refusing.stop()
        cls.servfail.stop()
        cls.silent.close()

    def start_dnsd(self, *upstreams, timeout="300ms"):
        args = []
        for u in upstreams:
            args += ["--upstream", u]
        d = Dnsd(args=args, config="dns:\n  upstream_timeout: %s\n" % timeout).start()
        self.addCleanup(d.cleanup)
        return d

    def stop(self, d):
        d.stop_ok(self)

    def test_answer_passes_through_with_ra_and_the_clients_id_and_case(self):
        d = self.start_dnsd(self.good.address)
        name = "Foo.UpStream.TEST"
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                raw = d.query(name, "A", tcp=tcp, qid=0xBEEF, rd=True, edns=(1232, 0))
                msg = parse_message(raw)
                self.assertEqual(msg["id"], 0xBEEF)
                self.assertTrue(msg["ra"])
                self.assertEqual(msg["rcode"], 0)
                self.assertEqual(raw[12:12 + len(harness.encode_name(name))],
                                 harness.encode_name(name))
                self.assertEqual([socket.inet_ntoa(a[4]) for a in msg["answer"]], ["127.0.0.9"])
        for client, tcp in (("dig", False), ("kdig", True)):
            with self.subTest(client=client):
                r = getattr(d, client)("txt.upstream.test", "TXT", tcp=tcp)
                self.assertEqual(r.status, "NOERROR")
                self.assertIn("ra", r.flags)
                self.assertEqual(r.rdata(rtype="TXT"), ['"hello world"'])
        text = d.metrics()
        self.assertGreaterEqual(harness.metric_value(text, "dnsd_dns_forwarded_total"), 4)
        self.assertGreaterEqual(harness.metric_value(
            text, "dnsd_dns_queries_total", {"qtype": "TXT", "rcode": "NOERROR"}), 2)
        self.stop(d)

    def test_truncated_upstream_answer_reaches_the_client_who_retries_over_tcp(self):
        d = self.start_dnsd(self.good.address)
        r = d.dig("big.upstream.test", "TXT", extra=["+noedns", "+ignore"])
        self.assertIn("tc", r.flags)
        r = d.dig("big.upstream.test", "TXT", extra=["+noedns"])  # dig retries over TCP
        self.assertNotIn("tc", r.flags)
        self.assertEqual(len(r.answer), 1)
        self.assertGreater(len(r.answer[0][4]), 800)
        self.stop(d)

    def test_silent_upstream_gives_servfail_in_bounded_time(self):
        d = self.start_dnsd(self.silent_address)
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                start = time.monotonic()
                raw = d.query("www.example.com", "A", tcp=tcp, qid=77, edns=(1232, 0), timeout=5)
                elapsed = time.monotonic() - start
                msg = parse_message(raw)
                self.assertEqual(msg["rcode"], 2)
                self.assertEqual(msg["id"], 77)
                self.assertTrue(msg["ra"])
                self.assertEqual(msg["question"][0][0], "www.example.com.")
                self.assertEqual(msg["additional"][-1][1], 41)  # OPT, as the query had one
                self.assertLess(elapsed, 2.0)
        self.assertGreaterEqual(harness.metric_value(d.metrics(),
                                                     "dnsd_dns_upstream_failures_total"), 2)
        self.stop(d)

    def test_failover_to_the_next_upstream(self):
        cases = [("silent", self.silent_address), ("refused", self.refusing.address),
                 ("servfail", self.servfail.address)]
        for label, first in cases:
            with self.subTest(first=label):
                d = self.start_dnsd(first, self.good.address)
                for tcp in (False, True):
                    raw = d.query("a.upstream.test", "A", tcp=tcp, timeout=5)
                    msg = parse_message(raw)
                    self.assertEqual(msg["rcode"], 0, "tcp=%s" % tcp)
                    self.assertEqual([socket.inet_ntoa(a[4]) for a in msg["answer"]],
                                     ["127.0.0.9"])
                self.stop(d)
        self.assertGreater(self.servfail.queries, 0)

    def test_every_upstream_failing_gives_servfail(self):
        d = self.start_dnsd(self.refusing.address, self.servfail.address)
        r = d.dig("nothing.example", "A")
        self.assertEqual(r.status, "SERVFAIL")
        self.assertIn("ra", r.flags)
        self.stop(d)

    def test_own_names_are_not_forwarded(self):
        d = self.start_dnsd(self.good.address)
        r = d.dig("x.service.discovery", "A")
        self.assertEqual(r.status, "NXDOMAIN")
        self.assertIn("aa", r.flags)
        self.assertEqual(harness.metric_value(d.metrics(), "dnsd_dns_forwarded_total"), 0)
        self.stop(d)

    def test_no_upstreams_means_refused(self):
        d = self.start_dnsd()
        for client, tcp in (("dig", False), ("kdig", True)):
            with self.subTest(client=client):
                r = getattr(d, client)("a.upstream.test", "A", tcp=tcp)
                self.assertEqual(r.status, "REFUSED")
        self.stop(d)

    def test_bad_upstream_is_a_startup_error(self):
        d = Dnsd(args=["--upstream", "not-an-address"])
        self.addCleanup(d.cleanup)
        with self.assertRaises(AssertionError):
            d.start()
        self.assertNotEqual(d.proc.returncode, 0)


if __name__ == "__main__":
    unittest.main()
