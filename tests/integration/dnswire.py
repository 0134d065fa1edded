"""A tiny DNS wire client for what dig cannot show (exact bytes, pipelining, framing):
build a query, parse a message, send over UDP or TCP. Talks to the given address only."""

import socket
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "AXFR": 252, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 16: "BADVERS"}


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
