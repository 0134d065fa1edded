#!/usr/bin/env python3
"""Soak: dnsd's ASan + UBSan build under dnsperf at full rate plus HTTP churn for N minutes.

Load, all on 127.0.0.1: dnsperf (full rate, A/AAAA/SRV of the stable services, instance
names, names in and out of the domain) for the whole run; --stable instances (services of
10) registered with a lease and heartbeated for the whole run (they must all be there at
the end); churn threads that register new instances, heartbeat them, change their status
and deregister them (a share is left to lapse and be removed by the registry); threads
holding blocking queries (GET /v1/services/{svc}?index=&wait=) on the churned services.

Checks: no AddressSanitizer / UndefinedBehaviorSanitizer report (ASAN_OPTIONS log_path
files and dnsd's stderr; leaks included, checked when dnsd exits on SIGTERM), dnsd exits 0,
VmRSS (/proc/PID/status, sampled every 5 s) grows by less than --rss-limit-mb after the
warm-up, and at the end every stable instance is registered and passing: counted through
GET /v1/services/{svc} and through DNS (A records of {svc}.service.discovery.), and no
deregistered churn instance is left. Prints one JSON object on stdout; progress on stderr.
Every loop is bounded by the run's deadline; dnsd and dnsperf are stopped by their PIDs.
"""
import argparse
import glob
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dns"))
import benchlib  # noqa: E402
import dnsperf_run  # noqa: E402  (parse_summary)
import keepalive  # noqa: E402

PER_SERVICE = 10
SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"SUMMARY: (Address|Undefined|Leak)")


def log(msg):
    print("[soak %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n


def asan_options(work, extra):
    return ":".join(["log_path=%s/asan:detect_leaks=1:halt_on_error=0" % work] + ([extra] if extra else []))


def start_dnsd(binary, work, extra_asan):
    config = os.path.join(work, "dnsd.yaml")
    with open(config, "w") as f:
        f.write("registry:\n  deregister_after: 5s\n  self_preservation:\n    enabled: false\n")
    env = dict(os.environ,
               ASAN_OPTIONS=asan_options(work, extra_asan),
               UBSAN_OPTIONS="log_path=%s/ubsan:print_stacktrace=1:halt_on_error=0" % work)
    stderr = open(os.path.join(work, "dnsd.stderr"), "wb")
    proc = subprocess.Popen([binary, "--config", config, "--dns-listen", "127.0.0.1:0",
                             "--http-listen", "127.0.0.1:0", "--log-level", "warn"],
                            stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=work)
    buf, deadline = b"", time.monotonic() + 30
    while b"\n" not in buf and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    m = re.match(rb"listening dns=127\.0\.0\.1:(\d+) http=127\.0\.0\.1:(\d+)", buf)
    if not m:
        proc.kill()
        proc.wait(timeout=10)
        sys.exit("dnsd did not start: %r" % buf)
    return proc, int(m.group(1)), int(m.group(2))


def register(http, svc, inst, addr, ttl):
    return http.request("PUT", "/v1/services/%s/instances/%s" % (svc, inst),
                        {"address": addr, "port": 8080, "ttl": ttl, "tags": ["soak"]})[0]


def stable_loop(port, instances, deadline, counters, interval):
    """Heartbeats its share of the stable instances every `interval` seconds."""
    http = keepalive.Http(port)
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        for svc, inst in instances:
            status = http.request("PUT", "/v1/services/%s/instances/%s/heartbeat" % (svc, inst))[0]
            counters.add("heartbeat_%d" % status)
            if time.monotonic() >= deadline:
                break
        time.sleep(max(0.0, min(interval - (time.monotonic() - t0), deadline - time.monotonic())))
    http.sock.close()


def churn_loop(port, n, deadline, counters, gone, lock):
    """Register, heartbeat, status, deregister, over and over; every 5th is left to lapse."""
    http = keepalive.Http(port)
    rng = random.Random(n)
    i = 0
    while time.monotonic() < deadline:
        i += 1
        svc = "churn-%d" % rng.randrange(8)
        inst = "c%d-%d" % (n, i)
        addr = "10.%d.%d.%d" % (100 + n, (i >> 8) & 255, i & 255)
        counters.add("register_%d" % register(http, svc, inst, addr, "2s"))
        for _ in range(rng.randrange(3)):
            counters.add("heartbeat_%d" % http.request(
                "PUT", "/v1/services/%s/instances/%s/heartbeat" % (svc, inst),
                {"status": rng.choice(["passing", "warning"]), "note": "n%d" % i})[0])
        if rng.random() < 0.3:
            counters.add("status_%d" % http.request(
                "PUT", "/v1/services/%s/instances/%s/status" % (svc, inst),
                {"status": rng.choice(["critical", "maintenance", "passing"])})[0])
        if i % 5:
            status = http.request("DELETE", "/v1/services/%s/instances/%s" % (svc, inst))[0]
            counters.add("deregister_%d" % status)
            if status == 200:
                with lock:
                    gone.add((svc, inst))
        else:
            counters.add("left_to_lapse")
        time.sleep(0.002)
    http.sock.close()


def blocking_loop(port, n, deadline, counters):
    """Blocking queries on a churned service: each waits for the next change (or 2 s)."""
    http = keepalive.Http(port, timeout=15)
    svc = "churn-%d" % (n % 8)
    index = 0
    while time.monotonic() < deadline:
        status, body = http.request("GET", "/v1/services/%s?index=%d&wait=2s" % (svc, index))
        counters.add("blocking_%d" % status)
        if status == 200:
            index = json.loads(body).get("index", index)
        else:
            index = 0
            time.sleep(0.05)
    http.sock.close()


def queries_file(work, services):
    path = os.path.join(work, "queries.txt")
    with open(path, "w") as f:
        for s in services:
            f.write("%s.service.discovery. A\n%s.service.discovery. SRV\n" % (s, s))
            f.write("_%s._tcp.service.discovery. SRV\n" % s)
            f.write("i0.%s.instance.discovery. A\n" % s)
            f.write("%s.service.discovery. AAAA\n" % s)
        f.write("churn-1.service.discovery. A\nchurn-2.service.discovery. SRV\n")
        f.write("nope.service.discovery. A\ndiscovery. SOA\nexample.org. A\n")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dnsd", required=True, help="the ASan build's dnsd binary")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--stable", type=int, default=200, help="instances that stay (services of 10)")
    p.add_argument("--churners", type=int, default=2)
    p.add_argument("--blockers", type=int, default=4)
    p.add_argument("--warmup", type=float, default=60, help="seconds before the RSS baseline")
    p.add_argument("--rss-limit-mb", type=float, default=50)
    p.add_argument("--work", default="")
    p.add_argument("--asan-options", default="",
                   help="more ASAN_OPTIONS, e.g. quarantine_size_mb=16 (default: ASan's own)")
    a = p.parse_args()

    work = a.work or tempfile.mkdtemp(prefix="dnsd-soak-")
    os.makedirs(work, exist_ok=True)
    duration = a.minutes * 60
    warmup = min(a.warmup, duration / 3)
    proc, dns_port, http_port = start_dnsd(a.dnsd, work, a.asan_options)
    log("dnsd pid %d dns %d http %d, work %s" % (proc.pid, dns_port, http_port, work))
    counters = Counters()
    services = ["soak-%d" % i for i in range(max(1, a.stable // PER_SERVICE))]
    stable = [(s, "i%d" % j) for s in services for j in range(PER_SERVICE)]
    http = keepalive.Http(http_port)
    for k, (svc, inst) in enumerate(stable):
        if register(http, svc, inst, "10.0.%d.%d" % (k // 250, k % 250 + 1), "10s") != 200:
            sys.exit("registering %s/%s failed" % (svc, inst))

    started = time.monotonic()
    deadline = started + duration
    dnsperf = subprocess.Popen(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(dns_port), "-d", queries_file(work, services),
         "-l", str(int(duration)), "-c", "4", "-T", "1", "-t", "2", "-S", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    gone, lock = set(), threading.Lock()
    threads = [threading.Thread(target=stable_loop, args=(http_port, stable[i::2], deadline, counters, 3.0))
               for i in range(2)]
    threads += [threading.Thread(target=churn_loop, args=(http_port, n, deadline, counters, gone, lock))
                for n in range(a.churners)]
    threads += [threading.Thread(target=blocking_loop, args=(http_port, n, deadline, counters))
                for n in range(a.blockers)]
    for t in threads:
        t.daemon = True
        t.start()

    samples = []  # (seconds since start, VmRSS KiB)
    while time.monotonic() < deadline and proc.poll() is None:
        samples.append((time.monotonic() - started, benchlib.vm_status(proc.pid)["VmRSS"]))
        if len(samples) % 12 == 0:
            log("%.0f s: RSS %.1f MB, %s" % (samples[-1][0], samples[-1][1] / 1024, dict(sorted(counters.c.items()))))
        time.sleep(max(0.0, min(5.0, deadline - time.monotonic())))
    for t in threads:
        t.join(timeout=30)
    try:
        perf_out, _ = dnsperf.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        dnsperf.kill()
        perf_out, _ = dnsperf.communicate(timeout=10)
    alive = proc.poll() is None
    if alive:
        samples.append((time.monotonic() - started, benchlib.vm_status(proc.pid)["VmRSS"]))

    # The end state: every stable instance there and passing, no deregistered one left.
    api_count = dns_count = passing = 0
    leftover = 0
    if alive:
        http = keepalive.Http(http_port)
        for svc in services:
            status, body = http.request("GET", "/v1/services/%s" % svc)
            insts = json.loads(body).get("instances", []) if status == 200 else []
            api_count += len(insts)
            passing += sum(1 for i in insts if i.get("status") == "passing")
        resolver = benchlib.UdpResolver(dns_port, timeout=2)
        for svc in services:
            r = resolver.ask("%s.service.discovery." % svc, "A")
            dns_count += r[1] if r and r[0] == 0 else 0
        resolver.close()
        present = set()
        for n in range(8):
            status, body = http.request("GET", "/v1/services/churn-%d" % n)
            if status == 200:
                present |= {("churn-%d" % n, i["id"]) for i in json.loads(body).get("instances", [])}
        leftover = len(present & gone)
        http.sock.close()

    # Stop dnsd (SIGTERM: LeakSanitizer runs at exit) and read every sanitizer report.
    code = None
    if alive:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(timeout=10)
    else:
        code = proc.returncode
    reports = []
    for path in sorted(glob.glob(os.path.join(work, "asan*")) + glob.glob(os.path.join(work, "ubsan*"))
                       + [os.path.join(work, "dnsd.stderr")]):
        text = open(path, errors="replace").read()
        if SANITIZER.search(text):
            reports.append({"file": path, "first_line": SANITIZER.search(text).group(0)})

    base = [kib for t, kib in samples if t >= warmup]
    baseline = base[0] if base else (samples[-1][1] if samples else 0)
    peak = max(base) if base else baseline
    res = dnsperf_run.parse_summary(perf_out or "")
    out = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - (time.monotonic() - started))),
        "minutes": round((time.monotonic() - started) / 60, 2), "minutes_asked": a.minutes,
        "dnsperf": res, "counters": dict(sorted(counters.c.items())),
        "rss_start_mb": round(samples[0][1] / 1024, 1) if samples else None,
        "rss_baseline_mb": round(baseline / 1024, 1), "rss_peak_mb": round(peak / 1024, 1),
        "rss_end_mb": round(samples[-1][1] / 1024, 1) if samples else None,
        "rss_growth_mb": round((peak - baseline) / 1024, 1), "warmup_s": warmup,
        "stable_expected": len(stable), "stable_api": api_count, "stable_passing": passing,
        "stable_dns": dns_count, "deregistered_left": leftover, "deregistered": len(gone),
        "exit_code": code, "sanitizer_reports": reports, "work": work,
        "asan_options": asan_options("WORK", a.asan_options),
        "rss_samples_mb": [[round(t), round(kib / 1024, 1)] for t, kib in samples],
    }
    out["checks"] = {
        "no sanitizer report": not reports,
        "dnsd exit 0": code == 0,
        "RSS growth < %g MB after warm-up" % a.rss_limit_mb: out["rss_growth_mb"] < a.rss_limit_mb,
        "every stable instance through the API (passing)": api_count == len(stable) == passing,
        "every stable instance through DNS": dns_count == len(stable),
        "no deregistered instance left": leftover == 0,
        "dnsperf answered": bool(res.get("completed")),
    }
    out["ok"] = all(out["checks"].values())
    print(json.dumps(out, indent=1))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
