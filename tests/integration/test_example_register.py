"""examples/register.sh against a real dnsd, and the static example files.

RegisterScriptTest: the script registers, keeps the lease alive with heartbeats,
re-registers after dnsd forgot the instance (404), and on SIGINT deregisters and exits 0.
ExampleFilesTest: the example files that have no peer to run against here parse, and the
dnsd configuration they carry passes `dnsd --check-config` (Kubernetes manifests,
systemd-resolved drop-in, resolv.conf).
"""

import configparser
import os
import signal
import subprocess
import tempfile
import time
import unittest

import examples_support as ex
import harness
from harness import Dnsd, poll_until
from test_checks import Responder

SCRIPT = ex.example_path("register.sh")
LEASE = 1.5  # seconds; the script heartbeats every INTERVAL, well inside it


class RegisterScriptTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        ex.require_tools(self, "bash", "curl", "dig")

    def start_script(self, dnsd, *args):
        env = dict(os.environ, DNSD="http://%s:%d" % dnsd.http[0], TTL="%gs" % LEASE,
                   INTERVAL="0.2")
        proc = ex.Process(["bash", SCRIPT, *args], env=env, name="register")
        self.addCleanup(proc.cleanup)
        return proc

    def instance(self, dnsd, service, ident):
        status, _, body = dnsd.request("GET", "/v1/services/%s" % service)
        self.assertEqual(status, 200, body)
        return next((i for i in body["instances"] if i["id"] == ident), None)

    def addresses(self, dnsd, name):
        answer = dnsd.dig(name, "A")
        return answer.status, sorted(answer.rdata("answer", "A"))

    def test_registers_heartbeats_and_deregisters_on_sigint(self):
        with Dnsd() as dnsd:
            script = self.start_script(dnsd, "api", "api-1", "8080")
            poll_until(lambda: self.addresses(dnsd, "api.service.discovery")
                       == ("NOERROR", ["127.0.0.1"]), timeout=10,
                       message="api.service.discovery from register.sh")
            srv = dnsd.dig("api.service.discovery", "SRV")
            self.assertIn("1 1 8080 api-1.api.instance.discovery.", srv.rdata("answer", "SRV"))
            self.assertIn("registered api/api-1", script.output())

            # Heartbeats keep it: still passing two leases later.
            time.sleep(2 * LEASE)
            inst = self.instance(dnsd, "api", "api-1")
            self.assertEqual(inst["status"], "passing", inst)
            self.assertEqual(self.addresses(dnsd, "api.service.discovery"),
                             ("NOERROR", ["127.0.0.1"]))

            # dnsd forgets it (as after a restart): the next heartbeat gets 404 and the
            # script registers again.
            self.assertEqual(dnsd.deregister("api", "api-1"), 200)
            poll_until(lambda: self.instance(dnsd, "api", "api-1"), timeout=10,
                       message="re-registration after a 404 heartbeat")
            poll_until(lambda: "re-registered api/api-1" in script.output(), timeout=5,
                       message="the script's re-registration message")

            # Ctrl-C: deregisters at once (not after the lease) and exits 0.
            self.assertEqual(script.stop(signal.SIGINT), 0, script.output())
            self.assertIn("deregistered api/api-1", script.output())
            self.assertIsNone(self.instance(dnsd, "api", "api-1"))
            self.assertEqual(dnsd.dig("api.service.discovery", "A").status, "NXDOMAIN")
            dnsd.stop_ok(self)

    def test_sigterm_and_explicit_address(self):
        with Dnsd() as dnsd:
            proc = self.start_script(dnsd, "db", "db-1", "5432")
            poll_until(lambda: self.instance(dnsd, "db", "db-1"), timeout=10,
                       message="db/db-1 registered")
            self.assertEqual(proc.stop(signal.SIGTERM), 0, proc.output())
            self.assertIsNone(self.instance(dnsd, "db", "db-1"))

            env = dict(os.environ, DNSD="http://%s:%d" % dnsd.http[0], TTL="10s",
                       ADDRESS="192.0.2.7", INTERVAL="0.2")
            proc = ex.Process(["bash", SCRIPT, "db", "db-2", "5432"], env=env, name="register")
            self.addCleanup(proc.cleanup)
            poll_until(lambda: self.addresses(dnsd, "db.service.discovery")
                       == ("NOERROR", ["192.0.2.7"]), timeout=10,
                       message="db.service.discovery with ADDRESS")
            self.assertEqual(proc.stop(signal.SIGINT), 0, proc.output())
            dnsd.stop_ok(self)

    def test_usage_error_without_arguments(self):
        out = subprocess.run(["bash", SCRIPT], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=10)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("usage: register.sh SERVICE ID PORT", out.stdout.decode())


def load_yaml_documents(testcase, path):
    try:
        import yaml  # PyYAML (Debian: python3-yaml)
    except ImportError:
        testcase.skipTest("PyYAML is not installed (python3-yaml)")
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def yaml_of(secret):
    """The dnsd.yaml a Secret of configmap.yaml holds, parsed."""
    import yaml
    return yaml.safe_load(secret["stringData"]["dnsd.yaml"])


class ExampleFilesTest(unittest.TestCase):
    """Files whose peers (Kubernetes, systemd-resolved) are not available here."""

    def kubernetes(self):
        docs = []
        for name in ("configmap.yaml", "server.yaml", "deployment.yaml"):
            docs += load_yaml_documents(self, ex.example_path("kubernetes", name))
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    def test_kubernetes_pod_uses_the_sidecar_as_its_resolver(self):
        objs = self.kubernetes()
        pod = objs[("Deployment", "web")]["spec"]["template"]["spec"]
        self.assertEqual(pod["dnsPolicy"], "None")
        self.assertEqual(pod["dnsConfig"]["nameservers"], ["127.0.0.1"])
        searches = pod["dnsConfig"]["searches"]
        self.assertEqual(searches[0], "service.discovery")
        self.assertEqual(searches[2:], ["svc.cluster.local", "cluster.local"])
        self.assertIn("ndots", [o["name"] for o in pod["dnsConfig"]["options"]])
        sidecar = next(c for c in pod["initContainers"] if c["name"] == "dnsd")
        self.assertEqual(sidecar["restartPolicy"], "Always")
        self.assertIn("/readyz", sidecar["readinessProbe"]["exec"]["command"][-1])
        self.assertIn("/healthz", sidecar["livenessProbe"]["exec"]["command"][-1])
        mounted = {v["name"] for v in sidecar["volumeMounts"]}
        volumes = {v["name"]: ("ConfigMap", v["configMap"]["name"]) if "configMap" in v
                   else ("Secret", v["secret"]["secretName"]) for v in pod["volumes"]}
        self.assertEqual(mounted, set(volumes))
        for obj in volumes.values():
            self.assertIn(obj, objs)
        # The sidecar is an agent of the central dnsd's Service, registering the app's port.
        agent = yaml_of(objs[("Secret", "dnsd-agent")])["agent"]
        service = objs[("Service", "dnsd")]
        self.assertEqual(agent["servers"], ["http://dnsd.%s.svc.cluster.local:%d" % (
            service["metadata"]["namespace"], service["spec"]["ports"][0]["port"])])
        app = next(c for c in pod["containers"] if c["name"] == "app")
        port = app["ports"][0]["containerPort"]
        self.assertEqual(agent["services"][0]["port"], port)
        self.assertIn(":%d/" % port, agent["services"][0]["checks"][0]["http"])
        server = yaml_of(objs[("Secret", "dnsd-server")])
        self.assertEqual(agent["token"], server["http"]["tokens"][0])

    def write_sidecar_config(self, tmp):
        """The sidecar's dnsd.yaml, and its zones laid out as kubelet mounts a ConfigMap:
        NAME -> ..data/NAME, ..data -> ..<timestamp>/ holding the files."""
        objs = self.kubernetes()
        config = os.path.join(tmp, "dnsd.yaml")
        with open(config, "w") as f:
            f.write(objs[("Secret", "dnsd-agent")]["stringData"]["dnsd.yaml"])
        zones = os.path.join(tmp, "zones")
        os.makedirs(os.path.join(zones, "..2024_01_01_00_00_00.000000001"))
        os.symlink("..2024_01_01_00_00_00.000000001", os.path.join(zones, "..data"))
        for name, text in objs[("ConfigMap", "dnsd-zones")]["data"].items():
            with open(os.path.join(zones, "..data", name), "w") as f:
                f.write(text)
            os.symlink(os.path.join("..data", name), os.path.join(zones, name))
        return config, zones

    def test_kubernetes_sidecar_config_is_valid(self):
        harness.require_binary()
        with tempfile.TemporaryDirectory() as tmp:
            config, zones = self.write_sidecar_config(tmp)
            load_yaml_documents(self, config)
            out = subprocess.run([harness.DNSD_BIN, "--check-config", "--config", config,
                                  "--zones", zones], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=10)
            self.assertEqual(out.returncode, 0, out.stdout.decode())
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "server.yaml")
            with open(config, "w") as f:
                f.write(self.kubernetes()[("Secret", "dnsd-server")]["stringData"]["dnsd.yaml"])
            out = subprocess.run([harness.DNSD_BIN, "--check-config", "--config", config],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
            self.assertEqual(out.returncode, 0, out.stdout.decode())

    def test_kubernetes_agent_registers_its_app_on_the_server(self):
        """Both configurations as they are, but for their addresses: loopback ports, a
        local app for the check, a data dir of the test's, no cluster DNS."""
        import yaml
        harness.require_binary()
        objs = self.kubernetes()
        app = Responder()
        self.addCleanup(app.close)
        with tempfile.TemporaryDirectory() as tmp:
            server_cfg = yaml_of(objs[("Secret", "dnsd-server")])
            server_cfg["storage"]["data_dir"] = os.path.join(tmp, "data")
            server = Dnsd(config=yaml.safe_dump(server_cfg)).start()
            self.addCleanup(server.cleanup)
            token = server_cfg["http"]["tokens"][0]

            _, zones = self.write_sidecar_config(tmp)
            agent_cfg = yaml_of(objs[("Secret", "dnsd-agent")])
            agent_cfg["dns"]["upstreams"] = []
            agent_cfg["zones"]["dir"] = zones
            agent_cfg["agent"]["servers"] = ["http://%s:%d" % server.http[0]]
            web = agent_cfg["agent"]["services"][0]
            web["address"] = "192.0.2.20"  # the pod IP; this host may have no other address
            web["checks"][0]["http"] = app.url("healthz")
            web["checks"][0]["interval"] = "200ms"
            agent = Dnsd(config=yaml.safe_dump(agent_cfg)).start()
            self.addCleanup(agent.cleanup)

            def instances():
                return server.request("GET", "/v1/services/web")[2]["instances"]

            poll_until(lambda: len(instances()) == 1, timeout=10,
                       message="the agent registered web on the server, with the token")
            self.assertTrue(instances()[0]["id"].startswith("web-"), instances())
            poll_until(lambda: agent.dig("web.service.discovery", "A").rdata("answer", "A")
                       == ["192.0.2.20"], timeout=5, message="the agent answers for web")
            self.assertEqual(agent.dig("orders-db.service.discovery", "A").rdata("answer", "A"),
                             ["192.0.2.10"])
            # Without the token, the server refuses writes: the agent's worked because of it.
            status, _, _ = server.request("DELETE", "/v1/services/web/instances/x")
            self.assertEqual(status, 401)
            agent.stop_ok(self)
            self.assertEqual(instances(), [])
            server.stop_ok(self)

    def test_kubernetes_static_zone_answers_from_a_configmap_layout(self):
        harness.require_binary()
        with tempfile.TemporaryDirectory() as tmp:
            _, zones = self.write_sidecar_config(tmp)
            with Dnsd(args=["--zones", zones]) as dnsd:
                answer = dnsd.dig("orders-db.service.discovery", "A")
                self.assertEqual(answer.rdata("answer", "A"), ["192.0.2.10"], answer)
                srv = dnsd.dig("_postgres._tcp.orders-db.service.discovery", "SRV")
                self.assertEqual(srv.rdata("answer", "SRV"),
                                 ["1 1 5432 orders-db.service.discovery."], srv)
                dnsd.stop_ok(self)

    def test_kubernetes_probes_pass_against_dnsd(self):
        """The exec probes, with the port changed to the test dnsd's, against it."""
        ex.require_tools(self, "bash")
        pod = self.kubernetes()[("Deployment", "web")]["spec"]["template"]["spec"]
        sidecar = next(c for c in pod["initContainers"] if c["name"] == "dnsd")
        with Dnsd() as dnsd:
            port = dnsd.http[0][1]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                cmd = sidecar[probe]["exec"]["command"]
                self.assertIn("/127.0.0.1/8500", cmd[-1])
                cmd = cmd[:-1] + [cmd[-1].replace("/127.0.0.1/8500", "/127.0.0.1/%d" % port)]
                out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     timeout=10)
                self.assertEqual(out.returncode, 0, "%s: %s" % (probe, out.stdout.decode()))
            dnsd.stop_ok(self)
        # And a probe fails when nothing listens there any more.
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        self.assertNotEqual(out.returncode, 0)

    def test_systemd_resolved_drop_in(self):
        parser = configparser.ConfigParser()
        parser.read(ex.example_path("resolv.conf", "resolved.conf.d", "dnsd.conf"))
        self.assertEqual(parser["Resolve"]["DNS"], "127.0.0.1:8600")
        self.assertEqual(parser["Resolve"]["Domains"], "~discovery")

    def test_resolv_conf_names_only_dnsd(self):
        with open(ex.example_path("resolv.conf", "resolv.conf")) as f:
            lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn(["nameserver", "127.0.0.1"], lines)
        self.assertEqual([l for l in lines if l[0] == "nameserver"], [["nameserver", "127.0.0.1"]])
        self.assertIn(["search", "service.discovery"], lines)


if __name__ == "__main__":
    unittest.main()
