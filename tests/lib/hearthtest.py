"""hearthtest — what the Python test layers share: a free loopback port, a
`hearth serve` process to start, kill and stop, and a query run on the
database itself (sqlite3 or psql), outside Hearth.

Used by tests/crash/crash.py, tests/crash/diskfull.py, tests/crash/flood.py
and tests/crawl/crawl.py; each puts tests/lib on sys.path first.
"""
import signal
import socket
import subprocess
import time


def free_port():
    """A loopback port nobody is listening on (for a moment)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    """One `hearth serve --db URL` process.  port None: a new free port at
    each start (read .port after); errlog: a file its stderr is appended
    to (else discarded); args: more serve options (e.g. ["--quiet"])."""

    def __init__(self, hearth, url, env=None, port=None, errlog=None, args=(), host="127.0.0.1"):
        self.hearth, self.url, self.env, self.errlog = hearth, url, env, errlog
        self.fixed_port, self.port, self.args, self.host = port, port, list(args), host
        self.proc = None
        self.err = None

    def start(self, timeout=30):
        """Start it and wait for its "listening" line; RuntimeError if it
        does not come within timeout seconds."""
        self.port = self.fixed_port or free_port()
        self.err = open(self.errlog, "a") if self.errlog else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [self.hearth, "serve", "--db", self.url, "--listen", f"{self.host}:{self.port}", *self.args],
            stdout=subprocess.PIPE, stderr=self.err, env=self.env, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if "listening" in line:
                return
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("hearth serve did not start")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: no chance to finish anything."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close()

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close()

    def _close(self):
        if self.err not in (None, subprocess.DEVNULL):
            self.err.close()
        self.err = None


def sql(url, query):
    """Rows of a query on the database itself (sqlite:PATH or a
    postgresql:// URL), outside Hearth; RuntimeError naming the query when
    it fails."""
    if url.startswith("sqlite:"):
        out = subprocess.run(["sqlite3", url[7:], query], capture_output=True, text=True)
    else:
        out = subprocess.run(["psql", "-At", url, "-c", query], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"sql {query[:60]}: {out.stderr.strip()}")
    return [l for l in out.stdout.split("\n") if l]
