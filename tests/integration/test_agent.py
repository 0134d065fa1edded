"""Agent mode (SPEC section 9): GET /v1/registry on a server, and an agent dnsd that
answers every name in D from its copy of the servers' registry, kept current by watching
that endpoint, and keeps answering from it when no server is reachable.

A central dnsd and an agent, both real processes on loopback ports picked by the kernel.
Every wait is a bounded poll; every process is stopped by its PID.
"""

import threading
import unittest

import harness


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


if __name__ == "__main__":
    unittest.main()
