"""Helpers for the tests of examples/ (stdlib only; harness.py has the dnsd side).

- Backend: a tiny HTTP server on 127.0.0.1 port 0 that answers every GET with its own
  name (and /metrics in Prometheus text format), in a thread of the test process.
  `python3 examples_support.py serve NAME` runs one in the foreground and prints
  `port N`, for use inside a network namespace (`ip netns exec`).
- Process: a child process with its output in a log file, stopped with a bounded wait.
- Netns: a network namespace of the test's own, with /etc/netns/NAME/resolv.conf, deleted
  on cleanup.
Every wait is bounded in time.
"""

import http.client
import http.server
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(REPO, "examples")


def example_path(*parts):
    return os.path.join(EXAMPLES, *parts)


def require_tools(testcase, *tools):
    for tool in tools:
        if not shutil.which(tool):
            testcase.skipTest("%s is not installed (see .ci/packages)" % tool)


def free_tcp_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (for peers that cannot report theirs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ---- HTTP backends -------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        name = self.server.backend_name
        if self.path.startswith("/metrics"):
            body = ("# HELP example_up Always 1.\n# TYPE example_up gauge\n"
                    'example_up{backend="%s"} 1\n' % name).encode()
            ctype = "text/plain; version=0.0.4"
        else:
            body = name.encode()
            ctype = "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # health checks connect and reset; that is not an error here


class Backend:
    """An HTTP server answering with its name, served by a daemon thread until close()."""

    def __init__(self, name, host="127.0.0.1"):
        self.name = name
        self.server = _QuietServer((host, 0), _Handler)
        self.server.backend_name = name
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def http_get(host, port, path="/", timeout=3.0):
    """(status, body) of one GET on a fresh connection, or (None, error text)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)
    finally:
        conn.close()


# ---- child processes -----------------------------------------------------------------

class Process:
    """A child process whose stdout+stderr go to a log file; stop() waits bounded."""

    def __init__(self, cmd, env=None, cwd=None, name="process"):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix="dnsd-example-%s-" % name,
                                               suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)

    def running(self):
        return self.proc.poll() is None

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the process itself (`ip netns exec` execs its command, so that is the
        program) and returns its exit status; kills it after `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        try:  # whatever it left in its session (a script's curl or sleep)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()
        os.unlink(self.log.name)


def read_line(proc, prefix, timeout=10.0):
    """Reads stdout lines of a Popen (stdout=PIPE) until one starts with prefix."""
    fd = proc.stdout.fileno()
    buf = b""
    end = time.monotonic() + timeout
    while True:
        for line in buf.split(b"\n")[:-1]:
            if line.decode().startswith(prefix):
                return line.decode()
        left = end - time.monotonic()
        if left <= 0 or proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
            raise AssertionError("no %r line within %.0fs (got %r)" % (prefix, timeout, buf))
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk and proc.poll() is not None:
                raise AssertionError("process exited before a %r line (got %r)" % (prefix, buf))
            buf += chunk


# ---- network namespaces --------------------------------------------------------------

def run(cmd, timeout=15):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)


class Netns:
    """A network namespace with loopback up and its own resolv.conf; root only.

    Raises unittest.SkipTest when it cannot be made."""

    def __init__(self, prefix="dnsd-ex"):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: creates a network namespace (ip netns add)")
        if not shutil.which("ip"):
            raise unittest.SkipTest("ip (iproute2) is not installed")
        self.name = "%s-%d-%s" % (prefix, os.getpid(), secrets.token_hex(3))
        out = run(["ip", "netns", "add", self.name])
        if out.returncode != 0:
            raise unittest.SkipTest("ip netns add failed: %s" % out.stdout.decode().strip())
        self.etc = os.path.join("/etc/netns", self.name)
        try:
            out = self.run(["ip", "link", "set", "lo", "up"])
            if out.returncode != 0:
                raise unittest.SkipTest("loopback in the namespace: %s" % out.stdout.decode())
            os.makedirs(self.etc)
        except BaseException:
            self.delete()
            raise

    def command(self, cmd):
        return ["ip", "netns", "exec", self.name] + list(cmd)

    def run(self, cmd, timeout=15):
        return run(self.command(cmd), timeout=timeout)

    def write_resolv_conf(self, text):
        with open(os.path.join(self.etc, "resolv.conf"), "w") as f:
            f.write(text)

    def free_tcp_port(self):
        out = self.run([sys.executable, "-c",
                        "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); "
                        "print(s.getsockname()[1])"])
        return int(out.stdout.decode().strip())

    def curl(self, url, timeout=5):
        """(status, body) of a GET inside the namespace."""
        out = self.run(["curl", "-s", "-m", str(timeout), "-w", "\n%{http_code}", url],
                       timeout=timeout + 5)
        body, _, code = out.stdout.decode(errors="replace").rpartition("\n")
        return (int(code) if code.isdigit() else 0), body

    def delete(self):
        run(["ip", "netns", "delete", self.name])
        shutil.rmtree(self.etc, ignore_errors=True)


class NetnsBackend:
    """A Backend run by this module inside a namespace (`serve NAME`)."""

    def __init__(self, netns, name):
        self.name = name
        self.proc = subprocess.Popen(
            netns.command([sys.executable, os.path.abspath(__file__), "serve", name]),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            self.port = int(read_line(self.proc, "port ").split()[1])
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc.stdout.close()


def _serve(name):
    backend = Backend(name)
    print("port %d" % backend.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait(600)  # bounded: a forgotten backend ends by itself
    backend.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve(sys.argv[2])
    else:
        sys.exit("usage: examples_support.py serve NAME")
