"""Agent mode (SPEC section 9): GET /v1/registry on a server, and an agent dnsd that
answers every name in D from its copy of the servers' registry, kept current by watching
that endpoint, and keeps answering from it when no server is reachable; and the agent's
own services (agent.services), checked by the agent and registered on the servers.

A central dnsd and an agent, both real processes on loopback ports picked by the kernel.
Every wait is a bounded poll; every process is stopped by its PID.
"""

import os
import socket
import threading
import unittest

import harness
from test_checks import Responder


def addresses(d, service):
    return sorted(d.dig("%s.service.discovery." % service, "A").rdata("answer", "A"))


class RegistryEndpoint(unittest.TestCase):
    """GET /v1/registry on any dnsd: everything, or the services changed since N."""

    def setUp(self):
        self.d = harness.Dnsd().start()
        self.addCleanup(self.d.cleanup)

    def get(self, query=""):
        status, headers, body = self.d.request("GET", "/v1/registry" + query)
        self.assertEqual(status, 200, body)
        self.assertEqual(int(headers["X-Dnsd-Index"]), body["index"])
        return body

    def test_full_then_changes_since_an_index(self):
        self.d.register("api", "a1", address="192.0.2.1", port=80)
        self.d.register("web", "w1", address="192.0.2.2", port=80, tags=["blue"])
        full = self.get()
        self.assertTrue(full["full"])
        self.assertEqual([s["name"] for s in full["services"]], ["api", "web"])
        web = full["services"][1]
        self.assertEqual(web["instances"][0]["tags"], ["blue"])
        self.assertEqual(web["instances"][0]["status"], "passing")
        since = full["index"]

        self.d.register("web", "w2", address="192.0.2.3", port=80)
        self.assertEqual(self.d.deregister("api", "a1"), 200)
        delta = self.get("?index=%d" % since)
        self.assertFalse(delta["full"])
        by_name = {s["name"]: s for s in delta["services"]}
        self.assertEqual(sorted(by_name), ["api", "web"])
        self.assertEqual(by_name["api"]["instances"], [])  # removed: listed empty
        self.assertEqual(by_name["api"]["index"], delta["index"])
        self.assertEqual(sorted(i["id"] for i in by_name["web"]["instances"]), ["w1", "w2"])
        # Nothing changed since the latest index: an empty list (wait=0 answers at once).
        self.assertEqual(self.get("?index=%d&wait=0s" % delta["index"])["services"], [])

    def test_blocking_query_returns_on_a_change(self):
        index = self.get()["index"]
        result = {}

        def watch():
            result["body"] = self.get("?index=%d&wait=10s" % index)

        t = threading.Thread(target=watch)
        t.start()
        t.join(timeout=0.3)
        self.assertTrue(t.is_alive(), "the watch returned although nothing changed")
        self.d.register("db", "d1", address="192.0.2.9", port=5432)
        t.join(timeout=10)
        self.assertFalse(t.is_alive(), "the watch did not return after a change")
        self.assertEqual([s["name"] for s in result["body"]["services"]], ["db"])

    def test_an_index_from_another_history_gets_everything_at_once(self):
        self.d.register("api", "a1", address="192.0.2.1", port=80)
        body = self.get("?index=999999&wait=30s")  # would block 30 s if taken as current
        self.assertTrue(body["full"])
        self.assertEqual([s["name"] for s in body["services"]], ["api"])

    def test_bad_index_is_an_error(self):
        status, _, body = self.d.request("GET", "/v1/registry?index=x")
        self.assertEqual(status, 400)
        self.assertEqual(body["field"], "index")


class Agent(unittest.TestCase):
    def setUp(self):
        self.server = harness.Dnsd().start()
        self.addCleanup(self.server.cleanup)
        url = "http://%s:%d" % self.server.http[0]
        self.agent = harness.Dnsd(config="agent:\n  servers: [\"%s\"]\n" % url).start()
        self.addCleanup(self.agent.cleanup)
        harness.poll_until(lambda: self.status()["connected"], timeout=5,
                           message="the agent connected to its server")

    def status(self):
        return self.agent.request("GET", "/v1/status")[2]["agent"]

    def test_answers_from_its_copy_and_follows_changes(self):
        self.server.register("api", "a1", address="192.0.2.1", port=8080)
        self.server.register("api", "a2", address="192.0.2.2", port=8080)
        harness.poll_until(lambda: addresses(self.agent, "api") == ["192.0.2.1", "192.0.2.2"],
                           timeout=5, message="the agent answers with both instances")
        srv = self.agent.dig("_api._tcp.service.discovery.", "SRV").rdata("answer", "SRV")
        self.assertEqual(len(srv), 2)
        # A health change on the server leaves the agent's answers too.
        self.server.request("PUT", "/v1/services/api/instances/a2/status",
                            {"status": "maintenance"})
        harness.poll_until(lambda: addresses(self.agent, "api") == ["192.0.2.1"], timeout=5,
                           message="the instance in maintenance leaves the agent's answers")
        # The last instance removed on the server: the name is gone on the agent.
        self.server.deregister("api", "a1")
        self.server.deregister("api", "a2")
        harness.poll_until(
            lambda: self.agent.dig("api.service.discovery.", "A").status == "NXDOMAIN",
            timeout=5, message="the removed service is NXDOMAIN on the agent")
        self.assertEqual(self.status()["index"], self.server.request("GET", "/v1/status")[2]["index"])

    def test_local_writes_are_refused(self):
        status, _, body = self.agent.request(
            "PUT", "/v1/services/x/instances/y", {"address": "192.0.2.7", "port": 1})
        self.assertEqual(status, 409, body)
        self.assertIn("agent", body["error"])

    def test_keeps_answering_when_no_server_is_reachable(self):
        self.server.register("web", "w1", address="192.0.2.5", port=80)
        harness.poll_until(lambda: addresses(self.agent, "web") == ["192.0.2.5"], timeout=5,
                           message="the agent has the instance")
        self.server.stop_ok(self)
        harness.poll_until(lambda: not self.status()["connected"], timeout=5,
                           message="the agent notices its server is gone")
        self.assertEqual(addresses(self.agent, "web"), ["192.0.2.5"])
        self.assertTrue(self.status()["error"])
        self.assertEqual(harness.metric_value(self.agent.metrics(), "dnsd_agent_connected"), 0)
        self.assertGreater(harness.metric_value(self.agent.metrics(), "dnsd_agent_errors_total"), 0)


class AgentStartup(unittest.TestCase):
    def test_not_ready_until_a_server_answered(self):
        port = harness.free_port(harness.socket.SOCK_STREAM)
        agent = harness.Dnsd(config="agent:\n  servers: [\"http://127.0.0.1:%d\"]\n" % port)
        agent.start()
        self.addCleanup(agent.cleanup)
        status, _, _ = agent.request("GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertEqual(agent.dig("api.service.discovery.", "A").status, "SERVFAIL")

    def test_agent_with_a_data_dir_is_a_config_error(self):
        agent = harness.Dnsd(args=["--check-config"],
                             config="agent: {servers: [\"http://127.0.0.1:1\"]}\n"
                                    "storage: {data_dir: /tmp/x}\n")
        out = harness.subprocess.run(agent.command(), capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("agent.servers", out.stdout + out.stderr)


def instances(d, service):
    status, _, body = d.request("GET", "/v1/services/%s" % service)
    return body["instances"] if status == 200 else []


class AgentServices(unittest.TestCase):
    """agent.services: registered on the first server that answers, heartbeated with the
    checks' result, registered again after a 404, deregistered on SIGTERM."""

    def setUp(self):
        self.server = harness.Dnsd().start()
        self.addCleanup(self.server.cleanup)
        self.app = Responder()
        self.addCleanup(self.app.close)
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.addCleanup(self.tcp.close)
        dead = harness.free_port(socket.SOCK_STREAM)  # nothing listens: the agent moves on
        self.config = (
            'agent:\n'
            '  servers: ["http://127.0.0.1:%d", "http://%s:%d"]\n'
            '  services:\n'
            '    - name: app\n'
            '      id: app-1\n'
            '      address: 192.0.2.10\n'
            '      port: %d\n'
            '      tags: [blue]\n'
            '      meta: {version: "2"}\n'
            '      checks:\n'
            '        - {http: "%s", interval: 200ms, failures_before_critical: 2}\n'
            '    - name: cache\n'
            '      address: 192.0.2.11\n'
            '      port: 6379\n'
            '      checks: [{tcp: "127.0.0.1:%d", interval: 300ms}]\n'
            % ((dead,) + self.server.http[0] + (self.app.server_address[1],
               self.app.url("healthz"), self.tcp.getsockname()[1])))
        self.agent = harness.Dnsd(config=self.config).start()
        self.addCleanup(self.agent.cleanup)
        harness.poll_until(lambda: len(instances(self.server, "app")) == 1 and
                           len(instances(self.server, "cache")) == 1, timeout=10,
                           message="the agent registered app and cache on the second server")

    def status_of(self, service="app"):
        found = instances(self.server, service)
        return found[0]["status"] if found else None

    def test_registers_without_checks_with_a_lease_and_is_answered_by_the_agent(self):
        inst = instances(self.server, "app")[0]
        self.assertEqual(inst["id"], "app-1")
        self.assertEqual(inst["address"], "192.0.2.10")
        self.assertEqual(inst["port"], self.app.server_address[1])
        self.assertEqual(inst["tags"], ["blue"])
        self.assertEqual(inst["meta"], {"version": "2"})
        self.assertEqual(inst["status"], "passing")
        self.assertLessEqual(inst["lease_remaining"], 0.6)  # 3 x the 200 ms interval
        self.assertFalse(inst.get("checks"))  # the agent runs them, not the server
        # The default id: <name>-<host name>, a DNS label.
        cache = instances(self.server, "cache")[0]
        self.assertTrue(cache["id"].startswith("cache-"), cache["id"])
        # Heartbeats keep the 600 ms lease alive well past it.
        beats = lambda: harness.metric_value(self.agent.metrics(), "dnsd_agent_heartbeats_total")
        harness.poll_until(lambda: beats() >= 10, timeout=10, message="ten heartbeats")
        self.assertEqual(self.status_of(), "passing")
        # The agent answers with it from its copy of the server's registry.
        harness.poll_until(lambda: addresses(self.agent, "app") == ["192.0.2.10"], timeout=5,
                           message="the agent answers app")
        self.assertEqual(addresses(self.agent, "cache"), ["192.0.2.11"])
        self.assertEqual(harness.metric_value(self.agent.metrics(), "dnsd_agent_services",
                                              {"state": "registered"}), 2)
        # Every family an agent exports is documented (test_http checks a plain dnsd's).
        families = [line.split()[2] for line in self.agent.metrics().splitlines()
                    if line.startswith("# TYPE ")]
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                               "METRICS.md")) as f:
            documented = f.read()
        self.assertEqual([f for f in families if "`%s`" % f not in documented], [])

    def test_check_results_reach_the_server(self):
        self.app.code = 500
        harness.poll_until(lambda: self.status_of() == "critical", timeout=5,
                           message="a failing check makes app critical on the server")
        harness.poll_until(lambda: addresses(self.agent, "app") == [], timeout=5,
                           message="critical app leaves the agent's answers")
        self.app.code = 429
        harness.poll_until(lambda: self.status_of() == "warning", timeout=5,
                           message="429 makes it warning")
        self.app.code = 200
        harness.poll_until(lambda: self.status_of() == "passing", timeout=5,
                           message="back to passing")
        harness.poll_until(lambda: addresses(self.agent, "app") == ["192.0.2.10"], timeout=5,
                           message="back in the agent's answers")
        # A refused TCP check: the cache goes critical.
        self.tcp.close()
        harness.poll_until(lambda: self.status_of("cache") == "critical", timeout=5,
                           message="a refused connect makes cache critical")

    def test_a_server_that_lost_it_gets_it_again(self):
        self.assertEqual(self.server.deregister("app", "app-1"), 200)
        harness.poll_until(lambda: len(instances(self.server, "app")) == 1, timeout=5,
                           message="the 404 to the next heartbeat registers app again")
        self.assertGreaterEqual(
            harness.metric_value(self.agent.metrics(), "dnsd_agent_registrations_total"), 3)

    def test_sigterm_deregisters_then_exits_0(self):
        self.agent.stop_ok(self)
        self.assertEqual(instances(self.server, "app"), [])
        self.assertEqual(instances(self.server, "cache"), [])
        self.assertIn("deregistered", self.agent.stderr_text())


class AgentServicesConfig(unittest.TestCase):
    def check_config(self, text):
        d = harness.Dnsd(args=["--check-config"], config=text)
        self.addCleanup(d.cleanup)
        out = harness.subprocess.run(d.command(), capture_output=True, text=True, timeout=10)
        return out.returncode, out.stdout + out.stderr

    def test_problems_are_named_with_their_line(self):
        code, text = self.check_config(
            'agent:\n'
            '  servers: ["http://127.0.0.1:1"]\n'
            '  services:\n'
            '    - name: app\n'
            '      port: 80\n'
            '      prot: udp\n'
            '    - name: db\n'
            '      port: 5432\n'
            '      checks:\n'
            '        - {tcp: "127.0.0.1:5432", interval: soon}\n'
            '        - {http: "ftp://x", tcp: "127.0.0.1:1"}\n')
        self.assertEqual(code, 1)
        self.assertIn(":6: agent.services[0].prot: unknown key", text)
        self.assertIn(":10: agent.services[1].checks[0].interval: must be a duration", text)
        self.assertIn("agent.services[1].checks[1]: needs exactly one of", text)

    def test_a_bad_check_target_and_a_missing_port(self):
        code, text = self.check_config(
            'agent:\n'
            '  servers: ["http://127.0.0.1:1"]\n'
            '  services: [{name: app, checks: [{http: "ftp://x"}]}, {name: web, port: 80, '
            'checks: [{http: "ftp://x"}]}]\n')
        self.assertEqual(code, 1)
        self.assertIn("agent.services[0].port: is required", text)
        self.assertIn("agent.services[1].checks[0].http", text)

    def test_services_need_servers_and_exec_checks_are_accepted(self):
        code, text = self.check_config(
            'agent:\n'
            '  services: [{name: job, port: 1, checks: [{exec: ["/bin/true"], interval: 5s}]}]\n')
        self.assertEqual(code, 1)
        self.assertIn("agent.services: needs agent.servers", text)
        code, text = self.check_config(
            'agent:\n'
            '  servers: ["http://127.0.0.1:1"]\n'
            '  services: [{name: job, port: 1, checks: [{exec: ["/bin/true"], interval: 5s}]}]\n')
        self.assertEqual(code, 0, text)


if __name__ == "__main__":
    unittest.main()
