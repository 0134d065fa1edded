#!/usr/bin/env python3
"""Cluster-mode benchmark: a real 3-member etcd on 127.0.0.1 and dnsd replicas.

Cases (each bounded in time and count; every process stopped by its PID):
  visible      register on A -> listed in B's DNS answer: p50/p99 over --trials
  register     registrations/s on A over 4 and 64 keep-alive connections (new ids)
  heartbeat    heartbeats/s on A (owned instances) and etcd's put counter during them
  load         a new replica's exec -> /readyz 200 with --load-instances in etcd
  failover     one etcd member (the leader) killed: time to the next successful write
Prints one JSON object (all results) on stdout.
"""
import argparse
import base64
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "dns"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import benchlib  # noqa: E402
import keepalive  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402


class Replica:
    def __init__(self, binary, etcd, node, prefix, session_ttl="10s"):
        self.dir = tempfile.TemporaryDirectory(prefix="dnsd-bench-")
        cfg = os.path.join(self.dir.name, "dnsd.yaml")
        with open(cfg, "w") as f:
            f.write("cluster:\n  etcd: %s\n  prefix: %s\n  node: %s\n  session_ttl: %s\n"
                    "registry:\n  self_preservation: {enabled: false}\n"
                    % (json.dumps(etcd), prefix, node, session_ttl))
        self.err = open(os.path.join(self.dir.name, "stderr"), "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([binary, "--config", cfg, "--dns-listen", "127.0.0.1:0",
                                      "--http-listen", "127.0.0.1:0", "--log-level", "warn"],
                                     stdout=subprocess.PIPE, stderr=self.err)
        line = b""
        deadline = time.monotonic() + 10
        while b"\n" not in line and time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line += os.read(self.proc.stdout.fileno(), 4096)
        m = re.search(rb"dns=127.0.0.1:(\d+)\S* http=127.0.0.1:(\d+)", line)
        if not m:
            raise SystemExit("no startup line from %s" % node)
        self.dns_port, self.http_port = int(m.group(1)), int(m.group(2))

    def wait_ready(self, timeout=600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if keepalive.Http(self.http_port).request("GET", "/readyz")[0] == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise SystemExit("replica not ready within %ds" % timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=6)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.err.close()
        self.dir.cleanup()


def case_visible(a, b, trials):
    http, dns = keepalive.Http(a.http_port), benchlib.UdpResolver(b.dns_port)
    lat, put = [], []
    for i in range(trials):
        svc = "vis-%05d" % i
        t0 = time.perf_counter()
        status, body = http.request("PUT", "/v1/services/%s/instances/i0" % svc,
                                    {"address": "10.255.0.1", "port": 9000})
        t_ack = time.perf_counter()
        if status != 200:
            raise SystemExit("register: %d %s" % (status, body[:200]))
        for _ in range(20000):
            answer = dns.ask("%s.service.discovery" % svc, "A")
            if answer and answer[0] == 0 and answer[1] > 0:
                break
            if time.perf_counter() - t0 > 2:
                raise SystemExit("%s not visible on B within 2 s" % svc)
        t1 = time.perf_counter()
        lat.append((t1 - t0) * 1e3)
        put.append((t_ack - t0) * 1e3)
        http.request("DELETE", "/v1/services/%s/instances/i0" % svc)
    p = benchlib.percentile
    return {"trials": trials, "visible_p50_ms": p(lat, 50), "visible_p99_ms": p(lat, 99),
            "visible_max_ms": max(lat), "put_p50_ms": p(put, 50), "put_p99_ms": p(put, 99)}


def run_clients(port, connections, seconds, make_request):
    counts, lat, errors = [0] * connections, [[] for _ in range(connections)], [0]
    stop = time.monotonic() + seconds

    def client(k):
        http = keepalive.Http(port)
        n = 0
        while time.monotonic() < stop:
            method, path, body = make_request(k, n)
            t0 = time.perf_counter()
            status, _ = http.request(method, path, body)
            lat[k].append((time.perf_counter() - t0) * 1e3)
            if status != 200:
                errors[0] += 1
            n += 1
        counts[k] = n

    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.monotonic() - t0
    all_lat = [x for xs in lat for x in xs]
    return {"connections": connections, "requests": sum(counts), "errors": errors[0],
            "per_second": sum(counts) / elapsed, "p50_ms": benchlib.percentile(all_lat, 50),
            "p99_ms": benchlib.percentile(all_lat, 99)}


def case_register(a, connections, seconds):
    def req(k, n):
        return ("PUT", "/v1/services/reg-%d/instances/i%d" % (k, n),
                {"address": "10.254.%d.%d" % (k % 250, n % 250), "port": 9000})
    return run_clients(a.http_port, connections, seconds, req)


def etcd_puts(etcd):
    total = 0
    for url in etcd.live_endpoints():
        with urllib_open(url + "/metrics") as resp:
            for line in resp.read().decode().splitlines():
                if line.startswith("etcd_mvcc_put_total "):
                    total += float(line.split()[1])
    return total


def urllib_open(url):
    import urllib.request
    return urllib.request.urlopen(url, timeout=5)


def case_heartbeat(a, etcd, instances, connections, seconds):
    http = keepalive.Http(a.http_port)
    for i in range(instances):
        status, _ = http.request("PUT", "/v1/services/hb/instances/i%d" % i,
                                 {"address": "10.253.%d.%d" % (i // 250, i % 250), "port": 1,
                                  "ttl": "10m"})
        assert status == 200
    before = etcd_puts(etcd)

    def req(k, n):
        return ("PUT", "/v1/services/hb/instances/i%d/heartbeat" % ((k * 7919 + n) % instances),
                None)
    out = run_clients(a.http_port, connections, seconds, req)
    out["instances"] = instances
    out["etcd_puts_during"] = etcd_puts(etcd) - before
    return out


def case_load(binary, etcd, prefix, instances):
    # Filled straight into etcd (txns of 100 puts), values as dnsd writes them.
    t0 = time.monotonic()
    ops = []
    for i in range(instances):
        svc, iid = "load-%d" % (i // 10), "i%d" % (i % 10)
        value = {"service": svc, "id": iid, "address": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                 "port": 8080, "proto": "tcp", "tags": ["a"], "meta": {"v": "1"}, "weight": 1,
                 "priority": 1, "ttl_ms": 0, "deregister_after_ms": 60000, "dns_ttl": None,
                 "health": "passing", "note": "", "owner": "filler"}
        key = "%sinstances/%s/%s" % (prefix, svc, iid)
        ops.append({"request_put": {"key": b64(key), "value": b64(json.dumps(value))}})
        if len(ops) == 100 or i == instances - 1:
            etcd.call("/v3/kv/txn", {"success": ops}, timeout=30)
            ops = []
    fill = time.monotonic() - t0
    c = Replica(binary, etcd.client, "late", prefix)
    try:
        ready = c.wait_ready()
        status, body = keepalive.Http(c.http_port).request("GET", "/v1/status")
        loaded = json.loads(body)["instances"]
    finally:
        c.stop()
    return {"instances": instances, "loaded": loaded, "ready_s": ready, "fill_s": fill}


def leader_index(etcd):
    for i, url in enumerate(etcd.client):
        if etcd.procs[i].poll() is not None:
            continue
        st = etcd.call("/v3/maintenance/status", {}, endpoint=url)
        if st.get("leader") == st["header"]["member_id"]:
            return i
    return 0


def case_failover(a, etcd):
    victim = leader_index(etcd)
    http = keepalive.Http(a.http_port)
    results = []  # (send time, ok)
    stop = [False]

    def writer():
        n = 0
        while not stop[0]:
            t = time.monotonic()
            try:
                status, _ = http.request("PUT", "/v1/services/fo/instances/i%d" % n,
                                         {"address": "10.252.0.1", "port": 1})
            except OSError:
                status = 0
            results.append((t, time.monotonic(), status == 200))
            n += 1

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(1)
    killed = time.monotonic()
    etcd.kill(victim)
    time.sleep(8)
    stop[0] = True
    th.join(timeout=15)
    after = [r for r in results if r[0] >= killed]
    first_ok = next((r for r in after if r[2]), None)
    failed = sum(1 for r in results if r[1] >= killed and not r[2])
    return {"killed_member": victim, "was_leader": True,
            "unavailable_s": (first_ok[1] - killed) if first_ok else None,
            "failed_writes": failed, "writes_after_kill": len(after)}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dnsd", required=True)
    p.add_argument("--trials", type=int, default=500)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--connections", default="4,64")
    p.add_argument("--hb-instances", type=int, default=1000)
    p.add_argument("--hb-connections", type=int, default=16)
    p.add_argument("--load-instances", type=int, default=100000)
    a = p.parse_args()
    out = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    etcd = EtcdCluster(3).start()
    replicas = []
    try:
        prefix = "/bench/"
        ra = Replica(a.dnsd, etcd.client, "a", prefix)
        replicas.append(ra)
        rb = Replica(a.dnsd, etcd.client[1:] + etcd.client[:1], "b", prefix)
        replicas.append(rb)
        ra.wait_ready()
        rb.wait_ready()
        out["visible"] = case_visible(ra, rb, a.trials)
        print("visible", json.dumps(out["visible"]), file=sys.stderr)
        out["register"] = [case_register(ra, int(c), a.seconds) for c in a.connections.split(",")]
        print("register", json.dumps(out["register"]), file=sys.stderr)
        out["heartbeat"] = case_heartbeat(ra, etcd, a.hb_instances, a.hb_connections, a.seconds)
        print("heartbeat", json.dumps(out["heartbeat"]), file=sys.stderr)
        out["load"] = case_load(a.dnsd, etcd, "/bench-load/", a.load_instances)
        print("load", json.dumps(out["load"]), file=sys.stderr)
        out["failover"] = case_failover(ra, etcd)
        print("failover", json.dumps(out["failover"]), file=sys.stderr)
    finally:
        for r in replicas:
            r.stop()
        etcd.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
