"""examples/prometheus/prometheus.yml against a real Prometheus (Debian 12: 2.42).

Prometheus' dns_sd_configs use the system resolver on port 53, so the test runs in a
network namespace of its own (root only; skipped otherwise): dnsd on 127.0.0.1:53 there,
examples/resolv.conf/resolv.conf as the namespace's /etc/resolv.conf (`ip netns exec`
mounts /etc/netns/NAME/resolv.conf over it), two tiny /metrics servers registered as
service "web", and Prometheus with the example config (intervals shortened). Prometheus
must list and scrape both instances, scrape dnsd's own /metrics, and drop a
deregistered instance.
"""

import json
import os
import subprocess
import tempfile
import unittest

import examples_support as ex
import harness
from harness import Dnsd, poll_until

CONFIG = ex.example_path("prometheus", "prometheus.yml")
RESOLV_CONF = ex.example_path("resolv.conf", "resolv.conf")
STARTUP_TIMEOUT = 30  # Prometheus opens its TSDB and loads the config first


def load_yaml(testcase, path):
    try:
        import yaml  # PyYAML (Debian: python3-yaml)
    except ImportError:
        testcase.skipTest("PyYAML is not installed (python3-yaml)")
    with open(path) as f:
        return yaml.safe_load(f), yaml


class PrometheusConfigTest(unittest.TestCase):
    def test_promtool_accepts_the_example(self):
        ex.require_tools(self, "promtool")
        out = subprocess.run(["promtool", "check", "config", CONFIG], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout.decode())

    def test_example_discovers_web_over_srv(self):
        config, _ = load_yaml(self, CONFIG)
        web = next(j for j in config["scrape_configs"] if j["job_name"] == "web")
        sd = web["dns_sd_configs"][0]
        self.assertEqual(sd["type"], "SRV")
        self.assertEqual(sd["names"], ["_web._tcp.service.discovery"])


class PrometheusExampleTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        ex.require_tools(self, "prometheus", "curl")
        self.config, self.yaml = load_yaml(self, CONFIG)
        self.ns = ex.Netns()
        self.addCleanup(self.ns.delete)
        # glibc's AI_ADDRCONFIG ignores loopback addresses: give the namespace one more,
        # or getaddrinfo (getent, cgo resolvers) would not even ask for A records.
        out = self.ns.run(["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"])
        self.assertEqual(out.returncode, 0, out.stdout.decode())
        with open(RESOLV_CONF) as f:
            self.ns.write_resolv_conf(f.read())
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-prometheus-")
        self.addCleanup(self.tmp.cleanup)

    def start_backend(self, name):
        backend = ex.NetnsBackend(self.ns, name)
        self.addCleanup(backend.close)
        return backend

    def render_config(self, dnsd_http):
        """The example with test intervals and dnsd's real HTTP address."""
        config = self.config
        config["global"].update(scrape_interval="1s", scrape_timeout="1s",
                                evaluation_interval="1s")
        for job in config["scrape_configs"]:
            if job["job_name"] == "dnsd":
                job["static_configs"] = [{"targets": ["%s:%d" % dnsd_http]}]
            for sd in job.get("dns_sd_configs", []):
                sd["refresh_interval"] = "1s"
        path = os.path.join(self.tmp.name, "prometheus.yml")
        with open(path, "w") as f:
            self.yaml.safe_dump(config, f)
        return path

    def start_prometheus(self, config_path):
        self.web_port = self.ns.free_tcp_port()
        cmd = self.ns.command([
            "prometheus", "--config.file=" + config_path,
            "--storage.tsdb.path=" + os.path.join(self.tmp.name, "data"),
            "--web.listen-address=127.0.0.1:%d" % self.web_port,
            "--log.level=info"])
        self.prometheus = ex.Process(cmd, cwd=self.tmp.name, name="prometheus")
        self.addCleanup(self.prometheus.cleanup)

        def ready():
            if not self.prometheus.running():
                raise AssertionError("prometheus exited:\n" + self.prometheus.output())
            return self.ns.curl("http://127.0.0.1:%d/-/ready" % self.web_port)[0] == 200
        poll_until(ready, timeout=STARTUP_TIMEOUT, interval=0.25, message="prometheus ready")

    def targets(self):
        """{(job, address): (health, labels, lastError)} of the active targets."""
        code, body = self.ns.curl("http://127.0.0.1:%d/api/v1/targets?state=active"
                                  % self.web_port)
        if code != 200:
            return {}
        out = {}
        for t in json.loads(body)["data"]["activeTargets"]:
            out[(t["labels"]["job"], t["labels"]["instance"])] = (
                t["health"], t["labels"], t.get("lastError", ""))
        return out

    def test_scrapes_registered_instances_and_dnsd(self):
        w1 = self.start_backend("web-1")
        w2 = self.start_backend("web-2")
        dnsd = Dnsd(netns=self.ns.name, dns_listen=("127.0.0.1:53",))
        self.addCleanup(dnsd.cleanup)
        dnsd.start()
        dnsd.register("web", "w1", address="127.0.0.1", port=w1.port, ttl="30s")
        dnsd.register("web", "w2", address="127.0.0.1", port=w2.port, ttl="30s")
        # The namespace's glibc sees dnsd through the example resolv.conf.
        out = self.ns.run(["getent", "ahostsv4", "w1.web.instance.discovery"])
        self.assertEqual(out.returncode, 0, out.stdout.decode())

        self.start_prometheus(self.render_config(dnsd.http[0]))
        wanted = {("web", "w1.web.instance.discovery:%d" % w1.port),
                  ("web", "w2.web.instance.discovery:%d" % w2.port),
                  ("dnsd", "%s:%d" % dnsd.http[0])}
        last = {}

        def all_up():
            last.clear()
            last.update(self.targets())
            return all(last.get(k, ("",))[0] == "up" for k in wanted)
        try:
            poll_until(all_up, timeout=STARTUP_TIMEOUT, interval=0.5,
                       message="prometheus scraping both instances and dnsd")
        except AssertionError as e:
            raise AssertionError("%s\ntargets: %r\nprometheus:\n%s"
                                 % (e, last, self.prometheus.output()[-3000:]))
        labels = last[("web", "w1.web.instance.discovery:%d" % w1.port)][1]
        self.assertEqual(labels["dnsd_instance_id"], "w1")
        self.assertEqual(labels["dnsd_service"], "web")

        # A deregistered instance leaves the SRV answer, then Prometheus' targets.
        self.assertEqual(dnsd.deregister("web", "w2"), 200)
        poll_until(lambda: set(k for k in self.targets() if k[0] == "web")
                   == {("web", "w1.web.instance.discovery:%d" % w1.port)},
                   timeout=15, interval=0.5, message="w2 gone from prometheus' targets")

        self.assertEqual(self.prometheus.stop(), 0, self.prometheus.output()[-3000:])
        dnsd.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
