"""Shared helpers for dnsd integration tests (stdlib only).

Dnsd starts the real binary ($DNSD_BIN) on port 0, reads the startup line
`listening dns=ADDR:PORT[,ADDR:PORT] http=ADDR:PORT` with a bounded timeout, and
offers HTTP (register, heartbeat), dig/kdig wrappers that return parsed sections, a
tiny DNS wire client for what dig cannot show (exact bytes, pipelining), and a clean
stop that asserts exit status 0. Every wait is bounded in count and time.
"""

import http.client
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

DNSD_BIN = os.environ.get("DNSD_BIN", "")
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 6.0  # SPEC: exit within 5 s of SIGTERM

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "AXFR": 252, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 16: "BADVERS"}


def require_binary(testcase=None):
    if not DNSD_BIN or not os.access(DNSD_BIN, os.X_OK):
        raise unittest.SkipTest("DNSD_BIN is not set to an executable dnsd")


def free_port(kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port that was free a moment ago (for peers like dnsmasq, not for dnsd)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def poll_until(predicate, timeout=5.0, interval=0.05, message="condition"):
    """Calls predicate until it returns a truthy value; bounded in time and count."""
    deadline = time.monotonic() + timeout
    attempts = int(timeout / interval) + 1
    last = None
    for _ in range(attempts):
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last value %r)" % (message, last))


def split_hostport(text):
    m = re.fullmatch(r"\[(.*)\]:(\d+)", text) or re.fullmatch(r"([^:]*):(\d+)", text)
    if not m:
        raise ValueError("bad ADDR:PORT %r" % text)
    return m.group(1), int(m.group(2))


class Dnsd:
    """One dnsd process. Use as a context manager or call start()/stop()."""

    def __init__(self, args=(), config=None, dns_listen=("127.0.0.1:0",),
                 http_listen=("127.0.0.1:0",), netns=None, cwd=None):
        require_binary()
        self.workdir = tempfile.TemporaryDirectory(prefix="dnsd-test-")
        self.args = list(args)
        self.config = config
        self.dns_listen = list(dns_listen)
        self.http_listen = list(http_listen)
        self.netns = netns
        self.cwd = cwd or self.workdir.name
        self.proc = None
        self.dns = []    # [(host, port)]
        self.http = []   # [(host, port)]
        self._http_conn = None

    # -- process -------------------------------------------------------------------
    def command(self):
        cmd = [DNSD_BIN]
        if self.config is not None:
            path = os.path.join(self.workdir.name, "dnsd.yaml")
            with open(path, "w") as f:
                f.write(self.config)
            cmd += ["--config", path]
        for a in self.dns_listen:
            cmd += ["--dns-listen", a]
        for a in self.http_listen:
            cmd += ["--http-listen", a]
        cmd += self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    def start(self):
        self.stderr_path = os.path.join(self.workdir.name, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=self._stderr, cwd=self.cwd)
        line = self._read_startup_line()
        m = re.fullmatch(r"listening dns=(\S+) http=(\S+)", line)
        if not m:
            self.kill()
            raise AssertionError("unexpected startup line %r" % line)
        self.dns = [split_hostport(a) for a in m.group(1).split(",")]
        self.http = [split_hostport(a) for a in m.group(2).split(",")]
        self.startup_line = line
        return self

    def _read_startup_line(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError("no startup line within %.0fs; stderr:\n%s"
                                     % (STARTUP_TIMEOUT, self.stderr_text()))
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.proc.wait(timeout=5)
                    raise AssertionError("dnsd exited with %s before listening; stderr:\n%s"
                                         % (self.proc.returncode, self.stderr_text()))
                buf += chunk
        return buf.split(b"\n", 1)[0].decode()

    def stderr_text(self):
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        """Sends sig, waits (bounded) and returns the exit status."""
        if self.proc is None:
            return None
        if self._http_conn is not None:
            self._http_conn.close()
            self._http_conn = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("dnsd did not exit within %.0fs of %s" % (STOP_TIMEOUT, sig))
        self.proc.stdout.close()
        self._stderr.close()
        return code

    def stop_ok(self, testcase):
        code = self.stop()
        testcase.assertEqual(code, 0, "dnsd exit status; stderr:\n" + self.stderr_text())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def cleanup(self):
        self.kill()
        if self._http_conn is not None:
            self._http_conn.close()
        if self.proc is not None:
            self.proc.stdout.close()
            self._stderr.close()
        self.workdir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- HTTP ----------------------------------------------------------------------
    @property
    def dns_host(self):
        return self.dns[0][0]

    @property
    def dns_port(self):
        return self.dns[0][1]

    def request(self, method, path, body=None, headers=None):
        """One HTTP request on a keep-alive connection; returns (status, headers, parsed)."""
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        if self.netns:
            return self._request_in_netns(method, path, data, hdrs)
        for attempt in range(2):  # the server may have closed an idle keep-alive
            if self._http_conn is None:
                host, port = self.http[0]
                self._http_conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                self._http_conn.request(method, path, body=data, headers=hdrs)
                resp = self._http_conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self._http_conn.close()
                self._http_conn = None
                if attempt == 1:
                    raise
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(raw) if raw and "json" in ctype else raw.decode(errors="replace")
        return resp.status, dict(resp.getheaders()), parsed

    def _request_in_netns(self, method, path, data, hdrs):
        """HTTP inside a network namespace: curl run there (our sockets live outside)."""
        host, port = self.http[0]
        url = "http://%s:%d%s" % ("[%s]" % host if ":" in host else host, port, path)
        cmd = ["curl", "-s", "-m", "10", "-X", method, "-w", "\n%{http_code} %{content_type}"]
        for k, v in hdrs.items():
            cmd += ["-H", "%s: %s" % (k, v)]
        if data is not None:
            cmd += ["--data-binary", data.decode()]
        out = _run(cmd + [url], self.netns)
        raw, _, tail = out.rpartition("\n")
        status, _, ctype = tail.partition(" ")
        parsed = json.loads(raw) if raw and "json" in ctype else raw
        return int(status), {}, parsed

    def register(self, service, instance, expect=200, **fields):
        status, _, body = self.request(
            "PUT", "/v1/services/%s/instances/%s" % (service, instance), fields)
        if expect is not None and status != expect:
            raise AssertionError("register %s/%s: HTTP %s %r" % (service, instance, status, body))
        return body

    def heartbeat(self, service, instance, status=None):
        body = {"status": status} if status else None
        return self.request("PUT", "/v1/services/%s/instances/%s/heartbeat"
                            % (service, instance), body)[0]

    def deregister(self, service, instance):
        return self.request("DELETE", "/v1/services/%s/instances/%s" % (service, instance))[0]

    def metrics(self):
        status, _, body = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError("/metrics: HTTP %s" % status)
        return body

    # -- DNS -------------------------------------------------------------------------
    def dig(self, name, qtype="A", tcp=False, extra=(), server=None):
        host, port = server or self.dns[0]
        return dig(host, port, name, qtype, tcp=tcp, extra=extra, netns=self.netns)

    def kdig(self, name, qtype="A", tcp=False, extra=(), server=None):
        host, port = server or self.dns[0]
        return kdig(host, port, name, qtype, tcp=tcp, extra=extra, netns=self.netns)

    def query(self, name, qtype="A", tcp=False, timeout=3.0, **kw):
        """Raw response bytes to build_query(name, qtype, **kw)."""
        host, port = self.dns[0]
        return wire_query(host, port, build_query(name, qtype, **kw), tcp=tcp, timeout=timeout)


# ---- dig / kdig --------------------------------------------------------------------

class DigResult:
    """A parsed dig/kdig answer: status, flags, edns, udp_size and record sections.

    Records are tuples (name, ttl, class, type, rdata) with names as printed."""

    def __init__(self):
        self.status = None
        self.id = None
        self.flags = set()
        self.edns = False
        self.udp_size = None
        self.question = []
        self.answer = []
        self.authority = []
        self.additional = []
        self.text = ""

    def rdata(self, section="answer", rtype=None):
        return [r[4] for r in getattr(self, section) if rtype is None or r[3] == rtype]

    def types(self, section="answer"):
        return [r[3] for r in getattr(self, section)]

    def __repr__(self):
        return "DigResult(%s %s)\n%s" % (self.status, sorted(self.flags), self.text)


_SECTIONS = {"QUESTION": "question", "ANSWER": "answer", "AUTHORITY": "authority",
             "ADDITIONAL": "additional"}


def parse_dig(text):
    """Parses dig or kdig output into a list of DigResult (one per message)."""
    results = []
    current = None
    section = None
    for line in text.splitlines():
        if "->>HEADER<<-" in line:
            current = DigResult()
            results.append(current)
            section = None
            m = re.search(r"status: (\w+)", line)
            current.status = m.group(1) if m else None
            m = re.search(r"id: (\d+)", line)
            current.id = int(m.group(1)) if m else None
            continue
        if current is None:
            continue
        current.text += line + "\n"
        m = re.match(r";; [Ff]lags: ([a-z ]*);", line)
        if m:
            current.flags = set(m.group(1).split())
            continue
        if "OPT PSEUDOSECTION" in line or "EDNS PSEUDOSECTION" in line:
            current.edns = True
            section = None
            continue
        m = re.search(r"(?:udp|UDP size): (\d+)", line)
        if m and current.edns and current.udp_size is None:
            current.udp_size = int(m.group(1))
            continue
        m = re.match(r";; (\w+) SECTION:", line)
        if m:
            section = _SECTIONS.get(m.group(1))
            continue
        if section == "question" and line.startswith(";"):
            parts = line.lstrip("; ").split()
            if parts:
                current.question.append(tuple(parts))
            continue
        if not line.strip():
            section = None
            continue
        if line.startswith(";"):
            continue
        if section in ("answer", "authority", "additional"):
            parts = line.split(None, 4)
            if len(parts) >= 4:
                name, ttl, cls, rtype = parts[:4]
                rdata = parts[4] if len(parts) > 4 else ""
                getattr(current, section).append((name, int(ttl), cls, rtype, rdata))
    return results


def _run(cmd, netns=None, timeout=15):
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=timeout)
    return out.stdout.decode(errors="replace")


def dig(host, port, name, qtype="A", tcp=False, extra=(), netns=None, all_messages=False):
    cmd = ["dig", "+norecurse", "+tries=1", "+time=2", "@" + host, "-p", str(port)]
    if tcp:
        cmd.append("+tcp")
    cmd += list(extra) + [name, qtype]
    text = _run(cmd, netns)
    results = parse_dig(text)
    if not results:
        raise AssertionError("dig got no answer:\n" + text)
    return results if all_messages else results[-1]


def kdig(host, port, name, qtype="A", tcp=False, extra=(), netns=None, all_messages=False):
    cmd = ["kdig", "+norecurse", "+retry=0", "+timeout=2", "@" + host, "-p", str(port)]
    if tcp:
        cmd.append("+tcp")
    names = name if isinstance(name, (list, tuple)) else [name]
    for n in names:
        cmd += list(extra) + [n, qtype]
    text = _run(cmd, netns)
    results = parse_dig(text)
    if not results:
        raise AssertionError("kdig got no answer:\n" + text)
    return results if all_messages or len(names) > 1 else results[-1]


# ---- DNS wire format ---------------------------------------------------------------

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def build_query(name, qtype="A", qid=0x1234, rd=False, edns=None, qclass=1, opcode=0,
                do=False):
    """A query message; edns=None for none, else (udp_size, version)."""
    flags = (opcode << 11) | (0x0100 if rd else 0)
    arcount = 1 if edns else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, arcount)
    qt = TYPES[qtype] if isinstance(qtype, str) else qtype
    msg += encode_name(name) + struct.pack("!HH", qt, qclass)
    if edns:
        size, version = edns
        msg += b"\x00" + struct.pack("!HHBBHH", 41, size, 0, version, 0x8000 if do else 0, 0)
    return msg


def decode_name(msg, offset):
    """Returns (name, offset after the name in place); follows compression pointers."""
    labels = []
    end = None
    for _ in range(128):
        length = msg[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | msg[offset + 1]
            continue
        if length == 0:
            offset += 1
            break
        labels.append(msg[offset + 1:offset + 1 + length].decode(errors="replace"))
        offset += 1 + length
    return ".".join(labels) + ".", (end if end is not None else offset)


def parse_message(msg):
    """Parses a DNS message into a dict; records are (name, type, class, ttl, rdata)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    out = {"id": qid, "flags": flags, "qr": bool(flags & 0x8000), "aa": bool(flags & 0x0400),
           "tc": bool(flags & 0x0200), "rd": bool(flags & 0x0100), "ra": bool(flags & 0x0080),
           "rcode": flags & 0x000F, "question": [], "answer": [], "authority": [],
           "additional": [], "size": len(msg)}
    offset = 12
    for _ in range(qd):
        name, offset = decode_name(msg, offset)
        qtype, qclass = struct.unpack("!HH", msg[offset:offset + 4])
        offset += 4
        out["question"].append((name, qtype, qclass))
    for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, offset = decode_name(msg, offset)
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[offset:offset + 10])
            offset += 10
            out[section].append((name, rtype, rclass, ttl, msg[offset:offset + rdlen]))
            offset += rdlen
    return out


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_frame(msg):
    return struct.pack("!H", len(msg)) + msg


def recv_frame(sock):
    (length,) = struct.unpack("!H", recv_exact(sock, 2))
    return recv_exact(sock, length)


def wire_query(host, port, msg, tcp=False, timeout=3.0):
    """Sends one query; returns the raw response bytes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if tcp:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(tcp_frame(msg))
            return recv_frame(s)
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, (host, port))
        return s.recv(65535)


def metric_value(text, name, labels=None):
    """Sums the samples of a Prometheus family whose labels include `labels`."""
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", line.strip())
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in (labels or {}).items()):
            total += float(m.group(3))
            found = True
    return total if found else None
