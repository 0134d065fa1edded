#!/usr/bin/env python3
"""Lease lapse -> gone from DNS latency of dnsd.

Each trial registers one instance of a new service with a 1 s lease (ttl "1s") and no
heartbeat, checks that DNS lists it, sleeps until 50 ms before the lease deadline, then
asks dnsd over UDP for the service's A record in a tight loop (bounded: 3 s past the
deadline) until the answer no longer lists it. The deadline is taken as the moment the
PUT was sent + 1 s; the server started the lease a little later, so the figure
(receipt of the first answer without the instance - that deadline) is an upper bound.
A negative figure would mean that the instance left before its deadline. Each instance
is deregistered after its trial (so self-preservation, which counts leased instances,
never sees more than one). Prints one JSON line.
"""
import argparse
import json
import os
import time

import benchlib
import keepalive

LEASE = 1.0


def trial(http, dns, svc):
    name = "%s.service.discovery" % svc
    t0 = time.perf_counter()
    status, body = http.request("PUT", "/v1/services/%s/instances/i0" % svc,
                                {"address": "10.255.0.2", "port": 9000, "ttl": "1s"})
    if status != 200:
        raise SystemExit("register %s: %d %s" % (svc, status, body[:200]))
    answer = dns.ask(name, "A")
    if not answer or answer[1] == 0:
        raise SystemExit("%s not visible after registration: %r" % (svc, answer))
    deadline = t0 + LEASE
    time.sleep(max(0.0, deadline - 0.05 - time.perf_counter()))
    queries = 0
    while time.perf_counter() < deadline + 3.0:
        queries += 1
        answer = dns.ask(name, "A")
        if answer and answer[1] == 0:
            gone = time.perf_counter()
            http.request("DELETE", "/v1/services/%s/instances/i0" % svc)
            return (gone - deadline) * 1e3, queries
    raise SystemExit("%s still listed 3 s after its lease deadline" % svc)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    http, dns = keepalive.Http(a.http_port), benchlib.UdpResolver(a.dns_port)
    run = os.getpid() % 10000
    gone_ms = []
    for i in range(a.trials):
        ms, _ = trial(http, dns, "lapse%04d-%04d" % (run, i))
        gone_ms.append(ms)
    print(json.dumps({
        "tag": a.tag, "trials": a.trials, "lease_s": LEASE,
        "min_ms": min(gone_ms), "p50_ms": benchlib.percentile(gone_ms, 50),
        "p99_ms": benchlib.percentile(gone_ms, 99), "max_ms": max(gone_ms)}))


if __name__ == "__main__":
    main()
