#!/usr/bin/env python3
"""The Eureka API (issue 17), on 127.0.0.1 with free ports:

  visible  a Eureka registration (POST /eureka/apps/{APP}, JSON) -> the first DNS answer
           listing it, and -> the first GET /eureka/apps/{APP} listing it (p50/p99).
  lapse    a registration with leaseInfo.durationInSecs 1 and no heartbeat -> the first
           DNS answer without it, measured from the lease's deadline (an upper bound: the
           deadline is taken from the moment the POST was sent).
  list     GET /eureka/apps with 10,000 instances (100 apps x 100), JSON and XML: latency
           p50/p99, bytes, and dnsd's CPU time per request (user + system).

Prints one JSON object on stdout, progress on stderr. Every process is stopped by its PID;
every wait is bounded.
"""
import argparse
import json
import os
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


Http = keepalive.Http  # raw(): any body and headers (Content-Type, Accept)


JSON = (("Content-Type", "application/json"), ("Accept", "application/json"))


def instance(app, host, ip, lease=90):
    return json.dumps({"instance": {
        "instanceId": "%s:%s:8080" % (host, app.lower()), "hostName": host, "app": app,
        "ipAddr": ip, "status": "UP", "port": {"$": 8080, "@enabled": "true"},
        "vipAddress": app.lower(), "metadata": {"zone": "z1"},
        "dataCenterInfo": {"@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                           "name": "MyOwn"},
        "leaseInfo": {"renewalIntervalInSecs": 30, "durationInSecs": lease}}}).encode()


def start_dnsd(binary):
    harness.DNSD_BIN = binary
    d = harness.Dnsd(config="log:\n  level: warn\n"
                     "registry:\n  self_preservation: {enabled: false}\n")
    return d.start()


def case_visible(http, dns, trials):
    dns_ms, apps_ms = [], []
    for i in range(trials):
        app = "VIS%04d" % i
        t0 = time.perf_counter()
        status, body = http.raw("POST", "/eureka/apps/" + app, instance(app, "h", "10.254.0.1"), JSON)
        if status != 204:
            raise SystemExit("register: %d %s" % (status, body[:200]))
        for _ in range(100000):
            answer = dns.ask("%s.service.discovery" % app.lower(), "A")
            if answer and answer[0] == 0 and answer[1] > 0:
                break
            if time.perf_counter() - t0 > 2:
                raise SystemExit("%s not in DNS within 2 s" % app)
        dns_ms.append((time.perf_counter() - t0) * 1e3)
        for _ in range(100000):
            status, body = http.raw("GET", "/eureka/apps/" + app, b"", JSON[1:])
            if status == 200 and b'"hostName":"h"' in body:
                break
            if time.perf_counter() - t0 > 2:
                raise SystemExit("%s not in GET /eureka/apps within 2 s" % app)
        apps_ms.append((time.perf_counter() - t0) * 1e3)
        http.raw("DELETE", "/eureka/apps/%s/h:%s:8080" % (app, app.lower()))
    p = benchlib.percentile
    log("visible: DNS p99 %.2f ms, GET p99 %.2f ms" % (p(dns_ms, 99), p(apps_ms, 99)))
    return {"trials": trials, "dns_p50_ms": p(dns_ms, 50), "dns_p99_ms": p(dns_ms, 99),
            "apps_p50_ms": p(apps_ms, 50), "apps_p99_ms": p(apps_ms, 99)}


def case_lapse(http, dns, trials):
    gone = []
    for i in range(trials):
        app = "LAPSE%04d" % i
        name = "%s.service.discovery" % app.lower()
        t0 = time.perf_counter()
        status, body = http.raw("POST", "/eureka/apps/" + app,
                                instance(app, "h", "10.254.0.2", lease=1), JSON)
        if status != 204:
            raise SystemExit("register: %d %s" % (status, body[:200]))
        deadline = t0 + 1.0
        time.sleep(max(0.0, deadline - 0.05 - time.perf_counter()))
        while True:
            answer = dns.ask(name, "A")
            if answer and answer[1] == 0:
                gone.append((time.perf_counter() - deadline) * 1e3)
                break
            if time.perf_counter() > deadline + 3:
                raise SystemExit("%s still in DNS 3 s after its lease" % app)
        http.raw("DELETE", "/eureka/apps/%s/h:%s:8080" % (app, app.lower()))
    p = benchlib.percentile
    log("lapse: p99 %.1f ms after the deadline" % p(gone, 99))
    return {"trials": trials, "p50_ms": p(gone, 50), "p99_ms": p(gone, 99), "max_ms": max(gone)}


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def case_list(http, pid, apps, per_app, requests):
    for a in range(apps):
        app = "APP%03d" % a
        for i in range(per_app):
            status, body = http.raw("POST", "/eureka/apps/" + app,
                                    instance(app, "host-%03d" % i, "10.%d.%d.%d" % (
                                        a // 250, a % 250, i + 1)), JSON)
            if status != 204:
                raise SystemExit("register: %d %s" % (status, body[:200]))
    out = {"instances": apps * per_app, "requests": requests}
    for kind, accept in (("json", "application/json"), ("xml", "application/xml")):
        lat, size = [], 0
        cpu0 = cpu_seconds(pid)
        for _ in range(requests):
            t0 = time.perf_counter()
            status, body = http.raw("GET", "/eureka/apps", b"", (("Accept", accept),))
            lat.append((time.perf_counter() - t0) * 1e3)
            if status != 200:
                raise SystemExit("GET /eureka/apps: %d" % status)
            size = len(body)
        cpu_ms = (cpu_seconds(pid) - cpu0) * 1e3 / requests
        p = benchlib.percentile
        out[kind] = {"p50_ms": p(lat, 50), "p99_ms": p(lat, 99), "bytes": size, "cpu_ms": cpu_ms}
        log("list %s: p50 %.1f ms p99 %.1f ms, %d bytes, %.1f ms CPU" % (
            kind, p(lat, 50), p(lat, 99), size, cpu_ms))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnsd", required=True)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--lapse-trials", type=int, default=20)
    ap.add_argument("--apps", type=int, default=100)
    ap.add_argument("--per-app", type=int, default=100)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    d = start_dnsd(args.dnsd)
    try:
        http, dns = Http(d.http[0][1]), benchlib.UdpResolver(d.dns[0][1])
        result = {"started": started,
                  "visible": case_visible(http, dns, args.trials),
                  "lapse": case_lapse(http, dns, args.lapse_trials),
                  "list": case_list(http, d.proc.pid, args.apps, args.per_app,
                                    args.requests)}
        result["list"]["rss_kib"] = benchlib.vm_status(d.proc.pid)["VmRSS"]
        http.close()
    finally:
        d.stop()
        d.cleanup()
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
