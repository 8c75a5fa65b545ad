#!/usr/bin/env python3
"""crash.py — nothing acknowledged is ever lost when the server dies.

Drives writes through the JSON API from several client threads (a
worker's contacts on a case and household item grants for the family),
kills `hearth serve` with SIGKILL at a random moment (KILLS times, 50 by
default), starts it again on the same database, and after every restart
checks, in the database itself, that every write the server acknowledged
with a 2xx before it died is there; at the end `hearth audit verify` must
accept the audit chain (every acknowledged write has its audit row, none
half-written).  The session cookie made before the first kill must still
work after every restart (sessions live in the database).

usage: crash.py HEARTH [--db-server postgresql://USER@HOST:PORT/]
With --db-server it makes a database of its own there and seeds it with
`hearth demo`; with HEARTH_PG_TEMPLATE=NAME and HEARTH_DEMO_PUPILS set (as
tests/run-all.sh sets them) it copies NAME instead, a database of that server
already seeded so (CREATE DATABASE … TEMPLATE NAME).
Prints "ok …"/"FAIL …" lines and ends with "crash: N passed, N failed"
(or "pg-crash: …" on PostgreSQL).
"""
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearthtest import Server, free_port, sql  # noqa: E402

KILLS = int(os.environ.get("CRASH_KILLS", "50"))
THREADS = 3


# The writers' requests give up after 3 s (a kill may cut them off); the
# harness's own (sign-in, the checks after each restart) wait 30 s: a sign-in
# (argon2id) on a two-core host busy with the rest of make test once took
# over 5 s.
def request(port, method, path, body=None, cookie=None, csrf=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    if csrf:
        headers["X-CSRF-Token"] = csrf
    c.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    data = r.read()
    cookie_out = r.getheader("Set-Cookie")
    c.close()
    return r.status, data, cookie_out


def main():
    args = sys.argv[1:]
    server_url = None
    if "--db-server" in args:
        i = args.index("--db-server")
        server_url = args[i + 1]
        del args[i:i + 2]
    label = "pg-crash" if server_url else "crash"
    passed = failed = 0

    def ok(msg):
        nonlocal passed
        passed += 1
        print(f"ok {msg}", flush=True)

    def fail(msg):
        nonlocal failed
        failed += 1
        print(f"FAIL {msg}", flush=True)

    if len(args) != 1:
        print(__doc__)
        print(f"{label}: 0 passed, 1 failed")
        return 1
    hearth = os.path.abspath(args[0])
    tmp = tempfile.mkdtemp(prefix="hearth-crash-")
    env = dict(os.environ, HEARTH_DEMO_PUPILS=os.environ.get("HEARTH_DEMO_PUPILS", "600"))
    # the template was seeded with the environment's HEARTH_DEMO_PUPILS: only
    # then is it what this test would seed
    template = os.environ.get("HEARTH_PG_TEMPLATE", "") if os.environ.get("HEARTH_DEMO_PUPILS") else ""
    if template and not all(c.islower() or c.isdigit() or c == "_" for c in template):
        raise SystemExit(f"HEARTH_PG_TEMPLATE={template}: not a plain database name")
    if server_url:
        name = f"crash_{os.getpid()}"
        subprocess.run(["psql", "-q", server_url.rstrip("/") + "/postgres", "-c",
                        f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")],
                       check=True, capture_output=True)
        url = server_url.rstrip("/") + "/" + name
    else:
        template = ""
        url = f"sqlite:{tmp}/crash.db"
    srv = Server(hearth, url, env, port=free_port())
    try:
        if not template:
            subprocess.run([hearth, "demo", "--db", url], check=True, capture_output=True, env=env)
        srv.start()
        st, body, cookie = request(srv.port, "POST", "/api/v1/session",
                                   {"email": "worker@hearth.example", "password": "hearth-demo-password"})
        if st != 200:
            raise RuntimeError(f"sign-in: {st}")
        cookie = cookie.split(";")[0]
        csrf = json.loads(body)["csrf_token"]
        st, body, _ = request(srv.port, "GET", "/api/v1/cases", cookie=cookie)
        case = next(c["ref"] for c in json.loads(body)["cases"] if c["status"] == "open")
        budget = sql(url, "SELECT id FROM budgets WHERE owner_kind = 'partnership' ORDER BY id LIMIT 1")[0]
        today = datetime.date.today().isoformat()
        acked = {"contacts": set(), "grants": set()}
        lock = threading.Lock()
        total_acked = 0

        def writer(tag, stop):
            n = 0
            while not stop.is_set():
                n += 1
                marker = f"crash-{tag}-{n}"
                try:
                    if n % 4 == 0:
                        kind = "grants"
                        st, _, _ = request(srv.port, "POST", f"/api/v1/cases/{case}/commissions", {
                            "kind": "household_grant", "budget_id": int(budget), "reason": marker,
                            "items": [{"description": "School shoes", "amount_pence": 100}]},
                            cookie=cookie, csrf=csrf, timeout=3)
                    else:
                        kind = "contacts"
                        st, _, _ = request(srv.port, "POST", f"/api/v1/cases/{case}/contacts", {
                            "at": f"{today}T00:01", "kind": "phone", "duration_min": 5,
                            "seen": "Parent", "notes": marker}, cookie=cookie, csrf=csrf, timeout=3)
                except (OSError, http.client.HTTPException):
                    return       # the server died under us: this write was not acknowledged
                if 200 <= st < 300:
                    with lock:
                        acked[kind].add(marker)

        for k in range(1, KILLS + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(f"{k}.{t}", stop)) for t in range(THREADS)]
            for t in threads:
                t.start()
            # once this round has a write acknowledged, kill at a random moment
            deadline = time.time() + 20
            while time.time() < deadline:
                with lock:
                    if len(acked["contacts"]) + len(acked["grants"]) > total_acked:
                        break
                time.sleep(0.005)
            time.sleep(random.uniform(0.0, 0.3))
            srv.kill()
            stop.set()
            for t in threads:
                t.join()
            srv.start()
            st, _, _ = request(srv.port, "GET", "/api/v1/me", cookie=cookie)
            have_c = set(sql(url, "SELECT notes FROM contacts WHERE notes LIKE 'crash-%'"))
            have_g = set(sql(url, "SELECT reason FROM commissions WHERE reason LIKE 'crash-%'"))
            lost = (acked["contacts"] - have_c) | (acked["grants"] - have_g)
            n = len(acked["contacts"]) + len(acked["grants"])
            if st != 200:
                fail(f"kill {k}: the session made before the kills was not honoured after restart ({st})")
            elif lost:
                fail(f"kill {k}: {len(lost)} acknowledged writes lost, e.g. {sorted(lost)[:3]}")
            elif n <= total_acked:
                fail(f"kill {k}: no write was acknowledged in this round")
            else:
                ok(f"kill {k}: SIGKILL, restart; all {n} acknowledged writes present")
            total_acked = n
        srv.stop()
        v = subprocess.run([hearth, "audit", "verify", "--db", url], capture_output=True, text=True)
        if v.returncode == 0:
            ok(f"the audit chain verifies after {KILLS} kills ({v.stdout.strip()})")
        else:
            fail(f"hearth audit verify: {v.stdout.strip()} {v.stderr.strip()}")
        audited = int(sql(url, "SELECT count(*) FROM audit_log WHERE action = 'create'"
                              " AND route LIKE 'POST /api/v1/cases/%'")[0])
        if audited >= total_acked:
            ok(f"every acknowledged write has its audit row ({audited} rows for {total_acked} writes)")
        else:
            fail(f"{total_acked} writes acknowledged but only {audited} audit rows")
        print(f"# kills survived: {KILLS}; writes acknowledged and checked: {total_acked}")
    except Exception as e:  # noqa: BLE001 — any failure of the harness is a failed test
        fail(f"harness: {e}")
    finally:
        srv.stop()
        if server_url:
            subprocess.run(["psql", "-q", server_url.rstrip("/") + "/postgres", "-c",
                            f"DROP DATABASE IF EXISTS crash_{os.getpid()} WITH (FORCE)"], capture_output=True)
        subprocess.run(["rm", "-rf", tmp])
    print(f"{label}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
