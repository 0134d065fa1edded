#!/usr/bin/env python3
"""bench/agent results (one JSON object) -> the "Checks and agent mode (bench/agent/run)"
section of docs/BENCHMARKS.md (replaced in place, or appended)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from report import head, machine, write_from_argv  # noqa: E402

TITLE = "Checks and agent mode (bench/agent/run)"


def section(r, command):
    c, a = r["checks"], r["agent"]
    mib = lambda kib: kib / 1024.0  # noqa: E731
    lines = head(TITLE,
                 "One dnsd (Release build) running %d HTTP checks at a %d s interval against haproxy"
                 " answering 200 on 127.0.0.1; then a central dnsd with %d instances (100 services of"
                 " 100) and an agent dnsd copying it. Clients in Python on the same machine."
                 % (c["instances"], c["interval_s"], a["instances"]),
                 machine(("haproxy", "-v")), r["started"], command) + [
        "| dnsd's CPU running %d HTTP checks every %d s (%d s window after warm-up) | %.1f %% of one core, %.0f runs/s, RSS %.0f MiB |"
        % (c["instances"], c["interval_s"], c["window_s"], c["cpu_percent"], c["runs_per_second"],
           mib(c["rss_kib"])),
        "| spread of the checks' last runs over the interval, 100 ms buckets | mean %.0f, min %d, max %d per bucket (%d never ran, %d not passing) |"
        % (c["bucket_mean"], c["bucket_min"], c["bucket_max"], c["never_run"], c["not_passing"]),
        "| register on the central -> listed in the agent's DNS (PUT sent to first answer listing it), %d trials, %d instances | p50 %.1f ms, p99 %.1f ms, max %.1f ms |"
        % (a["trials"], a["instances"], a["visible_p50_ms"], a["visible_p99_ms"], a["visible_max_ms"]),
        "| bytes of the watch answer per change (body): a service of 1 instance / of 100 / the whole registry | %d / %d / %d |"
        % (a["bytes_change_small"], a["bytes_change_100"], a["bytes_full"]),
        "| agent's RSS with %d instances mirrored (empty agent; the central's) | %.1f MiB (%.1f MiB; %.1f MiB), copy loaded in %.2f s |"
        % (a["instances"], mib(a["agent_rss_kib"]), mib(a["empty_agent_rss_kib"]),
           mib(a["central_rss_kib"]), a["load_s"]),
        "",
        "Goals of issue 15: checks' CPU under 10 %% of a core: %s (%.1f %%); change -> agent"
        " p99 under 100 ms: %s (%.1f ms)."
        % ("met" if c["cpu_percent"] < 10 else "not met", c["cpu_percent"],
           "met" if a["visible_p99_ms"] < 100 else "not met", a["visible_p99_ms"]),
        "",
        "A change costs an agent the service it changed, with all its instances, not the registry"
        " (HTTP headers add about 150 bytes). The run times are the checks' completion times"
        " (their start plus a sub-millisecond answer); each check first runs at a random offset"
        " within its interval. No peer runs here: Consul's agent is not packaged in Debian.",
        "",
    ]
    return "\n".join(lines)


def main():
    write_from_argv(TITLE, section)


if __name__ == "__main__":
    main()
