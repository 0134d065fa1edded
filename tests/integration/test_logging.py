"""Logs of the DNS path: the optional query log (log.queries) and the rate-limited
warnings for malformed packets and upstream failures (docs/CONFIG.md, "Logs").

Every server here runs one DNS worker, so a rate limit (one line per 10 s per worker)
means exactly one line for a burst."""

import json
import socket
import unittest

import harness
from harness import Dnsd, metric_value, poll_until

def config(*lines, workers=1):
    return "dns:\n  workers: %d\n" % workers + "".join(line + "\n" for line in lines)


def log_lines(d, needle):
    return [l for l in d.stderr_text().splitlines() if needle in l]


def final_lines(testcase, d, needle):
    """Stops dnsd (exit status 0) and returns the lines with needle: once the process has
    exited its log is complete, so "exactly one line" needs no waiting."""
    d.stop_ok(testcase)
    return log_lines(d, needle)


def fields(message):
    """'query k=v k=v ...' -> {k: v}."""
    return dict(part.split("=", 1) for part in message.split()[1:] if "=" in part)


class QueryLogTest(unittest.TestCase):
    def test_one_text_line_per_query_with_name_type_and_rcode(self):
        with Dnsd(config=config("log:", "  queries: true")) as d:
            d.register("web", "web-1", address="10.0.0.1", port=8080)
            r = d.dig("Web.Service.discovery.", "SRV")
            self.assertEqual(r.status, "NOERROR")
            lines = final_lines(self, d, " query client=")
            self.assertEqual(len(lines), 1, d.stderr_text())
            message = lines[0].split(" info ", 1)[1]
            f = fields(message)
            self.assertTrue(f["client"].startswith("127.0.0.1:"), message)
            self.assertEqual(f["proto"], "udp")
            self.assertEqual(f["name"], "Web.Service.discovery.")  # as asked
            self.assertEqual(f["type"], "SRV")
            self.assertNotIn("class", f)
            self.assertEqual(f["rcode"], "NOERROR")
            self.assertEqual(f["answers"], "1")
            self.assertIn("aa", f["flags"].split(","))
            self.assertEqual(f["forwarded"], "no")
            self.assertRegex(f["time"], r"^\d+\.\d{6}s$")
            self.assertGreater(int(f["size"]), 12)

    def test_json_line_over_tcp_for_nxdomain(self):
        with Dnsd(config=config("log:", "  format: json", "  queries: true")) as d:
            r = d.dig("nope.service.discovery.", "AAAA", tcp=True)
            self.assertEqual(r.status, "NXDOMAIN")
            lines = final_lines(self, d, "query client=")
            self.assertEqual(len(lines), 1, d.stderr_text())
            line = json.loads(lines[0])
            self.assertEqual(line["level"], "info")
            f = fields(line["msg"])
            self.assertEqual((f["proto"], f["name"], f["type"], f["rcode"], f["answers"]),
                             ("tcp", "nope.service.discovery.", "AAAA", "NXDOMAIN", "0"))

    def test_no_query_lines_when_off(self):
        with Dnsd(config=config()) as d:
            d.register("web", "web-1", address="10.0.0.1", port=8080)
            for qtype in ("A", "SRV"):
                self.assertEqual(d.dig("web.service.discovery.", qtype).status, "NOERROR")
            d.stop_ok(self)
            self.assertEqual(log_lines(d, "query client="), [], d.stderr_text())


class MalformedTest(unittest.TestCase):
    def test_a_burst_of_junk_gives_one_warning_and_queries_still_work(self):
        with Dnsd(config=config()) as d:
            d.register("web", "web-1", address="10.0.0.1", port=8080)
            count = 200
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
                for i in range(count):
                    s.sendto(b"\x00\x01\x02\x03\x04", d.dns[0])
                    if i % 50 == 0:  # queries keep being answered during the burst
                        self.assertEqual(d.dig("web.service.discovery.").status, "NOERROR")
            poll_until(lambda: (metric_value(d.metrics(), "dnsd_dns_malformed_total") or 0)
                       >= count, message="every junk packet counted")
            self.assertEqual(d.dig("web.service.discovery.").rdata(), ["10.0.0.1"])
            lines = final_lines(self, d, "malformed packet")
            self.assertEqual(len(lines), 1, d.stderr_text())
            self.assertIn(" warning ", lines[0])
            self.assertIn("malformed packet client=127.0.0.1:%d size=5: short header" % port,
                          lines[0])


class UpstreamFailureTest(unittest.TestCase):
    def test_silent_upstream_gives_one_rate_limited_warning(self):
        # Bound and never read: queries to it time out (no ICMP port unreachable).
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))
            upstream = "127.0.0.1:%d" % silent.getsockname()[1]
            cfg = config('  upstreams: ["%s"]' % upstream, "  upstream_timeout: 200ms",
                         "log:", "  queries: true")
            with Dnsd(config=cfg) as d:
                queries = 3
                for _ in range(queries):
                    self.assertEqual(d.dig("www.example.com.", "A").status, "SERVFAIL")
                poll_until(lambda: metric_value(d.metrics(), "dnsd_dns_upstream_failures_total")
                           == queries, message="upstream failures counted")
                lines = final_lines(self, d, "upstream failure")
                self.assertEqual(len(lines), 1, d.stderr_text())
                self.assertIn(" warning ", lines[0])
                self.assertIn("upstream failure: %s failed for www.example.com. A over udp: "
                              "timeout; answering SERVFAIL" % upstream, lines[0])
                # The query log has every one of them, marked as forwarded.
                queries_logged = [fields(l.split(" info ", 1)[1])
                                  for l in log_lines(d, " query client=")]
                self.assertEqual(len(queries_logged), queries, d.stderr_text())
                for f in queries_logged:
                    self.assertEqual((f["name"], f["rcode"], f["forwarded"]),
                                     ("www.example.com.", "SERVFAIL", "yes"))


if __name__ == "__main__":
    unittest.main()
