"""Small helpers shared by the DNS benchmark drivers: /proc readings, a minimal DNS
client over UDP (HTTP: keepalive.py). Everything talks to 127.0.0.1 only."""
import math
import os
import random
import socket
import struct
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
QTYPES = {"A": 1, "NS": 2, "SOA": 6, "TXT": 16, "AAAA": 28, "SRV": 33}


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def process_tree(pid, limit=64):
    """pid and its descendants (NSD forks its servers), at most `limit` processes."""
    tree, todo = [], [pid]
    while todo and len(tree) < limit:
        p = todo.pop()
        tree.append(p)
        todo.extend(_children(p))
    return tree


def cpu_ticks(pids):
    """utime + stime (all threads) summed over `pids`, in clock ticks."""
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total


def vm_status(pid):
    """VmRSS, VmHWM and the like from /proc/PID/status, in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Vm"):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def dns_query(name, qtype, qid=None):
    qid = random.getrandbits(16) if qid is None else qid
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack("!HH", QTYPES[qtype], 1)


def dns_header(packet):
    """(id, rcode, ancount) of a response."""
    qid, flags, _, ancount, _, _ = struct.unpack("!HHHHHH", packet[:12])
    return qid, flags & 0xF, ancount


class UdpResolver:
    """One UDP socket asking one server; ask() waits at most `timeout` seconds."""

    def __init__(self, port, timeout=0.2):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(timeout)
        self.qid = 0

    def ask(self, name, qtype="A"):
        """(rcode, ancount), or None on timeout."""
        self.qid = (self.qid + 1) & 0xFFFF
        self.sock.send(dns_query(name, qtype, self.qid))
        deadline = time.monotonic() + self.sock.gettimeout()
        while time.monotonic() < deadline:
            try:
                packet = self.sock.recv(4096)
            except socket.timeout:
                return None
            qid, rcode, ancount = dns_header(packet)
            if qid == self.qid:
                return rcode, ancount
        return None

    def close(self):
        self.sock.close()


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]
