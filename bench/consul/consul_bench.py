#!/usr/bin/env python3
"""The Consul-compatible API (issue 16), on 127.0.0.1 with free ports:

  watchers  1,000 services of one instance each (a TTL check), one Consul blocking query
            (`GET /v1/health/service/<svc>?index=N&wait=5m`) parked on each. Each trial
            changes one service (its check warn <-> pass) and counts which watchers answer:
            exactly that service's must, none other. Latency: the PUT sent -> the watcher's
            whole answer read (p50/p99).
  health    `GET /v1/health/service/x` with 100 instances on one keep-alive connection,
            against dnsd's own `GET /v1/services/x` of the same instances (the baseline in
            the same run): latency p50/p99 and bytes.

Prints one JSON object on stdout, progress on stderr. Every process is stopped by its PID,
every wait is bounded.
"""
import argparse
import json
import os
import random
import resource
import selectors
import socket
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "dns"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import benchlib  # noqa: E402
import harness  # noqa: E402
import keepalive  # noqa: E402


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def start_dnsd(binary):
    harness.DNSD_BIN = binary
    d = harness.Dnsd(config="log:\n  level: warn\n"
                     "registry:\n  self_preservation: {enabled: false}\n")
    return d.start()


class Watcher:
    """One connection holding one blocking query; answers are read without blocking."""

    def __init__(self, port, service):
        self.service = service
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""

    def ask(self, index):
        req = ("GET /v1/health/service/%s?index=%d&wait=5m HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               % (self.service, index))
        self.sock.setblocking(True)
        self.sock.sendall(req.encode())
        self.sock.setblocking(False)

    def read(self):
        """A whole answer's X-Consul-Index once one is in, else None."""
        try:
            chunk = self.sock.recv(1 << 16)
        except BlockingIOError:
            return None
        if not chunk:
            raise ConnectionError("dnsd closed a watcher's connection")
        self.buf += chunk
        head, sep, rest = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            return None
        self.buf = rest[length:]
        return int(headers["x-consul-index"])


def case_watchers(binary, services, trials):
    d = start_dnsd(binary)
    try:
        http = keepalive.Http(d.http[0][1])
        for s in range(services):
            status, answer = http.request("PUT", "/v1/agent/service/register", {
                "Name": "svc-%04d" % s, "ID": "svc-%04d" % s, "Port": 8080,
                "Address": "10.%d.%d.1" % (s // 250, s % 250), "Check": {"TTL": "10m"}})
            if status != 200:
                raise SystemExit("register: %d %s" % (status, answer[:200]))
        watchers = [Watcher(d.http[0][1], "svc-%04d" % s) for s in range(services)]
        index = {}
        for w in watchers:  # the current index of each service: an answer at once
            w.ask(0)
        sel = selectors.DefaultSelector()
        for w in watchers:
            sel.register(w.sock, selectors.EVENT_READ, w)
        deadline = time.monotonic() + 30
        while len(index) < services and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                got = key.data.read()
                if got is not None:
                    index[key.data.service] = got
        if len(index) < services:
            raise SystemExit("only %d of %d watchers got their first answer" % (len(index), services))
        for w in watchers:
            w.ask(index[w.service])
        harness.poll_until(lambda: harness.metric_value(d.metrics(), "dnsd_http_blocking_queries")
                           == services, timeout=30, message="every watcher parked")
        log("watchers: %d parked" % services)
        rng = random.Random(16)
        latencies, woken_right, woken_wrong, missed = [], 0, 0, 0
        warn = {}
        for _ in range(trials):
            w = watchers[rng.randrange(services)]
            verb = "pass" if warn.get(w.service) else "warn"
            warn[w.service] = not warn.get(w.service)
            t0 = time.perf_counter()
            status, answer = http.request("PUT", "/v1/agent/check/%s/service:%s" % (verb, w.service))
            if status != 200:
                raise SystemExit("check %s: %d %s" % (verb, status, answer[:200]))
            got_it = False
            # Until the changed service's watcher answers (at most 2 s), then 20 ms more for
            # any other watcher a wrong wake-up would answer.
            until = time.monotonic() + 2
            while time.monotonic() < until:
                events = sel.select(timeout=0.02 if got_it else max(0.0, until - time.monotonic()))
                if not events and got_it:
                    break
                for key, _ in events:
                    got = key.data.read()
                    if got is None:
                        continue
                    if key.data is w and not got_it:
                        latencies.append((time.perf_counter() - t0) * 1000)
                        got_it = True
                        woken_right += 1
                    else:
                        woken_wrong += 1
                    index[key.data.service] = got
                    key.data.ask(got)
            missed += 0 if got_it else 1
        parked = harness.metric_value(d.metrics(), "dnsd_http_blocking_queries")
        for w in watchers:
            w.sock.close()
        http.close()
        return {"services": services, "trials": trials, "woken_right": woken_right,
                "woken_wrong": woken_wrong, "missed": missed, "parked_at_end": parked,
                "p50_ms": benchlib.percentile(latencies, 50),
                "p99_ms": benchlib.percentile(latencies, 99),
                "max_ms": max(latencies) if latencies else None}
    finally:
        d.cleanup()


def timed_gets(http, path, n):
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = http.request("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit("GET %s: %d" % (path, status))
        size = len(body)
    return {"p50_ms": benchlib.percentile(times, 50), "p99_ms": benchlib.percentile(times, 99),
            "bytes": size}


def case_health(binary, instances, requests):
    d = start_dnsd(binary)
    try:
        http = keepalive.Http(d.http[0][1])
        for i in range(instances):
            status, answer = http.request("PUT", "/v1/agent/service/register", {
                "Name": "x", "ID": "x-%03d" % i, "Port": 8080, "Address": "10.0.%d.%d" % (i // 250, i % 250 + 1),
                "Tags": ["v1", "traefik.enable=true"], "Meta": {"version": "1.2.%d" % i},
                "Check": {"TTL": "10m"}})
            if status != 200:
                raise SystemExit("register: %d %s" % (status, answer[:200]))
        timed_gets(http, "/v1/health/service/x", requests // 10)  # warm-up
        result = {"instances": instances, "requests": requests}
        # Interleaved rounds, so that both see the same machine.
        rounds = {"consul": [], "native": []}
        for _ in range(5):
            rounds["consul"].append(timed_gets(http, "/v1/health/service/x", requests // 5))
            rounds["native"].append(timed_gets(http, "/v1/services/x", requests // 5))
        for name, rs in rounds.items():
            result[name] = {"p50_ms": sorted(r["p50_ms"] for r in rs)[2],
                            "p99_ms": sorted(r["p99_ms"] for r in rs)[2],
                            "bytes": rs[0]["bytes"]}
        http.close()
        return result
    finally:
        d.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnsd", required=True)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--requests", type=int, default=5000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * args.services + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # dnsd inherits it
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    result = {"started": started,
              "watchers": case_watchers(args.dnsd, args.services, args.trials),
              "health": case_health(args.dnsd, args.instances, args.requests)}
    log(json.dumps(result))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
