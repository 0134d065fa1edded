#!/usr/bin/env python3
"""Runs dnsperf once against a server and prints one JSON line with what it measured.

Throughput mode (default): dnsperf at full speed for --duration seconds; reports qps,
completed and lost queries, dnsperf's average latency, and the server's CPU time per
answered query (utime + stime of the server's process tree from /proc, before and after).
Latency mode (--rate R): dnsperf paced at R queries/s with -v, so that every query's
latency is printed; reports avg, p50, p99 and max from those.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import benchlib


def parse_summary(text):
    def num(pattern, cast=float):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else None
    return {
        "sent": num(r"Queries sent:\s+(\d+)", int),
        "completed": num(r"Queries completed:\s+(\d+)", int),
        "lost": num(r"Queries lost:\s+(\d+)", int),
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "response_bytes": num(r"Average packet size:.*response (\d+)", int),
        "avg_latency_us": (num(r"Average Latency \(s\):\s+([\d.]+)") or 0) * 1e6,
        "rcodes": (re.search(r"Response codes:\s+(.*)", text) or [None, ""])[1].strip(),
    }


def latencies(text):
    out = []
    for line in text.splitlines():
        if line.startswith("> "):
            parts = line.split()
            if parts[1] not in ("T", "I"):
                out.append(float(parts[-1]) * 1e6)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cpu", default="", help="taskset CPU list for dnsperf; empty = unpinned")
    p.add_argument("--rate", type=int, default=0, help="latency mode: -Q rate with -v")
    p.add_argument("--tag", default="")
    a = p.parse_args()

    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(a.port), "-d", a.queries,
           "-l", str(a.duration), "-c", str(a.clients), "-T", str(a.threads), "-t", "2"]
    if a.rate:
        cmd += ["-Q", str(a.rate), "-v"]
    if a.cpu:
        cmd = ["taskset", "-c", a.cpu] + cmd
    pids = benchlib.process_tree(a.pid)
    ticks0 = benchlib.cpu_ticks(pids)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=a.duration + 60)
    wall = time.monotonic() - t0
    ticks1 = benchlib.cpu_ticks(pids)
    res = parse_summary(proc.stdout)
    if proc.returncode != 0 or not res["completed"]:
        sys.stderr.write(proc.stdout[-2000:])
        sys.exit("dnsperf failed against %s (rc %d)" % (a.server, proc.returncode))
    res.update(server=a.server, tag=a.tag, mode="latency" if a.rate else "throughput",
               duration=a.duration, wall=round(wall, 3), load1=os.getloadavg()[0],
               server_cpu_s=(ticks1 - ticks0) / benchlib.CLK_TCK)
    res["cpu_us_per_query"] = res["server_cpu_s"] * 1e6 / res["completed"]
    if a.rate:
        lat = latencies(proc.stdout)
        res["rate"] = a.rate
        res["samples"] = len(lat)
        if lat:
            res["p50_us"] = benchlib.percentile(lat, 50)
            res["p99_us"] = benchlib.percentile(lat, 99)
            res["max_us"] = max(lat)
            res["avg_latency_us"] = sum(lat) / len(lat)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
