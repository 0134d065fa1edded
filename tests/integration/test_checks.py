"""Active health checks (SPEC section 9) against real local HTTP and TCP servers.

The test starts its own HTTP server (a ThreadingHTTPServer on port 0 whose answer the
test changes: a status code, or a delay for timeouts) and TCP listeners on port 0, and
registers instances with short intervals (200-300 ms). Every wait polls with a bounded
deadline; "no more requests" is shown by counting the requests a second, still
registered check makes meanwhile, never by sleeping.
"""

import http.server
import os
import socket
import tempfile
import threading
import time
import unittest

import harness

DOMAIN = "discovery"


class Responder(http.server.ThreadingHTTPServer):
    """Answers GET /<path> with self.codes.get(path, self.code), after self.delay s;
    counts requests per path."""

    daemon_threads = True

    def __init__(self):
        self.code = 200
        self.codes = {}
        self.delay = 0.0
        self.hits = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.server_address[1], path)

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    def close(self):
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        srv = self.server
        path = self.path.lstrip("/")
        with srv.lock:
            srv.hits[path] = srv.hits.get(path, 0) + 1
            code = srv.codes.get(path, srv.code)
            delay = srv.delay
        if delay:
            time.sleep(delay)  # the server's behaviour under test, not a wait of the test
        body = b"ok\n"
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


class ChecksTest(unittest.TestCase):
    def setUp(self):
        self.web = Responder()
        self.addCleanup(self.web.close)
        self.d = harness.Dnsd(args=["--domain", DOMAIN]).start()
        self.addCleanup(self.d.cleanup)

    def register(self, iid, checks, expect=200, service="web", **extra):
        return self.d.register(service, iid, expect=expect, address="127.0.0.1", port=8080,
                               checks=checks, **extra)

    def instance(self, iid, service="web"):
        status, _, body = self.d.request("GET", "/v1/services/%s" % service)
        self.assertEqual(status, 200)
        for inst in body["instances"]:
            if inst["id"] == iid:
                return inst
        return None

    def wait_status(self, iid, status, timeout=10.0):
        return harness.poll_until(
            lambda: (lambda i: i if i and i["status"] == status else None)(self.instance(iid)),
            timeout=timeout, message="%s %s" % (iid, status))

    def a_records(self):
        """The healthy instances' addresses: web.service.D."""
        result = self.d.dig("web.service.%s" % DOMAIN, "A")
        return [r[4] for r in result.answer if r[3] == "A"]

    def test_http_transitions_with_thresholds(self):
        self.web.codes["a"] = 200
        self.register("a", [{"http": self.web.url("a"), "interval": "200ms",
                             "success_before_passing": 2, "failures_before_critical": 2}])
        inst = self.instance("a")
        self.assertEqual(inst["status"], "passing")  # a check starts passing (SPEC §3 rule)
        check = inst["checks"][0]
        self.assertEqual(check["http"], self.web.url("a"))
        self.assertEqual((check["interval"], check["timeout"]), (0.2, 0.2))
        self.assertEqual((check["success_before_passing"], check["failures_before_critical"]),
                         (2, 2))
        # The first run is counted, not reported (success_before_passing 2); the second is.
        harness.poll_until(lambda: self.instance("a")["checks"][0]["output"], message="a report")
        self.assertEqual(self.a_records(), ["127.0.0.1"])

        # A steady result is no change: the index stays while runs go on.
        index = self.instance("a")["index"]
        seen = self.web.count("a")
        harness.poll_until(lambda: self.web.count("a") >= seen + 3, message="3 more runs")
        self.assertEqual(self.instance("a")["index"], index)

        # pass -> fail: two failures in a row are needed.
        with self.web.lock:
            self.web.codes["a"] = 500
            before = self.web.hits.get("a", 0)
        inst = self.wait_status("a", "critical")
        self.assertGreaterEqual(self.web.count("a") - before, 2)
        self.assertIn("500", inst["checks"][0]["output"])
        self.assertEqual(inst["checks"][0]["status"], "critical")
        self.assertEqual(self.a_records(), [])  # out of DNS

        # fail -> warn: 429 is a success for the count, reported as a warning.
        with self.web.lock:
            self.web.codes["a"] = 429
            before = self.web.hits.get("a", 0)
        inst = self.wait_status("a", "warning")
        self.assertGreaterEqual(self.web.count("a") - before, 2)
        self.assertIn("429", inst["checks"][0]["output"])

        # warn -> pass
        with self.web.lock:
            self.web.codes["a"] = 204
        inst = self.wait_status("a", "passing")
        self.assertIn("204", inst["checks"][0]["output"])
        self.assertEqual(self.a_records(), ["127.0.0.1"])

        metrics = self.d.metrics()
        for result in ("passing", "warning", "critical"):
            self.assertGreater(harness.metric_value(
                metrics, "dnsd_check_runs_total", {"kind": "http", "result": result}), 0)
        self.assertGreater(harness.metric_value(metrics, "dnsd_check_duration_seconds_count"), 0)

    def test_timeout_fails(self):
        self.web.delay = 1.0
        self.register("slow", [{"http": self.web.url("slow"), "interval": "300ms",
                                "timeout": "100ms"}])
        inst = self.wait_status("slow", "critical")
        self.assertIn("timeout", inst["checks"][0]["output"].lower())
        with self.web.lock:
            self.web.delay = 0.0
        self.wait_status("slow", "passing")

    def test_tcp_connect_and_refused(self):
        listener = harness.TcpListener(0)
        self.addCleanup(listener.close)
        self.register("db", [{"tcp": "127.0.0.1:%d" % listener.port, "interval": "200ms"}])
        harness.poll_until(lambda: self.instance("db")["checks"][0]["last_run"], message="a run")
        self.assertEqual(self.instance("db")["status"], "passing")
        listener.close()  # now nothing listens there: connections are refused
        inst = self.wait_status("db", "critical")
        self.assertIn("refused", inst["checks"][0]["output"])

    def test_http_refused_and_worst_of_several(self):
        closed = harness.free_port(socket.SOCK_STREAM)
        self.register("two", [{"http": self.web.url("two"), "interval": "200ms"},
                              {"http": "http://127.0.0.1:%d/" % closed, "interval": "200ms"}])
        inst = self.wait_status("two", "critical")
        self.assertEqual([c["status"] for c in inst["checks"]], ["passing", "critical"])
        self.assertIn("connect", inst["checks"][1]["output"].lower())

    def test_checks_stop_when_the_instance_goes(self):
        # "ref" keeps running throughout: its requests measure time without sleeping.
        self.register("ref", [{"http": self.web.url("ref"), "interval": "200ms"}])
        self.register("gone", [{"http": self.web.url("gone"), "interval": "200ms"}])
        self.register("bare", [{"http": self.web.url("bare"), "interval": "200ms"}])
        harness.poll_until(lambda: self.web.count("gone") >= 2 and self.web.count("bare") >= 2,
                           message="both checked")
        self.assertEqual(self.d.deregister("web", "gone"), 200)
        self.register("bare", [])  # replaced without checks
        gone, bare, ref = self.web.count("gone"), self.web.count("bare"), self.web.count("ref")
        harness.poll_until(lambda: self.web.count("ref") >= ref + 6, message="6 reference runs")
        self.assertEqual(self.web.count("gone"), gone)
        self.assertLessEqual(self.web.count("bare"), bare + 1)  # one run may have been in flight
        self.assertEqual(self.instance("bare")["checks"], [])
        self.assertEqual(self.instance("bare")["status"], "passing")

    def test_bad_checks_are_refused_naming_the_field(self):
        cases = [
            ([{"http": "ftp://127.0.0.1/"}], "checks[0].http"),
            ([{"http": "http://127.0.0.1:99999/"}], "checks[0].http"),
            ([{"tcp": "127.0.0.1"}], "checks[0].tcp"),
            ([{"tcp": "127.0.0.1:5432"}, {"tcp": ":1"}], "checks[1].tcp"),
            ([{"interval": "1s"}], "checks[0]"),
            ([{"http": self.web.url("x"), "tcp": "127.0.0.1:1"}], "checks[0].tcp"),
            ([{"exec": "/bin/true"}], "checks[0].exec"),
            ([{"tcp": "127.0.0.1:1", "args": ["/bin/true"]}], "checks[0].args"),
            ([{"tcp": "127.0.0.1:1", "interval": "10ms"}], "checks[0].interval"),
            ([{"tcp": "127.0.0.1:1", "interval": "-1s"}], "checks[0].interval"),
            ([{"tcp": "127.0.0.1:1", "failures_before_critical": 0}],
             "checks[0].failures_before_critical"),
            ([{"tcp": "127.0.0.1:1", "colour": "red"}], "checks[0].colour"),
            ("http://x/", "checks"),
            (["http://x/"], "checks[0]"),
        ]
        for checks, field in cases:
            with self.subTest(checks=checks):
                status, _, body = self.d.request(
                    "PUT", "/v1/services/web/instances/bad",
                    {"address": "127.0.0.1", "port": 1, "checks": checks})
                self.assertEqual(status, 400, body)
                self.assertEqual(body.get("field"), field, body)
        self.assertIsNone(self.instance("bad"))

    def test_checks_survive_a_restart(self):
        data = tempfile.TemporaryDirectory(prefix="dnsd-checks-")
        self.addCleanup(data.cleanup)
        d = harness.Dnsd(args=["--domain", DOMAIN, "--data-dir", os.path.join(data.name, "d")])
        d.start()
        try:
            harness.poll_until(lambda: d.request("GET", "/readyz")[0] == 200, message="ready")
            d.register("web", "p", address="127.0.0.1", port=1,
                       checks=[{"http": self.web.url("p"), "interval": "200ms"}])
            with self.web.lock:
                self.web.codes["p"] = 503
            harness.poll_until(
                lambda: d.request("GET", "/v1/services/web")[2]["instances"][0]["status"]
                == "critical", message="critical before the restart")
            d.stop_ok(self)
        finally:
            d.cleanup()
        d = harness.Dnsd(args=["--domain", DOMAIN, "--data-dir", os.path.join(data.name, "d")])
        d.start()
        try:
            harness.poll_until(lambda: d.request("GET", "/readyz")[0] == 200, message="ready")
            inst = d.request("GET", "/v1/services/web")[2]["instances"][0]
            self.assertEqual(inst["status"], "critical")  # as stored
            self.assertEqual(inst["checks"][0]["http"], self.web.url("p"))
            seen = self.web.count("p")
            with self.web.lock:
                self.web.codes["p"] = 200
            harness.poll_until(
                lambda: d.request("GET", "/v1/services/web")[2]["instances"][0]["status"]
                == "passing", message="passing after the restart")
            self.assertGreater(self.web.count("p"), seen)  # checked again by the new process
            d.stop_ok(self)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
