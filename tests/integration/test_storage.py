"""Persistence (SPEC section 7) against the real binary and real files.

Each test starts dnsd with --data-dir in a temporary directory, writes through the HTTP
API, stops it (SIGTERM or kill -9) and starts it again on the same directory.
"""

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import unittest
import zlib

import harness


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def text(s):
    b = s.encode()
    return varint(len(b)) + b


def record(service, iid, address, port, index):
    """One instance as dnsd stores it (dnsd/store/record.h), written independently of
    dnsd: passing, tcp, no tags or meta, weight and priority 1, no lease, 60 s
    deregister_after, no dns_ttl, no note."""
    body = (text(service) + text(iid) + bytes([4]) + bytes(address) + varint(port) +
            bytes([0]) + varint(0) + varint(0) + varint(1) + varint(1) + varint(0) +
            varint(60000) + varint(0) + bytes([0]) + text("") + varint(index))
    return zlib.crc32(body).to_bytes(4, "big") + body


def write_data_dir(path, count):
    """A data dir of `count` instances (services of 10), made without dnsd."""
    os.makedirs(path)
    conn = sqlite3.connect(os.path.join(path, "registry.db"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("CREATE TABLE instances(key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    conn.executemany("INSERT INTO meta VALUES(?, ?)", [("format", 1), ("index", count + 1)])
    rows = (("svc%d/i%d" % (n // 10, n),
             record("svc%d" % (n // 10), "i%d" % n, (10, n >> 16 & 255, n >> 8 & 255, n & 255),
                    8080, n + 2)) for n in range(count))
    conn.executemany("INSERT INTO instances VALUES(?, ?)", rows)
    conn.commit()
    conn.close()


class DataDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="dnsd-data-")
        self.dir = os.path.join(self.tmp.name, "data")
        self.procs = []

    def tearDown(self):
        for d in self.procs:
            d.cleanup()
        self.tmp.cleanup()

    def start(self, *extra):
        d = harness.Dnsd(args=["--data-dir", self.dir] + list(extra))
        self.procs.append(d)
        d.start()
        harness.poll_until(lambda: d.request("GET", "/readyz")[0] == 200, timeout=10,
                           message="readyz 200 after loading")
        return d

    def run_dnsd(self, *extra):
        """Runs dnsd expecting it to fail at startup; returns (exit code, stderr)."""
        cmd = [harness.DNSD_BIN, "--dns-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
               "--data-dir", self.dir] + list(extra)
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=20)
        return p.returncode, p.stderr.decode(errors="replace")

    def instances(self, d, service):
        status, _, body = d.request("GET", "/v1/services/" + service)
        self.assertEqual(status, 200)
        return {i["id"]: i for i in body["instances"]}

    def test_restart_keeps_every_field_and_the_index_never_goes_back(self):
        d = self.start()
        d.register("api", "a1", address="10.0.0.1", port=8080, tags=["blue", "v2"],
                   meta={"zone": "a"}, weight=7, priority=3, ttl="30s", dns_ttl=2)
        d.register("api", "a2", address="10.0.0.2", port=8081)  # no lease
        d.register("api", "a3", address="10.0.0.3", port=8082)
        d.register("db", "d1", address="10.0.0.9", port=5432, ttl="30s")
        self.assertEqual(d.request("PUT", "/v1/services/api/instances/a2/status",
                                   {"status": "maintenance", "note": "upgrade"})[0], 200)
        self.assertEqual(d.heartbeat("db", "d1", status="warning"), 200)
        self.assertEqual(d.deregister("api", "a3"), 200)
        before = self.instances(d, "api")
        index_before = d.request("GET", "/v1/status")[2]["index"]
        svc_index_before = d.request("GET", "/v1/services/api")[2]["index"]
        d.stop_ok(self)

        d = self.start()
        after = self.instances(d, "api")
        self.assertEqual(sorted(after), ["a1", "a2"])
        for iid in after:
            for field in ("address", "port", "tags", "meta", "weight", "priority", "ttl",
                          "dns_ttl", "status", "note", "proto", "deregister_after"):
                self.assertEqual(after[iid][field], before[iid][field], (iid, field))
        self.assertEqual(after["a2"]["status"], "maintenance")
        self.assertIsNone(after["a2"]["lease_remaining"])
        self.assertEqual(self.instances(d, "db")["d1"]["status"], "warning")
        status = d.request("GET", "/v1/status")[2]
        self.assertGreater(status["index"], index_before)
        self.assertGreater(d.request("GET", "/v1/services/api")[2]["index"], svc_index_before)
        self.assertEqual(status["storage"]["data_dir"], self.dir)
        self.assertGreater(status["storage"]["bytes"], 0)
        self.assertIn("10.0.0.1", d.dig("api.service.discovery", "A").rdata())
        d.stop_ok(self)

    def test_syncs_are_counted_and_documented(self):
        d = self.start()
        d.register("api", "a1", address="10.0.0.1", port=80)
        text = d.metrics()
        self.assertGreaterEqual(harness.metric_value(text, "dnsd_storage_syncs_total"), 1)
        self.assertGreater(harness.metric_value(text, "dnsd_storage_bytes"), 0)
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "METRICS.md")
        with open(docs) as f:
            documented = f.read()
        families = [l.split()[2] for l in text.splitlines() if l.startswith("# TYPE dnsd_storage")]
        self.assertEqual(len(families), 3)
        self.assertEqual([f for f in families if "`%s`" % f not in documented], [])
        d.stop_ok(self)

    def test_kill_9_in_a_burst_loses_no_answered_registration(self):
        d = self.start()
        host, port = d.http[0]
        acked, lock = [], threading.Lock()

        def writer(n):
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                for i in range(400):
                    body = json.dumps({"address": "10.1.%d.%d" % (n, i % 250), "port": 1000 + i,
                                       "tags": ["t%d" % n], "meta": {"i": str(i)}})
                    conn.request("PUT", "/v1/services/burst/instances/w%d-%d" % (n, i), body)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status == 200:
                        with lock:
                            acked.append(("w%d-%d" % (n, i), n, i))
            except (OSError, http.client.HTTPException):
                pass  # the server was killed under us
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        harness.poll_until(lambda: len(acked) >= 300, timeout=30, message="300 registrations")
        d.proc.send_signal(signal.SIGKILL)
        for t in threads:
            t.join(timeout=30)
        d.stop()
        with lock:
            answered = list(acked)
        self.assertGreaterEqual(len(answered), 300)

        d = self.start()
        after = self.instances(d, "burst")
        for iid, n, i in answered:
            self.assertIn(iid, after)
            self.assertEqual(after[iid]["port"], 1000 + i)
            self.assertEqual(after[iid]["meta"], {"i": str(i)})
            self.assertEqual(after[iid]["tags"], ["t%d" % n])
        d.stop_ok(self)

    def test_restored_lease_lapses_without_heartbeats_and_stays_with_them(self):
        d = self.start()
        d.register("api", "dead", address="10.0.0.1", port=80, ttl="1s")
        d.register("api", "live", address="10.0.0.2", port=80, ttl="1s")
        d.stop_ok(self)
        d = self.start()
        inst = self.instances(d, "api")
        self.assertEqual(inst["dead"]["status"], "passing")
        self.assertGreater(inst["dead"]["lease_remaining"], 0.5)  # a whole new lease

        def lapsed():
            self.assertEqual(d.heartbeat("api", "live"), 200)
            return self.instances(d, "api")["dead"]["status"] == "critical"
        harness.poll_until(lapsed, timeout=5, interval=0.2, message="dead lapses")
        self.assertEqual(self.instances(d, "api")["live"]["status"], "passing")
        self.assertEqual(d.dig("api.service.discovery", "A").rdata(), ["10.0.0.2"])
        d.stop_ok(self)

    def test_torn_wal_tail_is_dropped_with_a_warning(self):
        d = self.start()
        d.register("api", "a1", address="10.0.0.1", port=80)
        d.kill()  # no checkpoint: the change lives in the WAL
        wal = os.path.join(self.dir, "registry.db-wal")
        self.assertGreater(os.path.getsize(wal), 32)
        with open(wal, "ab") as f:
            f.write(b"\x00" * 100)  # a frame cut short
        d = self.start()
        self.assertIn("a1", self.instances(d, "api"))
        d.stop_ok(self)
        self.assertEqual(d.stderr_text().count("torn last record"), 1, d.stderr_text())

    def test_a_flipped_byte_inside_a_record_stops_the_startup_naming_the_file(self):
        d = self.start()
        d.register("api", "a1", address="10.0.0.1", port=80, meta={"k": "value"})
        d.stop_ok(self)
        db = os.path.join(self.dir, "registry.db")
        conn = sqlite3.connect(db)
        (value,) = conn.execute("SELECT value FROM instances").fetchone()
        # The meta value is stored as written: the record still decodes, same shape and
        # length; only the checksum can tell.
        conn.execute("UPDATE instances SET value = ?", (value.replace(b"value", b"vALUE"),))
        conn.commit()
        conn.close()
        snapshot = {n: read_bytes(os.path.join(self.dir, n))
                    for n in os.listdir(self.dir) if n.startswith("registry.db")}
        code, err = self.run_dnsd()
        self.assertEqual(code, 1, err)
        self.assertIn(db, err)
        self.assertIn("rowid", err)
        self.assertIn("checksum", err)
        for name, data in snapshot.items():
            self.assertEqual(read_bytes(os.path.join(self.dir, name)), data, name)

    def test_while_loading_readyz_is_503_service_names_servfail_healthz_200(self):
        count = 200000  # loading takes long enough to be asked while it runs
        write_data_dir(self.dir, count)
        d = harness.Dnsd(args=["--data-dir", self.dir])
        self.procs.append(d)
        d.start()  # returns at the startup line: listening, loading just begun
        self.assertEqual(d.request("GET", "/readyz")[0], 503)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)
        self.assertEqual(d.dig("svc1.service.discovery", "A").status, "SERVFAIL")
        harness.poll_until(lambda: d.request("GET", "/readyz")[0] == 200, timeout=60,
                           message="readyz 200 after loading")
        status, _, body = d.request("GET", "/v1/status")
        self.assertEqual(body["instances"], count)
        self.assertEqual(d.dig("svc1.service.discovery", "A").status, "NOERROR")
        self.assertEqual(set(self.instances(d, "svc1")), {"i%d" % n for n in range(10, 20)})
        d.stop_ok(self)

    def test_a_second_dnsd_on_the_same_dir_exits_1_naming_it(self):
        d = self.start()
        code, err = self.run_dnsd()
        self.assertEqual(code, 1)
        self.assertIn(self.dir, err)
        self.assertIn("in use", err)
        d.stop_ok(self)

    def test_a_dir_that_cannot_be_created_is_a_startup_error(self):
        blocker = os.path.join(self.tmp.name, "file")
        open(blocker, "w").close()
        for bad in (os.path.join(self.tmp.name, "missing", "data"), os.path.join(blocker, "data")):
            self.dir = bad
            code, err = self.run_dnsd()
            self.assertEqual(code, 1, err)
            self.assertIn(bad, err)

    def test_register_deregister_cycles_keep_the_dir_small(self):
        d = self.start()
        host, port = d.http[0]
        conn = http.client.HTTPConnection(host, port, timeout=10)

        def call(method, path, body=None):
            conn.request(method, path, body)
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)

        for i in range(50):
            call("PUT", "/v1/services/keep/instances/k%d" % i,
                 json.dumps({"address": "10.0.0.1", "port": 80, "meta": {"pad": "x" * 200}}))
        live = d.request("GET", "/v1/status")[2]["storage"]["bytes"]
        for cycle in range(40):
            for i in range(50):
                path = "/v1/services/churn/instances/c%d" % i
                call("PUT", path, json.dumps({"address": "10.0.0.2", "port": 80,
                                              "meta": {"pad": "y" * 200}}))
                call("DELETE", path)
        conn.close()
        d.stop_ok(self)
        on_disk = sum(os.path.getsize(os.path.join(self.dir, n)) for n in os.listdir(self.dir))
        self.assertLess(on_disk, max(live, 64 * 1024) * 4,
                        "4,000 register/deregister cycles grew the data dir to %d bytes" % on_disk)


if __name__ == "__main__":
    unittest.main()
