#!/usr/bin/env python3
"""bench/soak results (one JSON object) -> a summary on stdout and, given a docs path, the
"Soak (bench/soak/run)" section of docs/BENCHMARKS.md (replaced in place, or appended).
    report.py results.json COMMAND [docs/BENCHMARKS.md]"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
import report  # noqa: E402  (machine(), head(), write_section())

TITLE = "Soak (bench/soak/run)"


def section(r, command):
    perf, c = r["dnsperf"], r["counters"]

    def total(prefix):
        return sum(v for k, v in c.items() if k.startswith(prefix))

    def ok(prefix):
        return c.get(prefix + "_200", 0)
    lines = report.head(
        TITLE,
        "dnsd's ASan + UBSan build (`build-asan`, GCC, RelWithDebInfo) for the whole run under\n"
        "dnsperf at full rate (4 clients, one thread) and HTTP churn from Python on the same\n"
        "machine: %d stable instances (services of 10, 10 s leases) heartbeated every 3 s; 2\n"
        "churn clients registering, heartbeating, changing status and deregistering (every 5th\n"
        "left to lapse and be removed, `deregister_after: 5s`); 4 clients holding blocking\n"
        "queries on the churned services." % r["stable_expected"],
        report.machine(("dpkg-query", "-W", "-f", "dnsperf ${Version}", "dnsperf")),
        r["started"], command)
    ran = "%.1f min" % r["minutes"]
    if r["minutes"] + 0.05 < r["minutes_asked"]:
        ran += " (of %g asked)" % r["minutes_asked"]
    lines += [
        "| duration | %s |" % ran,
        "| dnsperf | %s queries, %s completed, %s lost, %s qps; rcodes %s |" % (
            format(perf.get("sent") or 0, ","), format(perf.get("completed") or 0, ","),
            format(perf.get("lost") or 0, ","), format(int(perf.get("qps") or 0), ","),
            perf.get("rcodes") or "?"),
        "| registrations / heartbeats / status changes / deregistrations (200 of all) | %s / %s / %s / %s of %s / %s / %s / %s |" % (
            format(ok("register"), ","), format(ok("heartbeat"), ","), format(ok("status"), ","),
            format(ok("deregister"), ","), format(total("register_"), ","),
            format(total("heartbeat_"), ","), format(total("status_"), ","), format(total("deregister_"), ",")),
        "| blocking queries answered (200 of all) | %s of %s |" % (format(ok("blocking"), ","), format(total("blocking_"), ",")),
        "| VmRSS: start, after the %.0f s warm-up, peak after it, end | %s, %s, %s, %s MB (growth %s MB) |" % (
            r["warmup_s"], r["rss_start_mb"], r["rss_baseline_mb"], r["rss_peak_mb"], r["rss_end_mb"], r["rss_growth_mb"]),
        "| stable instances at the end: API (passing) / DNS A records / expected | %d (%d) / %d / %d |" % (
            r["stable_api"], r["stable_passing"], r["stable_dns"], r["stable_expected"]),
        "| deregistered churn instances still listed | %d of %s |" % (r["deregistered_left"], format(r["deregistered"], ",")),
        "| sanitizer reports (ASan log_path files, stderr; leaks at exit) | %s |" % (
            "none" if not r["sanitizer_reports"] else "; ".join(x["first_line"] for x in r["sanitizer_reports"])),
        "| dnsd exit status (SIGTERM) | %s |" % r["exit_code"],
        "| ASAN_OPTIONS | `%s` |" % r.get("asan_options", "?"),
        "",
        "VmRSS includes ASan's quarantine (freed memory held back to catch use after free, 256 MB"
        " unless ASAN_OPTIONS' quarantine_size_mb says otherwise) and its shadow memory, which"
        " fill in the first seconds of churn: hence the warm-up before the baseline. dnsperf and the Python clients share the 2 cores with dnsd"
        " (and with whatever else the machine runs: see the load average), so the qps is the"
        " ASan build's under contention, not a throughput figure.",
        "",
        "Checks: " + "; ".join("%s: %s" % (k, "pass" if v else "FAIL") for k, v in r["checks"].items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main():
    with open(sys.argv[1]) as f:
        text = f.read()
    if not text.strip():
        sys.exit("soak.py wrote no results (see its progress log)")
    r = json.loads(text)
    text = section(r, sys.argv[2])
    print(text)
    if len(sys.argv) > 3:
        report.write_section(sys.argv[3], TITLE, text)
        print("docs: section \"%s\" written" % TITLE)


if __name__ == "__main__":
    main()
