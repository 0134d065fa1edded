"""A Prometheus-style scraper's consul_sd_configs pointed at dnsd's Consul API (SPEC §10).

Debian's Prometheus 2.42 is built without Consul discovery, so the scraper is Debian's
vmagent (VictoriaMetrics), whose consul_sd_configs is its own implementation with
Prometheus' labels and a Prometheus-style /api/v1/targets. It asks /v1/agent/self first,
then /v1/catalog/services and /v1/health/service/<svc> as blocking queries (`stale`,
`wait`). The instances registered through the Consul API must appear as targets with
__meta_consul_service, __meta_consul_tags and __meta_consul_health, a failed TTL check
must show as the target's health `critical` (and `passing` again after a pass), and a
deregistered one must leave. Free loopback ports; every wait is a bounded poll; vmagent is stopped by
its PID.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

import harness
from harness import Dnsd, poll_until


class ConsulServiceDiscovery(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        if not shutil.which("vmagent"):
            self.skipTest("vmagent is not installed (Debian: victoria-metrics)")
        self.d = Dnsd().start()
        self.addCleanup(self.d.cleanup)
        for body in ({"Name": "web", "ID": "web-1", "Address": "127.0.0.1", "Port": 9101,
                      "Tags": ["v1", "traefik.enable=true"]},
                     {"Name": "web", "ID": "web-2", "Address": "127.0.0.1", "Port": 9102,
                      "Tags": ["v1"], "Check": {"TTL": "30s"}},
                     {"Name": "db", "ID": "db-1", "Address": "127.0.0.1", "Port": 9187}):
            status, _, err = self.d.request("PUT", "/v1/agent/service/register", body)
            self.assertEqual(status, 200, err)
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-vmagent-")
        self.addCleanup(self.tmp.cleanup)
        config = os.path.join(self.tmp.name, "scrape.yml")
        with open(config, "w") as f:
            f.write("scrape_configs:\n"
                    "  - job_name: consul\n"
                    "    scrape_interval: 1s\n"
                    "    consul_sd_configs:\n"
                    "      - server: \"%s:%d\"\n"
                    "        services: [web]\n"
                    # vmagent keeps a target's first discovered labels while its own
                    # labels stay the same: the health becomes a label of the target.
                    "    relabel_configs:\n"
                    "      - source_labels: [__meta_consul_health]\n"
                    "        target_label: health\n" % self.d.http[0])
        self.port = harness.free_port(harness.socket.SOCK_STREAM)
        self.log = open(os.path.join(self.tmp.name, "vmagent.log"), "wb")
        self.addCleanup(self.log.close)
        self.vmagent = subprocess.Popen(
            ["vmagent", "-promscrape.config=" + config,
             "-httpListenAddr=127.0.0.1:%d" % self.port,
             "-remoteWrite.url=http://127.0.0.1:%d/api/v1/write" % self.port,
             "-remoteWrite.tmpDataPath=" + os.path.join(self.tmp.name, "queue"),
             "-promscrape.consulSDCheckInterval=1s", "-promscrape.consul.waitTime=2s",
             "-loggerLevel=ERROR"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(harness.stop_process, self.vmagent, 10)

    def targets(self):
        """{instance address: discovered labels} of vmagent's active targets."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % self.port,
                                        timeout=5) as r:
                body = json.load(r)
        except OSError:
            return None
        return {t["discoveredLabels"]["__address__"]: dict(t["discoveredLabels"], **t["labels"])
                for t in body["data"]["activeTargets"]}

    def test_registered_instances_become_targets_and_a_deregistered_one_leaves(self):
        poll_until(lambda: sorted(self.targets() or {}) == ["127.0.0.1:9101", "127.0.0.1:9102"],
                   timeout=20, message="vmagent lists both web instances")
        labels = self.targets()["127.0.0.1:9101"]
        self.assertEqual(labels["__meta_consul_service"], "web")
        self.assertEqual(labels["__meta_consul_service_id"], "web-1")
        self.assertEqual(labels["__meta_consul_tags"], ",v1,traefik.enable=true,")
        self.assertEqual(labels["__meta_consul_health"], "passing")
        self.assertEqual(labels["__meta_consul_dc"], "dc1")
        # A failed TTL check shows as the target's health, and passing again as well.
        self.assertEqual(self.d.request("PUT", "/v1/agent/check/fail/service:web-2")[0], 200)
        poll_until(lambda: (self.targets() or {}).get("127.0.0.1:9102", {})
                   .get("health") == "critical", timeout=20,
                   message="vmagent shows web-2 critical")
        self.assertEqual(self.d.request("PUT", "/v1/agent/check/pass/service:web-2")[0], 200)
        poll_until(lambda: (self.targets() or {}).get("127.0.0.1:9102", {})
                   .get("health") == "passing", timeout=20,
                   message="vmagent shows web-2 passing again")
        # Deregistering takes the target away.
        self.assertEqual(self.d.request("PUT", "/v1/agent/service/deregister/web-1")[0], 200)
        poll_until(lambda: sorted(self.targets() or {}) == ["127.0.0.1:9102"], timeout=20,
                   message="the deregistered web-1 leaves vmagent's targets")
        # It asked what a Consul agent is first, then watched with blocking queries.
        requests = self.d.metrics()
        for route in ("/v1/agent/self", "/v1/health/service/:svc"):
            self.assertTrue(harness.metric_value(requests, "dnsd_http_requests_total",
                                                 {"route": route}), route)


if __name__ == "__main__":
    unittest.main()
