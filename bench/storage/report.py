#!/usr/bin/env python3
"""Turns a bench/storage/run results directory into the "Data dir (bench/storage/run)"
section of docs/BENCHMARKS.md (printed; with --docs, written into that file in place of
the section, or appended when it is not there yet)."""
import argparse
import json
import os
import re
import statistics

HEADING = "## Data dir (bench/storage/run)"
REG_GOAL, HB_GOAL, RESTART_GOAL, DNS_TOLERANCE = 20000, 100000, 3.0, 1.05


def load(out):
    meta = json.load(open(os.path.join(out, "meta.json")))
    rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
    return meta, rows


def med(values):
    return statistics.median(values) if values else None


def spread(values, fmt):
    if not values:
        return "-"
    m = fmt.format(med(values))
    if len(values) == 1:
        return m
    return "%s (%s-%s)" % (m, fmt.format(min(values)), fmt.format(max(values)))


def pick(rows, case, **kw):
    return [r for r in rows if r.get("case") == case and all(r.get(k) == v for k, v in kw.items())]


def paired_ratios(rows, case, key, **kw):
    """disk/mem of `key` within each round."""
    out = []
    for r in sorted({x["round"] for x in pick(rows, case, **kw)}):
        m, d = pick(rows, case, mode="mem", round=r, **kw), pick(rows, case, mode="disk", round=r, **kw)
        if m and d and m[0].get(key):
            out.append(d[0][key] / m[0][key])
    return out


def n(x):
    return "{:,.0f}".format(x)


def registrations(rows, meta):
    lines = ["| connections | memory /s | data dir /s | ratio data dir / memory | "
             "p50 / p99 latency, memory | p50 / p99 latency, data dir | dnsd CPU µs per "
             "registration, memory / data dir | registrations per sync | mean sync | "
             "share of the time syncing |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for c in sorted({r["connections"] for r in pick(rows, "registrations")}):
        m, d = pick(rows, "registrations", mode="mem", connections=c), \
            pick(rows, "registrations", mode="disk", connections=c)
        ratio = paired_ratios(rows, "registrations", "per_second", connections=c)

        def lat(rs):
            return "%s / %s µs" % (n(med([r["latency_p50_us"] for r in rs])),
                                   n(med([r["latency_p99_us"] for r in rs])))
        lines.append("| %d | %s | %s | %s | %s | %s | %s / %s | %s | %s ms | %s |" % (
            c, spread([r["per_second"] for r in m], "{:,.0f}"),
            spread([r["per_second"] for r in d], "{:,.0f}"), spread(ratio, "{:.3f}"),
            lat(m), lat(d),
            "%.1f" % med([r["server_cpu_us_per_request"] for r in m]),
            "%.1f" % med([r["server_cpu_us_per_request"] for r in d]),
            "%.1f" % med([r["requests_per_sync"] for r in d if "requests_per_sync" in r]),
            "%.2f" % med([r["sync_ms_mean"] for r in d if "sync_ms_mean" in r]),
            "%.0f %%" % (100 * med([r["sync_share"] for r in d if "sync_share" in r]))))
        bad = [r for r in m + d if r["non_2xx"] or r["socket_errors"]]
        if bad:
            notes.append("%d connections: %d run(s) with non-2xx answers or socket errors "
                         "(first: %d non-2xx, %d socket errors)." % (
                             c, len(bad), bad[0]["non_2xx"], bad[0]["socket_errors"]))
        wrapped = [r for r in m + d if r["requests"] > r.get("prebuilt", 1e18)]
        if wrapped:
            notes.append("%d connections: %d run(s) sent more than the %s pre-built "
                         "requests, so some were updates of existing ids." % (
                             c, len(wrapped), n(wrapped[0]["prebuilt"])))
    return lines, notes


def heartbeats(rows):
    m, d = pick(rows, "heartbeats", mode="mem"), pick(rows, "heartbeats", mode="disk")
    ratio = paired_ratios(rows, "heartbeats", "per_second")
    lines = ["| | memory | data dir |", "|---|---:|---:|",
             "| heartbeats/s | %s | %s |" % (spread([r["per_second"] for r in m], "{:,.0f}"),
                                              spread([r["per_second"] for r in d], "{:,.0f}")),
             "| ratio data dir / memory (per round) | | %s |" % spread(ratio, "{:.3f}"),
             "| p50 / p99 latency | %s / %s µs | %s / %s µs |" % (
                 n(med([r["latency_p50_us"] for r in m])), n(med([r["latency_p99_us"] for r in m])),
                 n(med([r["latency_p50_us"] for r in d])), n(med([r["latency_p99_us"] for r in d]))),
             "| dnsd CPU µs per heartbeat | %.1f | %.1f |" % (
                 med([r["server_cpu_us_per_request"] for r in m]),
                 med([r["server_cpu_us_per_request"] for r in d])),
             "| non-2xx / socket errors | %d / %d | %d / %d |" % (
                 sum(r["non_2xx"] for r in m), sum(r["socket_errors"] for r in m),
                 sum(r["non_2xx"] for r in d), sum(r["socket_errors"] for r in d)),
             "| syncs during the runs | - | %d |" % sum(r.get("syncs", 0) for r in d)]
    return lines


def restart(rows, meta):
    fill = (pick(rows, "fill") or [None])[0]
    disk = (pick(rows, "disk") or [None])[0]
    after = (pick(rows, "disk_after_restarts") or [None])[0]
    rs = pick(rows, "restart", mode="disk")
    base_mem, base_empty = pick(rows, "restart", mode="mem"), pick(rows, "restart", mode="empty")
    lines = []
    if fill:
        lines.append("- Filling (storage.fsync false, %d keep-alive connections, `register.py`, "
                     "services of 10 instances): %s of %s instances in %.0f s (%s/s%s; dnsd's CPU "
                     "%s µs per registration); SIGTERM -> exit in %.2f s (exit code %s)." % (
                         meta["fill_connections"], n(fill["registered"]), n(fill["wanted"]),
                         fill["seconds"], n(fill["per_second"]),
                         ", **stopped by the %d s bound**" % meta["fill_seconds"]
                         if fill["timed_out"] else "",
                         fill.get("server_cpu_us_per_registration", "?"),
                         disk["stop_s"] if disk else float("nan"),
                         disk["stop_exit"] if disk else "?"))
    if disk and fill and fill["registered"]:
        files = ", ".join("%s %s" % (f, n(s)) for f, s in disk["files"].items())
        lines.append("- On disk after the stop: %s bytes (`du -sB1`; files: %s), **%.0f bytes per "
                     "instance**%s." % (
                         n(disk["du_bytes"]), files, disk["du_bytes"] / fill["registered"],
                         "; after the restarts %s bytes" % n(after["du_bytes"]) if after else ""))
    lines.append("")
    lines.append("| start | exec -> `listening` line | exec -> `/readyz` 200 | instances | "
                 "VmRSS when ready | dnsd CPU until ready |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for label, group in (("data dir with %s instances" % n(fill["registered"]) if fill else
                          "data dir", rs), ("no data dir (empty, memory)", base_mem),
                         ("empty data dir", base_empty)):
        ok = [r for r in group if r.get("ready")]
        if not group:
            continue
        lines.append("| %s | %s s | %s s | %s | %s MiB | %s s |" % (
            label, spread([r["listening_s"] for r in group], "{:.3f}"),
            spread([r["ready_s"] for r in ok], "{:.3f}") if ok else "never ready",
            n(med([r.get("instances") or 0 for r in ok])) if ok else "-",
            "%.0f" % (med([r["rss_kib"] for r in ok]) / 1024) if ok else "-",
            "%.2f" % med([r["cpu_s"] for r in ok]) if ok else "-"))
    return lines, fill, rs


def dns(rows):
    m, d = pick(rows, "dns", mode="mem"), pick(rows, "dns", mode="disk")
    ratio = paired_ratios(rows, "dns", "cpu_us_per_query")
    lines = ["| | memory | data dir |", "|---|---:|---:|",
             "| dnsd CPU µs/query | %s | %s |" % (spread([r["cpu_us_per_query"] for r in m], "{:.2f}"),
                                                  spread([r["cpu_us_per_query"] for r in d], "{:.2f}")),
             "| qps | %s | %s |" % (spread([r["qps"] / 1e3 for r in m], "{:.1f}k"),
                                    spread([r["qps"] / 1e3 for r in d], "{:.1f}k")),
             "| lost | %d | %d |" % (sum(r["lost"] for r in m), sum(r["lost"] for r in d)),
             "| CPU/query ratio data dir / memory (per round) | | %s |" % spread(ratio, "{:.3f}")]
    return lines, m, d, ratio


def section(meta, rows):
    quick = meta["mode"] == "quick"
    loads = [r["load1"] for r in rows if "load1" in r]
    shared = meta["load_start"] > 1.0
    out = [HEADING, ""]
    out.append("Written by `bench/storage/run` (scripts in `bench/storage/`, described in its "
               "README; it reuses `bench/dns/`'s drivers). Every case runs next to its "
               "in-memory baseline in the same run; ratios are data dir / memory, taken within "
               "a round.%s" % (" **Reduced run** (`--quick`), not the benchmark." if quick else ""))
    out += ["",
            "- Command: `%s`" % meta["command"],
            "- Date: %s; %d s in all" % (meta["date"], meta.get("seconds", 0)),
            "- Machine: %s, %d cores, kernel %s, %s; data dirs on %s%s" % (
                meta["cpu"], meta["cores"], meta["kernel"], meta["os"], meta["filesystem"],
                "" if not shared else
                "; **the machine was shared** with other work (concurrent builds): load "
                "average %.1f at the start, before any benchmark process ran, up to %.1f "
                "during the runs, %.1f at the end" % (meta["load_start"], max(loads or [0]),
                                                    meta.get("load_end", 0))),
            "- %s; %s; %s" % (meta["versions"]["dnsd"],
                                       meta["versions"]["wrk"].split(" [")[0],
                                       meta["versions"]["dnsperf"].replace("Version ", "dnsperf ")),
            "- dnsd with default settings (`storage.fsync: true` where a data dir is used), "
            "ports 0 read from its startup line; HTTP cases unpinned with default workers, the "
            "DNS case pinned (dnsd `--workers 1` on CPU 0, dnsperf `-c 4 -T 1` on CPU 1). "
            "Medians with (min-max).",
            ""]
    out.append("### 1. Registrations (PUT /v1/services/{svc}/instances/{id}, new ids, no lease)")
    out.append("")
    out.append("wrk `-t1`, `bench/storage/register.lua` (%s requests pre-built in `init()`, "
               "services of 10 instances), %g s per run, a fresh dnsd (and a fresh data dir) "
               "per run, %d round(s) alternating the order. Latency is wrk's, per request. "
               "Registrations per sync, mean sync and the share of the time syncing come from "
               "dnsd's `dnsd_storage_sync*` metrics over the run." % (
                   n(meta["reg_count"]), meta["reg_seconds"], meta["rounds"]))
    out.append("")
    reg_lines, reg_notes = registrations(rows, meta)
    out += reg_lines
    out.append("")
    out += ["- " + x for x in reg_notes] + ([""] if reg_notes else [])
    out.append("### 2. Heartbeats")
    out.append("")
    out.append("%s instances registered with a 10 min lease, then wrk `-t1 -c%d` with "
               "`bench/dns/heartbeat.lua` for %g s per run, %d round(s); both dnsd running, "
               "one at a time under load." % (n(meta["hb_instances"]), meta["hb_connections"],
                                              meta["hb_seconds"], meta["rounds"]))
    out.append("")
    out += heartbeats(rows)
    out.append("")
    out.append("### 3. Restart with %s instances" % n(meta["restart_instances"]))
    out.append("")
    rst_lines, fill, rs = restart(rows, meta)
    out += rst_lines
    out.append("")
    out.append("exec -> `/readyz` 200: from just before `exec` of a fresh dnsd on the same "
               "dir (default config, fsync true) to the first 200 of `/readyz`, polled every "
               "10 ms (so up to 10 ms late); %d start(s) each." % meta["restarts"])
    out.append("")
    out.append("### 4. DNS query path (%s services x 3 instances)" % n(meta["dns_services"]))
    out.append("")
    out.append("dnsperf, %d run(s) of %g s per server in rounds (rotating order), after a "
               "1 s warm-up; CPU µs/query = utime+stime of dnsd from `/proc/PID/stat` over the "
               "run / queries answered (as `bench/dns`)." % (meta["dns_runs"],
                                                             meta["dns_duration"]))
    out.append("")
    dns_lines, dm, dd, dratio = dns(rows)
    out += dns_lines
    out.append("")

    # Goals.
    out.append("### Goals")
    out.append("")
    out.append("| goal | measured | met |")
    out.append("|---|---|---|")
    d64 = pick(rows, "registrations", mode="disk", connections=64)
    if d64:
        v = med([r["per_second"] for r in d64])
        short = "" if v >= REG_GOAL else " (%.0f %% short: %.1fx needed)" % (
            100 * (1 - v / REG_GOAL), REG_GOAL / v)
        m64 = med([r["per_second"] for r in pick(rows, "registrations", mode="mem",
                                                  connections=64)])
        base = "" if not m64 or m64 >= REG_GOAL else \
            "; the memory baseline made only %s/s on this machine" % n(m64)
        out.append("| >= 20,000 registrations/s over 64 connections, data dir, fsync true | "
                   "%s/s%s; ratio to memory %.2f%s | %s |" % (
                       n(v), short, statistics.median(paired_ratios(
                           rows, "registrations", "per_second", connections=64)), base,
                       "yes" if v >= REG_GOAL else "**no**"))
    hd = pick(rows, "heartbeats", mode="disk")
    if hd:
        v = med([r["per_second"] for r in hd])
        syncs = sum(r.get("syncs", 0) for r in hd)
        hm = med([r["per_second"] for r in pick(rows, "heartbeats", mode="mem")])
        out.append("| >= 100,000 heartbeats/s with a data dir (none written) | %s/s, %d syncs"
                   "%s; ratio to memory %.2f%s | %s |" % (
                       n(v), syncs, "" if v >= HB_GOAL else " (%.0f %% short)" % (
                           100 * (1 - v / HB_GOAL)),
                       statistics.median(paired_ratios(rows, "heartbeats", "per_second")),
                       "" if hm >= HB_GOAL else
                       "; the memory baseline made only %s/s on this machine" % n(hm),
                                  "yes" if v >= HB_GOAL and syncs == 0 else "**no**"))
    ok = [r for r in rs if r.get("ready")]
    if ok:
        v = med([r["ready_s"] for r in ok])
        full = fill and fill["registered"] >= meta["restart_instances"] and \
            meta["restart_instances"] >= 1000000
        out.append("| restart with 10^6 instances: exec -> /readyz 200 within 3 s | %.2f s "
                   "(max %.2f s) with %s instances%s | %s |" % (
                       v, max(r["ready_s"] for r in ok), n(med([r["instances"] for r in ok])),
                       "" if v <= RESTART_GOAL else " (%.2f s over)" % (v - RESTART_GOAL),
                       ("yes" if v <= RESTART_GOAL else "**no**") if full else
                       "not measured at 10^6"))
    if dratio:
        v = statistics.median(dratio)
        out.append("| DNS query path untouched (CPU µs/query data dir / memory <= %.2f) | "
                   "%.3f (%.2f vs %.2f µs/query) | %s |" % (
                       DNS_TOLERANCE, v, med([r["cpu_us_per_query"] for r in dd]),
                       med([r["cpu_us_per_query"] for r in dm]),
                       "yes" if v <= DNS_TOLERANCE else "**no**"))
    out.append("")
    return "\n".join(out)


KEEP = "### What the profile suggests"


def replace_section(path, text):
    """Replaces the section; a hand-written "What the profile suggests" subsection in it
    (analysis of a particular run) is kept at its end."""
    doc = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    start = doc.find(HEADING + "\n")
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        m = re.compile(r"^## ", re.M).search(doc, start + len(HEADING))
        end = m.start() if m else len(doc)
        old = doc[start:end]
        if KEEP in old:
            text = text.rstrip("\n") + "\n\n" + old[old.index(KEEP):].rstrip("\n") + "\n"
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
