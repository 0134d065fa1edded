"""The Eureka-compatible API (SPEC §11) against the real binary: the real npm
`eureka-js-client` (tests/integration/eureka_client, pinned by its package-lock.json,
installed by .ci/setup) registers, heartbeats, fetches and deregisters; a lapsed lease
leaves DNS; a dnsd restarted empty makes it register again. Raw requests for what the
client does not use: XML both ways, status overrides, metadata, the delta, vips/svips,
STARTING; and bad input that stores nothing."""
import http.client
import json
import os
import subprocess
import unittest
import xml.etree.ElementTree as ET

import harness

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eureka_client")

XML_INSTANCE = """<?xml version="1.0" encoding="UTF-8"?>
<instance>
  <instanceId>box-9:orders:8080</instanceId>
  <hostName>box-9</hostName>
  <app>ORDERS</app>
  <ipAddr>127.0.0.9</ipAddr>
  <status>{status}</status>
  <port enabled="true">8080</port>
  <securePort enabled="false">8443</securePort>
  <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
  <leaseInfo><durationInSecs>30</durationInSecs></leaseInfo>
  <metadata><zone>z2</zone></metadata>
  <vipAddress>orders</vipAddress>
  <secureVipAddress>orders-secure</secureVipAddress>
</instance>"""


def addresses(result):
    return sorted(r[4] for r in result.answer if r[3] in ("A", "AAAA"))


def instance(host, ip, status="UP", **extra):
    body = {"instanceId": host + ":orders:8080", "hostName": host, "app": "ORDERS",
            "ipAddr": ip, "status": status, "port": {"$": 8080, "@enabled": "true"},
            "vipAddress": "orders",
            "dataCenterInfo": {"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                               "name": "MyOwn"},
            "leaseInfo": {"durationInSecs": 30}}
    body.update(extra)
    return {"instance": body}


class Client:
    """The node driver: one process, commands on stdin, JSON lines on stdout."""

    def __init__(self, testcase, server, app, host, ip, heartbeat_ms, lease_s):
        testcase.assertTrue(os.path.isdir(os.path.join(CLIENT, "node_modules", "eureka-js-client")),
                            "npm ci in %s (.ci/setup does it)" % CLIENT)
        self.proc = subprocess.Popen(
            ["node", os.path.join(CLIENT, "client.js"), "%s:%d" % server, app, host, ip,
             str(heartbeat_ms), str(lease_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.events = []

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, key, count=1, limit=200):
        """Reads lines until the count-th one with key (bounded by lines and a timeout)."""
        seen = 0
        for _ in range(limit):
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("eureka client exited; events so far %r" % self.events)
            msg = json.loads(line)
            self.events.append(msg)
            if key in msg or msg.get("event") == key:
                seen += 1
                if seen == count:
                    return msg
        raise AssertionError("no %r in %r" % (key, self.events))

    def count(self, event):
        return sum(1 for m in self.events if m.get("event") == event)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("exit")
            except BrokenPipeError:
                pass
        harness.stop_process(self.proc)
        self.proc.stdin.close()
        self.proc.stdout.close()


class EurekaBase(unittest.TestCase):
    def setUp(self):
        harness.require_binary(self)
        self.d = harness.Dnsd()
        self.d.start()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.d.cleanup()

    def client(self, *args, **kw):
        c = Client(self, self.d.http[0], *args, **kw)
        self.clients.append(c)
        return c

    def raw(self, method, path, body=None, content_type=None, accept=None, server=None):
        """One request on its own connection: (status, content type, body text)."""
        conn = http.client.HTTPConnection(*(server or self.d.http[0]), timeout=10)
        try:
            headers = {}
            if content_type:
                headers["Content-Type"] = content_type
            if accept:
                headers["Accept"] = accept
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read().decode()
        finally:
            conn.close()

    def get_json(self, path):
        status, ctype, body = self.raw("GET", path, accept="application/json")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", ctype)
        return json.loads(body)

    def post_json(self, body, app="ORDERS"):
        return self.raw("POST", "/eureka/apps/" + app, json.dumps(body), "application/json")

    def a(self, name="orders.service.discovery"):
        return addresses(self.d.dig(name, "A"))


class EurekaClientTest(EurekaBase):
    def test_the_npm_client_registers_heartbeats_fetches_and_stop_deregisters(self):
        c = self.client("WEBAPP", "web-host-1", "127.0.0.21", 200, 30)
        c.send("start")
        self.assertEqual(c.wait_for("started")["started"], True, c.events)
        self.assertEqual(c.count("registered"), 1)
        c.wait_for("heartbeat", count=2)
        self.assertEqual(self.a("webapp.service.discovery"), ["127.0.0.21"])
        apps = self.get_json("/eureka/apps")["applications"]["application"]
        self.assertEqual([a["name"] for a in apps], ["WEBAPP"])
        c.send("fetch")
        self.assertTrue(c.wait_for("fetched")["fetched"], c.events)
        c.send("instances WEBAPP")
        seen = c.wait_for("instances")["instances"]
        self.assertEqual([(i["hostName"], i["status"], i["port"]["$"]) for i in seen],
                         [("web-host-1", "UP", 8080)])
        self.assertEqual(seen[0]["metadata"], {"zone": "z1"})
        c.send("stop")
        self.assertTrue(c.wait_for("stopped")["stopped"], c.events)
        self.assertEqual(self.d.dig("webapp.service.discovery", "A").status, "NXDOMAIN")
        self.assertEqual(self.raw("GET", "/eureka/apps/WEBAPP")[0], 404)

    def test_without_heartbeats_a_2s_lease_leaves_dns_and_shows_down(self):
        c = self.client("LAPSER", "lapse-host", "127.0.0.22", 600000, 2)
        c.send("start")
        self.assertTrue(c.wait_for("started")["started"], c.events)
        self.assertEqual(self.a("lapser.service.discovery"), ["127.0.0.22"])
        harness.poll_until(lambda: self.a("lapser.service.discovery") == [], timeout=6,
                           message="the lapsed instance leaves DNS")
        inst = self.get_json("/eureka/apps/LAPSER/lapse-host")["instance"]
        self.assertEqual(inst["status"], "DOWN")

    def test_a_dnsd_restarted_empty_answers_404_and_the_client_registers_again(self):
        port = self.d.http[0][1]
        c = self.client("AGAIN", "again-host", "127.0.0.23", 300, 30)
        c.send("start")
        self.assertTrue(c.wait_for("started")["started"], c.events)
        c.wait_for("heartbeat")
        self.d.cleanup()
        self.d = harness.Dnsd(http_listen=("127.0.0.1:%d" % port,))
        self.d.start()
        self.assertEqual(self.raw("GET", "/eureka/apps/AGAIN")[0], 404)
        c.wait_for("registered", count=1)  # the second: the first was read before
        self.assertEqual(c.count("registered"), 2)
        self.assertEqual(self.a("again.service.discovery"), ["127.0.0.23"])
        c.wait_for("heartbeat")


class EurekaRawTest(EurekaBase):
    def test_xml_bodies_and_answers(self):
        status, _, body = self.raw("POST", "/eureka/v2/apps/ORDERS", XML_INSTANCE.format(status="UP"),
                                   "application/xml")
        self.assertEqual((status, body), (204, ""))
        self.assertEqual(self.a(), ["127.0.0.9"])
        status, ctype, body = self.raw("GET", "/eureka/apps")
        self.assertEqual(status, 200)
        self.assertIn("xml", ctype)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "applications")
        self.assertEqual(root.findtext("apps__hashcode"), "UP_1_")
        inst = root.find("application/instance")
        self.assertEqual(root.findtext("application/name"), "ORDERS")
        self.assertEqual(inst.findtext("instanceId"), "box-9:orders:8080")
        self.assertEqual(inst.find("port").get("enabled"), "true")
        self.assertEqual(inst.findtext("port"), "8080")
        self.assertEqual(inst.findtext("metadata/zone"), "z2")
        self.assertEqual(inst.find("dataCenterInfo").get("class"),
                         "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo")
        status, ctype, body = self.raw("GET", "/eureka/v2/apps/ORDERS/box-9:orders:8080",
                                       accept="application/xml")
        self.assertEqual(ET.fromstring(body).findtext("hostName"), "box-9")
        # A query string takes the request through h2o: Accept is read there too.
        status, ctype, body = self.raw("GET", "/eureka/apps?via=h2o", accept="application/json")
        self.assertIn("json", ctype)
        self.assertEqual(json.loads(body)["applications"]["apps__hashcode"], "UP_1_")
        status, ctype, body = self.raw("GET", "/eureka/apps?via=h2o")
        self.assertEqual(ET.fromstring(body).findtext("apps__hashcode"), "UP_1_")
        status, _, _ = self.raw("POST", "/eureka/apps/ORDERS?via=h2o",
                                XML_INSTANCE.format(status="DOWN"), "application/xml")
        self.assertEqual(status, 204)
        self.assertEqual(self.a(), [])  # the XML body was read through h2o: DOWN

    def test_status_override_set_and_removed(self):
        self.assertEqual(self.post_json(instance("h1", "127.0.0.31"))[0], 204)
        path = "/eureka/apps/ORDERS/h1:orders:8080/status"
        self.assertEqual(self.raw("PUT", path + "?value=OUT_OF_SERVICE")[0], 200)
        self.assertEqual(self.a(), [])
        inst = self.get_json("/eureka/apps/ORDERS/h1:orders:8080")["instance"]
        self.assertEqual((inst["status"], inst["overriddenstatus"]),
                         ("OUT_OF_SERVICE", "OUT_OF_SERVICE"))
        self.assertEqual(self.raw("PUT", "/eureka/apps/ORDERS/h1:orders:8080")[0], 200)
        self.assertEqual(self.a(), [])  # a heartbeat does not end the override
        self.assertEqual(self.raw("DELETE", path)[0], 200)
        self.assertEqual(self.a(), ["127.0.0.31"])
        inst = self.get_json("/eureka/apps/ORDERS/h1:orders:8080")["instance"]
        self.assertEqual((inst["status"], inst["overriddenstatus"]), ("UP", "UNKNOWN"))
        self.assertEqual(self.raw("PUT", path + "?value=SOMETIMES")[0], 400)

    def test_metadata_update(self):
        self.assertEqual(self.post_json(instance("h1", "127.0.0.31", metadata={"a": "1"}))[0], 204)
        self.assertEqual(self.raw("PUT", "/eureka/apps/ORDERS/h1:orders:8080/metadata?b=2&a=3")[0],
                         200)
        inst = self.get_json("/eureka/apps/ORDERS/h1:orders:8080")["instance"]
        self.assertEqual(inst["metadata"], {"a": "3", "b": "2"})
        self.assertEqual(self.raw("PUT", "/eureka/apps/ORDERS/nope/metadata?b=2")[0], 404)

    def test_delta_shows_recent_changes_with_the_full_hashcode(self):
        self.get_json("/eureka/apps")  # a client's first fetch starts the delta's recording
        for host, ip in (("h1", "127.0.0.31"), ("h2", "127.0.0.32")):
            self.assertEqual(self.post_json(instance(host, ip))[0], 204)
        self.assertEqual(self.raw("DELETE", "/eureka/apps/ORDERS/h1:orders:8080")[0], 200)
        delta = self.get_json("/eureka/apps/delta")["applications"]
        seen = {i["instanceId"]: i["actionType"]
                for app in delta["application"] for i in app["instance"]}
        self.assertEqual(seen, {"h1:orders:8080": "DELETED", "h2:orders:8080": "ADDED"})
        self.assertEqual(delta["apps__hashcode"], "UP_1_")
        full = self.get_json("/eureka/apps")["applications"]
        self.assertEqual(full["apps__hashcode"], delta["apps__hashcode"])

    def test_vips_and_svips(self):
        self.assertEqual(self.raw("POST", "/eureka/apps/ORDERS", XML_INSTANCE.format(status="UP"),
                                  "application/xml")[0], 204)
        vip = self.get_json("/eureka/vips/orders")["applications"]["application"]
        self.assertEqual([i["hostName"] for i in vip[0]["instance"]], ["box-9"])
        svip = self.get_json("/eureka/svips/orders-secure")["applications"]["application"]
        self.assertEqual([i["hostName"] for i in svip[0]["instance"]], ["box-9"])
        self.assertEqual(self.get_json("/eureka/svips/orders")["applications"]["application"], [])
        by_id = self.get_json("/eureka/instances/box-9:orders:8080")["instance"]
        self.assertEqual(by_id["app"], "ORDERS")

    def test_an_instance_registered_starting_is_out_of_dns_until_up(self):
        self.assertEqual(self.post_json(instance("h1", "127.0.0.31", "STARTING"))[0], 204)
        self.assertEqual(self.a(), [])
        self.assertEqual(self.raw("PUT", "/eureka/apps/ORDERS/h1:orders:8080")[0], 200)
        self.assertEqual(self.a(), [])  # a heartbeat keeps the app's STARTING
        inst = self.get_json("/eureka/apps/ORDERS/h1:orders:8080")["instance"]
        self.assertEqual(inst["status"], "STARTING")
        # The instance name exists (any health) while the service has no healthy instance.
        self.assertEqual(self.d.dig("orders.service.discovery", "A").status, "NOERROR")
        self.assertEqual(self.post_json(instance("h1", "127.0.0.31", "UP"))[0], 204)
        self.assertEqual(self.a(), ["127.0.0.31"])

    def test_bad_input_is_400_naming_the_field_and_stores_nothing(self):
        good = instance("h1", "127.0.0.31")
        no_app = json.loads(json.dumps(good))
        del no_app["instance"]["app"]
        no_ip = json.loads(json.dumps(good))
        del no_ip["instance"]["ipAddr"]
        bad_port = json.loads(json.dumps(good))
        bad_port["instance"]["port"] = {"$": "http", "@enabled": "true"}
        cases = [
            ('{"instance": {', "application/json", None),
            ("<instance><app>ORDERS</app>", "application/xml", None),
            (json.dumps(no_app), "application/json", "app"),
            (json.dumps(no_ip), "application/json", "ipAddr"),
            (json.dumps(bad_port), "application/json", "port"),
            (XML_INSTANCE.format(status="UP").replace(">8080<", ">eighty<"), "application/xml",
             "port"),
            (XML_INSTANCE.format(status="UP").replace("<ipAddr>127.0.0.9</ipAddr>", ""),
             "application/xml", "ipAddr"),
        ]
        for body, ctype, field in cases:
            with self.subTest(body=body[:40], field=field):
                status, rtype, text = self.raw("POST", "/eureka/apps/ORDERS", body, ctype)
                self.assertEqual(status, 400, text)
                err = json.loads(text)
                self.assertIn("error", err)
                self.assertEqual(err.get("field"), field)
        self.assertEqual(self.get_json("/eureka/apps")["applications"]["application"], [])
        _, _, services = self.d.request("GET", "/v1/services")
        self.assertEqual(services["services"], [])


if __name__ == "__main__":
    unittest.main()
