#!/usr/bin/env python3
"""prepare.py — sign in the soak's users and pick what its writes may touch.

usage: prepare.py PORT THREADS OUT.lua

Against a `hearth serve` on a fresh demo database (127.0.0.1:PORT), for
each of THREADS wrk threads signs in the demo worker, school user,
coordinator and viewer (one session each, so every thread has its own
cookies and CSRF tokens), then finds the data bench/soak/mixed.lua varies
over: the worker's open cases, every open case, the school's pupils.  Each
write the soak makes is tried once here on each candidate (a contact and a
plan action on every case, a referral for one pupil) and only candidates
that answered 201 are kept, so the soak's writes are ones that must
succeed.  Every read the soak makes is tried once too and must answer
2xx/3xx.  Writes Lua that returns the table mixed.lua loads (SOAK_DATA).
Exits 1, saying why, if anything fails.
"""
import datetime
import http.client
import json
import sys

PASSWORD = "hearth-demo-password"
ROLES = ("worker", "school", "coordinator", "viewer")
REPORTS = ("activity", "caseloads", "money", "reach", "outcomes", "dashboard")


class Fail(Exception):
    pass


def call(port, method, path, body=None, who=None):
    """(status, parsed JSON or None, Set-Cookie) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if who:
        h["Cookie"] = who["cookie"]
        if method != "GET":
            h["X-CSRF-Token"] = who["csrf"]
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    cookie = r.getheader("Set-Cookie")
    c.close()
    try:
        parsed = json.loads(data) if data and data[:1] in (b"{", b"[") else None
    except ValueError:
        parsed = None
    return r.status, parsed, cookie


def sign_in(port, role):
    st, j, cookie = call(port, "POST", "/api/v1/session",
                         {"email": f"{role}@hearth.example", "password": PASSWORD})
    if st != 200 or not cookie or not j:
        raise Fail(f"sign-in as {role}: HTTP {st}")
    return {"cookie": cookie.split(";")[0], "csrf": j["csrf_token"], "user": j["user"]}


def must(port, method, path, who=None, body=None, want=(200, 299)):
    st, j, _ = call(port, method, path, body, who)
    if not want[0] <= st <= want[1]:
        raise Fail(f"{method} {path}: HTTP {st} {json.dumps(j)[:200] if j else ''}")
    return j


def contact(today, marker):
    return {"at": f"{today}T00:01", "kind": "phone", "duration_min": 5, "seen": "Parent", "notes": marker}


def due_dates():
    """Dates an action may be due by (within two years): 7 days to ~19 months ahead."""
    d = datetime.date.today()
    return [(d + datetime.timedelta(days=7 + 9 * i)).isoformat() for i in range(64)]


def action(worker_id, marker):
    return {"description": marker, "need": "attendance", "owner_kind": "worker",
            "owner_id": worker_id, "due_on": due_dates()[-1]}


def referral(today, upn, marker):
    return {"upns": [upn], "needs": ["attendance"], "level_of_need": 2, "reason": marker,
            "consent": {"basis": "consent", "given_by": "Sam Parent", "relationship": "mother",
                        "scope": ["pool"], "given_on": today}}


def lua(v, ind=""):
    """v as a Lua literal (dicts, lists, strings, numbers)."""
    if isinstance(v, dict):
        inner = ind + "  "
        return "{\n" + "".join(f"{inner}[{lua(k)}] = {lua(x, inner)},\n" for k, x in v.items()) + ind + "}"
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(lua(x, ind) for x in v) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))   # a JSON string is a valid Lua string for these values


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    port, nthreads, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    today = datetime.date.today().isoformat()
    try:
        threads = [{role: sign_in(port, role) for role in ROLES} for _ in range(nthreads)]
        s = threads[0]
        worker_id = None
        caseload = must(port, "GET", "/api/v1/caseload", s["worker"])
        worker_cases = []
        for c in caseload["cases"]:
            ref = c["ref"]
            j = must(port, "GET", f"/api/v1/cases/{ref}", s["worker"])
            wid = (j.get("case") or j).get("worker", {}).get("id") if isinstance(j, dict) else None
            worker_id = worker_id or wid
            st1, _, _ = call(port, "POST", f"/api/v1/cases/{ref}/contacts",
                             contact(today, "soak-probe"), s["worker"])
            st2, _, _ = call(port, "POST", f"/api/v1/cases/{ref}/actions",
                             action(wid, "soak-probe"), s["worker"]) if wid else (0, None, None)
            if st1 == 201 and st2 == 201:
                worker_cases.append(ref)
        all_cases = []
        for c in must(port, "GET", "/api/v1/cases", s["coordinator"])["cases"]:
            if c["status"] != "open":
                continue
            st, _, _ = call(port, "POST", f"/api/v1/cases/{c['ref']}/contacts",
                            contact(today, "soak-probe"), s["coordinator"])
            if st == 201:
                all_cases.append(c["ref"])
        risk = must(port, "GET", "/api/v1/risk?limit=200", s["school"])
        school_upns = []
        for p in risk["pupils"]:
            st, _, _ = call(port, "POST", "/api/v1/referrals",
                            referral(today, p["upn"], "soak-probe"), s["school"])
            if st == 201:
                school_upns.append(p["upn"])
            if len(school_upns) >= 40:
                break
        if not worker_cases or not all_cases or not school_upns or not worker_id:
            raise Fail(f"nothing to write to: {len(worker_cases)} worker cases, {len(all_cases)} open cases,"
                       f" {len(school_upns)} pupils, worker id {worker_id}")
        # every read the soak makes, once
        reads = [("/", r) for r in ROLES] + [
            ("/caseload", "worker"), ("/api/v1/caseload", "worker"),
            (f"/cases/{worker_cases[0]}", "worker"), (f"/cases/{all_cases[0]}", "coordinator"),
            (f"/api/v1/cases/{all_cases[0]}", "coordinator"),
            (f"/pupils/{school_upns[0]}", "school"), (f"/api/v1/pupils/{school_upns[0]}", "coordinator"),
            ("/api/v1/me", "viewer"), ("/api/v1/health", None), ("/assets/app.css", None)]
        reads += [(f"/api/v1/reports/{r}", "coordinator") for r in REPORTS]
        reads += [(f"/api/v1/reports/{r}", "viewer") for r in REPORTS]
        for path, role in reads:
            must(port, "GET", path, s[role] if role else None, want=(200, 399))
    except (Fail, OSError, http.client.HTTPException, KeyError, TypeError) as e:
        print(f"soak: prepare: {e}", file=sys.stderr)
        return 1
    data = {
        "today": today,
        "worker_id": worker_id,
        "worker_cases": worker_cases,
        "all_cases": all_cases,
        "school_upns": school_upns,
        "reports": list(REPORTS),
        "due_dates": due_dates(),
        "threads": [{r: {"cookie": t[r]["cookie"], "csrf": t[r]["csrf"]} for r in ROLES} for t in threads],
    }
    with open(out, "w") as f:
        f.write("-- written by bench/soak/prepare.py\nreturn " + lua(data) + "\n")
    print(f"soak: {nthreads} x {len(ROLES)} sessions; {len(worker_cases)} worker cases,"
          f" {len(all_cases)} open cases, {len(school_upns)} pupils to refer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
