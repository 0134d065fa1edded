"""RFC 2782 names through Unbound, a resolver that minimises query names (RFC 9156).

To resolve _api._tcp.service.discovery, Unbound asks service.discovery, then
_tcp.service.discovery, then the full name. _tcp.service.discovery has no records but
names below it: an empty non-terminal, which must be NODATA. Were it NXDOMAIN (dnsd
before RFC 8020 handling), a resolver may conclude there is nothing below it: Unbound
does so with qname-minimisation-strict, or with harden-below-nxdomain once the
NXDOMAIN is DNSSEC-signed (in its default best-effort mode it retries the full name).
The strict resolver here therefore fails every SRV lookup when the parent is NXDOMAIN,
which the second test shows by putting a proxy that answers as the old dnsd did
between Unbound and dnsd.
"""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import Dnsd, build_query, poll_until

CONFIG = """
log:
  queries: true
"""

UNBOUND_CONFIG = """
server:
  interface: 127.0.0.1
  port: {port}
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 1
  username: ""
  chroot: ""
  pidfile: ""
  directory: "{directory}"
  module-config: "iterator"
  do-not-query-localhost: no
  qname-minimisation: yes
  qname-minimisation-strict: yes
  harden-below-nxdomain: yes
remote-control:
  control-enable: no
stub-zone:
  name: "discovery."
  stub-addr: 127.0.0.1@{upstream}
"""


def free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 a moment ago (Unbound cannot bind 0)."""
    for _ in range(20):
        port = harness.free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError("no port free for both UDP and TCP")


class Unbound:
    """unbound -d on 127.0.0.1, with discovery. as a stub zone served at `upstream`."""

    def __init__(self, upstream_port):
        self.dir = tempfile.TemporaryDirectory(prefix="dnsd-unbound-")
        self.port = free_udp_tcp_port()
        self.path = os.path.join(self.dir.name, "unbound.conf")
        with open(self.path, "w") as f:
            f.write(UNBOUND_CONFIG.format(port=self.port, directory=self.dir.name,
                                          upstream=upstream_port))
        self.proc = None

    def start(self):
        if not shutil.which("unbound"):
            raise unittest.SkipTest("unbound is not installed")
        self.stderr = open(os.path.join(self.dir.name, "stderr.log"), "w+b")
        self.proc = subprocess.Popen(["unbound", "-d", "-c", self.path],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)

        def ready():  # localhost. is one of Unbound's own local zones: no upstream query
            if self.proc.poll() is not None:
                return True  # exited: reported below
            try:
                harness.wire_query("127.0.0.1", self.port,
                                   build_query("localhost.", "A", rd=True), timeout=0.2)
                return True
            except OSError:
                return False
        poll_until(ready, timeout=10, message="unbound answering")
        if self.proc.poll() is not None:
            raise AssertionError("unbound exited: %s" % self.log())
        return self

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def dig(self, name, qtype):
        return harness.dig("127.0.0.1", self.port, name, qtype, extra=("+recurse",))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # by PID: SIGTERM to the process we started
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc is not None:
            self.stderr.close()
        self.dir.cleanup()


class OldParentProxy:
    """A UDP proxy to dnsd that answers as dnsd did before: NXDOMAIN instead of NODATA
    for the empty non-terminals _<label>.service.discovery."""

    def __init__(self, dnsd_port):
        self.upstream = ("127.0.0.1", dnsd_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.rewritten = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        deadline = time.monotonic() + 120  # bounded even if stop() is never called
        while self.running and time.monotonic() < deadline:
            try:
                query, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                answer = harness.wire_query(self.upstream[0], self.upstream[1], query, timeout=2)
            except OSError:
                continue
            self.sock.sendto(self.rewrite(answer), peer)

    def rewrite(self, answer):
        name, _ = harness.decode_name(answer, 12)
        labels = name.lower().rstrip(".").split(".")
        flags, _, ancount = struct.unpack("!HHH", answer[2:8])
        ent = (len(labels) == 3 and labels[0].startswith("_") and labels[1:] ==
               ["service", "discovery"])
        if not ent or flags & 0xF != 0 or ancount != 0:
            return answer
        self.rewritten.append(name)
        return answer[:2] + struct.pack("!H", (flags & ~0xF) | 3) + answer[4:]

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class MinimisingResolverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dnsd = Dnsd(config=CONFIG).start()
        d = cls.dnsd
        d.register("api", "api-1", address="10.0.0.1", port=8080, tags=["blue"])
        d.register("syslog", "s1", address="10.0.1.1", port=514, proto="udp")
        d.register("late", "l1", address="10.0.2.1", port=7000, tags=["green"])
        cls.proxy = OldParentProxy(d.dns_port)
        cls.unbound = cls.old_unbound = None
        try:
            cls.unbound = Unbound(d.dns_port).start()
            cls.old_unbound = Unbound(cls.proxy.port).start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for resolver in (cls.unbound, cls.old_unbound):
            if resolver is not None:
                resolver.stop()
        cls.proxy.stop()
        try:
            code = cls.dnsd.stop()
            assert code == 0, "exit status %s; stderr:\n%s" % (code, cls.dnsd.stderr_text())
        finally:
            cls.dnsd.cleanup()

    def logged(self, name):
        """rcodes of the queries dnsd logged for name (any type)."""
        needle = " name=%s. " % name
        return [line.split(" rcode=")[1].split()[0]
                for line in self.dnsd.stderr_text().splitlines()
                if " query " in line and needle in line.lower()]

    def assertSrv(self, r, port, target):
        self.assertEqual(r.status, "NOERROR", r)
        srv = [rdata.split() for _, _, _, rtype, rdata in r.answer if rtype == "SRV"]
        self.assertEqual([(int(s[2]), s[3].lower()) for s in srv], [(port, target)], r)

    def test_rfc2782_names_resolve_through_a_strictly_minimising_resolver(self):
        cases = (("_api._tcp.service.discovery", "_tcp.service.discovery", 8080,
                  "api-1.api.instance.discovery."),
                 ("_syslog._udp.service.discovery", "_udp.service.discovery", 514,
                  "s1.syslog.instance.discovery."),
                 ("_api._blue.service.discovery", "_blue.service.discovery", 8080,
                  "api-1.api.instance.discovery."))
        for name, parent, port, target in cases:
            with self.subTest(name=name):
                self.assertSrv(self.unbound.dig(name, "SRV"), port, target)
                # Unbound asked the empty non-terminal first and got NODATA.
                rcodes = poll_until(lambda: self.logged(parent), timeout=3,
                                    message="dnsd's log of %s" % parent)
                self.assertEqual(set(rcodes), {"NOERROR"}, rcodes)
                direct = self.dnsd.dig(parent, "A")
                self.assertEqual((direct.status, direct.answer), ("NOERROR", []), direct)
                self.assertIn("aa", direct.flags, direct)

    def test_an_nxdomain_at_the_parent_would_hide_the_srv_records(self):
        # The same lookup, with the empty non-terminal answered NXDOMAIN as dnsd did.
        r = self.old_unbound.dig("_late._green.service.discovery", "SRV")
        self.assertEqual(r.status, "NXDOMAIN", r)
        self.assertEqual(r.answer, [], r)
        self.assertIn("_green.service.discovery.", [n.lower() for n in self.proxy.rewritten])
        self.assertEqual(self.logged("_late._green.service.discovery"), [],
                         "Unbound gave up at the parent without asking the full name")
        # dnsd itself has the records, and the resolver without the proxy finds them.
        self.assertSrv(self.dnsd.dig("_late._green.service.discovery", "SRV"), 7000,
                       "l1.late.instance.discovery.")
        self.assertSrv(self.unbound.dig("_late._green.service.discovery", "SRV"), 7000,
                       "l1.late.instance.discovery.")


if __name__ == "__main__":
    unittest.main()
