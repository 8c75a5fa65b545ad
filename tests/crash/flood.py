#!/usr/bin/env python3
"""flood.py — slow clients and oversized requests do not stop other people
being served.

Starts `hearth serve` on a fresh demo database, then from 127.0.0.1 opens
SLOW (150) connections that send a request line and one header byte at a
time, never finishing (slowloris), and 20 that send 200 KB of headers; a
second client on another loopback address (127.0.0.2) meanwhile signs in
and asks for /api/v1/me 50 times: every answer must be 200 and come while
the slow connections are still open (within 20 s: they are kept alive, so
a server whose threads they held would never answer), the oversized
requests must be refused (4xx or the connection closed), and the server
must still be running at the end.  The slowest answer is printed, not
judged: speed is for the benchmarks, and this layer runs beside others.

Then slow requests: a second server with one network thread
(`--threads 1`) gets SIGNINS sign-ins at once (each hashes a password with
argon2id over 64 MiB: tens of milliseconds of CPU), and while they are
being worked on /api/v1/me is asked 5 times: every answer must come before
the first sign-in's.  Sign-ins run on worker threads, not the network
thread (src/web/workq.c), so they never hold up the quick requests that
thread reads: with `--workers 0` (every request on the network thread) the
first /me waits for the sign-ins, half a second here.  And the hashing
itself must not stall the process: libsodium mapped and unmapped its
64 MiB for every check, and the other threads' memory calls queued behind
it (core/pwhash.h); with that, /me came 35 ms after the first sign-in.

usage: flood.py HEARTH     ends with "flood: N passed, N failed"
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearthtest import Server  # noqa: E402

SLOW = 150
SIGNINS = 8


def slow_beside_quick(hearth, url, check):
    """Sign-ins being worked on do not hold up /api/v1/me on the one network
    thread (see the module's docstring)."""
    server = Server(hearth, url, args=["--threads", "1"])
    server.start()
    port = server.port
    signin = {"email": "coordinator@hearth.example", "password": "hearth-demo-password"}
    try:
        def post():
            h = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            h.request("POST", "/api/v1/session", json.dumps(signin),
                      {"Content-Type": "application/json"})
            return h

        h = post()
        r = h.getresponse()
        r.read()
        cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
        h.close()
        check(r.status == 200, f"sign-in before the slow requests ({r.status})")

        sent = threading.Barrier(SIGNINS + 1)
        answered = []   # (monotonic time, status) of each sign-in

        def one_signin():
            try:
                conn = post()
            finally:
                sent.wait()
            resp = conn.getresponse()
            resp.read()
            answered.append((time.monotonic(), resp.status))
            conn.close()

        ts = [threading.Thread(target=one_signin) for _ in range(SIGNINS)]
        for t in ts:
            t.start()
        sent.wait()
        time.sleep(0.02)        # the server has read them and is hashing
        quick = []              # (monotonic time, status) of each /me
        for _ in range(5):
            h = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            h.request("GET", "/api/v1/me", headers={"Cookie": cookie})
            resp = h.getresponse()
            resp.read()
            quick.append((time.monotonic(), resp.status))
            h.close()
        for t in ts:
            t.join()
        check(all(st == 200 for _, st in answered) and len(answered) == SIGNINS,
              f"{SIGNINS} sign-ins at once all answered 200 ({[st for _, st in answered]})")
        check(all(st == 200 for _, st in quick), "5 /api/v1/me beside them answered 200")
        first_signin = min(t for t, _ in answered)
        last_me = max(t for t, _ in quick)
        check(last_me < first_signin,
              "every /api/v1/me answered before the first of the sign-ins being worked on"
              f" (the last {(last_me - first_signin) * 1000:+.0f} ms from it)")
    finally:
        server.stop()


def main():
    passed = failed = 0

    def check(cond, msg):
        nonlocal passed, failed
        if cond:
            passed += 1
            print(f"ok {msg}", flush=True)
        else:
            failed += 1
            print(f"FAIL {msg}", flush=True)

    if len(sys.argv) != 2:
        print(__doc__)
        print("flood: 0 passed, 1 failed")
        return 1
    hearth = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="hearth-flood-")
    env = dict(os.environ, HEARTH_DEMO_PUPILS="300")
    url = f"sqlite:{tmp}/f.db"
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = None
    socks = []
    stop = threading.Event()
    try:
        subprocess.run([hearth, "demo", "--db", url], check=True, capture_output=True, env=env)
        proc = subprocess.Popen([hearth, "serve", "--db", url, "--listen", f"0.0.0.0:{port}"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while "listening" not in proc.stdout.readline():
            if proc.poll() is not None:
                raise RuntimeError("hearth serve did not start")

        # slowloris: many connections, each trickling a never-ending header
        for _ in range(SLOW):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(c)

        def trickle():
            while not stop.is_set():
                for c in socks:
                    try:
                        c.send(b"a")
                    except OSError:
                        pass
                time.sleep(0.5)
        t = threading.Thread(target=trickle, daemon=True)
        t.start()

        # oversized headers are refused, not buffered without limit
        refused = 0
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", port), timeout=20)
            try:
                c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" +
                          b"X-Big: " + b"b" * 200_000 + b"\r\n\r\n")
                reply = c.recv(64)
                refused += reply == b"" or reply.split(b" ")[1][:1] == b"4"
            except socket.timeout:
                pass                    # no answer at all: not refused
            except OSError:
                refused += 1            # the server closed on us mid-send
            finally:
                c.close()
        check(refused == 20, f"oversized headers refused ({refused} of 20)")

        # meanwhile someone else is served, quickly
        def req(method, path, body=None, cookie=None):
            h = http.client.HTTPConnection("127.0.0.1", port, timeout=20,
                                           source_address=("127.0.0.2", 0))
            hdr = {"Content-Type": "application/json"}
            if cookie:
                hdr["Cookie"] = cookie
            h.request(method, path, json.dumps(body) if body else None, hdr)
            r = h.getresponse()
            r.read()
            h.close()
            return r.status, r.getheader("Set-Cookie")
        st, cookie = req("POST", "/api/v1/session",
                         {"email": "admin@hearth.example", "password": "hearth-demo-password"})
        check(st == 200, f"sign-in during the flood ({st})")
        cookie = (cookie or "").split(";")[0]
        worst, good = 0.0, 0
        for _ in range(50):
            t0 = time.monotonic()
            st, _ = req("GET", "/api/v1/me", cookie=cookie)
            worst = max(worst, time.monotonic() - t0)
            good += st == 200
        check(good == 50, f"{good} of 50 requests answered 200 beside {SLOW} slow connections")
        print(f"# slowest answer {worst * 1000:.0f} ms", flush=True)
        check(proc.poll() is None, "the server is still running")
        slow_beside_quick(hearth, url, check)
    except Exception as e:  # noqa: BLE001
        check(False, f"harness: {e}")
    finally:
        stop.set()
        for c in socks:
            c.close()
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        subprocess.run(["rm", "-rf", tmp])
    print(f"flood: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
