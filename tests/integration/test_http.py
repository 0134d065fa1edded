"""HTTP API (SPEC section 4) against the real binary, with real curl and dig.

Starts dnsd on port 0 (harness.Dnsd reads the startup line), talks HTTP with curl and
checks what DNS answers with dig. Timing assertions poll with bounded loops; no fixed
sleep is an assertion.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import harness

DOMAIN = "discovery."


def url_of(d, path):
    host, port = d.http[0]
    host = "[%s]" % host if ":" in host else host
    return "http://%s:%d%s" % (host, port, path)


def curl(d, method, path, body=None, headers=(), raw=None, timeout=20):
    """One request with curl; returns (status, headers with lower-case names, body).

    body is sent as JSON, raw as is; a JSON answer is parsed."""
    with tempfile.TemporaryDirectory(prefix="dnsd-curl-") as tmp:
        hfile, bfile, dfile = (os.path.join(tmp, n) for n in ("h", "b", "d"))
        cmd = ["curl", "-sS", "-m", str(timeout), "-X", method, "-D", hfile, "-o", bfile]
        for h in headers:
            cmd += ["-H", h]
        data = json.dumps(body) if body is not None else raw
        if data is not None:
            with open(dfile, "wb") as f:
                f.write(data.encode() if isinstance(data, str) else data)
            cmd += ["--data-binary", "@" + dfile, "-H", "Content-Type: application/json"]
        subprocess.run(cmd + [url_of(d, path)], check=True, timeout=timeout + 5,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(hfile, "rb") as f:
            blocks = [b for b in f.read().decode("latin-1").split("\r\n\r\n") if b.strip()]
        with open(bfile, "rb") as f:
            payload = f.read()
    lines = blocks[-1].split("\r\n")  # the last block: after any 100 Continue
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs[name.strip().lower()] = value.strip()
    if "json" in hdrs.get("content-type", ""):
        return status, hdrs, json.loads(payload)
    return status, hdrs, payload.decode(errors="replace")


def srv_targets(d, service):
    """The instance ids in the SRV answer for <service>.service.D."""
    result = d.dig("%s.service.%s" % (service, DOMAIN), "SRV")
    return sorted(r[4].split()[3].split(".")[0] for r in result.answer if r[3] == "SRV")


def instance_path(service, instance, suffix=""):
    return "/v1/services/%s/instances/%s%s" % (service, instance, suffix)


class HttpApiTest(unittest.TestCase):
    def setUp(self):
        self.d = harness.Dnsd()
        self.addCleanup(self.d.cleanup)
        self.d.start()

    def tearDown(self):
        self.d.stop_ok(self)

    def put(self, service, instance, body=None, suffix="", **kw):
        return curl(self.d, "PUT", instance_path(service, instance, suffix), body, **kw)

    def state(self):
        """Everything a reader sees: the registry index, the list, every service."""
        status, hdrs, listing = curl(self.d, "GET", "/v1/services")
        self.assertEqual(status, 200)
        services = {s["name"]: curl(self.d, "GET", "/v1/services/" + s["name"])[2]
                    for s in listing["services"]}
        for body in services.values():
            for inst in body["instances"]:
                inst.pop("lease_remaining")  # moves with time
        return listing, services

    # -- registration and DNS ---------------------------------------------------------

    def test_register_shows_in_the_next_srv_answer(self):
        status, hdrs, body = self.put("web", "a", {"address": "127.0.0.2", "port": 8080})
        self.assertEqual(status, 200)
        self.assertEqual(body["service"], "web")
        self.assertEqual(body["id"], "a")
        self.assertEqual(hdrs["x-dnsd-index"], str(body["index"]))
        self.assertEqual(hdrs["content-type"], "application/json")
        result = self.d.dig("web.service." + DOMAIN, "SRV")
        self.assertEqual(result.status, "NOERROR")
        self.assertEqual(result.rdata("answer", "SRV"), ["1 1 8080 a.web.instance.%s" % DOMAIN])
        self.assertIn("127.0.0.2", result.rdata("additional", "A"))

    def test_address_defaults_to_the_peer(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        result = self.d.dig("a.web.instance." + DOMAIN, "A")
        self.assertEqual(result.rdata("answer", "A"), ["127.0.0.1"])

    def test_heartbeats_keep_a_short_lease_alive(self):
        self.assertEqual(self.put("web", "a", {"port": 80, "ttl": "1s"})[0], 200)
        deadline = time.monotonic() + 2.0
        for _ in range(40):  # bounded: about 2 s of heartbeats every 200 ms
            if time.monotonic() >= deadline:
                break
            status, _, body = self.put("web", "a", suffix="/heartbeat")
            self.assertEqual(status, 200)
            self.assertIn("index", body)
            self.assertEqual(srv_targets(self.d, "web"), ["a"])
            time.sleep(0.2)  # pacing between heartbeats, not an assertion

    def test_lapsed_lease_leaves_dns_and_a_heartbeat_brings_it_back(self):
        self.assertEqual(self.put("web", "a", {"port": 80, "ttl": "1s"})[0], 200)
        registered = time.monotonic()
        self.assertEqual(srv_targets(self.d, "web"), ["a"])
        harness.poll_until(lambda: srv_targets(self.d, "web") == [], timeout=3.0,
                           message="instance out of DNS after its lease")
        self.assertGreaterEqual(time.monotonic() - registered, 0.9)
        inst = curl(self.d, "GET", "/v1/services/web")[2]["instances"][0]
        self.assertEqual(inst["status"], "critical")
        self.assertEqual(self.put("web", "a", suffix="/heartbeat")[0], 200)
        self.assertEqual(srv_targets(self.d, "web"), ["a"])

    def test_deregister_after_removes_it_from_the_api(self):
        self.assertEqual(self.put("web", "a", {"port": 80, "ttl": "1s",
                                               "deregister_after": "1s"})[0], 200)

        def gone():
            return curl(self.d, "GET", "/v1/services/web")[2]["instances"] == []
        harness.poll_until(gone, timeout=4.0, message="instance removed after deregister_after")
        self.assertEqual(self.put("web", "a", suffix="/heartbeat")[0], 404)
        self.assertEqual(self.d.dig("web.service." + DOMAIN, "SRV").status, "NXDOMAIN")

    def test_delete_removes_at_once(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        self.assertEqual(self.put("web", "b", {"port": 81})[0], 200)
        status, hdrs, body = curl(self.d, "DELETE", instance_path("web", "a"))
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["x-dnsd-index"], str(body["index"]))
        self.assertEqual(srv_targets(self.d, "web"), ["b"])
        self.assertEqual(curl(self.d, "DELETE", instance_path("web", "a"))[0], 404)

    def test_heartbeat_for_an_unknown_instance_is_404(self):
        status, _, body = self.put("web", "nobody", suffix="/heartbeat")
        self.assertEqual(status, 404)
        self.assertIn("error", body)

    def test_status_maintenance_takes_it_out_of_dns(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        status, _, _ = self.put("web", "a", {"status": "maintenance", "note": "deploy"},
                                suffix="/status")
        self.assertEqual(status, 200)
        self.assertEqual(srv_targets(self.d, "web"), [])
        self.assertEqual(self.put("web", "a", {"status": "passing"}, suffix="/status")[0], 200)
        self.assertEqual(srv_targets(self.d, "web"), ["a"])

    # -- bad requests -----------------------------------------------------------------

    def test_every_bad_request_is_a_4xx_with_message_and_changes_nothing(self):
        self.assertEqual(self.put("web", "a", {"port": 80, "ttl": "30s"})[0], 200)
        inst = instance_path("web", "a")
        cases = [
            ("PUT", inst, "{", 400, None),
            ("PUT", inst, '{"port":80,"colour":"red"}', 400, "colour"),
            ("PUT", inst, '{"port":"80"}', 400, "port"),
            ("PUT", inst, '{"port":80,"ttl":"-1s"}', 400, "ttl"),
            ("PUT", inst, '{"port":80,"ttl":"ten"}', 400, "ttl"),
            ("PUT", inst, '{"port":80,"address":"999.1.1.1"}', 400, "address"),
            ("PUT", inst, '{"port":80,"service":"api"}', 409, "service"),
            ("PUT", inst, '{"port":80,"id":"b"}', 409, "id"),
            ("PUT", "/v1/services/bad_name/instances/a", '{"port":80}', 400, "service"),
            ("PUT", inst + "/heartbeat", '{"status":"critical"}', 400, "status"),
            ("PUT", inst + "/status", '{"status":"sleepy"}', 400, "status"),
            ("PUT", instance_path("web", "zz", "/status"), '{"status":"passing"}', 404, None),
            ("DELETE", instance_path("web", "zz"), None, 404, None),
            ("GET", "/v1/nowhere", None, 404, None),
            ("POST", "/v1/services", "{}", 405, None),
            ("GET", "/v1/services/web?index=x", None, 400, "index"),
            ("PUT", inst, " " * (70 * 1024), 413, None),
        ]
        before = self.state()
        for method, path, raw, code, field in cases:
            with self.subTest(method=method, path=path, body=(raw or "")[:40]):
                status, hdrs, body = curl(self.d, method, path, raw=raw)
                self.assertEqual(status, code)
                self.assertIsInstance(body, dict)
                self.assertTrue(body.get("error"))
                self.assertEqual(body.get("field"), field)
                self.assertIn("x-dnsd-index", hdrs)
                if code == 405:
                    self.assertEqual(hdrs.get("allow"), "GET, HEAD")
                self.assertEqual(self.state(), before)

    # -- blocking queries -------------------------------------------------------------

    def test_blocking_query_returns_on_a_change_to_that_service(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        _, hdrs, _ = curl(self.d, "GET", "/v1/services/web")
        index = int(hdrs["x-dnsd-index"])
        result = {}

        def block():
            started = time.monotonic()
            result["answer"] = curl(self.d, "GET", "/v1/services/web?index=%d&wait=20s" % index)
            result["elapsed"] = time.monotonic() - started
        waiter = threading.Thread(target=block)
        waiter.start()
        # A change to another service must not end it; a change to web must.
        self.d.wait_parked()
        self.assertEqual(self.put("api", "x", {"port": 1})[0], 200)
        self.assertEqual(harness.metric_value(self.d.metrics(), "dnsd_http_blocking_queries"), 1,
                         "a change to another service ended the wait")
        self.assertTrue(waiter.is_alive(), "a change to another service ended the wait")
        self.assertEqual(self.put("web", "b", {"port": 81})[0], 200)
        waiter.join(timeout=10)
        self.assertFalse(waiter.is_alive())
        status, hdrs, body = result["answer"]
        self.assertEqual(status, 200)
        self.assertGreater(int(hdrs["x-dnsd-index"]), index)
        self.assertEqual(body["index"], int(hdrs["x-dnsd-index"]))
        self.assertEqual(sorted(i["id"] for i in body["instances"]), ["a", "b"])
        self.assertLess(result["elapsed"], 10)

    def test_blocking_query_times_out_with_the_same_index(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        _, hdrs, _ = curl(self.d, "GET", "/v1/services/web")
        index = int(hdrs["x-dnsd-index"])
        started = time.monotonic()
        status, hdrs, body = curl(self.d, "GET", "/v1/services/web?index=%d&wait=1s" % index)
        elapsed = time.monotonic() - started
        self.assertEqual(status, 200)
        self.assertEqual(int(hdrs["x-dnsd-index"]), index)
        self.assertEqual(body["index"], index)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5)

    def test_blocking_on_an_unknown_service_returns_when_it_appears(self):
        result = {}
        waiter = threading.Thread(target=lambda: result.update(
            answer=curl(self.d, "GET", "/v1/services/late?index=0&wait=20s")))
        waiter.start()
        self.d.wait_parked()
        self.assertEqual(self.put("late", "a", {"port": 80})[0], 200)
        waiter.join(timeout=10)
        self.assertFalse(waiter.is_alive())
        self.assertEqual([i["id"] for i in result["answer"][2]["instances"]], ["a"])

    # -- status, health, metrics ------------------------------------------------------

    def test_status_health_and_readiness(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        status, hdrs, body = curl(self.d, "GET", "/v1/status")
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"version", "uptime_seconds", "index", "services", "instances",
                                     "healthy", "self_preservation", "listeners", "storage",
                                     "cluster", "agent"})
        self.assertIsNone(body["storage"])  # memory only (SPEC section 7)
        self.assertIsNone(body["cluster"])  # one node (SPEC section 8)
        self.assertIsNone(body["agent"])  # not an agent (SPEC section 9)
        self.assertEqual(set(body["self_preservation"]), {"enabled", "active", "held_back"})
        self.assertEqual(body["services"], 1)
        self.assertEqual(body["instances"], 1)
        self.assertEqual(body["healthy"], 1)
        self.assertEqual(hdrs["x-dnsd-index"], str(body["index"]))
        host, port = self.d.http[0]
        self.assertEqual(body["listeners"]["http"], ["%s:%d" % (host, port)])
        self.assertEqual(len(body["listeners"]["dns"]), len(self.d.dns))
        self.assertEqual(curl(self.d, "GET", "/healthz")[0], 200)
        self.assertEqual(curl(self.d, "GET", "/readyz")[0], 200)

    def test_metrics_pass_promtool(self):
        self.assertEqual(self.put("web", "a", {"port": 80})[0], 200)
        self.d.dig("web.service." + DOMAIN, "SRV")
        curl(self.d, "GET", "/v1/nowhere")
        status, hdrs, text = curl(self.d, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain; version=0.0.4"))
        for family in ("dnsd_http_requests_total", "dnsd_registry_services",
                       "dnsd_registry_instances", "dnsd_lease_lapses_total",
                       "dnsd_instances_removed_total", "dnsd_self_preservation_active",
                       "dnsd_dns_queries_total"):
            self.assertIn("# TYPE %s " % family, text)
        # Route labels hold braces ("{svc}"), which harness.metric_value does not parse.
        self.assertIn('dnsd_http_requests_total{route="/v1/services/{svc}/instances/{id}",'
                      'code="200"} 1\n', text)
        self.assertIn('dnsd_http_requests_total{route="other",code="404"} 1\n', text)
        self.assertEqual(harness.metric_value(text, "dnsd_registry_instances",
                                              {"status": "passing"}), 1)
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool is missing (Debian package prometheus); format not linted")
        check = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout.decode())

    def test_every_metric_family_is_documented(self):
        _, _, text = curl(self.d, "GET", "/metrics")
        families = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
        self.assertGreater(len(families), 20)
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "METRICS.md")
        with open(docs) as f:
            documented = f.read()
        self.assertEqual([f for f in families if "`%s`" % f not in documented], [])

    def test_head_and_keep_alive(self):
        out = subprocess.run(
            ["curl", "-sS", "-m", "10", "-w", "%{http_code} %{num_connects}\n"] +
            sum((["-o", "/dev/null", url_of(self.d, p)]
                 for p in ("/healthz", "/v1/services", "/metrics")), []),
            stdout=subprocess.PIPE, check=True, timeout=15).stdout.decode().split("\n")
        self.assertEqual(out[:3], ["200 1", "200 0", "200 0"])  # one connection for all three
        head = subprocess.run(["curl", "-sS", "-m", "10", "-I", url_of(self.d, "/v1/services")],
                              stdout=subprocess.PIPE, check=True, timeout=15).stdout.decode()
        self.assertIn("200", head.split("\r\n")[0])
        self.assertIn("x-dnsd-index", head.lower())


class HttpTokenTest(unittest.TestCase):
    def test_writes_need_a_bearer_token(self):
        d = harness.Dnsd(config="http:\n  tokens: [s3cret]\n")
        self.addCleanup(d.cleanup)
        d.start()
        path = instance_path("web", "a")
        status, hdrs, body = curl(d, "PUT", path, {"port": 80})
        self.assertEqual(status, 401)
        self.assertEqual(hdrs.get("www-authenticate"), "Bearer")
        self.assertTrue(body["error"])
        status, _, body = curl(d, "PUT", path, {"port": 80}, headers=["Authorization: Bearer nope"])
        self.assertEqual(status, 403)
        self.assertEqual(curl(d, "GET", "/v1/services")[2]["services"], [])
        status, _, _ = curl(d, "PUT", path, {"port": 80}, headers=["Authorization: Bearer s3cret"])
        self.assertEqual(status, 200)
        self.assertEqual(curl(d, "GET", "/v1/services/web")[0], 200)  # reads need none
        self.assertEqual(curl(d, "DELETE", path)[0], 401)
        d.stop_ok(self)


class HttpShutdownTest(unittest.TestCase):
    def test_sigterm_answers_pending_blocking_queries(self):
        d = harness.Dnsd()
        self.addCleanup(d.cleanup)
        d.start()
        results = []
        lock = threading.Lock()

        def block():
            answer = curl(d, "GET", "/v1/services/web?index=0&wait=60s")
            with lock:
                results.append(answer)
        waiters = [threading.Thread(target=block) for _ in range(5)]
        for w in waiters:
            w.start()
        harness.poll_until(lambda: harness.metric_value(d.metrics(), "dnsd_http_requests_total",
                                                        {"route": "/metrics"}) is not None,
                           message="server answering")
        d.wait_parked(5)
        started = time.monotonic()
        d.stop_ok(self)
        for w in waiters:
            w.join(timeout=10)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual([r[0] for r in results], [200] * 5)
        self.assertTrue(all(r[2]["instances"] == [] for r in results))


if __name__ == "__main__":
    unittest.main()
