"""Shared helpers for dnsd integration tests (stdlib only).

Dnsd starts the real binary ($DNSD_BIN) on port 0, reads the startup line
`listening dns=ADDR:PORT[,ADDR:PORT] http=ADDR:PORT` with a bounded timeout, and
offers HTTP (register, heartbeat), dig/kdig wrappers that return parsed sections, a
tiny DNS wire client for what dig cannot show (exact bytes, pipelining), and a clean
stop that asserts exit status 0. Every wait is bounded in count and time.
"""

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

# dig/kdig and the DNS wire client have modules of their own; tests reach them through here.
from digtool import DigResult, _run, dig, kdig, parse_dig  # noqa: F401
from dnswire import (RCODES, TYPES, build_query, decode_name, encode_name,  # noqa: F401
                     parse_message, recv_exact, recv_frame, tcp_frame, wire_query)

DNSD_BIN = os.environ.get("DNSD_BIN", "")
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 6.0  # SPEC: exit within 5 s of SIGTERM


def require_binary(testcase=None):
    if not DNSD_BIN or not os.access(DNSD_BIN, os.X_OK):
        raise unittest.SkipTest("DNSD_BIN is not set to an executable dnsd")


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port that was free a moment ago (for peers like dnsmasq, not for dnsd)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def poll_until(predicate, timeout=5.0, interval=0.05, message="condition"):
    """Calls predicate until it returns a truthy value; bounded in time and count."""
    deadline = time.monotonic() + timeout
    attempts = int(timeout / interval) + 1
    last = None
    for _ in range(attempts):
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last value %r)" % (message, last))


class TcpListener:
    """A TCP check's target on 127.0.0.1:port (0: any port), accepting and closing every
    connection from a thread (so the backlog never fills) until close()."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # shut down
                return
            conn.close()

    def close(self):
        if self.sock.fileno() < 0:
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept(): no longer listening
        except OSError:
            pass
        self.thread.join(timeout=5)
        self.sock.close()


def stop_process(proc, timeout=5.0):
    """SIGTERM, then SIGKILL if it has not exited within timeout; waits for it either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def split_hostport(text):
    m = re.fullmatch(r"\[(.*)\]:(\d+)", text) or re.fullmatch(r"([^:]*):(\d+)", text)
    if not m:
        raise ValueError("bad ADDR:PORT %r" % text)
    return m.group(1), int(m.group(2))


class Dnsd:
    """One dnsd process. Use as a context manager or call start()/stop()."""

    def __init__(self, args=(), config=None, dns_listen=("127.0.0.1:0",),
                 http_listen=("127.0.0.1:0",), netns=None, cwd=None):
        require_binary()
        self.workdir = tempfile.TemporaryDirectory(prefix="dnsd-test-")
        self.args = list(args)
        self.config = config
        self.dns_listen = list(dns_listen)
        self.http_listen = list(http_listen)
        self.netns = netns
        self.cwd = cwd or self.workdir.name
        self.proc = None
        self.dns = []    # [(host, port)]
        self.http = []   # [(host, port)]
        self._http_conn = None

    # -- process -------------------------------------------------------------------
    def command(self):
        cmd = [DNSD_BIN]
        if self.config is not None:
            path = os.path.join(self.workdir.name, "dnsd.yaml")
            with open(path, "w") as f:
                f.write(self.config)
            cmd += ["--config", path]
        for a in self.dns_listen:
            cmd += ["--dns-listen", a]
        for a in self.http_listen:
            cmd += ["--http-listen", a]
        cmd += self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    def start(self):
        self.stderr_path = os.path.join(self.workdir.name, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=self._stderr, cwd=self.cwd)
        line = self._read_startup_line()
        m = re.fullmatch(r"listening dns=(\S+) http=(\S+)", line)
        if not m:
            self.kill()
            raise AssertionError("unexpected startup line %r" % line)
        self.dns = [split_hostport(a) for a in m.group(1).split(",")]
        self.http = [split_hostport(a) for a in m.group(2).split(",")]
        self.startup_line = line
        return self

    def _read_startup_line(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError("no startup line within %.0fs; stderr:\n%s"
                                     % (STARTUP_TIMEOUT, self.stderr_text()))
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(timeout=5)
                    raise AssertionError("dnsd exited with %s before listening; stderr:\n%s"
                                         % (self.proc.returncode, self.stderr_text()))
                buf += chunk
        return buf.split(b"\n", 1)[0].decode()

    def stderr_text(self):
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        """Sends sig, waits (bounded) and returns the exit status."""
        if self.proc is None:
            return None
        if self._http_conn is not None:
            self._http_conn.close()
            self._http_conn = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("dnsd did not exit within %.0fs of %s" % (STOP_TIMEOUT, sig))
        self.proc.stdout.close()
        self._stderr.close()
        return code

    def stop_ok(self, testcase):
        code = self.stop()
        testcase.assertEqual(code, 0, "dnsd exit status; stderr:\n" + self.stderr_text())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def cleanup(self):
        self.kill()
        if self._http_conn is not None:
            self._http_conn.close()
        if self.proc is not None:
            self.proc.stdout.close()
            self._stderr.close()
        self.workdir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- HTTP ----------------------------------------------------------------------
    @property
    def dns_host(self):
        return self.dns[0][0]

    @property
    def dns_port(self):
        return self.dns[0][1]

    def request(self, method, path, body=None, headers=None):
        """One HTTP request on a keep-alive connection; returns (status, headers, parsed)."""
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        if self.netns:
            return self._request_in_netns(method, path, data, hdrs)
        for attempt in range(2):  # the server may have closed an idle keep-alive
            if self._http_conn is None:
                host, port = self.http[0]
                self._http_conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                self._http_conn.request(method, path, body=data, headers=hdrs)
                resp = self._http_conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self._http_conn.close()
                self._http_conn = None
                if attempt == 1:
                    raise
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(raw) if raw and "json" in ctype else raw.decode(errors="replace")
        return resp.status, dict(resp.getheaders()), parsed

    def _request_in_netns(self, method, path, data, hdrs):
        """HTTP inside a network namespace: curl run there (our sockets live outside)."""
        host, port = self.http[0]
        url = "http://%s:%d%s" % ("[%s]" % host if ":" in host else host, port, path)
        cmd = ["curl", "-s", "-m", "10", "-X", method, "-w", "\n%{http_code} %{content_type}"]
        for k, v in hdrs.items():
            cmd += ["-H", "%s: %s" % (k, v)]
        if data is not None:
            cmd += ["--data-binary", data.decode()]
        out = _run(cmd + [url], self.netns)
        raw, _, tail = out.rpartition("\n")
        status, _, ctype = tail.partition(" ")
        parsed = json.loads(raw) if raw and "json" in ctype else raw
        return int(status), {}, parsed

    def register(self, service, instance, expect=200, **fields):
        status, _, body = self.request(
            "PUT", "/v1/services/%s/instances/%s" % (service, instance), fields)
        if expect is not None and status != expect:
            raise AssertionError("register %s/%s: HTTP %s %r" % (service, instance, status, body))
        return body

    def heartbeat(self, service, instance, status=None):
        body = {"status": status} if status else None
        return self.request("PUT", "/v1/services/%s/instances/%s/heartbeat"
                            % (service, instance), body)[0]

    def deregister(self, service, instance):
        return self.request("DELETE", "/v1/services/%s/instances/%s" % (service, instance))[0]

    def wait_parked(self, count=1, timeout=5.0):
        """Until `count` blocking queries are parked (dnsd_http_blocking_queries)."""
        poll_until(lambda: metric_value(self.metrics(), "dnsd_http_blocking_queries") == count,
                   timeout=timeout, message="%d blocking queries parked" % count)

    def metrics(self):
        status, _, body = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError("/metrics: HTTP %s" % status)
        return body

    # -- DNS -------------------------------------------------------------------------
    def dig(self, name, qtype="A", tcp=False, extra=(), server=None):
        host, port = server or self.dns[0]
        return dig(host, port, name, qtype, tcp=tcp, extra=extra, netns=self.netns)

    def kdig(self, name, qtype="A", tcp=False, extra=(), server=None):
        host, port = server or self.dns[0]
        return kdig(host, port, name, qtype, tcp=tcp, extra=extra, netns=self.netns)

    def query(self, name, qtype="A", tcp=False, timeout=3.0, **kw):
        """Raw response bytes to build_query(name, qtype, **kw)."""
        host, port = self.dns[0]
        return wire_query(host, port, build_query(name, qtype, **kw), tcp=tcp, timeout=timeout)


def metric_value(text, name, labels=None):
    """Sums the samples of a Prometheus family whose labels include `labels`."""
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", line.strip())
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in (labels or {}).items()):
            total += float(m.group(3))
            found = True
    return total if found else None
