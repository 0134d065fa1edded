"""SPEC §12 limits on the real binary: http.header_timeout against 1,000 stalled request
heads (on dnsd's fast path and on h2o's connections), http.max_connections and
dns.tcp_max_connections closing what is beyond them at once, and none of them losing a
registration. Traffic to 127.0.0.1 only; every wait is bounded and polls a condition.
"""

import resource
import socket
import time
import unittest

import harness
from harness import Dnsd, build_query, metric_value, parse_message, poll_until, recv_frame, tcp_frame

HALF_HEADS = 1000
H2O_HALF_HEADS = 50  # of them, on connections h2o serves (their first request had a query)


def raise_nofile(wanted):
    """Raises the soft RLIMIT_NOFILE (inherited by dnsd) towards wanted; returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def closed_by_peer(sock):
    """True once the server has closed sock (EOF or reset); False while it is open."""
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def fetch_one(sock, request):
    """Sends one HTTP/1.1 request and reads its whole answer (Content-Length framed)."""
    sock.sendall(request)
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(body) >= length:
                return head.split(b"\r\n")[0]
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    raise AssertionError("no complete answer: %r" % data[:200])


class HeaderTimeoutTest(unittest.TestCase):
    CONFIG = """
http:
  header_timeout: 5s
  max_connections: 4096
"""

    def setUp(self):
        limit = raise_nofile(HALF_HEADS * 2 + 512)
        self.heads = min(HALF_HEADS, limit - 256)
        if self.heads < HALF_HEADS:
            print("RLIMIT_NOFILE is %d: %d half-sent heads instead of %d"
                  % (limit, self.heads, HALF_HEADS))
        self.dnsd = Dnsd(config=self.CONFIG).start()
        self.addCleanup(self.dnsd.cleanup)
        self.socks = []
        self.addCleanup(lambda: [s.close() for s in self.socks])

    def tearDown(self):
        self.dnsd.stop_ok(self)

    def open_half_heads(self):
        addr = self.dnsd.http[0]
        for i in range(self.heads):
            s = socket.create_connection(addr, timeout=5)
            self.socks.append(s)
            if i < H2O_HALF_HEADS:
                # A query string sends the connection to h2o; its next head stalls there.
                status = fetch_one(s, b"GET /v1/services/web?healthy=1 HTTP/1.1\r\n"
                                      b"Host: x\r\n\r\n")
                self.assertIn(b" 200 ", status)
            s.sendall(b"PUT /v1/services/web/instances/slow-%d HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 2\r\nX-Slow: " % i)
            s.setblocking(False)

    def test_stalled_heads_do_not_stop_others_and_are_closed_after_the_timeout(self):
        d = self.dnsd
        d.register("web", "before", address="10.0.0.1", port=80)
        self.open_half_heads()
        # While every stalled head hangs: a normal client registers and reads.
        d.register("web", "during", address="10.0.0.2", port=80)
        status, _, body = d.request("GET", "/v1/services/web")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(i["id"] for i in body["instances"]), ["before", "during"])
        self.assertEqual(sorted(d.dig("web.service.discovery").rdata(rtype="A")),
                         ["10.0.0.1", "10.0.0.2"])
        text = d.metrics()
        self.assertGreaterEqual(metric_value(text, "dnsd_http_connections"), self.heads + 1)
        self.assertEqual(metric_value(text, "dnsd_http_header_timeouts_total"), 0)
        # Then the timeout closes every one of them, on both paths, and counts them.
        pending = list(self.socks)

        def all_closed():
            pending[:] = [s for s in pending if not closed_by_peer(s)]
            return not pending
        poll_until(all_closed, timeout=30, interval=0.2, message="every stalled head closed")
        text = d.metrics()
        self.assertGreaterEqual(metric_value(text, "dnsd_http_header_timeouts_total"), self.heads)
        self.assertLessEqual(metric_value(text, "dnsd_http_connections"), 2)
        # Nothing was lost, and the stalled writes never happened.
        status, _, body = d.request("GET", "/v1/services/web")
        self.assertEqual(sorted(i["id"] for i in body["instances"]), ["before", "during"])


class MaxConnectionsTest(unittest.TestCase):
    CAP = 20
    CONFIG = """
http:
  max_connections: %d
  header_timeout: 1h
dns:
  tcp_max_connections: 3
  workers: 1
""" % CAP

    def setUp(self):
        self.dnsd = Dnsd(config=self.CONFIG).start()
        self.addCleanup(self.dnsd.cleanup)
        self.socks = []
        self.addCleanup(lambda: [s.close() for s in self.socks])

    def tearDown(self):
        self.dnsd.stop_ok(self)

    def test_connections_beyond_the_cap_are_closed_at_once_and_nothing_is_lost(self):
        d = self.dnsd
        for i in range(5):
            d.register("api", "a%d" % i, address="10.0.1.%d" % (i + 1), port=80)
        addr = d.http[0]
        # The harness's keep-alive connection is one of the CAP; fill the rest with
        # connections, each served once (so dnsd has surely accepted it).
        for _ in range(self.CAP - 1):
            s = socket.create_connection(addr, timeout=5)
            self.socks.append(s)
            self.assertIn(b" 200 ", fetch_one(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
        for _ in range(3):
            with socket.create_connection(addr, timeout=5) as s:
                try:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    data = s.recv(1)
                except (ConnectionResetError, BrokenPipeError):
                    data = b""
                self.assertEqual(data, b"", "a connection beyond the cap was served")
        # Open connections are untouched, and DNS answers from the registry meanwhile.
        self.assertIn(b" 200 ", fetch_one(self.socks[0], b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
        self.assertEqual(len(d.dig("api.service.discovery").rdata(rtype="A")), 5)
        # Freeing the cap lets new clients in again; everything registered is still there.
        for s in self.socks[:5]:
            s.close()
        self.socks = self.socks[5:]
        poll_until(self.new_connection_served, timeout=10, message="a new connection below the cap")
        status, _, body = d.request("GET", "/v1/services/api")
        self.assertEqual(status, 200)
        self.assertEqual(len(body["instances"]), 5)
        text = d.metrics()
        self.assertGreaterEqual(metric_value(text, "dnsd_http_connections_rejected_total"), 3)
        self.assertLessEqual(metric_value(text, "dnsd_http_connections"), self.CAP)

    def new_connection_served(self):
        try:
            with socket.create_connection(self.dnsd.http[0], timeout=5) as s:
                return b" 200 " in fetch_one(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        except (ConnectionResetError, BrokenPipeError, AssertionError):
            return False

    def test_dns_tcp_cap_keeps_answering_what_was_registered(self):
        d = self.dnsd
        d.register("db", "d1", address="10.0.2.1", port=5432)
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        for _ in range(3):
            s = socket.create_connection(d.dns[0], timeout=5)
            s.sendall(tcp_frame(build_query("db.service.discovery", "A", qid=7)))
            self.assertEqual(parse_message(recv_frame(s))["rcode"], 0)
            held.append(s)
        with socket.create_connection(d.dns[0], timeout=5) as c:
            try:
                c.sendall(tcp_frame(build_query("db.service.discovery", "A")))
                data = c.recv(1)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            self.assertEqual(data, b"")
        self.assertEqual(d.dig("db.service.discovery").rdata(rtype="A"), ["10.0.2.1"])
        text = d.metrics()
        self.assertGreaterEqual(metric_value(text, "dnsd_dns_tcp_connections_rejected_total"), 1)
        self.assertEqual(metric_value(text, "dnsd_dns_tcp_connections"), 3)
        for s in held:
            s.close()
        held.clear()
        poll_until(lambda: metric_value(d.metrics(), "dnsd_dns_tcp_connections") == 0,
                   timeout=10, message="TCP connections closed")
        self.assertEqual(d.dig("db.service.discovery", tcp=True).rdata(rtype="A"), ["10.0.2.1"])


if __name__ == "__main__":
    unittest.main()
