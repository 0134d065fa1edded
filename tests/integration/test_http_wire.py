"""dnsd's own HTTP/1.1 keep-alive path on the wire: raw requests on one connection,
pipelining, hand-over to h2o for everything else, and the limits (SPEC section 4)."""

import json
import socket
import subprocess
import time
import unittest

import harness
from test_http import curl, instance_path, url_of


class RawConnection:
    """One TCP connection to the HTTP port; answers are read by Content-Length."""

    def __init__(self, d):
        host, port = d.http[0]
        self.sock = socket.create_connection((host, port), timeout=10)
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data)

    def answer(self, head_only=False):
        """(status line, headers with lower-case names, body) of the next answer."""
        while b"\r\n\r\n" not in self.pending:
            self._receive()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            hdrs[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(hdrs.get("content-length", "0"))
        while len(self.pending) < length:
            self._receive()
        body, self.pending = self.pending[:length], self.pending[length:]
        return lines[0], hdrs, body

    def closed_by_server(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def _receive(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.pending += chunk

    def close(self):
        self.sock.close()


def http_request(method, path, body=b"", headers=(), version="HTTP/1.1"):
    head = "%s %s %s\r\nHost: t\r\n" % (method, path, version)
    for h in headers:
        head += h + "\r\n"
    if body or method == "PUT":
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


class HttpWireTest(unittest.TestCase):
    """Plain keep-alive HTTP/1.1 requests are served by dnsd's own code; anything else
    moves the connection to h2o. Both must answer alike, on the same connection."""

    def setUp(self):
        self.d = harness.Dnsd()
        self.addCleanup(self.d.cleanup)
        self.d.start()

    def tearDown(self):
        self.d.stop_ok(self)

    def connect(self):
        conn = RawConnection(self.d)
        self.addCleanup(conn.close)
        return conn

    def test_both_paths_write_the_same_answer(self):
        self.d.register("web", "a", address="10.0.0.1", port=80)
        for request in (("GET", "/v1/services/web"), ("PUT", "/v1/services/web/instances/a"),
                        ("GET", "/nowhere"), ("HEAD", "/healthz")):
            answers = []
            # HTTP/1.1 with Connection: close is served here, HTTP/1.0 by h2o: both close.
            for version, extra in (("HTTP/1.1", ["Connection: close"]), ("HTTP/1.0", [])):
                conn = self.connect()
                body = b'{"port":81}' if request[0] == "PUT" else b""
                conn.send(http_request(*request, body=body, headers=extra, version=version))
                status, hdrs, payload = conn.answer(head_only=request[0] == "HEAD")
                hdrs.pop("date")
                answers.append((status, hdrs, payload))
                self.assertTrue(conn.closed_by_server())
            self.assertEqual(answers[0], answers[1], request)

    def test_a_connection_moves_to_h2o_and_keeps_serving(self):
        self.d.register("web", "a", address="10.0.0.1", port=80, ttl="1m")
        conn = self.connect()
        beat = http_request("PUT", instance_path("web", "a", "/heartbeat"))
        conn.send(beat * 3)  # pipelined: three answers, in order
        for _ in range(3):
            self.assertEqual(conn.answer()[0], "HTTP/1.1 200 OK")
        chunked = (b"PUT /v1/services/web/instances/b HTTP/1.1\r\nHost: t\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n"
                   b"5\r\n{\"por\r\nb\r\nt\":80,\"ttl\"\r\n7\r\n:\"1m\"}\n\r\n0\r\n\r\n")
        conn.send(chunked + beat)  # h2o from here on, the heartbeat included
        status, _, body = conn.answer()
        self.assertEqual(status, "HTTP/1.1 200 OK", body)
        self.assertEqual(json.loads(body)["id"], "b")
        self.assertEqual(conn.answer()[0], "HTTP/1.1 200 OK")
        conn.send(http_request("GET", "/v1/services/web"))
        names = [i["id"] for i in json.loads(conn.answer()[2])["instances"]]
        self.assertEqual(names, ["a", "b"])
        # Every request was counted, whoever answered it.
        sample = ('dnsd_http_requests_total{route="/v1/services/{svc}/instances/{id}/heartbeat",'
                  'code="200"} 4')
        self.assertIn(sample, self.d.metrics().splitlines())

    def test_a_blocking_query_after_plain_requests_on_one_connection(self):
        conn = self.connect()
        conn.send(http_request("GET", "/healthz"))
        self.assertEqual(conn.answer()[0], "HTTP/1.1 200 OK")
        conn.send(http_request("GET", "/v1/services/web?index=0&wait=30s"))
        self.d.wait_parked()
        self.d.register("web", "a", address="10.0.0.1", port=80)
        status, hdrs, body = conn.answer()
        self.assertEqual(status, "HTTP/1.1 200 OK")
        self.assertEqual([i["id"] for i in json.loads(body)["instances"]], ["a"])

    def test_http2_with_prior_knowledge(self):
        out = subprocess.run(["curl", "-sS", "-m", "10", "--http2-prior-knowledge", "-o",
                              "/dev/null", "-w", "%{http_version} %{http_code}",
                              url_of(self.d, "/healthz")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
        if out.returncode != 0 and b"not support" in out.stderr:
            self.skipTest("curl without HTTP/2")
        self.assertEqual(out.stdout.decode(), "2 200")

    def test_bad_requests_get_h2o_answers(self):
        conn = self.connect()
        conn.send(b"GET /heal thz HTTP/1.1\r\n\r\n")
        status, hdrs, body = conn.answer()
        self.assertEqual((status, body), ("HTTP/1.1 400 Bad Request", b"Bad Request"))
        conn = self.connect()
        conn.send(http_request("GET", "/healthz"))
        conn.answer()
        conn.send(b"PUT /x HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n")
        status, hdrs, _ = conn.answer()
        self.assertEqual(status, "HTTP/1.1 413 Request Entity Too Large")
        self.assertIn("text/plain", hdrs["content-type"])


if __name__ == "__main__":
    unittest.main()
