"""Prometheus' eureka_sd_configs pointed at dnsd's Eureka API (SPEC §11).

Debian's Prometheus has Eureka discovery: it reads `<server>/apps` in Eureka's XML shape
(its own parser), so the instances registered through the Eureka API must appear as
targets with __meta_eureka_app_name, the instance's id, host name, status, port and
metadata, and a deregistered one must leave. Free loopback ports; every wait is a bounded
poll; Prometheus is stopped by its PID.
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


def instance(host, port, status="UP"):
    return {"instance": {
        "instanceId": host + ":orders", "hostName": host, "app": "ORDERS", "ipAddr": "127.0.0.1",
        "status": status, "port": {"$": port, "@enabled": "true"}, "vipAddress": "orders",
        "dataCenterInfo": {"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                           "name": "MyOwn"},
        "metadata": {"zone": "z1"}}}


class EurekaServiceDiscovery(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        if not shutil.which("prometheus"):
            self.skipTest("prometheus is not installed")
        self.d = Dnsd().start()
        self.addCleanup(self.d.cleanup)
        for host, port in (("localhost", 9101), ("127.0.0.1", 9102)):
            status, _, err = self.d.request("POST", "/eureka/apps/ORDERS", instance(host, port))
            self.assertEqual(status, 204, err)
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-prometheus-")
        self.addCleanup(self.tmp.cleanup)
        config = os.path.join(self.tmp.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("scrape_configs:\n"
                    "  - job_name: eureka\n"
                    "    scrape_interval: 1s\n"
                    "    eureka_sd_configs:\n"
                    "      - server: \"http://%s:%d/eureka\"\n"
                    "        refresh_interval: 1s\n" % self.d.http[0])
        self.port = harness.free_port(harness.socket.SOCK_STREAM)
        self.log = open(os.path.join(self.tmp.name, "prometheus.log"), "wb")
        self.addCleanup(self.log.close)
        self.prometheus = subprocess.Popen(
            ["prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.tmp.name, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=error"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.tmp.name)
        self.addCleanup(harness.stop_process, self.prometheus, 10)

    def targets(self):
        """{instance id: discovered labels} of Prometheus' active targets."""
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/api/v1/targets?state=active" % self.port,
                    timeout=5) as r:
                body = json.load(r)
        except OSError:
            return None
        return {t["discoveredLabels"].get("__meta_eureka_app_instance_id"): t["discoveredLabels"]
                for t in body["data"]["activeTargets"]}

    def test_registered_instances_become_targets_and_a_deregistered_one_leaves(self):
        poll_until(lambda: sorted(self.targets() or {}) == ["127.0.0.1:orders", "localhost:orders"],
                   timeout=30, interval=0.2, message="prometheus lists both instances")
        labels = self.targets()["localhost:orders"]
        self.assertEqual(labels["__meta_eureka_app_name"], "ORDERS")
        self.assertEqual(labels["__meta_eureka_app_instance_hostname"], "localhost")
        self.assertEqual(labels["__meta_eureka_app_instance_status"], "UP")
        self.assertEqual(labels["__meta_eureka_app_instance_port"], "9101")
        self.assertEqual(labels["__meta_eureka_app_instance_port_enabled"], "true")
        self.assertEqual(labels["__meta_eureka_app_instance_metadata_zone"], "z1")
        self.assertEqual(labels["__address__"], "localhost:9101")
        status, _, _ = self.d.request("DELETE", "/eureka/apps/ORDERS/localhost:orders")
        self.assertEqual(status, 200)
        poll_until(lambda: sorted(self.targets() or {}) == ["127.0.0.1:orders"], timeout=30,
                   interval=0.2, message="the deregistered instance leaves prometheus' targets")


if __name__ == "__main__":
    unittest.main()
