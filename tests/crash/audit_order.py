#!/usr/bin/env python3
"""audit_order.py — a read's answer never leaves before its audit row is committed.

`hearth serve` holds the audit rows of reads (GET) and each answer until
a commit on the audit writer's connection has taken them, made by the pool
thread that first comes back to one of those requests (src/web/server.c,
src/core/audit.c).  This checks it from outside, on SQLite:

  order     THREADS users, each signed in on a keep-alive connection of its
            own, send GET /api/v1/me as fast as they can, all at once;
            after every 200 the test reads audit_log on a connection of its
            own: that user's rows must already number at least the answers
            it has received.  An answer sent before its row was committed
            shows as a row missing.
  refused   another process holds the database's write lock longer than
            hearth's busy timeout: GET /api/v1/me must not show the user
            (an error answer, 5xx, without the user's name), and once the
            lock goes the same request answers 200 with its row.
  shutdown  SIGTERM while requests are in flight: the server exits 0, and
            every 200 it sent has its row.

Afterwards `hearth audit verify` passes.

usage: audit_order.py HEARTH
Prints "ok …"/"FAIL …" lines and ends with "audit-order: N passed, N failed".
"""
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

THREADS = 8
REQUESTS = 150
PASSWORD = "audit-order-password"

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(hearth, db, log):
    port = free_port()
    proc = subprocess.Popen([hearth, "serve", "--db", "sqlite:" + db, "--listen",
                             "127.0.0.1:%d" % port], stdout=subprocess.DEVNULL,
                            stderr=open(log, "ab"))
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("hearth serve did not start (see %s)" % log)


def sign_in(port, email):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/session", json.dumps({"email": email, "password": PASSWORD}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    for k, v in r.getheaders():
        if k.lower() == "set-cookie" and v.startswith("hearth_session="):
            return v.split(";")[0]
    raise SystemExit("sign-in as %s failed: HTTP %d" % (email, r.status))


def rows_of(db, uid):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT count(*) FROM audit_log WHERE user_id = ? AND"
                           " route = 'GET /api/v1/me'", (uid,)).fetchone()[0]
    finally:
        con.close()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    hearth = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="hearth-audit-order.")
    db = os.path.join(tmp, "t.db")
    log = os.path.join(tmp, "server.log")
    proc = None
    try:
        subprocess.run([hearth, "demo", "--db", "sqlite:" + db], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        users = []
        for i in range(THREADS):
            email = "order%d@hearth.example" % i
            subprocess.run([hearth, "user", "add", "--db", "sqlite:" + db, "--name",
                            "Order %d" % i, "--email", email, "--role", "viewer",
                            "--password", PASSWORD], check=True, stdout=subprocess.DEVNULL)
            con = sqlite3.connect(db)
            uid = con.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
            con.close()
            users.append((email, uid))
        proc, port = start(hearth, db, log)
        cookies = [sign_in(port, e) for e, _ in users]

        # order
        problems = []

        def reader(i):
            uid = users[i][1]
            base = rows_of(db, uid)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for n in range(1, REQUESTS + 1):
                c.request("GET", "/api/v1/me", headers={"Cookie": cookies[i]})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    problems.append("user %d request %d: HTTP %d" % (i, n, r.status))
                    return
                have = rows_of(db, uid) - base
                if have < n:
                    problems.append("user %d: answer %d came with %d rows committed" % (i, n, have))
                    return
        ts = [threading.Thread(target=reader, args=(i,)) for i in range(THREADS)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check(not problems, "order: %d users x %d GET /api/v1/me at once, each answer's row"
              " committed before it arrived%s" % (THREADS, REQUESTS,
                                                 "" if not problems else ": " + problems[0]))

        # refused
        uid = users[0][1]
        before = rows_of(db, uid)
        lock = sqlite3.connect(db, timeout=30, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/api/v1/me", headers={"Cookie": cookies[0]})
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        lock.execute("ROLLBACK")
        lock.close()
        check(r.status >= 500 and "Order 0" not in body and "order0@" not in body,
              "refused: the audit row could not be written (write lock held): HTTP %d,"
              " the user not shown" % r.status)
        check(rows_of(db, uid) == before, "refused: no row for the refused read")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/api/v1/me", headers={"Cookie": cookies[0]})
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        check(r.status == 200 and "Order 0" in body and rows_of(db, uid) == before + 1,
              "refused: once the lock is gone the read answers 200 with its row")

        # shutdown
        got = [0] * THREADS
        stop = threading.Event()

        def hammer(i):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                while not stop.is_set():
                    c.request("GET", "/api/v1/me", headers={"Cookie": cookies[i]})
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        got[i] += 1
            except (OSError, http.client.HTTPException):
                pass
        bases = [rows_of(db, u) for _, u in users]
        ts = [threading.Thread(target=hammer, args=(i,)) for i in range(THREADS)]
        for t in ts:
            t.start()
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        stop.set()
        for t in ts:
            t.join()
        proc = None
        check(rc == 0, "shutdown: SIGTERM under load, the server exited %d" % rc)
        short = [i for i in range(THREADS) if rows_of(db, users[i][1]) - bases[i] < got[i]]
        check(not short and sum(got) > 0,
              "shutdown: every one of %d answers sent has its row%s" %
              (sum(got), "" if not short else " (users short: %s)" % short))
        v = subprocess.run([hearth, "audit", "verify", "--db", "sqlite:" + db],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(v.returncode == 0, "hearth audit verify: " + v.stdout.decode().strip()[:200])
    finally:
        if proc:
            proc.kill()
            proc.wait()
        if failed:
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("audit-order: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
