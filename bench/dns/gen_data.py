#!/usr/bin/env python3
"""Generates the benchmark's data set, the same for every server.

N services x K instances in the domain `discovery.`:
  <svc>.service.discovery.          A    (one per instance)   SRV (one per instance)
  _<svc>._tcp.service.discovery.    SRV  (one per instance)
  <id>.<svc>.instance.discovery.    A    (the SRV target)
Outputs (in --out):
  discovery.zone   master file for Knot DNS and NSD (with SOA and NS)
  instances.tsv    "svc<TAB>id<TAB>address<TAB>port" lines, for registering with dnsd over HTTP
  queries.txt      dnsperf input: 50 % A, 40 % SRV (half each form), 10 % nonexistent names
Random choices use a fixed seed, so that every run and every server gets the same files.
"""
import argparse
import os
import random

TTL = 5  # dnsd's default answer TTL (dns.ttl)


def service_name(n):
    return "svc%06d" % n


def instance_id(k):
    return "i%d" % k


def address(n, k, instances):
    # 10.0.0.0/8 is only data inside DNS answers here; no traffic goes to it.
    x = n * instances + k + 1
    return "10.%d.%d.%d" % ((x >> 16) & 255, (x >> 8) & 255, x & 255)


def port(k):
    return 8080 + k


def write_zone(path, services, instances):
    with open(path, "w") as f:
        f.write("$ORIGIN discovery.\n$TTL %d\n" % TTL)
        f.write("@ SOA ns.discovery. hostmaster.discovery. 1 3600 600 86400 %d\n" % TTL)
        f.write("@ NS ns.discovery.\nns A 127.0.0.1\n")
        for n in range(services):
            svc = service_name(n)
            lines = []
            for k in range(instances):
                iid = instance_id(k)
                target = "%s.%s.instance.discovery." % (iid, svc)
                lines.append("%s.service SRV 1 1 %d %s\n" % (svc, port(k), target))
                lines.append("_%s._tcp.service SRV 1 1 %d %s\n" % (svc, port(k), target))
                lines.append("%s.service A %s\n" % (svc, address(n, k, instances)))
                lines.append("%s.%s.instance A %s\n" % (iid, svc, address(n, k, instances)))
            f.write("".join(lines))


def write_instances(path, services, instances):
    with open(path, "w") as f:
        for n in range(services):
            svc = service_name(n)
            f.write("".join("%s\t%s\t%s\t%d\n" % (svc, instance_id(k), address(n, k, instances), port(k))
                            for k in range(instances)))


def write_queries(path, services, count, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(count):
            r = rng.random()
            svc = service_name(rng.randrange(services))
            if r < 0.50:
                f.write("%s.service.discovery A\n" % svc)
            elif r < 0.70:
                f.write("%s.service.discovery SRV\n" % svc)
            elif r < 0.90:
                f.write("_%s._tcp.service.discovery SRV\n" % svc)
            else:  # an unknown service: NXDOMAIN from every server
                f.write("no%06d.service.discovery A\n" % rng.randrange(1000000))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--queries", type=int, default=100000)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    write_zone(os.path.join(a.out, "discovery.zone"), a.services, a.instances)
    write_instances(os.path.join(a.out, "instances.tsv"), a.services, a.instances)
    write_queries(os.path.join(a.out, "queries.txt"), a.services, a.queries, a.seed)


if __name__ == "__main__":
    main()
