#!/usr/bin/env python3
"""Regenerates the seed corpora of tests/fuzz/corpus/<target>/ from the project's own
tests, examples and zones, plus a few hand-written cases per target. Seeds are named
seed-<sha1 prefix>; inputs that libFuzzer found and that are worth keeping (crashes
fixed, see README.md) are named otherwise and are left alone.

    tests/fuzz/seed.py            # rewrite every seed-* file
"""

import ast
import hashlib
import json
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def cxx_raw_strings(paths):
    for p in paths:
        for m in re.finditer(r'R"\((.*?)\)"', p.read_text(), re.S):
            yield m.group(1)


def cxx_strings(paths):
    """Ordinary "..." literals, with the common escapes undone."""
    for p in paths:
        for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', p.read_text()):
            s = m.group(1)
            try:
                yield bytes(s, "utf-8").decode("unicode_escape")
            except UnicodeDecodeError:
                continue


def py_dicts(paths):
    """Every dict literal in the Python integration tests that is plain JSON."""
    for p in paths:
        try:
            tree = ast.parse(p.read_text())
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                try:
                    value = ast.literal_eval(node)
                    yield json.dumps(value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue


def small_unique(inputs, limit=4096):
    """Inputs in their first order, each once, under `limit` bytes (the targets' max_len)."""
    return [s for s in dict.fromkeys(inputs) if len(s.encode()) < limit]


# ---- DNS queries ----

def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype, qid=0x1234, rd=True, qclass=1, edns=None, opcode=0, extra=b""):
    flags = (opcode << 11) | (0x0100 if rd else 0)
    q = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0)
    q += name_wire(name) + struct.pack(">HH", qtype, qclass)
    if edns:
        size, version, options = edns
        q += b"\0" + struct.pack(">HHBBHH", 41, size, 0, version, 0, len(options)) + options
    return q + extra


def dns_queries():
    names = set(re.findall(r'"([A-Za-z0-9._-]*\.discovery\.)"',
                           "".join(p.read_text() for p in (ROOT / "tests/dns").glob("*.cc"))))
    names |= {"web.service.discovery.", "_web._tcp.service.discovery.",
              "web-1.web.instance.discovery.", "db.service.discovery.", "big.service.discovery.",
              "primary.web.service.discovery.", "web.service.dc1.discovery.", "discovery.",
              "ns.discovery.", "www.example.com.", "alias.example.com.", "api.example.com.",
              "example.com.", "nope.example.com.", "google.com.", "version.bind.",
              "id.server.", "udp-svc.service.discovery.", "WeB.SeRvIcE.DiScOvErY."}
    names = sorted(n for n in names if not n.startswith("."))
    types = [1, 28, 33, 255, 6, 2, 16, 5, 15, 12]
    out = []
    for i, name in enumerate(names):
        qtype = types[i % len(types)]
        qid = (i * 2 + (i // len(types))) & 0xFFFF  # low bits of the ID pick transport/config
        out.append(query(name, qtype, qid=qid))
        out.append(query(name, types[(i + 3) % len(types)], qid=qid ^ 1,
                         edns=(4096 if i % 2 else 512, 0, b"")))
    out += [
        query("version.bind.", 16, qclass=3), query("id.server.", 16, qclass=3, qid=3),
        query("web.service.discovery.", 1, edns=(1232, 1, b"")),  # BADVERS
        query("web.service.discovery.", 1, edns=(1232, 0, b"\x00\x0a\x00\x08" + b"\x01" * 8)),
        query("web.service.discovery.", 1, opcode=2),  # not QUERY
        query("web.service.discovery.", 251), query("web.service.discovery.", 252),
        query("big.service.discovery.", 33, qid=2), query("big.service.discovery.", 33, qid=3),
        query("web.service.discovery.", 1, qclass=255),
        query("web.service.discovery.", 1, extra=b"\0\0"),  # trailing bytes
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer loop
        b"\x12\x34\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",  # QR set
        b"\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x01\x00\x01",
        b"\x12\x34\x01\x00",  # short
    ]
    return out


# ---- HTTP ----

def http_requests():
    tests = list((ROOT / "tests/http").glob("*.cc"))
    text = "".join(p.read_text() for p in tests)
    targets = set(re.findall(r'"(/(?:v1|ui|healthz|readyz|metrics)[^"\s]*)"', text))
    targets |= {"/v1/services", "/v1/services/web", "/v1/services/web?index=3&wait=1s",
                "/v1/services/web?healthy", "/v1/status", "/v1/registry", "/v1/registry?index=2",
                "/v1/agent/services", "/v1/agent/checks", "/v1/agent/self",
                "/v1/catalog/services", "/v1/catalog/service/web", "/v1/catalog/datacenters",
                "/v1/health/service/web?passing", "/v1/health/service/api?index=1&wait=1s",
                "/v1/status/leader", "/v1/status/peers", "/v1/agent/service/api-1",
                "/v1/agent/service/deregister/api-1", "/v1/agent/check/pass/api-ttl",
                "/v1/agent/check/fail/api-ttl?note=x", "/v1/agent/check/update/api-ttl",
                "/v1/agent/service/maintenance/api-1?enable=true&reason=r",
                "/v1/services/web/instances/web-1/heartbeat",
                "/v1/services/web/instances/web-2/status", "/v1/services/web/instances/web-1"}
    bodies = json_bodies()[:40]
    out = []
    for i, t in enumerate(sorted(targets)):
        method = "GET"
        if "/instances/" in t or "/agent/service/register" in t or "/agent/check/" in t:
            method = "PUT"
        if "deregister" in t:
            method = "PUT"
        body = bodies[i % len(bodies)] if method == "PUT" else ""
        out.append((method, t, body))
    out += [("DELETE", "/v1/services/web/instances/web-1", ""),
            ("PUT", "/v1/agent/service/register", bodies[0] if bodies else "{}"),
            ("POST", "/v1/services", ""), ("HEAD", "/v1/services", ""), ("GET", "/", "")]
    return out


def router_inputs(requests):
    out = []
    for m, t, b in requests:
        out.append(f"{m} {t}\n{b}".encode())
    # A few sequences: register, read, heartbeat, time passes, read again.
    chain = [("PUT", "/v1/services/x/instances/x-1", '{"address":"10.9.0.1","port":80,"ttl":"1s"}'),
             ("GET", "/v1/services/x", ""),
             ("PUT", "/v1/services/x/instances/x-1/heartbeat", '{"status":"warning","note":"n"}'),
             ("GET", "/v1/services/x?index=1&wait=5s", ""),
             ("PUT", "/v1/services/x/instances/x-1/status", '{"status":"maintenance"}'),
             ("DELETE", "/v1/services/x/instances/x-1", ""), ("GET", "/v1/registry?index=1", "")]
    out.append("\n---\n".join(f"{m} {t}\n{b}" for m, t, b in chain).encode())
    out.append("\n---\n".join(f"{m} {t}\n{b}" for m, t, b in chain[::-1]).encode())
    return out


def http1_inputs(requests):
    def raw(m, t, b, extra=""):
        head = f"{m} {t} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
        if b or m in ("PUT", "POST"):
            head += f"Content-Length: {len(b.encode())}\r\nContent-Type: application/json\r\n"
        return (head + "\r\n" + b).encode()
    out = [raw(m, t, b) for m, t, b in requests if "?" not in t]
    out += [raw("GET", "/v1/services", "") + raw("PUT", "/v1/services/web/instances/web-1/heartbeat", ""),
            raw("GET", "/healthz", "", "Connection: close\r\n"),
            raw("PUT", "/v1/services/web/instances/z", "{}", "Authorization: Bearer t\r\n"),
            raw("GET", "/v1/services", "", "X-Consul-Token: t\r\n"),
            b"GET /v1/services HTTP/1.0\r\n\r\n",
            b"PUT /v1/services/web/instances/z HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"PUT /v1/services/web/instances/z HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}",
            b"GET /v1/services HTTP/1.1\r\nContent-Length: 00000000000000000000001\r\n\r\nx",
            b"GET /v1/services?index=1 HTTP/1.1\r\n\r\n",
            b"GET /v1/services HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"]
    return out


def json_bodies():
    srcs = [ROOT / "tests/http" / f for f in ("request_json_test.cc", "consul_request_test.cc",
                                              "handlers_write_test.cc", "router_test.cc")]
    found = [s for s in cxx_raw_strings(srcs) if s.lstrip().startswith(("{", "["))]
    found += [s for s in cxx_strings(srcs) if s.startswith("{") and len(s) > 2]
    found += [s for s in py_dicts(sorted((ROOT / "tests/integration").glob("test_*.py")))
              if len(s) > 2 and re.search(r'"(address|Name|ID|status|Status|port|ttl|Check|note)"', s)]
    found += ["", "{}", "[]", "null", '{"a":' * 20 + "1" + "}" * 20, '{"address":"10.0.0.1","address":"x"}',
              '{"status":"passing","note":"' + "n" * 300 + '"}', '{"Status":"critical","Output":"down"}',
              '{"ttl":"1h30m","deregister_after":"500ms","dns_ttl":0}', '{"port":65536}',
              '{"Name":"api","Checks":[{"TTL":"10s"},{"HTTP":"http://127.0.0.1:1/","Interval":"1s"}]}',
              '{"address":"\\u0000"}', '{"tags":["a","A","a"]}', "\xef\xbb\xbf{}"]
    return small_unique(found)


def eureka_bodies():
    """Eureka register bodies, JSON and XML, from the Eureka tests, plus broken ones."""
    srcs = [ROOT / "tests/http/eureka_test.cc"]
    found = [s for s in cxx_raw_strings(srcs) if s.lstrip().startswith(("{", "<"))]
    found += [s for s in py_dicts([ROOT / "tests/integration/test_eureka.py"])
              if '"instance"' in s or '"ipAddr"' in s]
    for m in re.finditer(r'"""(\s*<.*?)"""', (ROOT / "tests/integration/test_eureka.py").read_text(), re.S):
        found.append(m.group(1))
    found += ["", "{}", '{"instance":{}}', '{"instance":[]}', "<instance/>", "<instance><port>x</port></instance>",
              '<?xml version="1.0"?><instance><app>A</app><ipAddr>10.0.0.1</ipAddr><port enabled="true">80</port></instance>',
              '{"instance":{"app":"A","ipAddr":"10.0.0.1","port":{"$":"80","@enabled":"true"},"status":"STARTING"}}',
              '{"instance":{"app":"A","ipAddr":"::1","port":8080,"metadata":{"@class":"java.util.Collections$EmptyMap"}}}',
              "<instance><metadata><a>&amp;&lt;</a><b><![CDATA[x]]></b></metadata></instance>",
              "<!DOCTYPE x [<!ENTITY a 'aaaa'>]><instance>&a;</instance>"]
    return small_unique(found)


# ---- YAML configuration and zones ----

def config_inputs():
    out = [p.read_text() for p in [ROOT / "examples/dnsd.yaml", ROOT / "examples/docker/dnsd.yaml"]]
    for m in re.finditer(r"```yaml\n(.*?)```", (ROOT / "docs/CONFIG.md").read_text(), re.S):
        out.append(m.group(1))
    km = ROOT / "examples/kubernetes/configmap.yaml"
    for m in re.finditer(r"dnsd\.yaml: \|\n((?:    .*\n|\n)+)", km.read_text()):
        out.append("\n".join(l[4:] for l in m.group(1).splitlines()) + "\n")
    tests = sorted((ROOT / "tests/config").glob("*_test.cc"))
    out += list(cxx_raw_strings(tests))
    out += [s for s in cxx_strings(tests) if ":" in s and "\n" in s]
    out += ["", "dns: [", "dns:\n  ttl: -1\n", "http:\n  listen: [\"127.0.0.1:0\"]\n",
            "a: &x [*x]\n", "registry:\n  self_preservation:\n    threshold: 2\n"]
    return small_unique(out)


def zone_inputs():
    out = [p.read_text() for p in sorted((ROOT / "examples/zones").glob("*"))]
    out += [p.read_text() for p in sorted((ROOT / "zones").rglob("*.zone"))]
    tests = sorted((ROOT / "tests/zones").glob("*_test.cc"))
    out += list(cxx_raw_strings(tests))
    out += [s for s in cxx_strings(tests) if "\n" in s and len(s) > 8]
    out += ["$ORIGIN example.com.\n@ IN SOA ns h 1 2 3 4 5\nwww IN A 192.0.2.1\n",
            "$ORIGIN a.discovery.\nx 60 IN TXT \"t\"\n", "$INCLUDE /etc/passwd\n",
            "origin: example.com.\nrecords:\n  - {name: www, type: A, value: 192.0.2.1}\n",
            "$ORIGIN example.com.\n$TTL 1\n* IN A 192.0.2.9\n", "(\n"]
    return small_unique(out)


def write(target, inputs):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("seed-*"):
        old.unlink()
    for data in inputs:
        if isinstance(data, str):
            data = data.encode()
        (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
    print(f"{target}: {len(set(inputs))} seeds")


def main():
    queries = dns_queries()
    write("dns_answer", queries)
    # answer_cache: a control byte, then the query; every control value in turn.
    write("answer_cache", [bytes([i % 16]) + q for i, q in enumerate(queries)])
    requests = http_requests()
    write("router", router_inputs(requests))
    write("http1", http1_inputs(requests))
    write("json_bodies", json_bodies())
    write("eureka", eureka_bodies())
    write("config_yaml", config_inputs())
    write("zones", zone_inputs())


if __name__ == "__main__":
    main()
