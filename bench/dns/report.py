#!/usr/bin/env python3
"""Turns a bench/run results directory (meta.json, results.jsonl) into the markdown
section "DNS query benchmark", prints it, and with --docs FILE replaces that section of
FILE (from its heading to the next "## " heading), leaving the rest of the file as it is.
"""
import argparse
import json
import os
import re
import statistics

HEADING = "## DNS query benchmark"
PEERS = ("knot", "nsd")
NAMES = {"knot": "Knot DNS", "nsd": "NSD", "dnsd": "dnsd"}


def load(out):
    meta = json.load(open(os.path.join(out, "meta.json")))
    rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
    return meta, rows


def spread(values, fmt):
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med)
    return "%s (%s-%s)" % (fmt(med), fmt(min(values)), fmt(max(values)))


def kqps(x):
    return "%.1fk" % (x / 1000)


def f1(x):
    return "%.1f" % x


def f2(x):
    return "%.2f" % x


def by_tag(rows, prefix):
    return [r for r in rows if r.get("tag", "").startswith(prefix)]


def sizes(rows):
    return sorted({int(r["tag"].split("-")[1]) for r in by_tag(rows, "qps-")})


def rounds(rows, n):
    """{round: {server: row}} of the throughput runs of size n."""
    out = {}
    for r in by_tag(rows, "qps-%d-" % n):
        out.setdefault(r["tag"], {})[r["server"]] = r
    return out


def busy_limit(cores):
    """A 1-min load average above this means other work ran: the benchmark itself keeps
    about one runnable task per core (the server and dnsperf, each on its own CPU)."""
    return cores + 1.0


def server_table(rows, n, servers, cores):
    lat = {r["server"]: r for r in rows if r.get("tag") == "lat-%d" % n}
    load = {r["tag"]: r for r in by_tag(rows, "load-")}
    lines = ["| server | qps | server CPU µs/query | avg latency at full load | "
             "p50 / p99 latency at %s qps | lost | response bytes |" %
             ("{:,}".format(next(iter(lat.values()))["rate"]) if lat else "?"),
             "|---|---:|---:|---:|---:|---:|---:|"]
    runs = rounds(rows, n)
    for s in servers:
        mine = [rs[s] for rs in runs.values() if s in rs]
        if not mine:
            continue
        l = lat.get(s)
        lines.append("| %s | %s | %s | %s µs | %s | %d of %d | %s |" % (
            NAMES.get(s, s), spread([r["qps"] for r in mine], kqps),
            spread([r["cpu_us_per_query"] for r in mine], f2),
            spread([r["avg_latency_us"] for r in mine], lambda x: "%.0f" % x),
            ("%.0f / %.0f µs" % (l["p50_us"], l["p99_us"])) if l else "-",
            sum(r["lost"] for r in mine), sum(r["sent"] for r in mine),
            mine[0].get("response_bytes", "-")))
    loads = [r["load1"] for r in by_tag(rows, "qps-%d-" % n) if "load1" in r]
    if loads:
        lines.append("")
        lines.append("Load average (1 min) at the end of these runs: %.1f-%.1f%s." % (
            min(loads), max(loads), "; the machine was busy with other work, so the absolute "
            "figures are low and noisy, the within-round ratios less so"
            if max(loads) > busy_limit(cores)
            else ""))
    if "load-%d" % n in load:
        ld = load["load-%d" % n]
        lines.append("")
        lines.append("dnsd got its %s instances by HTTP in %.1f s (%s registrations/s over %d "
                     "keep-alive connections, one write per request (`keepalive.py`); dnsd's CPU: %s µs per "
                     "registration)." % ("{:,}".format(ld["registered"]), ld["seconds"],
                                         "{:,.0f}".format(ld["per_second"]), ld["connections"],
                                         ld.get("server_cpu_us_per_registration", "?")))
    return lines


def ratios(rows, n):
    """Per-round ratios of dnsd to each peer and to the best peer."""
    out = {}
    for rs in rounds(rows, n).values():
        if "dnsd" not in rs:
            continue
        d = rs["dnsd"]
        peers = [p for p in PEERS if p in rs]
        for p in peers:
            out.setdefault(p, {"qps": [], "cpu": []})
            out[p]["qps"].append(d["qps"] / rs[p]["qps"])
            out[p]["cpu"].append(d["cpu_us_per_query"] / rs[p]["cpu_us_per_query"])
        if peers:
            out.setdefault("best", {"qps": [], "cpu": []})
            out["best"]["qps"].append(d["qps"] / max(rs[p]["qps"] for p in peers))
            out["best"]["cpu"].append(d["cpu_us_per_query"] /
                                      min(rs[p]["cpu_us_per_query"] for p in peers))
    return out


def ratio_table(rows, ns):
    lines = ["| services | against | qps ratio dnsd / peer (>= 1: not slower) | "
             "CPU µs/query ratio dnsd / peer (< 1: cheaper) |", "|---:|---|---:|---:|"]
    for n in ns:
        rt = ratios(rows, n)
        for p in list(PEERS) + ["best"]:
            if p in rt:
                name = "best of Knot/NSD" if p == "best" else NAMES[p]
                lines.append("| %s | %s | %s | %s |" % ("{:,}".format(n), name,
                             spread(rt[p]["qps"], f2), spread(rt[p]["cpu"], f2)))
    return lines


def one(rows, tag):
    found = by_tag(rows, tag)
    return found[-1] if found else None


def targets(meta, rows, ns):
    lines = ["| target | measured | met |", "|---|---|---|"]

    def verdict(ok):
        return "yes" if ok else "**no**"

    for n in (1000, 100000):
        rt = ratios(rows, n).get("best") if n in ns else None
        if rt:
            med = statistics.median(rt["qps"])
            lines.append("| UDP qps ratio >= 1.0 vs best of Knot/NSD, %s services | %.3f "
                         "(min %.2f; CPU/query ratio %.2f) | %s |" % (
                             "{:,}".format(n), med, min(rt["qps"]),
                             statistics.median(rt["cpu"]), verdict(med >= 1.0)))
        else:
            lines.append("| UDP qps ratio >= 1.0 vs best of Knot/NSD, %s services | not run | "
                         "not measured |" % "{:,}".format(n))
    v = one(rows, "visible")
    lines.append("| registration -> visible p99 < 1 ms | %s | %s |" % (
        ("p99 %.0f µs (p50 %.0f µs, max %.0f µs, %d trials)" %
         (v["p99_us"], v["p50_us"], v["max_us"], v["trials"])) if v else "not run",
        verdict(v["p99_us"] < 1000) if v else "not measured"))
    l = one(rows, "lapse")
    lines.append("| lapse -> gone within 100 ms of the deadline | %s | %s |" % (
        ("max %.1f ms (p50 %.1f ms, min %.1f ms, %d trials)" %
         (l["max_ms"], l["p50_ms"], l["min_ms"], l["trials"])) if l else "not run",
        verdict(0 <= l["min_ms"] and l["max_ms"] <= 100) if l else "not measured"))
    h = one(rows, "heartbeat")
    lines.append("| >= 100,000 heartbeats/s | %s | %s |" % (
        ("{:,.0f}/s ({} non-2xx)".format(h["per_second"], h["non_2xx"])) if h else "not run",
        verdict(h["per_second"] >= 100000 and h["non_2xx"] == 0) if h else "not measured"))
    r = one(rows, "rss")
    if r:
        reached = r["registered"] >= 1000000
        text = "VmHWM %.0f MiB with %s instances" % (r["hwm_kib"] / 1024,
                                                      "{:,}".format(r["registered"]))
        if not reached:
            why = ("the registration hit its time bound" if r["timed_out"] else
                   "this run asked for %s only" % "{:,}".format(r["wanted"]))
            text += " (10^6 not reached: %s; %.0f B/instance)" % (
                why, r.get("hwm_bytes_per_instance") or 0)
        ok = verdict(r["hwm_kib"] * 1024 < 2 ** 30) if reached else "not measured"
        lines.append("| 10^6 instances < 1 GiB RSS | %s | %s |" % (text, ok))
    else:
        lines.append("| 10^6 instances < 1 GiB RSS | not run | not measured |")
    return lines


def drivers(rows):
    lines = []
    v, l, h, r = (one(rows, t) for t in ("visible", "lapse", "heartbeat", "rss"))
    if v:
        lines.append("- Registration -> visible (%d trials, new service each, PUT over keep-alive "
                     "HTTP then UDP A queries in a tight loop; time from sending the PUT to the "
                     "first answer listing it): p50 %.0f µs, p99 %.0f µs, max %.0f µs; the PUT "
                     "round trip alone: p50 %.0f µs, p99 %.0f µs; from the 200 to the answer: "
                     "p50 %.0f µs, p99 %.0f µs; listed by the first query after the 200 in %d of "
                     "%d trials." % (
                         v["trials"], v["p50_us"], v["p99_us"], v["max_us"], v["http_put_p50_us"],
                         v["http_put_p99_us"], v.get("after_ack_p50_us", 0),
                         v.get("after_ack_p99_us", 0), v["visible_at_first_query"], v["trials"]))
    if l:
        lines.append("- Lapse -> gone (%d trials, 1 s lease, no heartbeat; deadline = PUT sent + "
                     "1 s, so an upper bound): min %.1f ms, p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                     "after the deadline." % (l["trials"], l["min_ms"], l["p50_ms"], l["p99_ms"],
                                              l["max_ms"]))
    if h:
        lines.append("- Heartbeats (wrk, %d thread(s), %d keep-alive connections, no pipelining, "
                     "PUT .../heartbeat cycling over %s instances with a 10 min lease, %.0f s): "
                     "{:,.0f}/s, {} non-2xx, {} socket errors, latency p50 {} µs, p99 {} µs.".format(
                         h["per_second"], h["non_2xx"], h["socket_errors"], h["latency_p50_us"],
                         h["latency_p99_us"]) % (h.get("threads", 2), h.get("connections", 32),
                                                 "{:,}".format(h.get("instances", 3000)),
                                                 h["duration_us"] / 1e6))
    if r:
        lines.append("- Memory: {:,} of {:,} instances registered in {:.0f} s ({:,.0f}/s over the "
                     "HTTP API{}; dnsd's CPU: {} µs per registration); `/v1/status` counts {}; "
                     "VmHWM {:.0f} MiB, VmRSS {:.0f} MiB (started at {:.0f} MiB); {:.0f} bytes of "
                     "peak RSS per instance.".format(
                         r["registered"], r["wanted"], r["seconds"], r["per_second"],
                         ", stopped by the time bound" if r["timed_out"] else "",
                         r.get("server_cpu_us_per_registration", "?"),
                         r["status_instances"], r["hwm_kib"] / 1024, r["rss_kib"] / 1024,
                         r["rss_before_kib"] / 1024, r.get("hwm_bytes_per_instance") or 0))
    return lines


def section(meta, rows):
    ns = sizes(rows)
    servers = meta["servers"]
    full = meta["mode"] == "full" and 100000 in ns and meta["runs"] >= 5
    loads = [r["load1"] for r in rows if r.get("tag", "").startswith("qps-") and "load1" in r]
    busy = max(loads) if loads and max(loads) > busy_limit(meta["cores"]) else 0
    pin = ("pinned: each server's process(es) on CPU 0 with `taskset -c 0`, one serving thread "
           "(Knot `udp-workers: 1`, NSD `server-count: 1`, dnsd `--workers 1`), dnsperf "
           "`-c 4 -T 1` on CPU 1" if meta["pinned"] else
           "not pinned: two serving threads each (Knot `udp-workers: 2`, NSD `server-count: 2`, "
           "dnsd `--workers 2`), dnsperf `-c 4 -T 1` unpinned")
    out = [HEADING, ""]
    out.append("Written by `bench/run` (scripts in `bench/dns/`, described in its README). "
               "%s." % (("Full-size run" + (
                   ", but on a busy machine (load average up to %.1f during the query runs, "
                   "from other work): the absolute qps are far below what an idle machine gives; "
                   "rerun `bench/run --full` on an idle machine for the real figures" % busy
                   if busy else "")) if full else
                        "**Reduced run** (mode `%s`: %s), not the full benchmark; "
                        "`bench/run --full` on an idle machine gives the full one" %
                        (meta["mode"], ", ".join(
                            ["sizes %s" % meta["services"], "%d run%s of %g s" %
                             (meta["runs"], "" if meta["runs"] == 1 else "s", meta["duration"])]))))
    out += ["",
            "- Command: `%s`" % meta["command"],
            "- Date: %s" % meta["date"],
            "- Machine: %s, %d cores, kernel %s, %s; load average %.1f at the start, %.1f at the "
            "end%s" % (meta["cpu"], meta["cores"], meta["kernel"],
                                               meta["os"], meta["load_start"],
                                               meta.get("load_end", float("nan")),
                                               " (the machine was shared)" if busy else ""),
            "- Servers: %s; dnsperf %s; wrk %s" % (
                ", ".join(meta["versions"][s] for s in servers if s in meta["versions"]),
                meta["versions"]["dnsperf"].replace("Version ", ""),
                meta["versions"]["wrk"].split(" [")[0]),
            "- Mode: %s" % pin,
            "- Data: N services x %d instances in `discovery.`: SRV at `<svc>.service.discovery` "
            "and `_<svc>._tcp.service.discovery` (targets `<id>.<svc>.instance.discovery`, whose "
            "A records go in the additional section), A for the targets and for "
            "`<svc>.service.discovery`, TTL 5. Knot and NSD load it as a zone file, dnsd gets it "
            "over its HTTP API." % meta["instances"],
            "- Queries (dnsperf, UDP, no EDNS, fixed seed): 50 %% A, 40 %% SRV (half each name "
            "form), 10 %% nonexistent names (NXDOMAIN); %d run(s) of %g s per server and size, "
            "taken in rounds (each server once per round, rotating order) while all servers "
            "are loaded; medians with (min-max). CPU µs/query = utime+stime of the server's "
            "processes from `/proc/PID/stat` over the run / queries answered. Latency "
            "percentiles come from a separate paced run (dnsperf `-Q` with `-v`, one client)." %
            (meta["runs"], meta["duration"]),
            ""]
    for n in ns:
        out.append("### %s services x %d instances" % ("{:,}".format(n), meta["instances"]))
        out.append("")
        out += server_table(rows, n, servers, meta["cores"])
        out.append("")
    if any("dnsd" in rs for n in ns for rs in rounds(rows, n).values()):
        out.append("### dnsd against its peers (ratios within each round)")
        out.append("")
        out += ratio_table(rows, ns)
        out.append("")
        out.append("dnsperf itself costs about 7 µs of CPU per query on this machine, so on 2 "
                   "cores qps tops out near 140k for any fast server; CPU µs/query is the "
                   "figure that ranks them (see shared BENCHMARKING notes).")
        out.append("")
    d = drivers(rows)
    if d:
        out.append("### Registry drivers (dnsd, default workers, not pinned, 1,000 x 3 "
                   "instances loaded)")
        out.append("")
        out += d
        out.append("")
    out.append("### Targets (issue 6)")
    out.append("")
    out += targets(meta, rows, ns)
    out.append("")
    out.append("Reading the verdicts: they hold for this run only. On a busy machine the "
               "latency tails (registration -> visible p99, which is mostly the HTTP round "
               "trip, and the heartbeat latency) measure scheduling delays as much as dnsd; "
               "the CPU µs/query ratio is the steadiest figure. NSD's answers are larger "
               "(it adds the NS record and its address), Knot's and dnsd's are alike.")
    out.append("")
    return "\n".join(out)


def replace_section(path, text):
    doc = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    start = doc.find(HEADING + "\n")
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        m = re.compile(r"^## ", re.M).search(doc, start + len(HEADING))
        end = m.start() if m else len(doc)
        doc = doc[:start] + text + ("\n" if m else "") + doc[end:]
    open(path, "w").write(doc.rstrip("\n") + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--docs")
    a = p.parse_args()
    meta, rows = load(a.out)
    text = section(meta, rows)
    print(text)
    if a.docs:
        replace_section(a.docs, text)


if __name__ == "__main__":
    main()
