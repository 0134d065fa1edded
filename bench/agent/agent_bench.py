#!/usr/bin/env python3
"""Active checks and agent mode (issue 15), on 127.0.0.1 with free ports:

  checks   10,000 instances with one HTTP check each at a 10 s interval against haproxy
           answering 200: dnsd's CPU over a window after warm-up, check runs/s, and the
           spread of the checks' run times over the interval (100 ms buckets).
  agent    a central dnsd with 10,000 instances (100 services x 100) and an agent watching
           it: a registration on the central -> the first agent DNS answer listing it
           (p50/p99), the bytes of the watch answer per change (one service of 1 and of
           100 instances), and the agent's RSS with the copy loaded.

Prints one JSON object on stdout, progress on stderr. Every process is stopped by its PID.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "dns"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import benchlib  # noqa: E402
import harness  # noqa: E402
import keepalive  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def start_dnsd(binary, config=""):
    harness.DNSD_BIN = binary
    d = harness.Dnsd(config=config + "log:\n  level: warn\n"
                     "registry:\n  self_preservation: {enabled: false}\n")
    return d.start()


def start_haproxy(tmp):
    port = harness.free_port(harness.socket.SOCK_STREAM)
    cfg = os.path.join(tmp, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n  maxconn 4000\n"
                "defaults\n  mode http\n  timeout client 5s\n  timeout connect 5s\n"
                "  timeout server 5s\n"
                "frontend f\n  bind 127.0.0.1:%d\n"
                "  http-request return status 200 content-type text/plain string ok\n" % port)
    proc = subprocess.Popen(["haproxy", "-f", cfg, "-db"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    harness.poll_until(lambda: harness.socket.socket().connect_ex(("127.0.0.1", port)) == 0,
                       timeout=5, message="haproxy listening")
    return proc, port


def register_many(port, services, per_service, fields):
    http = keepalive.Http(port)
    for s in range(services):
        for i in range(per_service):
            body = {"address": "10.%d.%d.%d" % (s // 250, s % 250, i + 1), "port": 8080}
            body.update(fields(s, i))
            status, answer = http.request("PUT", "/v1/services/svc-%03d/instances/i%03d" % (s, i),
                                          body)
            if status != 200:
                raise SystemExit("register: %d %s" % (status, answer[:200]))
    http.close()


def check_runs(d):
    return harness.metric_value(d.metrics(), "dnsd_check_runs_total", {"kind": "http"}) or 0


def case_checks(binary, instances, interval_s, window_s):
    with tempfile.TemporaryDirectory() as tmp:
        haproxy, port = start_haproxy(tmp)
        d = start_dnsd(binary)
        try:
            services = instances // 100
            url = "http://127.0.0.1:%d/healthz" % port
            t0 = time.monotonic()
            register_many(d.http[0][1], services, 100,
                          lambda s, i: {"checks": [{"http": url, "interval": "%ds" % interval_s}]})
            log("checks: %d instances registered in %.1f s" % (instances, time.monotonic() - t0))
            time.sleep(interval_s + 2)  # every check has run once: its offset is within one interval
            pid = d.proc.pid
            runs0, cpu0, t0 = check_runs(d), benchlib.cpu_ticks([pid]), time.monotonic()
            time.sleep(window_s)
            runs1, cpu1, t1 = check_runs(d), benchlib.cpu_ticks([pid]), time.monotonic()
            # When each check last ran, over the interval: 100 ms buckets.
            buckets = [0] * int(interval_s * 10)
            http = keepalive.Http(d.http[0][1])
            never = failing = 0
            for s in range(services):
                _, body = http.request("GET", "/v1/services/svc-%03d" % s)
                for inst in json.loads(body)["instances"]:
                    for c in inst["checks"]:
                        if c["status"] != "passing":
                            failing += 1
                        if not c["last_run"]:
                            never += 1
                            continue
                        ms = int(harness_time_ms(c["last_run"]))
                        buckets[(ms % (interval_s * 1000)) // 100] += 1
            http.close()
            mean = sum(buckets) / len(buckets)
            cpu = (cpu1 - cpu0) / TICKS / (t1 - t0) * 100
            rss = benchlib.vm_status(pid)["VmRSS"]
            log("checks: dnsd CPU %.1f %% of a core, %.0f runs/s" % (cpu, (runs1 - runs0) / (t1 - t0)))
            return {"instances": instances, "interval_s": interval_s, "window_s": window_s,
                    "cpu_percent": cpu, "runs_per_second": (runs1 - runs0) / (t1 - t0),
                    "bucket_mean": mean, "bucket_min": min(buckets), "bucket_max": max(buckets),
                    "never_run": never, "not_passing": failing, "rss_kib": rss}
        finally:
            d.stop()
            d.cleanup()
            harness.stop_process(haproxy)


def harness_time_ms(text):
    """RFC 3339 with milliseconds ("2026-12-04T15:01:02.345Z") -> ms since the epoch."""
    import datetime
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def watch_bytes(http, since):
    status, body = http.request("GET", "/v1/registry?index=%d&wait=0s" % since)
    if status != 200:
        raise SystemExit("registry: %d" % status)
    return len(body)


def case_agent(binary, instances, trials):
    central = start_dnsd(binary)
    agent = None
    try:
        register_many(central.http[0][1], instances // 100, 100, lambda s, i: {})
        url = "http://%s:%d" % central.http[0]
        empty = start_dnsd(binary, "agent:\n  servers: [\"http://127.0.0.1:1\"]\n")
        empty_rss = benchlib.vm_status(empty.proc.pid)["VmRSS"]
        empty.stop()
        empty.cleanup()
        t0 = time.monotonic()
        agent = start_dnsd(binary, "agent:\n  servers: [\"%s\"]\n" % url)
        harness.poll_until(lambda: agent.request("GET", "/readyz")[0] == 200, timeout=60,
                           message="the agent loaded its copy")
        load_s = time.monotonic() - t0
        http, dns = keepalive.Http(central.http[0][1]), benchlib.UdpResolver(agent.dns[0][1])
        lat = []
        for i in range(trials):
            svc = "probe-%04d" % i
            t0 = time.perf_counter()
            status, body = http.request("PUT", "/v1/services/%s/instances/p" % svc,
                                        {"address": "10.255.0.1", "port": 9000})
            if status != 200:
                raise SystemExit("register: %d %s" % (status, body[:200]))
            for _ in range(200000):
                answer = dns.ask("%s.service.discovery" % svc, "A")
                if answer and answer[0] == 0 and answer[1] > 0:
                    break
                if time.perf_counter() - t0 > 2:
                    raise SystemExit("%s not visible on the agent within 2 s" % svc)
            lat.append((time.perf_counter() - t0) * 1e3)
        # What one change costs an agent's watch: the answer listing the changed service.
        index = json.loads(http.request("GET", "/v1/registry?index=1&wait=0s")[1])["index"]
        http.request("PUT", "/v1/services/probe-0000/instances/p/status", {"status": "warning"})
        small = watch_bytes(http, index)
        index = json.loads(http.request("GET", "/v1/registry?index=1&wait=0s")[1])["index"]
        http.request("PUT", "/v1/services/svc-000/instances/i000/status", {"status": "warning"})
        big = watch_bytes(http, index)
        full = watch_bytes(http, 0)
        vm = benchlib.vm_status(agent.proc.pid)
        central_rss = benchlib.vm_status(central.proc.pid)["VmRSS"]
        p = benchlib.percentile
        log("agent: visible p50 %.1f ms p99 %.1f ms" % (p(lat, 50), p(lat, 99)))
        return {"instances": instances, "trials": trials, "visible_p50_ms": p(lat, 50),
                "visible_p99_ms": p(lat, 99), "visible_max_ms": max(lat),
                "bytes_change_small": small, "bytes_change_100": big, "bytes_full": full,
                "agent_rss_kib": vm["VmRSS"], "agent_hwm_kib": vm["VmHWM"],
                "empty_agent_rss_kib": empty_rss, "central_rss_kib": central_rss,
                "load_s": load_s}
    finally:
        if agent:
            agent.stop()
            agent.cleanup()
        central.stop()
        central.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnsd", required=True)
    ap.add_argument("--checks", type=int, default=10000)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--window", type=int, default=30)
    ap.add_argument("--instances", type=int, default=10000)
    ap.add_argument("--trials", type=int, default=500)
    args = ap.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    result = {"started": started,
              "checks": case_checks(args.dnsd, args.checks, args.interval, args.window),
              "agent": case_agent(args.dnsd, args.instances, args.trials)}
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
