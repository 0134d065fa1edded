#!/usr/bin/env python3
"""Registers instances with dnsd over HTTP (PUT /v1/services/{svc}/instances/{id}, no
lease), with --connections keep-alive connections in parallel (one process each, each
request in one write: keepalive.py), for at most --max-seconds. Prints one JSON line:
registered, errors, seconds, per second.

Instances come from --file (gen_data.py's instances.tsv) or --generate SERVICES,INSTANCES
(names --prefix000000.. with ids i0.., produced on the fly, for the 10^6-instance memory
test and the heartbeat test; --ttl gives them a lease).
"""
import argparse
import json
import multiprocessing
import sys
import time

import benchlib
import gen_data
import keepalive


def from_file(path, part, parts):
    with open(path) as f:
        for n, line in enumerate(f):
            if n % parts == part:
                svc, iid, addr, port = line.split("\t")
                yield svc, iid, addr, int(port)


def generated(services, instances, prefix, part, parts):
    for x in range(part, services * instances, parts):
        n, k = divmod(x, instances)
        yield ("%s%06d" % (prefix, n), gen_data.instance_id(k),
               gen_data.address(n, k, instances), gen_data.port(k))


def worker(args):
    http_port, source, part, parts, deadline, extra = args
    items = (from_file(source, part, parts) if isinstance(source, str)
             else generated(source[0], source[1], source[2], part, parts))
    conn = keepalive.Http(http_port)
    done = errors = 0
    first_error = ""
    for svc, iid, addr, port in items:
        if time.time() >= deadline:
            break
        status, body = conn.request("PUT", "/v1/services/%s/instances/%s" % (svc, iid),
                                    dict(address=addr, port=port, **extra))
        if status == 200:
            done += 1
        else:
            errors += 1
            first_error = first_error or "%d %s" % (status, body[:200])
            if errors > 100:
                break
    conn.close()
    return done, errors, first_error


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--file")
    p.add_argument("--generate", help="SERVICES,INSTANCES")
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--max-seconds", type=float, default=600)
    p.add_argument("--prefix", default="svc", help="service name prefix with --generate")
    p.add_argument("--ttl", default="", help="lease, e.g. 5m; default: no lease")
    p.add_argument("--server-pid", type=int, default=0,
                   help="also report the server's CPU time per registration")
    p.add_argument("--tag", default="")
    a = p.parse_args()
    server = benchlib.process_tree(a.server_pid) if a.server_pid else []
    ticks0 = benchlib.cpu_ticks(server)
    source = a.file if a.file else tuple(int(x) for x in a.generate.split(",")) + (a.prefix,)
    extra = {"ttl": a.ttl} if a.ttl else {}
    t0 = time.time()
    deadline = t0 + a.max_seconds
    jobs = [(a.http_port, source, i, a.connections, deadline, extra)
            for i in range(a.connections)]
    with multiprocessing.Pool(a.connections) as pool:
        results = pool.map(worker, jobs)
    seconds = time.time() - t0
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    wanted = (sum(1 for _ in open(a.file)) if a.file else source[0] * source[1])
    out = {"tag": a.tag, "wanted": wanted, "registered": done, "errors": errors,
           "seconds": round(seconds, 2), "per_second": round(done / seconds, 1),
           "connections": a.connections, "timed_out": done + errors < wanted,
           "first_error": next((r[2] for r in results if r[2]), "")}
    if server and done:
        out["server_cpu_us_per_registration"] = round(
            (benchlib.cpu_ticks(server) - ticks0) * 1e6 / benchlib.CLK_TCK / done, 1)
    print(json.dumps(out))
    if errors:
        sys.stderr.write("registration errors: %s\n" % out["first_error"])


if __name__ == "__main__":
    main()
