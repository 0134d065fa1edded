"""dig and kdig for the integration tests: run them (optionally inside a network
namespace) and parse their text output into sections of records."""

import re
import subprocess


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
