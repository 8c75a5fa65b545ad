#!/usr/bin/env python3
"""diskfull.py — a full disk or a read-only database loses nothing and stops nothing.

SQLite (the default), on real file systems the test mounts itself (it must
run as root):

  full      the database (and its WAL) on an 16 MiB tmpfs; the rest of the
            space filled with a file.  Writes through the API and through a
            page form (a worker's contact, a household item grant, a
            school's referral) must answer 503 with a clear message
            ("the database disk is full", code storage_full) and save
            nothing; reads that write nothing (the home page of a user whose
            session is due its once-a-minute refresh, the catalogue,
            health) go on; reads of a family's record, which must write
            their audit row first, answer the same 503 instead of showing
            the record unaudited; signing in answers 503.  The server keeps
            running, logs the fault once, and when the filler is deleted
            the same process takes writes again.
  readonly  the database on a small ext4 image mounted with
            errors=remount-ro; the kernel is made to turn it read-only
            under the running server (/sys/fs/ext4/DEV/trigger_fs_error,
            what a disk error does).  Writes answer 503 storage_readonly,
            non-audited reads go on.  Such a file system cannot be made
            writable again without unmounting it, so recovery here is
            stop, fsck, mount, start: every refused write is absent and
            every acknowledged one present.

Afterwards: every write acknowledged with a 2xx is in the database, none
refused is, `hearth audit verify` passes and PRAGMA integrity_check is ok.

With --db-server postgresql://USER@HOST:PORT/ (a superuser; see
tests/run-pg.sh) the same checks run on PostgreSQL:

  pg full   the test's database is made in a tablespace on a 64 MiB tmpfs
            (owned by the server's user) and the tmpfs is filled with a
            file while `hearth serve` runs: a genuine ENOSPC, which
            PostgreSQL reports as SQLSTATE 53100 disk_full ("could not
            extend file").  pg_wal stays on the cluster's own disk, so
            PostgreSQL never needs the full disk to commit and does not
            PANIC.  PostgreSQL first uses the room left in pages its tables
            and indexes already have, so the test writes (and signs in)
            until a whole round is refused, then checks as above.  It also
            removes the database's pg_internal.init (as autovacuum of a
            system catalog does) and ends the server's connections: no
            new connection can then be made ("FATAL: could not write init
            file"); the server must keep running and save nothing.  When
            the filler goes, the same process reconnects and writes.
            Needs root and the server on this machine; else skipped.
  pg        the database made read-only by ALTER DATABASE … SET
            default_transaction_read_only = on (SQLSTATE 25006) while the
            server runs, and made writable again without restarting it.

The database, the tablespace and the mount are removed however the test
ends (SIGTERM and SIGHUP included: they end it as a failed run).

usage: diskfull.py HEARTH [--db-server URL]
Prints "ok …"/"FAIL …" lines and ends with "diskfull: N passed, N failed"
("pg-diskfull: …" on PostgreSQL).  If mounting is not permitted here (not
root, or the kernel refuses), the SQLite parts are reported as skipped
with the reason: "diskfull: 0 passed, 0 failed, 2 skipped".
"""
import datetime
import errno
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearthtest import Server, sql  # noqa: E402

PASSWORD = "hearth-demo-password"
PG_TMPFS = "64m"          # the tablespace's tmpfs: the demo database takes about 14 MiB
PG_WARM_ROUNDS = 60      # rounds of four writes and a sign-in to use the room in existing pages


class Client:
    """One signed-in user: session cookie and CSRF token."""

    def __init__(self, srv, email):
        self.srv, self.email = srv, email
        st, body, hdrs = self.call("POST", "/api/v1/session", {"email": email, "password": PASSWORD})
        if st != 200:
            raise RuntimeError(f"sign-in {email}: {st} {body[:200]}")
        self.cookie = hdrs["set-cookie"].split(";")[0]
        self.csrf = json.loads(body)["csrf_token"]

    def call(self, method, path, body=None, form=None):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=15)
        headers = {}
        if getattr(self, "cookie", None):
            headers["Cookie"] = self.cookie
            headers["X-CSRF-Token"] = self.csrf
        data = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(dict(form, csrf_token=self.csrf))
        elif body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        c.request(method, path, data, headers)
        r = c.getresponse()
        out = r.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, out, hdrs


class Run:
    def __init__(self, label):
        self.label, self.passed, self.failed, self.skipped = label, 0, 0, 0

    def ok(self, msg):
        self.passed += 1
        print(f"ok {msg}", flush=True)

    def fail(self, msg):
        self.failed += 1
        print(f"FAIL {msg}", flush=True)

    def check(self, cond, msg, detail=""):
        if cond:
            self.ok(msg)
        else:
            self.fail(f"{msg}{': ' + detail if detail else ''}")
        return cond

    def skip(self, msg):
        self.skipped += 1
        print(f"SKIP {msg}", flush=True)


class Writes:
    """The three kinds of write, each carrying a marker found later in the
    database: contacts.notes, commissions.reason, referrals.reason."""

    def __init__(self, worker, school, case, budget, upns):
        self.worker, self.school, self.case, self.budget = worker, school, case, budget
        self.upns = list(upns)
        self.acked = {"contacts": set(), "commissions": set(), "referrals": set()}
        self.refused = {"contacts": set(), "commissions": set(), "referrals": set()}
        self.answer = {}            # marker -> status it was answered with
        self.n = 0
        self.today = datetime.date.today().isoformat()

    def marker(self, tag):
        self.n += 1
        return f"diskfull-{tag}-{self.n}-{os.getpid()}"

    def contact_api(self, tag):
        m = self.marker(tag)
        st, body, h = self.worker.call("POST", f"/api/v1/cases/{self.case}/contacts", {
            "at": f"{self.today}T00:01", "kind": "phone", "duration_min": 5, "seen": "Parent", "notes": m})
        return self.note("contacts", m, st), st, body, h

    def contact_page(self, tag):
        m = self.marker(tag)
        st, body, h = self.worker.call("POST", f"/cases/{self.case}/contacts", form={
            "date": self.today, "time": "00:02", "kind": "phone", "duration_min": "5",
            "seen": "Parent", "notes": m})
        # saved: 303 back to the case (a 303 to the sign-in page is not)
        saved = st == 303 and h.get("location", "").startswith(f"/cases/{self.case}")
        return self.note("contacts", m, 201 if saved else (st if st != 303 else 401)), st, body, h

    def grant_api(self, tag):
        m = self.marker(tag)
        st, body, h = self.worker.call("POST", f"/api/v1/cases/{self.case}/commissions", {
            "kind": "household_grant", "budget_id": int(self.budget), "reason": m,
            "items": [{"description": "School shoes", "amount_pence": 100}]})
        return self.note("commissions", m, st), st, body, h

    def referral_api(self, tag):
        m = self.marker(tag)
        upn = self.upns[-1]     # used up only when the referral is saved
        st, body, h = self.school.call("POST", "/api/v1/referrals", {
            "upns": [upn], "adults": [{"name": "Jo Diskfull", "relationship": "mother"}],
            "needs": ["attendance"], "level_of_need": 2, "reason": m,
            "consent": {"basis": "consent", "given_by": "Jo Diskfull", "relationship": "mother",
                        "scope": ["pool", "school"], "given_on": self.today}})
        if 200 <= st < 300:
            self.upns.pop()
        return self.note("referrals", m, st), st, body, h

    def note(self, table, m, st):
        self.answer[m] = st
        if 200 <= st < 400:
            self.acked[table].add(m)
        else:
            self.refused[table].add(m)
        return m

    def all(self, tag):
        """One of each kind; list of (what, status, body, headers)."""
        out = []
        for what, fn in (("contact (API)", self.contact_api), ("contact (page form)", self.contact_page),
                         ("household grant (API)", self.grant_api), ("referral (API)", self.referral_api)):
            _, st, body, h = fn(tag)
            out.append((what, st, body, h))
        return out

    def verify(self, run, url, label):
        cols = {"contacts": "notes", "commissions": "reason", "referrals": "reason"}
        lost, extra = [], []
        for table, col in cols.items():
            have = set(sql(url, f"SELECT {col} FROM {table} WHERE {col} LIKE 'diskfull-%'"))
            lost += [f"{m} ({table}, {self.answer[m]})" for m in sorted(self.acked[table] - have)]
            extra += [f"{m} ({table}, {self.answer[m]})" for m in sorted(self.refused[table] & have)]
        na = sum(len(v) for v in self.acked.values())
        nr = sum(len(v) for v in self.refused.values())
        run.check(not lost, f"{label}: all {na} acknowledged writes are in the database",
                  f"{len(lost)} missing: {', '.join(lost[:5])}")
        run.check(not extra, f"{label}: none of the {nr} refused writes is (nothing half-written)",
                  f"{len(extra)} refused writes were saved: {', '.join(extra[:5])}")


def storage_json(st, body, h, code):
    if st != 503 or "json" not in h.get("content-type", ""):
        return False
    try:
        e = json.loads(body)["error"]
    except (ValueError, KeyError):
        return False
    return e.get("code") == code and "Nothing was saved" in e.get("message", "") or \
        e.get("code") == code and "cannot show" in e.get("message", "")


def check_refused(run, results, code, reason):
    for what, st, body, h in results:
        if what.endswith("(page form)"):
            good = st == 503 and "text/html" in h.get("content-type", "") and reason in body \
                and "Nothing was saved" in body
        else:
            good = storage_json(st, body, h, code)
        run.check(good and h.get("retry-after") == "60",
                  f"{what} answers 503 {code}: \"{reason} … Nothing was saved\"", f"{st} {body[:200]}")


def count_rows(url):
    return {t: int(sql(url, f"SELECT count(*) FROM {t}")[0])
            for t in ("audit_log", "contacts", "commissions", "referrals", "sessions")}


def refuse_rounds(run, srv, w, url, tag, label):
    """Five rounds of every kind of write on the full disk: each refused with
    503 storage_full, the reads of reads_while_broken, the server still
    running, no row added anywhere.  Returns the refused writes."""
    rows = count_rows(url)
    t0 = time.time()
    refused = []
    for k in range(5):
        refused += w.all(f"{tag}{k}")
    took = time.time() - t0
    check_refused(run, refused[:4], "storage_full", "the database disk is full")
    n503 = sum(1 for _, st, _, _ in refused if st == 503)
    run.check(n503 == len(refused), f"{label}: all {len(refused)} writes on the full disk refused with 503"
              f" ({took / len(refused) * 1000:.0f} ms each on average)", f"only {n503}")
    reads_while_broken(run, srv, w, "storage_full", "the database disk is full", label)
    run.check(srv.alive(), f"{label}: the server is still running")
    after = count_rows(url)
    changed = {t: after[t] - rows[t] for t in rows if after[t] != rows[t]}
    run.check(not changed, f"{label}: no row was added anywhere (audit log, contacts, commissions,"
              " referrals, sessions)", str(changed))
    return refused


def reads_while_broken(run, srv, w, code, reason, label):
    """Reads that write nothing are served; audited reads refuse."""
    st, body, _ = w.worker.call("GET", "/")
    run.check(st == 200 and "Sign out" in body,
              f"{label}: a signed-in worker whose session is due its refresh still gets the home page",
              f"{st}")
    st, body, _ = w.worker.call("GET", "/catalogue")
    run.check(st == 200, f"{label}: the catalogue page (no audit row) is served", f"{st}")
    st, body, _ = w.worker.call("GET", "/api/v1/catalogue")
    run.check(st == 200 and body.startswith("{"), f"{label}: GET /api/v1/catalogue is served", f"{st}")
    st, body, _ = w.worker.call("GET", "/api/v1/health")
    run.check(st == 200, f"{label}: GET /api/v1/health is served", f"{st}")
    st, body, h = w.worker.call("GET", f"/api/v1/cases/{w.case}")
    run.check(storage_json(st, body, h, code) and w.case not in body,
              f"{label}: reading a case through the API (audited) answers 503 {code}, not the record unaudited",
              f"{st} {body[:200]}")
    st, body, h = w.worker.call("GET", f"/cases/{w.case}")
    run.check(st == 503 and reason in body and "audit log" in body,
              f"{label}: the case page (audited) answers the 503 page, not the record unaudited",
              f"{st} {body[:200]}")
    st, body, h = sign_in(srv)
    run.check(storage_json(st, body, h, code),
              f"{label}: signing in (which writes the session) answers 503 {code}", f"{st} {body[:200]}")


def sign_in(srv):
    """The viewer signs in (a new session row and its audit row): status,
    body, headers."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=15)
    c.request("POST", "/api/v1/session", json.dumps({"email": "viewer@hearth.example", "password": PASSWORD}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read().decode()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, body, hdrs


def setup_writers(url, srv):
    worker = Client(srv, "worker@hearth.example")
    school = Client(srv, "school@hearth.example")
    st, body, _ = worker.call("GET", "/api/v1/cases")
    case = next(c["ref"] for c in json.loads(body)["cases"] if c["status"] == "open")
    budget = sql(url, "SELECT id FROM budgets WHERE owner_kind = 'partnership' ORDER BY id LIMIT 1")[0]
    upns = sql(url, "SELECT p.upn FROM pupils p JOIN users u ON u.school_id = p.school_id"
                    " WHERE u.email = 'school@hearth.example' AND p.id NOT IN"
                    " (SELECT pupil_id FROM referral_pupils) ORDER BY p.id LIMIT 6")
    if len(upns) < 3:
        raise RuntimeError(f"the school has only {len(upns)} pupils without a referral")
    return Writes(worker, school, case, budget, upns)


def sessions_due_refresh(url):
    """Make every session last seen two minutes ago, so the next request
    wants to write its refresh (once a minute) — on a disk that is full."""
    if url.startswith("sqlite:"):
        sql(url, "UPDATE sessions SET last_seen = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-120 seconds')")
    else:
        sql(url, "UPDATE sessions SET last_seen = to_char(now() AT TIME ZONE 'UTC' - interval '120 seconds',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")


def log_lines(path, pattern):
    with open(path, errors="replace") as f:
        return [l for l in f if re.search(pattern, l)]


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


def umount(path):
    if subprocess.run(["mountpoint", "-q", path]).returncode == 0:
        if subprocess.run(["umount", path], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", path], capture_output=True)


def fill(path):
    """Fill the file system holding path with a file; its size in bytes."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 64 << 10, 4 << 10, 512):
            block = b"\0" * chunk
            while True:
                try:
                    n += f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


def part_full(run, hearth, env, tmp, seed):
    mnt = f"{tmp}/full"
    mounted, why = mount_tmpfs(mnt, "16m")
    if not mounted:
        return why
    url = f"sqlite:{mnt}/hearth.db"
    errlog = f"{tmp}/full-server.log"
    srv = Server(hearth, url, env, errlog=errlog)
    try:
        subprocess.run(["cp", seed, f"{mnt}/hearth.db"], check=True)
        srv.start()
        w = setup_writers(url, srv)
        before = w.all("before")
        run.check(all(200 <= st < 400 for _, st, _, _ in before),
                  "full: before filling, a contact (API and form), a grant and a referral are saved",
                  str([(x, st, b[:120]) for x, st, b, _ in before if not 200 <= st < 400]))
        sessions_due_refresh(url)
        ck = sql(url, "PRAGMA wal_checkpoint(TRUNCATE)")[0]
        filler = f"{mnt}/filler"
        size = fill(filler)
        free = os.statvfs(mnt).f_bavail
        print(f"# tmpfs 16 MiB: database {os.path.getsize(mnt + '/hearth.db') // 1024} KiB, WAL checkpointed"
              f" ({ck}), filler {size // 1024} KiB, {free} blocks free", flush=True)
        refused = refuse_rounds(run, srv, w, url, "full", "full")
        logged = log_lines(errlog, r"hearth: storage: the database disk is full")
        run.check(len(logged) == 1, f"full: the fault is logged once on stderr ({len(refused) + 3} requests"
                  f" met it): {logged[0].strip()[:160] if logged else ''}", f"{len(logged)} lines")
        os.unlink(filler)
        pid = srv.proc.pid
        t0 = time.time()
        again = w.all("recovered")
        run.check(all(200 <= st < 400 for _, st, _, _ in again),
                  f"full: filler deleted; the same server process ({pid}) saves all four writes again"
                  f" ({(time.time() - t0) * 1000:.0f} ms)",
                  str([(x, st, b[:160]) for x, st, b, _ in again if not 200 <= st < 400]))
        st, body, _ = w.worker.call("GET", f"/api/v1/cases/{w.case}")
        run.check(st == 200 and w.case in body, "full: the audited case read is served again", f"{st}")
        run.check(len(log_lines(errlog, r"hearth: storage: the database takes changes again")) == 1,
                  "full: the recovery is logged once")
        srv.stop()
        w.verify(run, url, "full")
        verify_db(run, hearth, url, "full")
        subprocess.run(["cp", f"{mnt}/hearth.db", seed], check=True)   # for the read-only part
    finally:
        srv.stop()
        umount(mnt)
    return None


def verify_db(run, hearth, url, label):
    v = subprocess.run([hearth, "audit", "verify", "--db", url], capture_output=True, text=True)
    run.check(v.returncode == 0, f"{label}: hearth audit verify passes ({v.stdout.strip()[:100]})",
              v.stdout.strip() + v.stderr.strip())
    if url.startswith("sqlite:"):
        ic = sql(url, "PRAGMA integrity_check")
        run.check(ic == ["ok"], f"{label}: PRAGMA integrity_check is ok", str(ic[:3]))


def part_readonly(run, hearth, env, tmp, seed):
    img, mnt = f"{tmp}/ro.img", f"{tmp}/ro"
    os.makedirs(mnt, exist_ok=True)
    with open(img, "wb") as f:
        f.truncate(32 << 20)
    r = subprocess.run(["mkfs.ext4", "-q", "-F", img], capture_output=True, text=True)
    if r.returncode != 0:
        run.fail(f"readonly: mkfs.ext4: {r.stderr.strip()}")
        return None
    r = subprocess.run(["mount", "-o", "loop,errors=remount-ro", img, mnt], capture_output=True, text=True)
    if r.returncode != 0:
        return f"mount -o loop: {r.stderr.strip()}"
    url = f"sqlite:{mnt}/hearth.db"
    errlog = f"{tmp}/ro-server.log"
    srv = Server(hearth, url, env, errlog=errlog)
    try:
        subprocess.run(["cp", seed, f"{mnt}/hearth.db"], check=True)
        srv.start()
        w = setup_writers(url, srv)
        before = w.all("ro-before")
        run.check(all(200 <= st < 400 for _, st, _, _ in before), "readonly: before, all four writes are saved",
                  str([(x, st) for x, st, _, _ in before]))
        sessions_due_refresh(url)
        # what was acknowledged before the disk error has reached the disk
        # (a disk error that turns the file system read-only drops the page
        # cache's unwritten pages, as a power cut would)
        subprocess.run(["sync", "-f", f"{mnt}/hearth.db"], check=True)
        dev = os.path.basename(subprocess.run(["findmnt", "-no", "SOURCE", mnt], capture_output=True,
                                              text=True).stdout.strip())
        with open(f"/sys/fs/ext4/{dev}/trigger_fs_error", "w") as f:
            f.write("1\n")
        opts = subprocess.run(["findmnt", "-no", "OPTIONS", mnt], capture_output=True, text=True).stdout.strip()
        try:
            open(f"{mnt}/probe", "w").close()
            ro = False
        except OSError as e:
            ro = e.errno == errno.EROFS
        run.check(ro, f"readonly: the kernel turned the file system read-only under the server ({opts})")
        refused = w.all("ro")
        check_refused(run, refused, "storage_readonly", "the database is read-only")
        reads_while_broken(run, srv, w, "storage_readonly", "the database is read-only", "readonly")
        run.check(srv.alive(), "readonly: the server is still running")
        logged = log_lines(errlog, r"hearth: storage: the database is read-only")
        run.check(len(logged) == 1, "readonly: the fault is logged once on stderr", f"{len(logged)} lines")
        # ext4 refuses to go back to read-write after an error without an
        # unmount and fsck: recovery is stop, repair, start.
        srv.stop()
        subprocess.run(["umount", mnt], check=True)
        fsck = subprocess.run(["e2fsck", "-fy", img], capture_output=True, text=True)
        subprocess.run(["mount", "-o", "loop,errors=remount-ro", img, mnt], check=True)
        srv.start()
        w.worker.srv = w.school.srv = srv
        again = w.all("ro-recovered")
        run.check(all(200 <= st < 400 for _, st, _, _ in again),
                  f"readonly: after umount, e2fsck (exit {fsck.returncode}), mount and a restart, the"
                  " sessions still work and all four writes are saved",
                  str([(x, st, b[:120]) for x, st, b, _ in again]))
        srv.stop()
        w.verify(run, url, "readonly")
        verify_db(run, hearth, url, "readonly")
    finally:
        srv.stop()
        umount(mnt)
    return None


def pg_tablespace(admin, name, tmp):
    """A small tmpfs made a tablespace of the PostgreSQL server at admin;
    its mount point, or (None, why not) when that cannot be done here: not
    root, or the server's data directory is not on this machine."""
    if os.geteuid() != 0:
        return None, "mounting a small file system needs root"
    datadir = sql(admin, "SHOW data_directory")[0]
    if not os.path.isdir(datadir):
        return None, f"the server's data directory {datadir} is not on this machine"
    owner = os.stat(datadir)
    mnt = pg_mountpoint(tmp)
    os.chmod(tmp, 0o711)        # the server's user must reach the mount point
    mounted, why = mount_tmpfs(mnt, PG_TMPFS)
    if not mounted:
        return None, why
    os.chown(mnt, owner.st_uid, owner.st_gid)
    sql(admin, f"CREATE TABLESPACE {name} LOCATION '{mnt}'")
    return mnt, None


def pg_mountpoint(tmp):
    return f"{tmp}/pgts"


def pg_unmount(admin, name, tmp):
    """Drop the tablespace if it was made (its database already dropped)
    and undo the mount if there is one; what cannot be undone is said."""
    r = subprocess.run(["psql", "-q", admin, "-c", f"DROP TABLESPACE IF EXISTS {name}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# DROP TABLESPACE {name}: {r.stderr.strip()}", flush=True)
    umount(pg_mountpoint(tmp))
    if subprocess.run(["mountpoint", "-q", pg_mountpoint(tmp)]).returncode == 0:
        print(f"# still mounted: {pg_mountpoint(tmp)}", flush=True)


def checkpointer(admin):
    """The PostgreSQL checkpointer's pid: a new one means the server went
    through a crash and restart (what a PANIC does)."""
    return sql(admin, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")


def pg_full(run, hearth, env, url, admin, mnt, tmp):
    """The full part on PostgreSQL: the test's database lives in a
    tablespace on a tmpfs, and the tmpfs is filled with a file while the
    server runs (pg_wal stays on the cluster's own disk, see the README)."""
    errlog = f"{tmp}/pg-full-server.log"
    srv = Server(hearth, url, env, errlog=errlog)
    try:
        srv.start()
        w = setup_writers(url, srv)
        before = w.all("pgfull-before")
        run.check(all(200 <= st < 400 for _, st, _, _ in before),
                  "pg full: before filling, a contact (API and form), a grant and a referral are saved",
                  str([(x, st, b[:120]) for x, st, b, _ in before if not 200 <= st < 400]))
        sessions_due_refresh(url)
        # A backend starting on a database whose relation-cache init file
        # is missing writes it and dies ("FATAL: could not write init
        # file") when that fails; autovacuum of a system catalog removes
        # the file.  Vacuum now (after the demo's DDL) and connect once, so
        # this database's file exists before the disk fills — the test's
        # own psql queries need new connections (see pg_newconn for the
        # server's).
        sql(url, "VACUUM ANALYZE")
        sql(url, "SELECT 1")
        pids = checkpointer(admin)
        sql(admin, "CHECKPOINT")
        filler = f"{mnt}/filler"
        size = fill(filler)
        free = os.statvfs(mnt).f_bavail
        dbsize = int(sql(admin, f"SELECT pg_database_size('{url.rsplit('/', 1)[1]}')")[0])
        print(f"# tmpfs {PG_TMPFS} as a tablespace: database {dbsize // 1024} KiB, filler {size // 1024} KiB,"
              f" {free} blocks free", flush=True)
        # PostgreSQL first fills the room left in pages its tables and
        # indexes already have; the disk-full error comes when one must
        # grow.  Write until a whole round is refused (what was
        # acknowledged meanwhile is checked at the end like any other).
        warm, odd = [], []
        for k in range(PG_WARM_ROUNDS):
            res = w.all(f"pgwarm{k}") + [("sign-in", *sign_in(srv))]
            warm += res
            odd += [(x, st, b[:160]) for x, st, b, _ in res
                    if not (200 <= st < 400 or (st == 503 and ("storage_full" in b or "disk is full" in b)))]
            if all(st == 503 for _, st, _, _ in res):
                break
        nack = sum(1 for _, st, _, _ in warm if 200 <= st < 400)
        run.check(all(st == 503 for _, st, _, _ in warm[-5:]) and not odd,
                  f"pg full: writes and sign-ins fill the room left in existing pages ({nack} of {len(warm)}"
                  " saved) until every one is refused with 503, none with anything else",
                  f"{odd[:3]} last round {[(x, st) for x, st, _, _ in warm[-5:]]}")
        for rel in full_relations(url, errlog):
            print(f"# could not grow: {rel}", flush=True)
        nlog = len(log_lines(errlog, r"hearth: storage: "))
        refused = refuse_rounds(run, srv, w, url, "pgfull", "pg full")
        logged = log_lines(errlog, r"hearth: storage: the database disk is full")
        again_logged = log_lines(errlog, r"hearth: storage: ")[nlog:]
        run.check(len(logged) >= 1 and not again_logged and
                  all("53100" in l or "No space left on device" in l for l in logged),
                  f"pg full: the fault is logged when first met and not again ({len(refused) + 3} more requests"
                  f" met it): {logged[0].strip()[:200] if logged else ''}",
                  f"{len(logged)} lines, {len(again_logged)} during the checks")
        pg_newconn(run, srv, w, url, admin, mnt)
        r = subprocess.run(["psql", "-q", admin, "-c", "CHECKPOINT"], capture_output=True, text=True)
        print(f"# a CHECKPOINT while full: {'done' if r.returncode == 0 else r.stderr.strip()[:200]}", flush=True)
        run.check(checkpointer(admin) == pids, "pg full: PostgreSQL did not crash (the same checkpointer"
                  f" process {pids} before and after)", f"{pids} -> {checkpointer(admin)}")
        os.unlink(filler)
        if os.path.exists(f"{mnt}/filler2"):
            os.unlink(f"{mnt}/filler2")
        pid = srv.proc.pid
        t0 = time.time()
        again = w.all("pgfull-recovered")
        run.check(all(200 <= st < 400 for _, st, _, _ in again),
                  f"pg full: filler deleted; the same server process ({pid}) saves all four writes again"
                  f" ({(time.time() - t0) * 1000:.0f} ms)",
                  str([(x, st, b[:160]) for x, st, b, _ in again if not 200 <= st < 400]))
        st, body, _ = w.worker.call("GET", f"/api/v1/cases/{w.case}")
        run.check(st == 200 and w.case in body, "pg full: the audited case read is served again", f"{st}")
        new = log_lines(errlog, r"hearth: storage: ")[nlog:]
        run.check(len(new) == 1 and "takes changes again" in new[0], "pg full: the recovery is logged once",
                  str(new[:3]))
        srv.stop()
        w.verify(run, url, "pg full")
        verify_db(run, hearth, url, "pg full")
    finally:
        srv.stop()
        for f in ("filler", "filler2"):
            if os.path.exists(f"{mnt}/{f}"):
                os.unlink(f"{mnt}/{f}")


def pg_newconn(run, srv, w, url, admin, mnt):
    """A connection opened during the full spell.  PostgreSQL removes a
    database's relation-cache init file (pg_internal.init) when a system
    catalog's row changes — autovacuum of a catalog does it — and a backend
    that starts without the file writes a new one; on a full disk it dies
    with "FATAL: could not write init file" (SQLSTATE XX000, not 53100),
    so no new connection to the database can be made until there is room.
    Remove the file as PostgreSQL would, take the room it held, end the
    server's connections, and see what the server answers."""
    name = url.rsplit("/", 1)[1]
    oid = sql(admin, f"SELECT oid FROM pg_database WHERE datname = '{name}'")[0]
    init = [f"{mnt}/{d}/{oid}/pg_internal.init" for d in os.listdir(mnt) if d.startswith("PG_")]
    init = [p for p in init if os.path.exists(p)]
    for p in init:
        os.unlink(p)
    fill(f"{mnt}/filler2")
    sql(admin, f"SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
               f" WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    r = subprocess.run(["psql", "-At", url, "-c", "SELECT 1"], capture_output=True, text=True)
    run.check(r.returncode != 0 and "could not write init file" in r.stderr,
              "pg full: with its init file gone, PostgreSQL refuses new connections to the database"
              f" ({r.stderr.strip().splitlines()[-1][-60:] if r.stderr.strip() else r.stdout.strip()})",
              f"{r.returncode} {r.stderr.strip()[:200]}")
    got = []
    for what, path in (("health", "/api/v1/health"), ("catalogue page", "/catalogue"),
                       ("case (API)", f"/api/v1/cases/{w.case}")):
        st, body, h = w.worker.call("GET", path)
        got.append((what, st, body, h))
    got += w.all("pgnewconn")
    for what, st, body, _ in got:
        print(f"# no new connection: {what}: {st} {body[:150]!r}", flush=True)
    bad = [(x, st) for x, st, _, _ in got
           if (st < 300 and x not in ("health", "catalogue page")) or (st >= 500 and st != 503)]
    run.check(not bad and srv.alive(), "pg full: no new connection to PostgreSQL: the server keeps running,"
              " saves nothing and answers no 500", str(bad))
    signed_out = [(x, st) for x, st, _, h in got
                  if st == 401 or (st == 303 and h.get("location", "").startswith("/login"))]
    run.check(not signed_out, "pg full: no new connection: a signed-in user is not answered as"
              " signed out (401, or a sign-in page) when the session cannot be read", str(signed_out))
    pages = [(x, st, h.get("content-type", "")) for x, st, _, h in got
             if "page" in x and st == 503 and "text/html" not in h.get("content-type", "")]
    run.check(not pages, "pg full: no new connection: a page answered 503 is an HTML page, not JSON",
              str(pages))


def full_relations(url, errlog):
    """The tables and indexes PostgreSQL could not extend, from the
    server's log ("could not extend file "pg_tblspc/TS/VER/DB/NODE""), for
    the output only.  Looking them up needs a new connection to the full
    database, which PostgreSQL refuses when it must first write that
    database's relation-cache init file ("could not write init file"): then
    there is nothing to show, and that is not a failure of Hearth."""
    out = []
    for line in log_lines(errlog, r"hearth: storage: .*could not extend file"):
        m = re.search(r'pg_tblspc/(\d+)/[^/]+/\d+/(\d+)', line)
        if m:
            try:
                rel = sql(url, f"SELECT pg_filenode_relation({m[1]}, {m[2]})::regclass")
            except RuntimeError as e:
                print(f"# could not look the relation up while full: {str(e)[-120:]}", flush=True)
                return out
            out += [r for r in rel if r not in out]
    return out


def pg_readonly(run, hearth, env, url, admin, name, tmp):
    """The read-only part on PostgreSQL: ALTER DATABASE … SET
    default_transaction_read_only under the running server, and back."""
    srv = Server(hearth, url, env, errlog=f"{tmp}/pg-server.log")

    def kick():
        # sessions take a database's settings when they start: end the
        # server's idle connections, which it re-opens at the next request
        # (waiting for each to be gone, so none dies under a request)
        sql(admin, f"SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                   f" WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    try:
        srv.start()
        w = setup_writers(url, srv)
        before = w.all("pg-before")
        run.check(all(200 <= st < 400 for _, st, _, _ in before), "pg: before, all four writes are saved",
                  str([(x, st) for x, st, _, _ in before]))
        sessions_due_refresh(url)
        sql(admin, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        kick()
        rows = count_rows(url)
        refused = w.all("pg-ro")
        check_refused(run, refused, "storage_readonly", "the database is read-only")
        reads_while_broken(run, srv, w, "storage_readonly", "the database is read-only", "pg")
        run.check(srv.alive(), "pg: the server is still running")
        after = count_rows(url)
        changed = {t: after[t] - rows[t] for t in rows if after[t] != rows[t]}
        run.check(not changed, "pg: no row was added anywhere while read-only", str(changed))
        sql(admin, f"ALTER DATABASE {name} RESET default_transaction_read_only")
        kick()
        again = w.all("pg-recovered")
        run.check(all(200 <= st < 400 for _, st, _, _ in again),
                  "pg: made writable again, the same server process saves all four writes",
                  str([(x, st, b[:120]) for x, st, b, _ in again]))
        saved_not_shown(run, w, url)
        srv.stop()
        w.verify(run, url, "pg")
        verify_db(run, hearth, url, "pg")
    finally:
        srv.stop()


def saved_not_shown(run, w, url):
    """A change committed, then the disk fills before its answer is made:
    a plan action's create reads the action back, and that look writes a
    "view" audit row, which a trigger here refuses with a full disk's
    SQLSTATE (53100).  The answer must say the action was saved (503 with
    "saved": true and a message saying so), never "nothing was saved", and
    the action is there; with the trigger gone, writes go on."""
    sql(url, "CREATE FUNCTION diskfull_refuse_view() RETURNS trigger LANGUAGE plpgsql AS $$"
             " BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'"
             " USING ERRCODE = '53100'; END $$")
    sql(url, "CREATE TRIGGER diskfull_refuse_view BEFORE INSERT ON audit_log FOR EACH ROW"
             " WHEN (NEW.action = 'view' AND NEW.entity = 'plan_actions')"
             " EXECUTE FUNCTION diskfull_refuse_view()")
    try:
        wid = sql(url, f"SELECT worker_id FROM cases WHERE ref = '{w.case}'")[0]
        m = w.marker("pg-saved")
        st, body, h = w.worker.call("POST", f"/api/v1/cases/{w.case}/actions", {
            "description": m, "need": "attendance", "owner_kind": "worker", "owner_id": int(wid),
            "due_on": (datetime.date.today() + datetime.timedelta(days=14)).isoformat()})
        try:
            j = json.loads(body)
        except ValueError:
            j = {}
        err = j.get("error", {}) if isinstance(j, dict) else {}
        run.check(st == 503 and err.get("code") == "storage_full" and j.get("saved") is True
                  and "was saved" in err.get("message", "") and "Nothing was" not in err.get("message", ""),
                  "pg: a change saved whose read-back meets a full disk answers 503 saying it was saved",
                  f"{st} {body[:300]}")
        n = sql(url, f"SELECT count(*) FROM plan_actions WHERE description = '{m}'")[0]
        run.check(n == "1", "pg: and the action is in the database", n)
    finally:
        sql(url, "DROP TRIGGER IF EXISTS diskfull_refuse_view ON audit_log")
        sql(url, "DROP FUNCTION IF EXISTS diskfull_refuse_view()")
    after = w.all("pg-after-saved")
    run.check(all(200 <= st < 400 for _, st, _, _ in after),
              "pg: with the disk back, the same server saves all four writes",
              str([(x, st, b[:120]) for x, st, b, _ in after]))


def pg_main(run, hearth, env, server_url, tmp):
    name = f"diskfull_{os.getpid()}"
    admin = server_url.rstrip("/") + "/postgres"
    url = server_url.rstrip("/") + "/" + name
    mnt = None
    try:
        mnt, why = pg_tablespace(admin, name, tmp)
        if mnt is None:
            if "permission denied" in why.lower() or "not permitted" in why.lower() or "root" in why \
                    or "not on this machine" in why:
                run.skip(f"pg full: {why}; not run")
            else:
                run.fail(f"pg full: cannot mount: {why}")
        where = f" TABLESPACE {name}" if mnt else ""
        subprocess.run(["psql", "-q", admin, "-c", f"CREATE DATABASE {name}{where}"], check=True,
                       capture_output=True)
        subprocess.run([hearth, "demo", "--db", url], check=True, capture_output=True, env=env)
        if mnt:
            pg_full(run, hearth, env, url, admin, mnt, tmp)
        pg_readonly(run, hearth, env, url, admin, name, tmp)
    finally:
        subprocess.run(["psql", "-q", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       capture_output=True)
        pg_unmount(admin, name, tmp)


class Stopped(Exception):
    """The test was told to stop (SIGTERM, SIGHUP)."""


def on_signal(signum, frame):
    """SIGTERM or SIGHUP: unwind through the finally blocks (servers
    stopped, database and tablespace dropped, mounts undone) and end as a
    failed run."""
    raise Stopped(signal.Signals(signum).name)


def main():
    args = sys.argv[1:]
    server_url = None
    if "--db-server" in args:
        i = args.index("--db-server")
        server_url = args[i + 1]
        del args[i:i + 2]
    run = Run("pg-diskfull" if server_url else "diskfull")
    if len(args) != 1:
        print(__doc__)
        print(f"{run.label}: 0 passed, 1 failed")
        return 1
    hearth = os.path.abspath(args[0])
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    env = dict(os.environ, HEARTH_DEMO_PUPILS="600")
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="hearth-diskfull-")
    try:
        if server_url:
            pg_main(run, hearth, env, server_url, tmp)
        elif os.geteuid() != 0:
            run.skip("full: mounting a small file system needs root; not run")
            run.skip("readonly: mounting a small file system needs root; not run")
        else:
            seed = f"{tmp}/seed.db"
            subprocess.run([hearth, "demo", "--db", f"sqlite:{seed}"], check=True, capture_output=True, env=env)
            for part in (part_full, part_readonly):
                why = part(run, hearth, env, tmp, seed)
                if why is not None:
                    # mount refused: only "not permitted" is a missing mechanism
                    if "permission denied" in why.lower() or "not permitted" in why.lower():
                        run.skip(f"{part.__name__[5:]}: this machine does not allow mounting ({why})")
                    else:
                        run.fail(f"{part.__name__[5:]}: cannot mount: {why}")
    except Exception as e:  # noqa: BLE001 — any failure of the harness is a failed test
        run.fail(f"harness: {type(e).__name__}: {e}")
    finally:
        if not os.environ.get("DISKFULL_KEEP"):
            subprocess.run(["rm", "-rf", tmp])
        else:
            print(f"# kept {tmp}")
    print(f"# {time.time() - t0:.1f} s")
    tail = f", {run.skipped} skipped" if run.skipped else ""
    print(f"{run.label}: {run.passed} passed, {run.failed} failed{tail}")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
