"""A minimal keep-alive HTTP/1.1 client for the benchmark drivers (register, visible, lapse, rss).

Each request (head and JSON body) goes out in one send(), as curl and Go's net/http send
a small request. Python's http.client sends the head and the body in two send() calls
(TCP_NODELAY set), so every request with a body arrives as two segments: the server may
wake up twice and the kernel sends an extra ACK, which the benchmark would charge to the
server. Talks to 127.0.0.1 only; answers must carry Content-Length (dnsd's always do); no HEAD.
"""
import json
import socket


class Http:
    """One keep-alive connection; request() returns (status, body bytes)."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def request(self, method, path, body=None):
        """A JSON body (or none); returns (status, body bytes)."""
        data = b"" if body is None else json.dumps(body).encode()
        headers = () if body is None else (("Content-Type", "application/json"),)
        return self.raw(method, path, data, headers)

    def raw(self, method, path, data=b"", headers=()):
        """Any body bytes with the given (name, value) headers."""
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n" % (
            method, path, len(data))
        for name, value in headers:
            head += "%s: %s\r\n" % (name, value)
        self.sock.sendall(head.encode() + b"\r\n" + data)
        while b"\r\n\r\n" not in self.pending:
            self._receive()
        head, _, rest = self.pending.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        self.pending = rest
        while len(self.pending) < length:
            self._receive()
        answer, self.pending = self.pending[:length], self.pending[length:]
        return status, answer

    def _receive(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.pending += chunk

    def close(self):
        self.sock.close()
