"""http.tls (SPEC §12) on the real binary: a self-signed certificate made with the openssl
CLI; curl --cacert and Python's ssl module register and read over HTTPS (HTTP/1.1 and
HTTP/2), plain HTTP on that port fails, /metrics and /readyz answer over TLS, stalled
handshakes and heads are closed by http.header_timeout, and a bad certificate or key stops
the startup with an error naming the file. An agent reaches an HTTPS server through
agent.ca_file (and refuses one whose certificate that CA did not sign). 127.0.0.1 only.
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import unittest

import harness
from harness import Dnsd, metric_value, poll_until

TOKEN = "tls-test-token-5d1f"


def make_certificate(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def closed_by_peer(sock):
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True


@unittest.skipUnless(shutil.which("openssl") and shutil.which("curl"), "needs openssl and curl")
class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binary()
        cls.tmp = tempfile.TemporaryDirectory(prefix="dnsd-tls-")
        cls.cert, cls.key = make_certificate(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        config = """
http:
  tokens: ["%s"]
  header_timeout: 1s
  tls: {cert: "%s", key: "%s"}
""" % (TOKEN, self.cert, self.key)
        self.dnsd = Dnsd(config=config).start()
        self.addCleanup(self.dnsd.cleanup)
        host, port = self.dnsd.http[0]
        self.base = "https://%s:%d" % (host, port)
        self.context = ssl.create_default_context(cafile=self.cert)

    def tearDown(self):
        self.dnsd.stop_ok(self)

    def curl(self, *args):
        r = subprocess.run(["curl", "-sS", "-m", "10", "--cacert", self.cert,
                            "-w", "\n%{http_code} %{http_version}"] + list(args),
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        body, _, tail = r.stdout.rpartition("\n")
        code, _, version = tail.partition(" ")
        return int(code), version, body

    def https(self, method, path, body=None, headers=None):
        host, port = self.dnsd.http[0]
        conn = http.client.HTTPSConnection(host, port, timeout=10, context=self.context)
        try:
            data = None if body is None else json.dumps(body)
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def test_curl_registers_and_reads_over_https(self):
        auth = "Authorization: Bearer " + TOKEN
        code, version, _ = self.curl("--http1.1", "-X", "PUT", "-H", auth, "--data-binary",
                                     '{"address":"10.0.0.1","port":80}',
                                     self.base + "/v1/services/web/instances/w1")
        self.assertEqual((code, version), (200, "1.1"))
        code, _, _ = self.curl("-X", "PUT", "--data-binary", '{"port":80}',
                               self.base + "/v1/services/web/instances/w2")
        self.assertEqual(code, 401)
        code, _, body = self.curl("--http1.1", self.base + "/v1/services/web")
        self.assertEqual(code, 200)
        self.assertEqual([i["id"] for i in json.loads(body)["instances"]], ["w1"])
        # HTTP/2 by ALPN, and a query string (h2o's path in plain HTTP too).
        code, version, body = self.curl("--http2", self.base + "/v1/services/web?healthy=1")
        self.assertEqual((code, version), (200, "2"))
        self.assertEqual(len(json.loads(body)["instances"]), 1)
        self.assertEqual(self.dnsd.dig("web.service.discovery").rdata(rtype="A"), ["10.0.0.1"])

    def test_plain_http_on_the_tls_port_fails(self):
        host, port = self.dnsd.http[0]
        r = subprocess.run(["curl", "-sS", "-m", "5", "http://%s:%d/healthz" % (host, port)],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0, "plain HTTP was answered: %r" % r.stdout)
        self.assertNotIn('"status"', r.stdout)
        # Still serving HTTPS afterwards.
        self.assertEqual(self.https("GET", "/healthz")[0], 200)

    def test_python_ssl_client_metrics_and_readyz(self):
        status, body = self.https("PUT", "/v1/services/api/instances/a1",
                                  {"address": "10.0.0.2", "port": 81},
                                  {"Authorization": "Bearer " + TOKEN,
                                   "Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        status, body = self.https("GET", "/v1/services/api")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["instances"][0]["id"], "a1")
        self.assertEqual(self.https("GET", "/readyz"), (200, '{"ready":true}\n'))
        status, text = self.https("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(metric_value(text, "dnsd_http_connections"), 1)
        self.assertGreaterEqual(
            metric_value(text, "dnsd_http_requests_total", {"route": "/readyz", "code": "200"}), 1)
        # A client that does not trust the certificate is refused by its own TLS stack.
        with self.assertRaises(ssl.SSLError):
            untrusting = ssl.create_default_context()
            with socket.create_connection(self.dnsd.http[0], timeout=5) as raw:
                with untrusting.wrap_socket(raw, server_hostname="localhost"):
                    pass

    def test_stalled_handshakes_and_heads_are_closed_after_the_timeout(self):
        addr = self.dnsd.http[0]
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(20):  # TCP open, no ClientHello
            s = socket.create_connection(addr, timeout=5)
            s.setblocking(False)
            socks.append(s)
        for i in range(5):  # handshake done, request head half sent
            raw = socket.create_connection(addr, timeout=5)
            s = self.context.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"GET /v1/services/web HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
            s.setblocking(False)
            socks.append(s)
        # Meanwhile others are served.
        self.assertEqual(self.https("GET", "/healthz")[0], 200)
        pending = list(socks)

        def all_closed():
            pending[:] = [s for s in pending if not closed_by_peer(s)]
            return not pending
        poll_until(all_closed, timeout=20, interval=0.1, message="stalled TLS connections closed")
        status, text = self.https("GET", "/metrics")
        self.assertGreaterEqual(metric_value(text, "dnsd_http_header_timeouts_total"), 25)

    def test_connections_reset_by_their_clients_are_closed(self):
        # A reset makes libuv refuse h2o's later writes (the close_notify of the socket it
        # closes) without the callback h2o waits for; the server's sweep closes them.
        clients = 10
        for _ in range(clients):
            raw = socket.create_connection(self.dnsd.http[0], timeout=5)
            s = self.context.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b" 200 ", s.recv(4096))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()  # RST, as the TLS layer is not shut down first
            s.close()

        def metrics():
            return self.https("GET", "/metrics")[1]
        # Only the metrics request's own connection is left open.
        poll_until(lambda: metric_value(metrics(), "dnsd_http_connections") == 1, timeout=10,
                   interval=0.1, message="reset connections closed")
        self.assertEqual(metric_value(metrics(), "dnsd_http_stalled_closes_total"), clients)
        self.assertEqual(self.https("GET", "/healthz")[0], 200)


@unittest.skipUnless(shutil.which("openssl"), "needs openssl")
class TlsStartupErrorTest(unittest.TestCase):
    def setUp(self):
        harness.require_binary()
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-tls-bad-")
        self.addCleanup(self.tmp.cleanup)
        self.cert, self.key = make_certificate(self.tmp.name)

    def run_dnsd(self, cert, key, extra=()):
        path = os.path.join(self.tmp.name, "dnsd.yaml")
        with open(path, "w") as f:
            f.write('http:\n  tls: {cert: "%s", key: "%s"}\n' % (cert, key))
        proc = subprocess.Popen([harness.DNSD_BIN, "--config", path, "--dns-listen", "127.0.0.1:0",
                                 "--http-listen", "127.0.0.1:0"] + list(extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=15)
        finally:
            harness.stop_process(proc)
        return proc.returncode, out, err

    def test_missing_garbled_or_mismatched_files_stop_the_startup_naming_them(self):
        missing = os.path.join(self.tmp.name, "no-such-cert.pem")
        garbled = os.path.join(self.tmp.name, "garbled.pem")
        with open(garbled, "w") as f:
            f.write("not a certificate\n")
        _, other_key = make_certificate(tempfile.mkdtemp(dir=self.tmp.name))
        cases = [(missing, self.key, "http.tls.cert: " + missing),
                 (self.cert, garbled, "http.tls.key: " + garbled),
                 (garbled, self.key, "http.tls.cert: " + garbled),
                 (self.cert, other_key, "http.tls.key: " + other_key)]
        for cert, key, expected in cases:
            with self.subTest(cert=cert, key=key):
                code, out, err = self.run_dnsd(cert, key)
                self.assertEqual(code, 1, err)
                self.assertNotIn("listening", out)
                self.assertIn(expected, err)
                code, out, err = self.run_dnsd(cert, key, ["--check-config"])
                self.assertEqual(code, 1, err)
                self.assertIn(expected, err)
        code, out, err = self.run_dnsd(self.cert, self.key, ["--check-config"])
        self.assertEqual(code, 0, err)
        self.assertIn("config OK", out)


@unittest.skipUnless(shutil.which("openssl"), "needs openssl")
class AgentOverTlsTest(unittest.TestCase):
    """agent.servers with https:// and agent.ca_file: the copy, the registration, and a
    server whose certificate the CA does not vouch for."""

    def setUp(self):
        harness.require_binary()
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-tls-agent-")
        self.addCleanup(self.tmp.cleanup)
        self.cert, self.key = make_certificate(self.tmp.name)
        self.server = Dnsd(config='http:\n  tokens: ["%s"]\n  tls: {cert: "%s", key: "%s"}\n'
                           % (TOKEN, self.cert, self.key)).start()
        self.addCleanup(self.server.cleanup)
        self.url = "https://127.0.0.1:%d" % self.server.http[0][1]
        self.context = ssl.create_default_context(cafile=self.cert)

    def server_request(self, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.http[0][1], timeout=10,
                                           context=self.context)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Authorization": "Bearer " + TOKEN})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read().decode() or "null")
        finally:
            conn.close()

    def side_ids(self):
        status, body = self.server_request("GET", "/v1/services/side")
        return [i["id"] for i in body["instances"]] if status == 200 else []

    def agent(self, ca_file):
        config = ('agent:\n  servers: ["%s"]\n  ca_file: "%s"\n  token: "%s"\n'
                  '  services:\n    - {name: side, id: side-1, address: 192.0.2.20, port: 7000}\n'
                  % (self.url, ca_file, TOKEN))
        agent = Dnsd(config=config).start()
        self.addCleanup(agent.cleanup)
        return agent

    def test_agent_copies_and_registers_over_https(self):
        status, _ = self.server_request("PUT", "/v1/services/api/instances/a1",
                                        {"address": "192.0.2.1", "port": 80})
        self.assertEqual(status, 200)
        agent = self.agent(self.cert)
        poll_until(lambda: agent.dig("api.service.discovery").rdata(rtype="A") == ["192.0.2.1"],
                   timeout=10, message="the agent answers from its copy fetched over HTTPS")
        poll_until(lambda: self.side_ids() == ["side-1"], timeout=10,
                   message="the agent registered its service over HTTPS")
        self.assertEqual(agent.stop(), 0)  # SIGTERM deregisters it, over HTTPS too
        self.assertEqual(self.side_ids(), [])
        self.server.stop_ok(self)

    def test_a_server_certificate_the_ca_did_not_sign_is_not_used(self):
        other_cert, _ = make_certificate(tempfile.mkdtemp(dir=self.tmp.name))
        agent = self.agent(other_cert)
        poll_until(lambda: "certificate" in agent.stderr_text(), timeout=10,
                   message="the agent reports the certificate it could not verify")
        self.assertEqual(agent.request("GET", "/readyz")[0], 503)
        self.assertEqual(self.side_ids(), [])
        self.server.stop_ok(self)

    def test_a_missing_or_garbled_ca_file_stops_the_startup_naming_it(self):
        garbled = os.path.join(self.tmp.name, "garbled.pem")
        with open(garbled, "w") as f:
            f.write("not a certificate\n")
        for ca_file in (os.path.join(self.tmp.name, "missing.pem"), garbled):
            with self.subTest(ca_file=ca_file):
                path = os.path.join(self.tmp.name, "agent.yaml")
                with open(path, "w") as f:
                    f.write('agent:\n  servers: ["%s"]\n  ca_file: "%s"\n' % (self.url, ca_file))
                for extra in (["--check-config"], ["--dns-listen", "127.0.0.1:0",
                                                   "--http-listen", "127.0.0.1:0"]):
                    out = subprocess.run([harness.DNSD_BIN, "--config", path] + extra,
                                         capture_output=True, text=True, timeout=15)
                    self.assertEqual(out.returncode, 1, out.stderr)
                    self.assertIn("agent.ca_file: " + ca_file, out.stderr)
        self.server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
