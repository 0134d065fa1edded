#!/usr/bin/env python3
"""Registration -> visible in DNS latency of dnsd.

Each trial registers one instance of a new service over a keep-alive HTTP connection
(the request in one write, as curl sends it: keepalive.py),
then asks dnsd over UDP for the service's A record in a tight loop (bounded: 2 s or
20,000 queries) until the answer lists it. The latency is from sending the PUT to
receiving the first DNS answer that lists the instance, so it includes the HTTP round
trip and one DNS round trip: an upper bound of the time the instance takes to appear.
Each instance is deregistered after its trial. Prints one JSON line.
"""
import argparse
import json
import os
import time

import benchlib
import keepalive


def trial(http, dns, svc):
    t0 = time.perf_counter()
    status, body = http.request("PUT", "/v1/services/%s/instances/i0" % svc,
                                {"address": "10.255.0.1", "port": 9000})
    t_ack = time.perf_counter()
    if status != 200:
        raise SystemExit("register %s: %d %s" % (svc, status, body[:200]))
    name = "%s.service.discovery" % svc
    queries = 0
    while queries < 20000 and time.perf_counter() - t0 < 2.0:
        queries += 1
        answer = dns.ask(name, "A")
        if answer and answer[0] == 0 and answer[1] > 0:
            t1 = time.perf_counter()
            http.request("DELETE", "/v1/services/%s/instances/i0" % svc)
            return (t1 - t0) * 1e6, (t_ack - t0) * 1e6, (t1 - t_ack) * 1e6, queries
    raise SystemExit("%s not visible after %d queries" % (svc, queries))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--trials", type=int, default=1000)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    http, dns = keepalive.Http(a.http_port), benchlib.UdpResolver(a.dns_port)
    run = os.getpid() % 10000
    lat, rtt, after, first = [], [], [], 0
    for i in range(a.trials):
        total, http_rtt, after_ack, queries = trial(http, dns, "vis%04d-%05d" % (run, i))
        lat.append(total)
        rtt.append(http_rtt)
        after.append(after_ack)
        first += queries == 1
    print(json.dumps({
        "tag": a.tag, "trials": a.trials,
        "p50_us": benchlib.percentile(lat, 50), "p99_us": benchlib.percentile(lat, 99),
        "max_us": max(lat), "http_put_p50_us": benchlib.percentile(rtt, 50),
        "http_put_p99_us": benchlib.percentile(rtt, 99),
        "after_ack_p50_us": benchlib.percentile(after, 50),
        "after_ack_p99_us": benchlib.percentile(after, 99),
        "visible_at_first_query": first}))


if __name__ == "__main__":
    main()
