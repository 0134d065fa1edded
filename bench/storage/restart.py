#!/usr/bin/env python3
"""Time from exec of dnsd to /readyz 200, on a data dir (or none, as the baseline).

Starts dnsd (ports 0; the ports are read from its "listening dns=... http=..." line),
polls GET /readyz every --poll seconds (bounded by --max-seconds) until it answers 200,
then reads GET /v1/status (instances restored) and VmRSS, stops dnsd with SIGTERM (SIGKILL
after 10 s) and prints one JSON line. The PID goes to --pid-file as soon as it is known,
so that the caller's trap can end it if this script is interrupted.
"""
import argparse
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time

import benchlib


def get(port, path, timeout=1.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--data-dir", default="")
    p.add_argument("--config", default="")
    p.add_argument("--poll", type=float, default=0.010)
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--pid-file", default="")
    p.add_argument("--log", default="/dev/null")
    p.add_argument("--tag", default="")
    a = p.parse_args()
    cmd = [a.bin, "--dns-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
           "--log-level", "warn"]
    if a.data_dir:
        cmd += ["--data-dir", a.data_dir]
    if a.config:
        cmd += ["--config", a.config]
    log = open(a.log, "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % proc.pid)
    out = {"tag": a.tag, "data_dir": bool(a.data_dir)}
    try:
        deadline = t0 + a.max_seconds
        line = ""
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
                if line.startswith("listening ") or not line:
                    break
        if not line.startswith("listening "):
            sys.exit("dnsd did not start (exit %s)" % proc.poll())
        t_listen = time.monotonic()
        http_port = int(line.split("http=")[1].split()[0].rsplit(":", 1)[1])
        polls, status = 0, None
        while time.monotonic() < deadline and proc.poll() is None:
            polls += 1
            try:
                status, _ = get(http_port, "/readyz")
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(a.poll)
        t_ready = time.monotonic()
        out.update(ready=status == 200, polls=polls,
                   listening_s=round(t_listen - t0, 4), ready_s=round(t_ready - t0, 4))
        if status == 200:
            s, body = get(http_port, "/v1/status", timeout=10)
            out["instances"] = json.loads(body).get("instances") if s == 200 else None
            out["rss_kib"] = benchlib.vm_status(proc.pid).get("VmRSS")
            out["cpu_s"] = benchlib.cpu_ticks([proc.pid]) / benchlib.CLK_TCK
    finally:
        t_stop = time.monotonic()
        stop(proc)
        out["stop_s"] = round(time.monotonic() - t_stop, 3)
        out["exit_code"] = proc.returncode
    print(json.dumps(out))


if __name__ == "__main__":
    main()
