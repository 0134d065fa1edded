#!/usr/bin/env python3
"""bench/eureka results (one JSON object) -> the "Eureka API (bench/eureka/run)" section of
docs/BENCHMARKS.md (replaced in place, or appended)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from report import head, machine, write_from_argv  # noqa: E402

TITLE = "Eureka API (bench/eureka/run)"


def section(r, command):
    v, la, li = r["visible"], r["lapse"], r["list"]
    lines = head(TITLE,
                 "One dnsd (Release build) with the Eureka API; clients in Python on the same"
                 " machine, one keep-alive HTTP connection and UDP DNS queries.",
                 machine(("python3", "--version")), r["started"], command) + [
        "| Eureka registration (POST, JSON) -> listed in DNS, %d trials | p50 %.2f ms, p99 %.2f ms |"
        % (v["trials"], v["dns_p50_ms"], v["dns_p99_ms"]),
        "| Eureka registration -> listed by GET /eureka/apps/{APP} (after the DNS check) | p50 %.2f ms, p99 %.2f ms |"
        % (v["apps_p50_ms"], v["apps_p99_ms"]),
        "| lease (durationInSecs 1) without heartbeat -> out of DNS, after the deadline, %d trials | p50 %.1f ms, p99 %.1f ms, max %.1f ms |"
        % (la["trials"], la["p50_ms"], la["p99_ms"], la["max_ms"]),
        "| GET /eureka/apps, %d instances, JSON (%d requests) | p50 %.1f ms, p99 %.1f ms, %d bytes, %.1f ms of dnsd's CPU each |"
        % (li["instances"], li["requests"], li["json"]["p50_ms"], li["json"]["p99_ms"],
           li["json"]["bytes"], li["json"]["cpu_ms"]),
        "| GET /eureka/apps, %d instances, XML (%d requests) | p50 %.1f ms, p99 %.1f ms, %d bytes, %.1f ms of dnsd's CPU each |"
        % (li["instances"], li["requests"], li["xml"]["p50_ms"], li["xml"]["p99_ms"],
           li["xml"]["bytes"], li["xml"]["cpu_ms"]),
        "| dnsd's RSS with those instances | %.1f MiB |" % (li["rss_kib"] / 1024.0),
        "",
        "The machine is shared (see the load average): wall-clock latencies include waiting"
        " for a core; dnsd's CPU time per listing is the steadier figure. A listing is"
        " rendered for every request (no cache), on the control thread.",
        "",
        "Reference, not measured here (no Eureka server is available on this machine):"
        " Eureka's documented staleness. A change reaches another Eureka client after up to"
        " 30 s in the server's read-only response cache plus 30 s until the client's next"
        " registry fetch (plus Ribbon's 30 s list refresh in Spring Cloud); an instance that"
        " stops heartbeating is evicted after its 90 s lease (in practice 180 s: Eureka's"
        " Lease.isExpired documents that renew() adds the duration twice) plus up to 60 s"
        " until the eviction task runs, and other clients see that after the same 30 s +"
        " 30 s of caches: a dead instance stays visible for about 4 minutes. dnsd has no"
        " response cache:"
        " the figures above are the whole delay on the server; a Eureka client still adds"
        " its own fetch interval.",
        "",
    ]
    return "\n".join(lines)


def main():
    write_from_argv(TITLE, section)


if __name__ == "__main__":
    main()
