"""Scoped tokens (SPEC §12) on the real binary, and tokens never in the logs: dnsd runs at
log.level debug with the query log on, requests carry tokens in Authorization,
X-Consul-Token and ?token= on both HTTP paths (dnsd's fast path and h2o's), and no token
string appears anywhere in stdout or stderr. 127.0.0.1 only.
"""

import http.client
import json
import signal
import unittest

from harness import Dnsd, STOP_TIMEOUT

ADMIN = "admin-SECRET-7c2e91"
TEAM = "team-SECRET-40af1d"
WRONG = "wrong-SECRET-99b0c3"
SECRETS = (ADMIN, TEAM, WRONG)

CONFIG = """
http:
  tokens:
    - "%s"
    - {token: "%s", services: ["api", "web-*"]}
log:
  level: debug
  queries: true
""" % (ADMIN, TEAM)


class TokensTest(unittest.TestCase):
    def setUp(self):
        self.dnsd = Dnsd(config=CONFIG).start()
        self.addCleanup(self.dnsd.cleanup)

    def call(self, method, path, body=None, headers=None, http10=False):
        """One request on a connection of its own (HTTP/1.0 goes to h2o)."""
        host, port = self.dnsd.http[0]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        if http10:
            conn._http_vsn, conn._http_vsn_str = 10, "HTTP/1.0"
        try:
            data = None if body is None else json.dumps(body)
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def bearer(self, token):
        return {"Authorization": "Bearer " + token}

    def test_scopes_and_no_token_in_any_log(self):
        inst = {"address": "10.0.0.1", "port": 80}
        # Native API, fast path and h2o (HTTP/1.0, a query string).
        self.assertEqual(self.call("PUT", "/v1/services/api/instances/a1", inst, self.bearer(TEAM)), 200)
        self.assertEqual(self.call("PUT", "/v1/services/web-1/instances/w1", inst, self.bearer(TEAM),
                                   http10=True), 200)
        self.assertEqual(self.call("PUT", "/v1/services/db/instances/d1", inst, self.bearer(TEAM)), 403)
        self.assertEqual(self.call("PUT", "/v1/services/db/instances/d1?token=" + TEAM, inst,
                                   self.bearer(TEAM)), 403)
        self.assertEqual(self.call("PUT", "/v1/services/db/instances/d1", inst, self.bearer(ADMIN)), 200)
        self.assertEqual(self.call("PUT", "/v1/services/db/instances/d2", inst, self.bearer(WRONG)), 403)
        self.assertEqual(self.call("PUT", "/v1/services/db/instances/d2", inst,
                                   {"Authorization": "Basic " + ADMIN}), 401)
        self.assertEqual(self.call("DELETE", "/v1/services/db/instances/d1", None, self.bearer(TEAM)), 403)
        self.assertEqual(self.call("GET", "/v1/services/db"), 200)  # reads need no token
        # Consul API: X-Consul-Token, ?token=, and ids resolved to their service.
        reg = {"Name": "db", "ID": "db-2", "Port": 5432, "Address": "10.0.0.3"}
        self.assertEqual(self.call("PUT", "/v1/agent/service/register", reg,
                                   {"X-Consul-Token": TEAM}), 403)
        self.assertEqual(self.call("PUT", "/v1/agent/service/register?token=" + ADMIN, reg), 200)
        self.assertEqual(self.call("PUT", "/v1/agent/service/deregister/db-2?token=" + TEAM), 403)
        self.assertEqual(self.call("PUT", "/v1/agent/service/deregister/db-2",
                                   headers={"X-Consul-Token": WRONG}), 403)
        reg_api = {"Name": "api", "ID": "api-9", "Port": 81, "Address": "10.0.0.4"}
        self.assertEqual(self.call("PUT", "/v1/agent/service/register", reg_api,
                                   {"X-Consul-Token": TEAM}), 200)
        self.assertEqual(self.call("PUT", "/v1/agent/service/deregister/api-9?token=" + TEAM), 200)
        # d1 (admin) stays: the team token could not delete it.
        self.assertEqual(sorted(self.dnsd.dig("db.service.discovery").rdata(rtype="A")),
                         ["10.0.0.1", "10.0.0.3"])
        # Everything that was written is there; nothing refused was.
        status, _, body = self.dnsd.request("GET", "/v1/services")
        names = sorted(s["name"] for s in body["services"])
        self.assertEqual(names, ["api", "db", "web-1"])

        proc = self.dnsd.proc
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=STOP_TIMEOUT), 0)
        out = proc.stdout.read().decode(errors="replace")
        err = self.dnsd.stderr_text()
        self.assertIn("debug", err)  # the level really is debug: requests are logged
        self.assertIn("http: PUT /v1/services/db/instances/d1", err)
        self.assertIn("query client=", err)
        for secret in SECRETS:
            self.assertNotIn(secret, out)
            self.assertNotIn(secret, err)
        for fragment in ("SECRET",):
            self.assertNotIn(fragment, out + err)


if __name__ == "__main__":
    unittest.main()
