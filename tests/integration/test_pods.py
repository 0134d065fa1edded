"""Agent mode as a sidecar (SPEC section 9), with real network namespaces: a "server"
namespace with the central dnsd and two "pods", each joined to it by a veth pair
(192.0.2.0/30 and 192.0.2.4/30, never routed anywhere). In each pod: an app (Python's
http.server with a /healthz file) and a dnsd agent on 127.0.0.1:53 that registers and
checks that app on the central dnsd; /etc/netns/<pod>/resolv.conf names 127.0.0.1, so
glibc (getent) in a pod resolves through its agent.

Root only (ip netns add). Fixed ports are used only inside these namespaces. Every wait is
a bounded poll; every process is stopped by its PID.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Dnsd, poll_until

SERVER_A, POD_A = "192.0.2.1", "192.0.2.2"
SERVER_B, POD_B = "192.0.2.5", "192.0.2.6"
INTERVAL, FAILURES = 0.3, 2  # the apps' checks
SLACK = 3.0                  # heartbeat, watch and query time on a busy machine


def run(cmd, timeout=15):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)


class Pods(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        if os.geteuid() != 0:
            self.skipTest("needs root: creates network namespaces (ip netns add)")
        for tool in ("ip", "getent"):
            if not shutil.which(tool):
                self.skipTest("%s is not installed" % tool)
        tag = "%d-%s" % (os.getpid(), secrets.token_hex(2))
        self.server_ns, self.pod_a, self.pod_b = ("dnsd-%s-%s" % (n, tag) for n in "sab")
        for ns in (self.server_ns, self.pod_a, self.pod_b):
            out = run(["ip", "netns", "add", ns])
            if out.returncode != 0:
                self.skipTest("ip netns add failed: %s" % out.stdout.decode().strip())
            self.addCleanup(self.delete_namespace, ns)
            self.ip(ns, "link", "set", "lo", "up")
        for pod, server_ip, pod_ip, link in ((self.pod_a, SERVER_A, POD_A, "to-a"),
                                             (self.pod_b, SERVER_B, POD_B, "to-b")):
            self.ip(self.server_ns, "link", "add", link, "type", "veth", "peer", "name", "eth0",
                    "netns", pod)
            self.ip(self.server_ns, "addr", "add", server_ip + "/30", "dev", link)
            self.ip(self.server_ns, "link", "set", link, "up")
            self.ip(pod, "addr", "add", pod_ip + "/30", "dev", "eth0")
            self.ip(pod, "link", "set", "eth0", "up")
            # The agent takes the pod's first running non-loopback address: wait for the
            # link's carrier (the kernel reports it a moment after both ends are up).
            poll_until(lambda: "state UP" in run(["ip", "-n", pod, "link", "show", "eth0"])
                       .stdout.decode(), timeout=5, message="the pod's link is up")
            etc = os.path.join("/etc/netns", pod)
            os.makedirs(etc)
            with open(os.path.join(etc, "resolv.conf"), "w") as f:
                f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")

        self.server = Dnsd(netns=self.server_ns, dns_listen=("127.0.0.1:53",),
                           http_listen=(SERVER_A + ":8500", SERVER_B + ":8500")).start()
        self.addCleanup(self.server.cleanup)
        self.apps = {}
        self.agents = {}
        for pod, name, pod_ip, server_ip in ((self.pod_a, "a", POD_A, SERVER_A),
                                             (self.pod_b, "b", POD_B, SERVER_B)):
            self.start_app(pod, pod_ip)
            config = (
                "agent:\n"
                "  servers: [\"http://%s:8500\"]\n"
                "  services:\n"
                "    - name: %s\n"
                "      port: 8080\n"
                "      checks: [{http: \"http://%s:8080/healthz\", interval: %dms,\n"
                "                failures_before_critical: %d}]\n"
                % (server_ip, name, pod_ip, INTERVAL * 1000, FAILURES))
            agent = Dnsd(netns=pod, config=config, dns_listen=("127.0.0.1:53",),
                         http_listen=("127.0.0.1:8500",)).start()
            self.addCleanup(agent.cleanup)
            self.agents[pod] = agent

    def ip(self, ns, *args):
        out = run(["ip", "-n", ns] + list(args))
        self.assertEqual(out.returncode, 0, out.stdout)

    def delete_namespace(self, ns):
        run(["ip", "netns", "delete", ns])
        shutil.rmtree(os.path.join("/etc/netns", ns), ignore_errors=True)

    def start_app(self, pod, address):
        root = tempfile.TemporaryDirectory(prefix="dnsd-app-")
        self.addCleanup(root.cleanup)
        with open(os.path.join(root.name, "healthz"), "w") as f:
            f.write("ok\n")
        app = subprocess.Popen(
            ["ip", "netns", "exec", pod, "python3", "-m", "http.server", "8080", "--bind",
             address, "--directory", root.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(harness.stop_process, app)
        self.apps[pod] = app

    def getent(self, pod, name):
        """The addresses glibc in pod finds for name (empty when it finds none)."""
        out = run(["ip", "netns", "exec", pod, "getent", "hosts", name])
        return sorted(line.split()[0] for line in out.stdout.decode().splitlines() if line)

    def test_pods_find_each_other_through_their_agents(self):
        # Each pod's app is registered by its agent with the pod's address (the first
        # non-loopback one) and found from the other pod through glibc.
        poll_until(lambda: self.getent(self.pod_a, "b.service.discovery") == [POD_B],
                   timeout=10, message="pod A finds pod B's app")
        poll_until(lambda: self.getent(self.pod_b, "a.service.discovery") == [POD_A],
                   timeout=10, message="pod B finds pod A's app")

        # B's app dies: its agent's check fails and the name empties in pod A.
        harness.stop_process(self.apps[self.pod_b])
        start = time.monotonic()
        poll_until(lambda: self.getent(self.pod_a, "b.service.discovery") == [],
                   timeout=INTERVAL * FAILURES + SLACK,
                   message="b leaves pod A's answers after its app died")
        self.assertLess(time.monotonic() - start, INTERVAL * FAILURES + SLACK)
        self.start_app(self.pod_b, POD_B)
        poll_until(lambda: self.getent(self.pod_a, "b.service.discovery") == [POD_B],
                   timeout=10, message="b is back once its app answers again")

        # SIGTERM on B's agent deregisters b on the server, and the agent exits 0.
        self.agents[self.pod_b].stop_ok(self)
        status, _, body = self.server.request("GET", "/v1/services/b")
        self.assertEqual((status, body["instances"]), (200, []))
        poll_until(lambda: self.getent(self.pod_a, "b.service.discovery") == [],
                   timeout=SLACK, message="the deregistered b leaves pod A's answers")

        # The central dnsd stops: pod A keeps answering from its copy.
        self.server.stop_ok(self)
        agent_a = self.agents[self.pod_a]
        poll_until(lambda: not agent_a.request("GET", "/v1/status")[2]["agent"]["connected"],
                   timeout=SLACK, message="pod A's agent notices the server is gone")
        self.assertEqual(self.getent(self.pod_a, "a.service.discovery"), [POD_A])


if __name__ == "__main__":
    unittest.main()
