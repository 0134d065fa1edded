"""A real etcd cluster on 127.0.0.1 for the cluster-mode tests (stdlib only).

EtcdCluster(n) starts n etcd members with free ports (bound to port 0 and read back,
then released), each with its own data dir, waits (bounded) until the cluster takes a
write, and stops every member by its PID. Members can be killed, stopped and continued
one by one (SIGKILL, SIGSTOP, SIGCONT) for the failure tests.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

ETCD_BIN = shutil.which("etcd") or "/usr/bin/etcd"


def require_etcd():
    # etcd-server is in .ci/packages: a missing etcd is a broken setup, not a skip.
    if not os.access(ETCD_BIN, os.X_OK):
        raise AssertionError("etcd is not installed (etcd-server is in .ci/packages)")


def _free_ports(count):
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class EtcdCluster:
    def __init__(self, members=3):
        require_etcd()
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-etcd-")
        ports = _free_ports(2 * members)
        self.names = ["m%d" % i for i in range(members)]
        self.client = ["http://127.0.0.1:%d" % p for p in ports[:members]]
        self.peer = ["http://127.0.0.1:%d" % p for p in ports[members:]]
        self.procs = [None] * members
        self.logs = []

    def start(self):
        initial = ",".join("%s=%s" % (n, p) for n, p in zip(self.names, self.peer))
        for i, name in enumerate(self.names):
            log = open(os.path.join(self.tmp.name, name + ".log"), "wb")
            self.logs.append(log)
            self.procs[i] = subprocess.Popen([
                ETCD_BIN, "--name", name,
                "--data-dir", os.path.join(self.tmp.name, name),
                "--listen-client-urls", self.client[i],
                "--advertise-client-urls", self.client[i],
                "--listen-peer-urls", self.peer[i],
                "--initial-advertise-peer-urls", self.peer[i],
                "--initial-cluster", initial,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", os.path.basename(self.tmp.name),
                # Loopback: fast elections, so that losing a member costs well under 2 s.
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--log-level", "warn",
            ], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.put("/health-check", "1")
                return self
            except OSError as e:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("etcd cluster did not come up: %s\n%s" % (e, self.log_text()))
                time.sleep(0.1)

    def log_text(self):
        out = ""
        for name in self.names:
            try:
                with open(os.path.join(self.tmp.name, name + ".log"), "rb") as f:
                    out += "--- %s\n%s" % (name, f.read()[-3000:].decode(errors="replace"))
            except OSError:
                pass
        return out

    def call(self, path, body, endpoint=None, timeout=3):
        """POSTs to the JSON gateway of one member (the first live one by default)."""
        for url in ([endpoint] if endpoint else self.live_endpoints()):
            req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    return json.loads(resp.read())
            except OSError as e:
                last = e
        raise last

    def put(self, key, value):
        return self.call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def range_prefix(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        got = self.call("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end)})
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in got.get("kvs", [])}

    def revision(self, endpoint=None):
        got = self.call("/v3/kv/range", {"key": _b64("/")}, endpoint=endpoint)
        return int(got["header"]["revision"])

    def compact(self, revision, endpoint=None):
        return self.call("/v3/kv/compaction", {"revision": str(revision), "physical": True},
                         endpoint=endpoint)

    def live_endpoints(self):
        return [c for c, p in zip(self.client, self.procs) if p and p.poll() is None]

    def signal(self, i, sig):
        self.procs[i].send_signal(sig)

    def kill(self, i):
        p = self.procs[i]
        if p and p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    def stop(self):
        for i, p in enumerate(self.procs):
            if p and p.poll() is None:
                p.send_signal(signal.SIGCONT)  # a stopped member cannot handle SIGTERM
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
        for log in self.logs:
            log.close()
        self.tmp.cleanup()


def _b64(text):
    return base64.b64encode(text.encode()).decode()
