"""The Consul-compatible API (SPEC §10) against the real binary: the real npm `consul`
client (tests/integration/consul_client, pinned by its package-lock.json, installed by
.ci/setup), Consul's shapes and headers, blocking queries woken only by their service,
tokens as Consul sends them, and bad input that stores nothing."""
import http.client
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.parse

import harness

def addresses(result):
    return sorted(r[4] for r in result.answer if r[3] in ("A", "AAAA"))


def get(server, path, timeout=10):
    """GET on a connection of its own: (status, headers, parsed JSON)."""
    conn = http.client.HTTPConnection(*server, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), json.loads(resp.read())
    finally:
        conn.close()


CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "consul_client")


class ConsulApi(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        self.d = harness.Dnsd()
        self.d.start()

    def tearDown(self):
        self.d.cleanup()

    def http(self):
        return "%s:%d" % self.d.http[0]

    def register(self, body, headers=None):
        return self.d.request("PUT", "/v1/agent/service/register", body, headers)

    def test_the_npm_consul_client_registers_passes_watches_and_deregisters(self):
        self.assertTrue(os.path.isdir(os.path.join(CLIENT, "node_modules", "consul")),
                        "npm ci in %s (.ci/setup does it)" % CLIENT)
        p = subprocess.run(["node", os.path.join(CLIENT, "client.js"), self.http()],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        seen = json.loads(p.stdout)
        self.assertEqual(seen["health"], [{"id": "web-1", "tags": ["v1", "traefik.enable=true"],
                                           "status": "passing", "port": 8080}])
        self.assertEqual(seen["catalog"], {"web": ["traefik.enable=true", "v1"]})
        self.assertEqual(seen["watch"][-1], ["web-1", "web-2"])
        self.assertEqual(seen["after"], ["web-2"])
        # The same registry answers DNS: web-2 only, web-1 deregistered.
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), ["127.0.0.3"])
        self.assertEqual(self.d.dig("v1.web.service.discovery", "A").status, "NXDOMAIN")

    def test_every_response_carries_consul_headers_and_the_index_moves(self):
        status, h1, _ = self.d.request("GET", "/v1/catalog/services")
        self.assertEqual(status, 200)
        self.assertEqual(h1["X-Consul-KnownLeader"], "true")
        self.assertEqual(h1["X-Consul-LastContact"], "0")
        status, h2, body = self.register({"Name": "api", "Port": 80, "Address": "10.0.0.1"})
        self.assertEqual((status, body), (200, ""))
        self.assertGreater(int(h2["X-Consul-Index"]), int(h1["X-Consul-Index"]))
        for path in ("/v1/agent/services", "/v1/agent/checks", "/v1/agent/self",
                     "/v1/catalog/service/api", "/v1/health/service/api",
                     "/v1/catalog/datacenters", "/v1/status/leader", "/v1/status/peers"):
            status, h, _ = self.d.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertGreaterEqual(int(h["X-Consul-Index"]), 1, path)
        _, _, dcs = self.d.request("GET", "/v1/catalog/datacenters")
        self.assertEqual(dcs, ["dc1"])
        _, _, catalog = self.d.request("GET", "/v1/catalog/service/api")
        self.assertEqual([(e["ServiceID"], e["ServiceName"], e["ServicePort"]) for e in catalog],
                         [("api", "api", 80)])

    def test_names_that_are_not_dns_labels_are_mapped_and_shown_as_given(self):
        status, _, _ = self.register({"Name": "Billing_API", "ID": "billing.1", "Port": 81,
                                      "Address": "10.0.0.7"})
        self.assertEqual(status, 200)
        _, _, services = self.d.request("GET", "/v1/agent/services")
        self.assertEqual(services["billing.1"]["Service"], "Billing_API")
        _, _, native = self.d.request("GET", "/v1/services")
        names = [s["name"] for s in native["services"]]
        self.assertEqual(len(names), 1)
        self.assertRegex(names[0], r"^billing-api-[0-9a-f]{6}$")
        self.assertEqual(addresses(self.d.dig(names[0] + ".service.discovery", "A")),
                         ["10.0.0.7"])

    def test_an_id_registered_under_another_name_moves_there(self):
        self.register({"Name": "a", "ID": "x1", "Port": 80, "Address": "10.0.0.1"})
        self.register({"Name": "b", "ID": "x1", "Port": 80, "Address": "10.0.0.1"})
        _, _, services = self.d.request("GET", "/v1/agent/services")
        self.assertEqual([(k, v["Service"]) for k, v in services.items()], [("x1", "b")])

    def test_check_fail_is_critical_at_once_and_passing_leaves_it_out(self):
        self.register({"Name": "web", "ID": "w1", "Port": 80, "Address": "10.0.0.1",
                       "Check": {"TTL": "30s"}})
        status, _, _ = self.d.request("PUT", "/v1/agent/check/fail/service:w1?note=broken")
        self.assertEqual(status, 200)
        _, _, passing = self.d.request("GET", "/v1/health/service/web?passing")
        self.assertEqual(passing, [])
        _, _, every = self.d.request("GET", "/v1/health/service/web")
        self.assertEqual(every[0]["Checks"][0]["Status"], "critical")
        self.assertEqual(every[0]["Checks"][0]["Output"], "broken")
        # Consul before 1.0 sent GET; still accepted.
        self.assertEqual(self.d.request("GET", "/v1/agent/check/pass/service:w1")[0], 200)
        _, _, passing = self.d.request("GET", "/v1/health/service/web?passing=true")
        self.assertEqual(len(passing), 1)

    def test_each_of_several_ttl_checks_is_a_lease_of_its_own(self):
        status, _, err = self.register(
            {"Name": "web", "ID": "w1", "Port": 80, "Address": "10.0.0.1",
             "Checks": [{"TTL": "30s"}, {"CheckID": "disk", "TTL": "1s"}]})
        self.assertEqual(status, 200, err)
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), ["10.0.0.1"])
        # Only the first is renewed: the one-second check runs out, and takes the
        # instance out of DNS and out of ?passing while the lease still runs.
        self.assertEqual(self.d.request("PUT", "/v1/agent/check/pass/service:w1:1")[0], 200)

        def disk():
            _, _, every = self.d.request("GET", "/v1/health/service/web")
            return {c["CheckID"]: c["Status"] for c in every[0]["Checks"]}
        harness.poll_until(lambda: disk().get("disk") == "critical", timeout=10,
                           message="the disk check runs out")
        self.assertEqual(disk()["service:w1:1"], "passing")
        self.assertEqual(self.d.request("GET", "/v1/health/service/web?passing")[2], [])
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), [])
        # Its own pass brings the instance back.
        self.assertEqual(self.d.request("PUT", "/v1/agent/check/pass/disk")[0], 200)
        self.assertEqual(disk(), {"service:w1:1": "passing", "disk": "passing"})
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), ["10.0.0.1"])

    def test_maintenance_takes_the_instance_out_of_dns_and_back(self):
        self.register({"Name": "web", "ID": "w1", "Port": 80, "Address": "10.0.0.1"})
        path = "/v1/agent/service/maintenance/w1?enable=true&reason=" + urllib.parse.quote("db move")
        self.assertEqual(self.d.request("PUT", path)[0], 200)
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), [])
        _, _, checks = self.d.request("GET", "/v1/agent/checks")
        self.assertEqual(checks["_service_maintenance:w1"]["Notes"], "db move")
        self.assertEqual(self.d.request("PUT", "/v1/agent/service/maintenance/w1?enable=false")[0], 200)
        self.assertEqual(addresses(self.d.dig("web.service.discovery", "A")), ["10.0.0.1"])

    def test_a_blocking_query_wakes_on_its_service_only(self):
        self.register({"Name": "a", "Port": 80, "Address": "10.0.0.1"})
        _, h, _ = self.d.request("GET", "/v1/health/service/a")
        index = h["X-Consul-Index"]
        result = {}

        def block():
            start = time.monotonic()
            status, hdrs, body = get(self.d.http[0],
                                     "/v1/health/service/a?index=%s&wait=1500ms" % index)
            result.update(status=status, index=hdrs["X-Consul-Index"], body=body,
                          elapsed=time.monotonic() - start)

        t = threading.Thread(target=block)
        t.start()
        self.d.wait_parked()  # a change to another service must not wake it
        self.register({"Name": "b", "Port": 80, "Address": "10.0.0.2"})
        t.join(10)
        self.assertEqual(result["status"], 200)
        self.assertEqual(result["index"], index)
        self.assertGreaterEqual(result["elapsed"], 1.4)  # it ran to its wait
        t = threading.Thread(target=block)
        t.start()
        self.d.wait_parked()
        self.register({"Name": "a", "ID": "a2", "Port": 80, "Address": "10.0.0.3"})
        t.join(10)
        self.assertGreater(int(result["index"]), int(index))
        self.assertLess(result["elapsed"], 1.4)  # woken by the change, not the wait
        self.assertEqual(len(result["body"]), 2)

    def test_port_0_or_missing_answers_a_but_no_srv(self):
        for body in ({"Name": "np", "ID": "np-1", "Address": "10.0.0.9"},
                     {"Name": "np", "ID": "np-2", "Address": "10.0.0.10", "Port": 0}):
            self.assertEqual(self.register(body)[0], 200, body)
        self.assertEqual(self.register({"Name": "np", "ID": "np-3", "Address": "10.0.0.11",
                                        "Port": 8080})[0], 200)
        self.assertEqual(addresses(self.d.dig("np.service.discovery", "A")),
                         ["10.0.0.10", "10.0.0.11", "10.0.0.9"])
        srv = self.d.dig("_np._tcp.service.discovery", "SRV")
        self.assertEqual(srv.rdata("answer", "SRV"), ["1 1 8080 np-3.np.instance.discovery."])
        _, _, catalog = self.d.request("GET", "/v1/catalog/service/np")
        self.assertEqual(sorted(e["ServicePort"] for e in catalog), [0, 0, 8080])
        # Only the port-less ones: the name has A records and no SRV (NODATA).
        self.assertEqual(self.d.request("PUT", "/v1/agent/service/deregister/np-3")[0], 200)
        srv = self.d.dig("_np._tcp.service.discovery", "SRV")
        self.assertEqual((srv.status, srv.rdata("answer", "SRV")), ("NOERROR", []))
        # The native API still requires a port (SPEC section 3).
        status, _, err = self.d.request("PUT", "/v1/services/np/instances/x",
                                        {"address": "10.0.0.12"})
        self.assertEqual((status, err["field"]), (400, "port"))

    def test_bad_input_is_a_clear_error_and_stores_nothing(self):
        cases = [({"Name": "x", "Port": "80"}, "Port"),
                 ({"Port": 80}, "Name"),
                 ({"Name": "x", "Port": 80, "Address": "db.example"}, "Address"),
                 ({"Name": "x", "Port": 80, "Tags": "v1"}, "Tags"),
                 ({"Name": "x", "Port": 80, "Check": {"TTL": "soon"}}, "Check.TTL")]
        for body, field in cases:
            status, _, err = self.register(body)
            self.assertEqual(status, 400, body)
            self.assertEqual(err["field"], field, body)
            self.assertIn(field.split(".")[-1], err["error"])
        status, _, err = self.d.request("GET", "/v1/agent/nonsense")
        self.assertEqual(status, 404)
        self.assertIn("error", err)
        _, _, services = self.d.request("GET", "/v1/agent/services")
        self.assertEqual(services, {})


class ConsulDns(unittest.TestCase):
    def test_with_domain_consul_dnsd_answers_consuls_names(self):
        harness.require_binary(self)
        with harness.Dnsd(args=["--domain", "consul."]) as d:
            status, _, _ = d.request("PUT", "/v1/agent/service/register",
                                     {"Name": "web", "Port": 8080, "Address": "10.0.0.5",
                                      "Tags": ["v1"]})
            self.assertEqual(status, 200)
            for name in ("web.service.consul", "web.service.dc1.consul",
                         "v1.web.service.dc1.consul"):
                self.assertEqual(addresses(d.dig(name, "A")), ["10.0.0.5"], name)
            srv = d.dig("_web._tcp.service.consul", "SRV")
            self.assertEqual([r[4].split()[2] for r in srv.answer], ["8080"])
            self.assertEqual(d.dig("web.service.dc2.consul", "A").status, "NXDOMAIN")
            self.assertEqual(d.dig("service.dc1.consul", "A").status, "NOERROR")


class ConsulTokens(unittest.TestCase):
    def test_tokens_are_accepted_as_x_consul_token_and_query_parameter(self):
        harness.require_binary(self)
        with harness.Dnsd(config="http:\n  tokens: [s3cret]\n") as d:
            body = {"Name": "web", "Port": 80, "Address": "10.0.0.1"}
            self.assertEqual(d.request("PUT", "/v1/agent/service/register", body)[0], 401)
            self.assertEqual(d.request("PUT", "/v1/agent/service/register", body,
                                       {"X-Consul-Token": "wrong"})[0], 403)
            self.assertEqual(d.request("PUT", "/v1/agent/service/register", body,
                                       {"X-Consul-Token": "s3cret"})[0], 200)
            self.assertEqual(d.request("PUT", "/v1/agent/service/deregister/web?token=s3cret")[0], 200)


if __name__ == "__main__":
    unittest.main()
