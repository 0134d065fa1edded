#!/usr/bin/env python3
"""Peak memory of dnsd holding --instances instances (services of 10 instances each).

Registers them over HTTP with register.py (several keep-alive connections in parallel,
bounded by --max-seconds), then reads VmHWM and VmRSS of the dnsd process from
/proc/PID/status, checks GET /v1/status and a DNS answer, and prints one JSON line with
what was reached (which may be fewer instances than asked when the bound was hit).
"""
import argparse
import json
import os
import subprocess
import sys

import benchlib
import keepalive

PER_SERVICE = 10


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--instances", type=int, default=1000000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--max-seconds", type=float, default=900)
    p.add_argument("--tag", default="")
    a = p.parse_args()
    before = benchlib.vm_status(a.pid)
    here = os.path.dirname(os.path.abspath(__file__))
    services = (a.instances + PER_SERVICE - 1) // PER_SERVICE
    reg = subprocess.run(
        [sys.executable, os.path.join(here, "register.py"), "--http-port", str(a.http_port),
         "--generate", "%d,%d" % (services, PER_SERVICE), "--prefix", "m",
         "--connections", str(a.connections), "--max-seconds", str(a.max_seconds),
         "--server-pid", str(a.pid)],
        stdout=subprocess.PIPE, text=True, check=True, timeout=a.max_seconds + 120)
    reg = json.loads(reg.stdout)
    after = benchlib.vm_status(a.pid)
    http = keepalive.Http(a.http_port)
    status, body = http.request("GET", "/v1/status")
    instances = json.loads(body).get("instances") if status == 200 else None
    answer = benchlib.UdpResolver(a.dns_port, timeout=1).ask("m000000.service.discovery", "A")
    out = {
        "tag": a.tag, "wanted": a.instances, "registered": reg["registered"],
        "status_instances": instances, "seconds": reg["seconds"],
        "per_second": reg["per_second"], "timed_out": reg["timed_out"],
        "errors": reg["errors"], "first_error": reg["first_error"],
        "server_cpu_us_per_registration": reg.get("server_cpu_us_per_registration"),
        "dns_answers_m000000": answer[1] if answer else None,
        "rss_before_kib": before.get("VmRSS"), "hwm_kib": after.get("VmHWM"),
        "rss_kib": after.get("VmRSS"),
    }
    if reg["registered"]:
        out["hwm_bytes_per_instance"] = round(
            (after["VmHWM"] - before["VmRSS"]) * 1024 / reg["registered"], 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
