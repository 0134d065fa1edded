#!/usr/bin/env python3
"""One wrk run against dnsd, with dnsd's side of it: prints one JSON line.

Runs `wrk -t1 -cC -dDs -s SCRIPT URL -- ARGS...` (bounded by a timeout) and reads, before
and after, dnsd's CPU time (utime+stime of its process from /proc/PID/stat, all threads)
and its storage metrics from GET /metrics (dnsd_storage_syncs_total,
dnsd_storage_sync_seconds_total, dnsd_storage_bytes; absent without a data dir). Reports
wrk's counts and latency percentiles plus: dnsd CPU µs per request, syncs, requests per
sync (the group size), mean sync latency and the share of the wall time spent syncing.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import benchlib
import keepalive


def metrics(port):
    http = keepalive.Http(port)
    try:
        status, body = http.request("GET", "/metrics")
    finally:
        http.close()
    out = {}
    for name in ("dnsd_storage_syncs_total", "dnsd_storage_sync_seconds_total",
                 "dnsd_storage_bytes"):
        m = re.search(r"^%s (\S+)$" % name, body.decode(), re.M)
        out[name] = float(m.group(1)) if m else None
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--output", default="", help="keep wrk's output here")
    p.add_argument("--tag", default="")
    p.add_argument("--label", default="")
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    cmd = ["wrk", "-t1", "-c%d" % a.connections, "-d%gs" % a.seconds, "--latency",
           "-s", a.script, "http://127.0.0.1:%d" % a.http_port, "--"] + a.args
    m0, c0, t0 = metrics(a.http_port), benchlib.cpu_ticks([a.pid]), time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=a.seconds + 120)
    wall = time.monotonic() - t0
    m1, c1 = metrics(a.http_port), benchlib.cpu_ticks([a.pid])
    if a.output:
        open(a.output, "w").write(proc.stdout)
    line = next((l[5:] for l in proc.stdout.splitlines() if l.startswith("JSON ")), None)
    if proc.returncode != 0 or line is None:
        sys.stderr.write(proc.stdout[-2000:])
        sys.exit("wrk failed (rc %d)" % proc.returncode)
    out = json.loads(line)
    out.update(tag=a.tag, label=a.label, connections=a.connections, seconds=a.seconds,
               wrk_wall_s=round(wall, 2), load1=os.getloadavg()[0])
    if out["requests"]:
        out["server_cpu_us_per_request"] = round(
            (c1 - c0) * 1e6 / benchlib.CLK_TCK / out["requests"], 2)
    if m1["dnsd_storage_syncs_total"] is not None:
        syncs = m1["dnsd_storage_syncs_total"] - m0["dnsd_storage_syncs_total"]
        sync_s = m1["dnsd_storage_sync_seconds_total"] - m0["dnsd_storage_sync_seconds_total"]
        out.update(syncs=int(syncs), sync_s=round(sync_s, 4),
                   storage_bytes=m1["dnsd_storage_bytes"])
        if syncs:
            out["requests_per_sync"] = round(out["requests"] / syncs, 2)
            out["sync_ms_mean"] = round(sync_s * 1e3 / syncs, 3)
            out["sync_share"] = round(sync_s / (out["duration_us"] / 1e6), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
