#!/usr/bin/env python3
"""crawl.py — hostile text is stored verbatim and never comes back unescaped.

Starts `hearth demo` on a fresh SQLite database and `hearth serve` on a free
port, then plants hostile text — HTML and script, attribute breakers, SQL,
template syntax, URL-encoded and raw CR/LF header injection, spreadsheet
formulas, right-to-left overrides and emoji — in every text field it can
reach, through the real JSON API and forms, as the role allowed to write
each one (an import of pupils, referrals, family members, contacts, plan
actions, Team Around the Family meetings, agencies, the catalogue, budgets,
surveys and their answers, destinations, history, users and schools…).
Every value carries a unique marker (zq0001…) so it can be traced.

Then it checks:
  * storage: every value is in the SQLite file byte for byte as sent;
  * the crawl: for each of the seven demo roles it signs in and follows,
    breadth first, every same-origin link and GET form (with its default
    values, and once with hostile text in its text inputs) from `/`, plus
    every GET route of `hearth routes` with its {params} filled from the
    planted records, and once more with hostile query parameters (plus a
    few hostile paths, anonymous sign-in ?next= values, forms posted with
    hostile values and an error, and a consent form's `back` redirect
    target with CR/LF); on every answer:
      - no 5xx;
      - no response header carries a marker or CR/LF (no header
        injection); a redirect stays on this site and has a Location;
      - HTML: no marker inside a <script>, an on* attribute, a tag or
        attribute name, a javascript: URL, and no raw <script/<img/<svg
        of ours in the text;
      - JSON: it parses, and each planted value comes back intact;
      - CSV: cells are verbatim, and any cell a spreadsheet would run as a
        formula (= + - @ tab CR first) is neutralised;
      - XLSX: every part is well-formed XML and no marker is in a formula;
      - iCalendar: a CR/LF in a visit's place never starts a new property;
  * every planted value was shown on at least one crawled page.

usage: crawl.py HEARTH
Env: CRAWL_PAGES (pages per role, default 500), CRAWL_THREADS (default 4),
CRAWL_KEEP=1 keeps the temporary database; HEARTH_DEMO_PUPILS (default 2000).
Prints "ok …"/"FAIL …" lines and ends with "crawl: N passed, N failed".
"""
import csv
import datetime
import http.client
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hearthtest import Server  # noqa: E402

PAGES = int(os.environ.get("CRAWL_PAGES", "500"))
THREADS = int(os.environ.get("CRAWL_THREADS", "4"))
PASSWORD = "hearth-demo-password"
ROLES = ["admin", "coordinator", "school", "worker", "agency", "viewer", "auditor"]
MARK = re.compile(r"z[qr]\d{4}")          # zq: stored values; zr: reflected probes
RAW_TAG = re.compile(r"<(?:script|img|svg|iframe)\b[^<>]{0,80}?z[qr]\d{4}", re.I)
SKIP = ("/assets/", "/logout", "/calendar/")
MAX_QUERIES_PER_PATH = 6                   # distinct query strings followed per path

passed = failed = 0
out_lock = threading.Lock()
# how often each check met one of our values (a check that never met one proves nothing)
MET = {"json": 0, "csv": 0, "csv-formula": 0, "xlsx": 0, "html": 0}


def met(kind, n=1):
    with out_lock:
        MET[kind] += n


def ok(msg):
    global passed
    with out_lock:
        passed += 1
        print(f"ok {msg}", flush=True)


def fail(msg):
    global failed
    with out_lock:
        failed += 1
        print(f"FAIL {msg}", flush=True)


def note(msg):
    with out_lock:
        print(f"# {msg}", flush=True)


# ---- the hostile values --------------------------------------------------------------

def html_part(m):
    return f'<script>alert("{m}")</script>"><img src=x onerror=alert(\'{m}\')>'


EXTRAS = {
    "sql": " Robert'); DROP TABLE pupils;-- ' OR 1=1 --",
    "tmpl": " {{7*7}} ${7*7} <%= 7*7 %> %s%n",
    "hdr": " %0d%0aSet-Cookie: x=1",
    "crlf": "\r\nSet-Cookie: injected=1\r\nX-Injected: 1",
    "uni": " \u202eevil\u202c Zo\u00eb \U0001f525",
    "svg": " </textarea></title><svg/onload=alert('{m}')>",
}
SHORT_EXTRAS = {"sql": " Robert'); DROP TABLE x;--", "tmpl": " {{7*7}} ${7*7}", "uni": " \u202eevil\u202c \U0001f525",
                "hdr": " %0d%0aX: 1", "plain": ""}
FORMULAS = ["=HYPERLINK(\"http://x.example/{m}\",\"x\")", "+1+{m}", "-1+{m}", "@SUM({m})"]


class Plants:
    """Every hostile value sent, with its marker and where it went."""

    def __init__(self):
        self.n = 0
        self.items = []          # dicts: marker, value, label, stored, shown
        self.by_marker = {}
        self.lock = threading.Lock()

    def make(self, label, kind="sql", short=False):
        with self.lock:
            self.n += 1
            m = f"zq{self.n:04d}"
        if kind.startswith("formula"):
            f = FORMULAS[int(kind[7:] or 0) % len(FORMULAS)].format(m=m)
            v = f + ("" if short else " " + html_part(m))
            if short == "tiny":
                v = f[:24] + f" {m}" if m not in f[:24] else f[:24]
        elif kind == "js":
            v = f"javascript:alert('{m}')//" + html_part(m)
        elif short == "tiny":
            v = f"\"'><svg onload={m}>" + SHORT_EXTRAS.get(kind, "")[:12]
        elif short:
            v = f"<script>{m}</script>\"'><img src=x onerror={m}>" + SHORT_EXTRAS.get(kind, "")
        else:
            v = html_part(m) + EXTRAS[kind].replace("{m}", m)
        return m, v, label

    def add(self, m, v, label, shown=True):
        with self.lock:
            item = {"marker": m, "value": v, "label": label, "shown": shown, "seen": set()}
            self.items.append(item)
            self.by_marker[m] = item
        return v


P = Plants()


# ---- HTTP ----------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)


class Client:
    """One signed-in user: cookie and CSRF token."""

    def __init__(self, port, email=None, password=PASSWORD):
        self.port, self.cookie, self.csrf, self.email = port, None, None, email
        if email:
            r = self.call("POST", "/api/v1/session", {"email": email, "password": password})
            if r.status != 200:
                raise RuntimeError(f"sign-in as {email}: {r.status} {r.body[:200]!r}")
            self.cookie = r.header("Set-Cookie").split(";")[0]
            self.csrf = r.json()["csrf_token"]

    def raw(self, method, path, body=None, headers=None, timeout=60):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body, h)
            r = c.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def call(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}
        if self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        return self.raw(method, path, data, h)

    def form(self, path, fields):
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        pairs.append(("csrf_token", self.csrf))
        data = urllib.parse.urlencode(pairs).encode()
        return self.raw("POST", path, data, {"Content-Type": "application/x-www-form-urlencoded"})


# ---- the checks on one answer ----------------------------------------------------------

class PageScan(HTMLParser):
    """Finds markers where markup of ours would run, and collects the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.text = []
        self.links = []
        self.forms = []
        self.in_script = False
        self.form = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        if MARK.search(tag):
            self.problems.append(("tag name", tag))
        for name, val in attrs:
            val = val or ""
            if MARK.search(name):
                self.problems.append(("attribute name", f"<{tag} {name}=…>"))
            if MARK.search(val):
                self.text.append(val)
                if name.startswith("on") or name in ("style", "srcdoc"):
                    self.problems.append((f"{name}= attribute", f"<{tag} {name}={val[:60]!r}>"))
                elif name in ("href", "src", "action", "formaction", "xlink:href", "data") and \
                        val.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append((f"{name}= URL", f"<{tag} {name}={val[:60]!r}>"))
                elif tag in ("script", "iframe", "object", "embed", "base", "meta", "link"):
                    self.problems.append((f"<{tag}> with marker", f"{name}={val[:60]!r}"))
        a = dict(attrs)
        if tag == "script":
            self.in_script = True
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                         "fields": [], "text": []}
            self.forms.append(self.form)
        elif self.form is not None and tag in ("input", "select", "textarea"):
            name = a.get("name")
            typ = (a.get("type") or "text").lower()
            if not name or typ in ("submit", "button", "file", "image", "reset"):
                return
            if typ in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["fields"].append((name, a.get("value") or "on"))
            elif tag == "select":
                self.select = [name, None, None]   # name, selected, first
                self.form["fields"].append(None)
                self.select.append(len(self.form["fields"]) - 1)
            else:
                self.form["fields"].append((name, a.get("value") or ""))
                if typ in ("text", "search") or tag == "textarea":
                    self.form["text"].append(name)
        elif tag == "option" and self.select is not None:
            v = a.get("value") or ""
            if self.select[2] is None:
                self.select[2] = v
            if "selected" in a:
                self.select[1] = v

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        elif tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, sel, first, idx = self.select
            self.form["fields"][idx] = (name, sel if sel is not None else (first or ""))
            self.select = None

    def handle_data(self, data):
        if self.in_script and MARK.search(data):
            self.problems.append(("inside <script>", data[:80]))
        self.text.append(data)

    def finish(self):
        for f in self.forms:
            f["fields"] = [x for x in f["fields"] if x]


def markers_in(s):
    return set(MARK.findall(s))


def check_headers(role, url, resp, report):
    names = [k.lower() for k, _ in resp.headers]
    for k, v in resp.headers:
        if k.lower() == "location":
            if re.search(r"[\x00-\x1f\x7f]", v) or v.startswith(("//", "/\\")) or \
                    re.match(r"[a-z][a-z0-9+.-]*:", v, re.I):
                report("header", url, f"{k}: {v[:80]!r}")
        elif MARK.search(k) or MARK.search(v) or "\r" in v or "\n" in v:
            report("header", url, f"{k}: {v[:80]!r}")
    if "x-injected" in names:
        report("header", url, "an X-Injected header came back")
    for k, v in resp.headers:
        if k.lower() == "set-cookie" and "injected" in v:
            report("header", url, f"Set-Cookie: {v[:80]!r}")


def check_html(url, text, report):
    scan = PageScan()
    try:
        scan.feed(text)
        scan.close()
    except Exception as e:  # noqa: BLE001
        report("html", url, f"unparseable HTML: {e}")
        return scan
    scan.finish()
    for where, what in scan.problems:
        report("html", url, f"marker {where}: {what}")
    for m in RAW_TAG.finditer(text):
        report("html", url, f"raw markup in the page: {m.group(0)[:90]!r}")
    return scan


def check_json(url, text, report):
    try:
        doc = json.loads(text)
    except ValueError as e:
        report("json", url, f"does not parse: {e}")
        return ""
    strings = []

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                strings.append(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            strings.append(x)
    walk(doc)
    found = {}
    for s in strings:
        for m in markers_in(s):
            found.setdefault(m, []).append(s)
    for m, ss in found.items():
        item = P.by_marker.get(m)
        if item:
            met("json")
        if item and not any(item["value"] in s for s in ss):
            report("json", url, f"{m} ({item['label']}) not intact: {ss[0][:100]!r}")
    return "\n".join(strings)


def check_csv(url, text, report):
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        report("csv", url, f"does not parse: {e}")
        return ""
    cells = []
    for row in rows:
        for cell in row:
            if not MARK.search(cell):
                continue
            cells.append(cell)
            met("csv")
            if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@"):
                met("csv-formula")
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                report("csv", url, f"cell a spreadsheet would run as a formula: {cell[:80]!r}")
            for m in markers_in(cell):
                item = P.by_marker.get(m)
                if item and item["value"] not in cell:
                    report("csv", url, f"{m} ({item['label']}) not verbatim: {cell[:100]!r}")
    return "\n".join(cells)


def check_xlsx(url, data, report):
    texts = []
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        for name in z.namelist():
            if not name.endswith(".xml") and not name.endswith(".rels"):
                continue
            root = ET.fromstring(z.read(name))
            for el in root.iter():
                if el.text and MARK.search(el.text):
                    texts.append(el.text)
                    met("xlsx")
                    if el.tag.endswith("}f") or el.tag == "f":
                        report("xlsx", url, f"marker in a formula: {el.text[:80]!r}")
    except (zipfile.BadZipFile, ET.ParseError, KeyError) as e:
        report("xlsx", url, f"not a well-formed workbook: {e}")
    return "\n".join(texts)


def check_ics(url, text, report):
    lines = text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
    for ln in lines:
        if ln.upper().startswith(("X-INJECTED", "SET-COOKIE")):
            report("ics", url, f"a place's CR/LF started a new property: {ln[:80]!r}")
    return text


# ---- planting ---------------------------------------------------------------------------

def upn(serial):
    """A valid permanent UPN: check letter + LA 801 + 9999 + 5-digit serial."""
    digits = f"8019999{serial:05d}"
    total = sum(int(d) * w for d, w in zip(digits, range(2, 14)))
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23] + digits


def expect(resp, label, codes=(200, 201, 303)):
    if resp.status in codes:
        return True
    body = resp.body.decode("utf-8", "replace")
    m = re.search(r'govuk-error-summary__list">(.*?)</ul>', body, re.S)
    fail(f"plant {label}: HTTP {resp.status} " + (re.sub(r"<[^>]+>", " ", m.group(1))[:300] if m else repr(body[:300])))
    return False


def csv_text(rows):
    b = io.StringIO()
    w = csv.writer(b, lineterminator="\r\n")
    for r in rows:
        w.writerow(r)
    return b.getvalue().encode()


def sql1(dbfile, q, args=()):
    con = sqlite3.connect(dbfile, timeout=30)
    try:
        row = con.execute(q, args).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def sqlall(dbfile, q, args=()):
    con = sqlite3.connect(dbfile, timeout=30)
    try:
        return con.execute(q, args).fetchall()
    finally:
        con.close()


def plant_all(port, dbfile, hearth, url, ids):
    """Sends every hostile value; fills ids (for {params}) as it goes."""
    today = datetime.date.today()
    t = today.isoformat()
    admin, coord, school = Client(port, "admin@hearth.example"), Client(port, "coordinator@hearth.example"), \
        Client(port, "school@hearth.example")
    worker, agency = Client(port, "worker@hearth.example"), Client(port, "agency@hearth.example")

    def pv(label, kind="sql", short=False, shown=True):
        m, v, lab = P.make(label, kind, short)
        return m, v, lab, shown

    def keep(t4, resp=None, codes=(200, 201, 303)):
        m, v, lab, shown = t4
        if resp is None or resp.status in codes:
            P.add(m, v, lab, shown)

    # -- admin: a school, a user, an assessment area's title --------------------------------
    district = sql1(dbfile, "SELECT name FROM districts ORDER BY id LIMIT 1")
    f_school = pv("school name (POST /api/v1/schools, admin)", "formula0")
    r = admin.call("POST", "/api/v1/schools", {"urn": "999871", "name": f_school[1], "phase": "secondary",
                                               "district": district, "postcode": "LE1 9ZZ"})
    if expect(r, f_school[2]):
        keep(f_school)
    f_user = pv("user name (POST /api/v1/users, admin)", "tmpl")
    r = admin.call("POST", "/api/v1/users", {"name": f_user[1], "email": "crawl.worker@hearth.example",
                                             "role": "worker", "password": "crawl-test-password-1"})
    if expect(r, f_user[2]):
        keep(f_user)
    f_cli = pv("user name (hearth user add)", "uni")
    cp = subprocess.run([hearth, "user", "add", "--db", url, "--name", f_cli[1], "--email",
                         "crawl.cli@hearth.example", "--role", "viewer", "--password",
                         "crawl-test-password-1"], capture_output=True, text=True)
    if cp.returncode == 0:
        keep(f_cli)
    else:
        fail(f"plant {f_cli[2]}: exit {cp.returncode} {cp.stderr.strip()[:200]}")
    f_dom = pv("assessment area title (POST /assessment/domains/health, admin)", "svg")
    r = admin.form("/assessment/domains/health", {"action": "rename", "title": f_dom[1]})
    if expect(r, f_dom[2]):
        keep(f_dom)

    # -- school: an import of hostile pupils -----------------------------------------------
    upns = [upn(9001 + i) for i in range(5)]
    ids["upn"] = upns[:3]
    # forename + surname make a family member's name: 100 bytes at most
    fore = [pv(f"pupil forename {i + 1} (POST /api/v1/imports, school)", k, short="tiny")
            for i, k in enumerate(["sql", "formula1", "uni", "tmpl", "formula3"])]
    sur = [pv(f"pupil surname {i + 1} (POST /api/v1/imports, school)", k, short=True)
           for i, k in enumerate(["plain", "formula2", "plain", "plain", "formula0"])]
    # the address and contact only make the household key (a hash): never stored
    addr = (None, f"1 {html_part('zr8001')} Row", None, False)
    contact = (None, "zr8002 <script>alert(1)</script> 0116 496 0000", None, False)
    rows = [["UPN", "Forename", "Surname", "Date of birth", "Gender", "Year group", "Sessions possible",
             "Sessions attended", "Address", "Postcode", "Contact", "FSM"]]
    for i in range(5):
        rows.append([upns[i], fore[i][1], sur[i][1], "2010-03-04" if i == 0 else f"201{i + 1}-05-06",
                     "F" if i % 2 else "M", "11" if i == 0 else "", "300", "150", addr[1], "LE1 9ZZ",
                     contact[1], "Y"])
    f_file = pv("import file name (?filename=, school)", "sql", short=True)
    q = urllib.parse.urlencode({"filename": f_file[1] + ".csv", "date": t})
    r = school.call("POST", f"/api/v1/imports?{q}", csv_text(rows), {"Content-Type": "text/csv"})
    if expect(r, "import of hostile pupils"):
        for x in fore + sur:
            keep(x)
        P.add(f_file[0], f_file[1] + ".csv", f_file[2], True)
        ids["imports"] = [str(r.json()["import"]["id"])]
        errs = r.json()["import"].get("errors") or []
        if errs:
            fail(f"import of hostile pupils: rows refused {errs[:2]}")

    # -- school: the same through the upload form, with a hostile file name ----------------------
    m = P.make("uploaded file name (POST /imports multipart, school)", "sql", True)[0]
    fname = f"<svg onload={m}>'x' %0d%0a.csv"
    boundary = "crawlboundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{school.csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fname}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + csv_text(rows[:2]) + f"\r\n--{boundary}--\r\n".encode()
    r = school.raw("POST", "/imports", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    if expect(r, "uploaded file name", (303,)):
        P.add(m, fname, "uploaded file name (POST /imports multipart, school)")
        ids["progress"] = [(r.header("Location") or "/").rsplit("/", 1)[-1]]
        for _ in range(50):
            if sql1(dbfile, "SELECT count(*) FROM imports WHERE filename = ? AND status <> 'running'", (fname,)):
                break
            time.sleep(0.1)

    # -- school: referrals -----------------------------------------------------------------
    def referral(pupils, tag):
        a_name = pv(f"referral adult name ({tag})", "sql", short=True)
        reason = pv(f"referral reason ({tag})", "crlf")
        tried = pv(f"referral what was tried ({tag})", "svg")
        given = pv(f"consent given by ({tag})", "uni", short=True)
        body = {"upns": pupils, "adults": [{"name": a_name[1], "relationship": "mother", "phone": "0116 496 0123"}],
                "needs": ["attendance", "housing"], "level_of_need": 2, "reason": reason[1], "tried": tried[1],
                "consent": {"basis": "consent", "given_by": given[1], "relationship": "mother",
                            "scope": ["pool", "school", "agencies", "commissioned", "health"], "given_on": t}}
        r = school.call("POST", "/api/v1/referrals", body, {"Idempotency-Key": f"crawl-{tag}"})
        if expect(r, f"referral {tag}"):
            for x in (a_name, reason, tried, given):
                keep(x)
            return r.json()["referral"]["ref"]
        return None

    ref1 = referral(upns[0:2], "R1 accepted")
    ref2 = referral(upns[2:3], "R2 signposted")
    ref3 = referral(upns[3:4], "R3 declined")
    ref4 = referral(upns[4:5], "R4 waiting")
    ids["referrals"] = [x for x in (ref1, ref2, ref3, ref4) if x]
    ids["screening"] = ids["referrals"]

    # -- coordinator: screening decisions -------------------------------------------------------
    sam = sql1(dbfile, "SELECT w.id FROM workers w JOIN users u ON u.id = w.user_id"
                       " WHERE u.email = 'worker@hearth.example'")
    case = None
    if ref1:
        note_ = pv("screening decision note (accept, coordinator)", "sql")
        r = coord.call("POST", f"/api/v1/referrals/{ref1}/decision",
                       {"decision": "accept", "version": 1, "worker_id": sam, "intensity": 1,
                        "override_capacity": True, "note": note_[1]})
        if expect(r, "accept R1"):
            keep(note_)
            case = r.json()["case"]["ref"]
    if ref2:
        where = pv("signposted to (coordinator)", "sql", short=True)
        note_ = pv("signpost note (coordinator)", "tmpl")
        r = coord.call("POST", f"/api/v1/referrals/{ref2}/decision",
                       {"decision": "signpost", "version": 1, "signposted_to": where[1], "note": note_[1]})
        if expect(r, "signpost R2"):
            keep(where)
            keep(note_)
    if ref3:
        note_ = pv("decline reason (coordinator)", "crlf")
        r = coord.call("POST", f"/api/v1/referrals/{ref3}/decision",
                       {"decision": "decline", "version": 1, "note": note_[1]})
        if expect(r, "decline R3"):
            keep(note_)
    if not case:
        raise RuntimeError("no case to plant in")
    ids["cases"] = [case]
    fref = sql1(dbfile, "SELECT f.ref FROM families f JOIN cases c ON c.family_id = f.id WHERE c.ref = ?", (case,))
    ids["families"] = [fref]

    # -- coordinator: a worker, a cover, the directory, the catalogue, a budget, a survey -----------
    crawl_uid = sql1(dbfile, "SELECT id FROM users WHERE email = 'crawl.worker@hearth.example'")
    w_name = pv("worker name (POST /workers, coordinator)", "sql", short=True)
    w_emp = pv("worker employer (POST /workers, coordinator)", "formula1")
    w_lang = pv("worker languages (POST /workers, coordinator)", "sql", short=True)
    fields = [("name", w_name[1]), ("employer", w_emp[1]), ("kind", "family_support"),
              ("hours_per_week", "37"), ("languages", w_lang[1])]
    if crawl_uid:
        fields.append(("user_id", str(crawl_uid)))
    r = coord.form("/workers", fields)
    if expect(r, "POST /workers"):
        keep(w_name)
        keep(w_emp)
        keep(w_lang)
    new_worker = sql1(dbfile, "SELECT id FROM workers WHERE name = ?", (w_name[1],))
    ids["workers"] = [str(x) for x in (new_worker, sam) if x]
    if new_worker:
        why = pv("cover reason (POST /workers/{id}/covers, coordinator)", "sql", short=True)
        r = coord.form(f"/workers/{sam}/covers", {"for_worker_id": str(new_worker), "from": t,
                                                  "until": (today + datetime.timedelta(days=7)).isoformat(),
                                                  "reason": why[1]})
        if expect(r, why[2]):
            keep(why)

    ag_name = pv("agency name (POST /agencies, coordinator)", "sql", short=True)
    r = coord.form("/agencies", {"name": ag_name[1], "kind": "other", "phone": "0116 496 0000"})
    if expect(r, ag_name[2]):
        keep(ag_name)
    agency_id = sql1(dbfile, "SELECT id FROM agencies WHERE name = ?", (ag_name[1],))
    ids["agencies"] = [str(agency_id)] if agency_id else []
    if agency_id:
        pn = pv("professional name (POST /agencies/{id}/professionals)", "sql", short=True)
        pr = pv("professional role (POST /agencies/{id}/professionals)", "tmpl", short=True)
        r = coord.form(f"/agencies/{agency_id}/professionals", {"name": pn[1], "role": pr[1]})
        if expect(r, pn[2]):
            keep(pn)
            keep(pr)

    prov = pv("provider name (POST /catalogue/providers)", "sql", short=True)
    pcon = pv("provider contact (POST /catalogue/providers)", "js")
    r = coord.form("/catalogue/providers", {"provider_name": prov[1], "contact": pcon[1]})
    if expect(r, prov[2]):
        keep(prov)
        keep(pcon)
    prov_id = sql1(dbfile, "SELECT id FROM providers WHERE name = ?", (prov[1],))
    if prov_id:
        sname = pv("service name (POST /catalogue/services)", "formula2", short=True)
        sdesc = pv("service description (POST /catalogue/services)", "crlf")
        flds = [("provider_id", str(prov_id)), ("name", sname[1]), ("category", "parenting"), ("unit", "session"),
                ("unit_cost", "90.00"), ("capacity", "12"), ("active", "1"), ("description", sdesc[1])]
        flds += [("districts", str(d)) for (d,) in sqlall(dbfile, "SELECT id FROM districts")]
        r = coord.form("/catalogue/services", flds)
        if expect(r, sname[2]):
            keep(sname)
            keep(sdesc)
    service_id = sql1(dbfile, "SELECT id FROM services WHERE description = ?", (sdesc[1],)) if prov_id else None
    ids["services"] = [str(service_id)] if service_id else []

    bname = pv("budget name (POST /budgets, coordinator)", "formula3", short=True)
    bsrc = pv("budget funding source (POST /budgets, coordinator)", "sql", short=True)
    r = coord.form("/budgets", {"name": bname[1], "owner_kind": "partnership", "period": "academic",
                                "start_year": str(today.year), "amount": "50000", "sources.0.source": bsrc[1],
                                "sources.0.amount": "50000"})
    if expect(r, bname[2]):
        keep(bname)
        keep(bsrc)
    budget_id = sql1(dbfile, "SELECT id FROM budgets WHERE name = ?", (bname[1],))
    ids["budgets"] = [str(budget_id)] if budget_id else []

    stitle = pv("survey title (POST /api/v1/surveys)", "sql", short=True)
    sintro = pv("survey intro (POST /api/v1/surveys)", "crlf")
    sq1 = pv("survey question 1 (POST /api/v1/surveys)", "svg")
    sq2 = pv("survey question 2 (POST /api/v1/surveys)", "uni")
    r = coord.call("POST", "/api/v1/surveys", {"title": stitle[1], "intro": sintro[1], "questions": [
        {"kind": "likert", "text": sq1[1]}, {"kind": "text", "text": sq2[1]}]})
    survey = None
    if expect(r, stitle[2]):
        for x in (stitle, sintro, sq1, sq2):
            keep(x)
        survey = r.json()["survey"]["id"]
        ids["surveys"] = [str(survey)]
        r = coord.call("POST", f"/api/v1/surveys/{survey}/open", {"version": r.json()["survey"]["version"]})
        expect(r, "open the survey")
        ans = pv("survey free-text answer (POST /api/v1/surveys/{id}/responses, school)", "formula0")
        r = school.call("POST", f"/api/v1/surveys/{survey}/responses", {"answers": {"q1": 4, "q2": ans[1]}})
        if expect(r, ans[2]):
            keep(ans)

    # -- worker (Sam) on the new case ----------------------------------------------------------
    grace = sql1(dbfile, "SELECT p.id FROM professionals p JOIN users u ON u.id = p.user_id"
                         " WHERE u.email = 'agency@hearth.example'")
    now = datetime.datetime.now()
    seen = pv("contact who was seen (POST /api/v1/cases/{ref}/contacts)", "sql", short=True)
    notes = pv("contact notes (POST /api/v1/cases/{ref}/contacts)", "crlf")
    place = pv("contact place", "hdr")
    r = worker.call("POST", f"/api/v1/cases/{case}/contacts",
                    {"at": f"{t}T00:00", "kind": "home_visit", "duration_min": 30, "seen": seen[1],
                     "place": place[1], "notes": notes[1]})
    if expect(r, notes[2]):
        for x in (seen, notes, place):
            keep(x)
    vplace = pv("booked visit place (calendar feed)", "crlf")
    r = worker.call("POST", f"/api/v1/cases/{case}/contacts",
                    {"at": f"{(today + datetime.timedelta(days=1)).isoformat()}T10:00", "kind": "home_visit",
                     "duration_min": 60, "place": vplace[1], "planned": True})
    if expect(r, vplace[2]):
        keep(vplace)
    mname = pv("family member name (POST /cases/{ref}/members)", "sql", short=True)
    r = worker.form(f"/cases/{case}/members", {"name": mname[1], "relationship": "other", "phone": "0116 496 0999"})
    if expect(r, mname[2]):
        keep(mname)
    fpn = pv("case professional name (POST /cases/{ref}/professionals)", "uni", short=True)
    fpa = pv("case professional agency (POST /cases/{ref}/professionals)", "sql", short=True)
    fpr = pv("case professional role (POST /cases/{ref}/professionals)", "sql", short=True)
    fpc = pv("case professional contact (POST /cases/{ref}/professionals)", "js")
    r = worker.form(f"/cases/{case}/professionals", {"name": fpn[1], "agency": fpa[1], "role": fpr[1],
                                                             "contact": fpc[1]})
    if expect(r, fpa[2]):
        for x in (fpn, fpa, fpr, fpc):
            keep(x)

    scores = [{"domain": d, "score": 5} for (d,) in
              sqlall(dbfile, "SELECT code FROM assessment_domains WHERE retired_at IS NULL ORDER BY 1")] \
        if sql1(dbfile, "SELECT count(*) FROM pragma_table_info('assessment_domains') WHERE name = 'retired_at'") \
        else [{"domain": d, "score": 5} for (d,) in sqlall(dbfile, "SELECT code FROM assessment_domains ORDER BY 1")]
    agreed = pv("assessment agreed with (POST /api/v1/cases/{ref}/assessments)", "sql", short=True)
    asum = pv("assessment summary", "crlf")
    astr = pv("assessment strengths (first area)", "svg")
    aneed = pv("assessment needs (first area)", "tmpl")
    if scores:
        scores[0]["strengths"], scores[0]["needs"] = astr[1], aneed[1]
    r = worker.call("POST", f"/api/v1/cases/{case}/assessments",
                    {"assessed_on": t, "kind": "initial", "agreed_with": agreed[1], "summary": asum[1],
                     "scores": scores})
    if expect(r, agreed[2]):
        for x in (agreed, asum, astr, aneed):
            keep(x)
    ids["assessments"] = [str(x) for (x,) in sqlall(
        dbfile, "SELECT a.id FROM assessments a JOIN cases c ON c.id = a.case_id WHERE c.ref = ?", (case,))]

    adesc = pv("plan action description (owner: agency)", "sql")
    r = worker.call("POST", f"/api/v1/cases/{case}/actions",
                    {"description": adesc[1], "need": "attendance", "owner_kind": "agency", "owner_id": grace,
                     "due_on": (today + datetime.timedelta(days=30)).isoformat()})
    if expect(r, adesc[2]):
        keep(adesc)
    adesc2 = pv("plan action description (owner: worker)", "formula1")
    r = worker.call("POST", f"/api/v1/cases/{case}/actions",
                    {"description": adesc2[1], "need": "housing", "owner_kind": "worker", "owner_id": sam,
                     "due_on": (today + datetime.timedelta(days=20)).isoformat()})
    if expect(r, adesc2[2]):
        keep(adesc2)
    acts = sqlall(dbfile, "SELECT a.id, a.version, a.owner_professional_id FROM plan_actions a"
                          " JOIN cases c ON c.id = a.case_id WHERE c.ref = ? ORDER BY a.id", (case,)) \
        if sql1(dbfile, "SELECT count(*) FROM pragma_table_info('plan_actions') WHERE name = 'owner_professional_id'") \
        else [(x, 1, None) for (x,) in sqlall(dbfile, "SELECT a.id FROM plan_actions a JOIN cases c"
                                                      " ON c.id = a.case_id WHERE c.ref = ?", (case,))]
    ids["actions"] = [str(a[0]) for a in acts]
    for aid, ver, owner in acts:
        if owner == grace:
            prog = pv("action progress (POST /api/v1/taf/actions/{id}, agency)", "crlf")
            r = agency.call("POST", f"/api/v1/taf/actions/{aid}", {"version": ver, "status": "in_progress",
                                                                    "progress": prog[1]})
            if expect(r, prog[2]):
                keep(prog)
        else:
            prog = pv("action progress (POST /api/v1/actions/{id}, worker)", "sql")
            r = worker.call("POST", f"/api/v1/actions/{aid}", {"version": ver, "status": "in_progress",
                                                                "progress": prog[1]})
            if expect(r, prog[2]):
                keep(prog)

    mplace = pv("TAF meeting place (POST /api/v1/cases/{ref}/meetings)", "sql", short=True)
    r = worker.call("POST", f"/api/v1/cases/{case}/meetings",
                    {"starts_at": now.strftime("%Y-%m-%dT%H:%M"), "place": mplace[1], "duration_min": 60})
    meeting = None
    if expect(r, mplace[2]):
        keep(mplace)
        meeting = sql1(dbfile, "SELECT id FROM taf_meetings WHERE place = ?", (mplace[1],))
    ids["meetings"] = [str(meeting)] if meeting else []
    if meeting and grace:
        ver = sql1(dbfile, "SELECT version FROM taf_meetings WHERE id = ?", (meeting,))
        r = worker.call("POST", f"/api/v1/taf/meetings/{meeting}/invite", {"version": ver, "professional_id": grace})
        expect(r, "invite Grace Mensah to the meeting")
        time.sleep(0.5)
        ver = sql1(dbfile, "SELECT version FROM taf_meetings WHERE id = ?", (meeting,))
        mins = pv("TAF minutes (POST /api/v1/taf/meetings/{id}/record)", "crlf")
        decs = pv("TAF decisions (POST /api/v1/taf/meetings/{id}/record)", "svg")
        tact = pv("TAF action agreed at the meeting", "sql")
        inv = sql1(dbfile, "SELECT id FROM taf_invitees WHERE meeting_id = ? AND professional_id = ?",
                   (meeting, grace))
        r = worker.call("POST", f"/api/v1/taf/meetings/{meeting}/record",
                        {"version": ver, "attended": [inv], "minutes": mins[1], "decisions": decs[1],
                         "actions": [{"description": tact[1], "need": "attendance", "owner_kind": "agency",
                                      "owner_id": grace,
                                      "due_on": (today + datetime.timedelta(days=14)).isoformat()}]})
        if expect(r, mins[2]):
            for x in (mins, decs, tact):
                keep(x)
    mplace2 = pv("TAF meeting place (to cancel)", "sql", short=True)
    r = worker.call("POST", f"/api/v1/cases/{case}/meetings",
                    {"starts_at": f"{(today + datetime.timedelta(days=3)).isoformat()}T10:00",
                     "place": mplace2[1], "duration_min": 60})
    if expect(r, mplace2[2]):
        keep(mplace2)
        m2 = sql1(dbfile, "SELECT id FROM taf_meetings WHERE place = ?", (mplace2[1],))
        ids["meetings"].append(str(m2))
        why = pv("TAF meeting cancel reason", "crlf")
        r = worker.call("POST", f"/api/v1/taf/meetings/{m2}/cancel", {"version": 1, "reason": why[1]})
        if expect(r, why[2]):
            keep(why)

    pool = sql1(dbfile, "SELECT id FROM budgets WHERE owner_kind = 'partnership' ORDER BY id LIMIT 1")
    creason = pv("household grant reason (POST /api/v1/cases/{ref}/commissions)", "crlf")
    citem = pv("household grant item", "formula2", short=True)
    r = worker.call("POST", f"/api/v1/cases/{case}/commissions",
                    {"kind": "household_grant", "budget_id": pool, "reason": creason[1],
                     "items": [{"description": citem[1], "amount_pence": 2500}]})
    if expect(r, creason[2]):
        keep(creason)
        keep(citem)
    if service_id and budget_id:
        sreason = pv("service commission reason", "formula0")
        r = worker.call("POST", f"/api/v1/cases/{case}/commissions",
                        {"kind": "service", "service_id": service_id, "quantity": 2, "budget_id": budget_id,
                         "reason": sreason[1]})
        if expect(r, sreason[2]):
            keep(sreason)
    ids["commissions"] = [x for (x,) in sqlall(dbfile, "SELECT m.ref FROM commissions m JOIN cases c"
                                                       " ON c.id = m.case_id WHERE c.ref = ?", (case,))]
    if ids["commissions"]:
        dnote = pv("commission cancel reason (coordinator)", "sql")
        ver = sql1(dbfile, "SELECT version FROM commissions WHERE ref = ?", (ids["commissions"][0],))
        r = coord.call("POST", f"/api/v1/commissions/{ids['commissions'][0]}/cancel",
                       {"version": ver, "reason": dnote[1]})
        if expect(r, dnote[2]):
            keep(dnote)

    dn = pv("destination note (POST /api/v1/pupils/{upn}/destination)", "crlf")
    r = worker.call("POST", f"/api/v1/pupils/{upns[0]}/destination",
                    {"destination": "employment", "on": t, "note": dn[1]})
    if expect(r, dn[2]):
        keep(dn)

    rsum = pv("review summary (POST /api/v1/cases/{ref}/reviews)", "sql")
    rfam = pv("review family view", "uni")
    ver = sql1(dbfile, "SELECT version FROM cases WHERE ref = ?", (case,))
    rprog = pv("review progress on each open action", "svg")
    progress = [{"action_id": a, "version": v, "status": "in_progress", "progress": rprog[1]} for a, v in
                sqlall(dbfile, "SELECT a.id, a.version FROM plan_actions a JOIN cases c ON c.id = a.case_id"
                               " WHERE c.ref = ? AND a.status NOT IN ('done', 'dropped')", (case,))]
    r = worker.call("POST", f"/api/v1/cases/{case}/reviews",
                    {"version": ver, "held_on": t, "summary": rsum[1], "family_view": rfam[1], "progress": progress,
                     "next_review_on": (today + datetime.timedelta(days=42)).isoformat()})
    if expect(r, rsum[2]):
        keep(rsum)
        keep(rfam)
        keep(rprog)

    # another of Sam's cases, closed and one stepped up, with hostile words
    other = [x for (x,) in sqlall(dbfile, "SELECT c.ref FROM cases c WHERE c.worker_id = ? AND c.status = 'open'"
                                          " AND c.ref <> ? AND NOT EXISTS (SELECT 1 FROM commissions m WHERE"
                                          " m.case_id = c.id AND m.status IN ('requested', 'approved',"
                                          " 'delivered')) ORDER BY c.id LIMIT 2", (sam, case))]
    if other:
        cnote = pv("case closure note (POST /api/v1/cases/{ref}/close)", "sql")
        cview = pv("case closure family view", "crlf")
        ver = sql1(dbfile, "SELECT version FROM cases WHERE ref = ?", (other[0],))
        r = worker.call("POST", f"/api/v1/cases/{other[0]}/close",
                        {"version": ver, "reason": "other", "note": cnote[1], "family_view": cview[1]})
        if expect(r, cnote[2]):
            keep(cnote)
            keep(cview)
            ids["cases"].append(other[0])
    if len(other) > 1:
        sreason = pv("step up reason (POST /api/v1/cases/{ref}/step-up)", "tmpl")
        # the lawful basis for sharing with social care, recorded (and shown
        # with the family's consents) when the family has not consented to it
        sbasis = pv("step up lawful basis note (POST /api/v1/cases/{ref}/step-up)", "crlf")
        ver = sql1(dbfile, "SELECT version FROM cases WHERE ref = ?", (other[1],))
        r = worker.call("POST", f"/api/v1/cases/{other[1]}/step-up",
                        {"version": ver, "reason": sreason[1], "lawful_basis_note": sbasis[1]})
        if expect(r, sreason[2]):
            keep(sreason)
            if sql1(dbfile, "SELECT count(*) FROM consents WHERE lawful_basis_note = ?", (sbasis[1],)):
                keep(sbasis)
            ids["cases"].append(other[1])

    # -- school: a second consent on the family, then withdrawn ----------------------------------
    if fref:
        cby = pv("consent given by (POST /families/{ref}/consents, school)", "sql", short=True)
        r = school.form(f"/families/{fref}/consents",
                        [("consent.basis", "consent"), ("consent.given_by", cby[1]),
                         ("consent.relationship", "father"), ("consent.scope", "pool"), ("consent.scope", "school"),
                         ("consent.given_on", t), ("back", f"/referrals/{ref1}")])
        if expect(r, cby[2]):
            keep(cby)
            cid = sql1(dbfile, "SELECT id FROM consents WHERE given_by = ?", (cby[1],))
            wr = pv("consent withdrawal reason (school)", "crlf")
            r = school.form(f"/families/{fref}/consents/{cid}/withdraw",
                            {"on": t, "reason": wr[1], "back": f"/referrals/{ref1}"})
            if expect(r, wr[2]):
                keep(wr)
        lbn = pv("lawful basis explanation (POST /families/{ref}/consents, school)", "crlf")
        r = school.form(f"/families/{fref}/consents",
                        {"consent.basis": "not_sought", "consent.lawful_basis": "public_task",
                         "consent.lawful_basis_note": lbn[1], "back": f"/referrals/{ref1}"})
        if expect(r, lbn[2]):
            keep(lbn)

    # -- admin: history from before Hearth ---------------------------------------------------------
    # history rows are counted in the reports, their words are never shown
    hw = pv("history worker name (POST /api/v1/history)", "sql", short=True, shown=False)
    hd = pv("history commission detail (POST /api/v1/history)", "formula3", shown=False)
    hrows = [["case_ref", "family_ref", "school_urn", "upn", "worker", "event", "date", "source", "reason",
              "amount", "detail"],
             ["CRAWL-001", "CRAWL-F1", "", "", hw[1], "referred", "2020-01-06", "school", "", "", ""],
             ["CRAWL-001", "", "", "", "", "allocated", "2020-01-13", "", "", "", ""],
             ["CRAWL-001", "", "", "", "", "commission", "2020-02-03", "", "", "£450.00", hd[1]],
             ["CRAWL-001", "", "", "", "", "closed", "2020-06-30", "", "outcomes_met", "", ""]]
    r = admin.call("POST", "/api/v1/history?filename=crawl-history.csv", csv_text(hrows),
                   {"Content-Type": "text/csv"})
    if expect(r, hw[2]):
        keep(hw)
        keep(hd)
    ids["history"] = [str(x) for (x,) in sqlall(dbfile, "SELECT id FROM history_imports ORDER BY id DESC LIMIT 1")]
    ids["rules"] = [x for (x,) in sqlall(dbfile, "SELECT code FROM risk_rules ORDER BY id LIMIT 2")]

    # -- the worker's calendar feed --------------------------------------------------------------------
    r = worker.call("POST", "/api/v1/account/calendar", {})
    if expect(r, "calendar feed address"):
        u = urllib.parse.urlparse(r.json()["url"])
        ids["calendar"] = u.path
    return {"admin": admin, "coordinator": coord, "school": school, "worker": worker, "agency": agency}


# ---- reflected input and header injection through POSTs ------------------------------------------

def probe_posts(port, clients, ids, report):
    """Hostile values in forms that come back with an error, and in the
    redirect target of a consent form: the error page escapes them and no
    header is injected."""
    coord, worker, school = clients["coordinator"], clients["worker"], clients["school"]
    case = ids["cases"][0]
    probes = [
        (coord, "/agencies", {"name": "", "kind": "other", "phone": "zr9001\"><svg/onload=alert('zr9001')>",
                              "email": "<script>zr9002</script>"}),
        (coord, "/catalogue/providers", {"provider_name": "", "contact": "\"><script>alert('zr9003')</script>"}),
        (coord, "/budgets", {"name": "\"><script>alert('zr9004')</script>", "owner_kind": "partnership",
                             "amount": "zr9005<img src=x onerror=alert(1)>"}),
        (worker, f"/cases/{case}/members", {"name": "", "relationship": "\"'><script>zr9006</script>"}),
        (worker, f"/cases/{case}/contacts", {"kind": "home_visit", "date": "<script>zr9007</script>",
                                             "seen": "\"><img src=x onerror=alert('zr9008')>"}),
        (school, "/referrals", {"reason": "<script>alert('zr9009')</script>", "upns": "\"><svg onload=zr9010>"}),
        (coord, "/surveys", {"title": "", "intro": "</textarea><script>zr9011</script>"}),
    ]
    n = 0
    for c, path, fields in probes:
        r = c.form(path, fields)
        n += 1
        if r.status >= 500:
            report("status", f"POST {path}", f"HTTP {r.status}")
        check_headers(c.email, f"POST {path}", r, report)
        if "html" in (r.header("Content-Type") or ""):
            check_html(f"POST {path}", r.body.decode("utf-8", "replace"), report)
    fref = ids["families"][0]
    for back in ("/cases/C-1\r\nSet-Cookie: injected=zr9012", "/cases/C-1%0d%0aSet-Cookie:%20injected=zr9013",
                 "https://evil.example/zr9014", "//evil.example/zr9015"):
        r = school.form(f"/families/{fref}/consents", {"consent.basis": "not_sought",
                                                        "consent.lawful_basis": "public_task",
                                                        "consent.lawful_basis_note": "crawl", "back": back})
        n += 1
        if r.status != 303:
            report("status", f"POST /families/{fref}/consents", f"HTTP {r.status}, not 303")
        elif not r.header("Location"):
            report("header", f"POST /families/{fref}/consents (field back={back!r})",
                   "303 without a Location: the hostile back value reached the header and the"
                   " server library dropped it")
        check_headers("school", f"POST /families/{fref}/consents back={back!r}", r, report)
        loc = r.header("Location") or ""
        if loc.startswith(("http:", "https:", "//")):
            report("header", f"POST /families/{fref}/consents", f"open redirect to {loc!r}")
        if r.status >= 500:
            report("status", f"POST /families/{fref}/consents", f"HTTP {r.status}")
    return n


# ---- the crawl -----------------------------------------------------------------------------------

FILL = {"cases": "cases", "referrals": "referrals", "screening": "referrals", "pupils": "upn",
        "workers": "workers", "agencies": "agencies", "services": "services", "budgets": "budgets",
        "commissions": "commissions", "surveys": "surveys", "history": "history", "imports": "imports",
        "assessments": "assessments", "actions": "actions", "meetings": "meetings", "rules": "rules",
        "families": "families", "progress": "progress"}


def route_urls(hearth, ids):
    """Every GET route of the table with its {params} filled."""
    out = subprocess.run([hearth, "routes"], capture_output=True, text=True, check=True).stdout
    fill = FILL
    urls = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 6 or f[0] != "GET" or f[5] == "asset" or f[1].startswith(SKIP):
            continue
        segs = f[1].split("/")
        choices = [[]]
        for i, s in enumerate(segs):
            if s.startswith("{"):
                key = fill.get(segs[i - 1])
                vals = ids.get(key) or []
                if not vals:
                    choices = []
                    break
                choices = [c + [v] for c in choices for v in vals[:3]]
            else:
                choices = [c + [s] for c in choices]
        urls += ["/".join(c) for c in choices]
    # every route again with hostile values in the query parameters pages echo
    n = 9500
    for u in list(urls):
        n += 1
        v = f"\"><script>alert('zr{n}')</script>"
        urls.append(u + "?" + urllib.parse.urlencode(
            [(k, v) for k in ("done", "saved", "decided", "sent", "q", "school", "status", "worker",
                              "band", "year", "from", "to", "months", "user", "action", "next", "upn")]))
    for n, path in enumerate(("/cases/\"><script>zr9401</script>", "/api/v1/cases/<script>zr9402</script>",
                              "/no/such/<script>zr9403</script>", "/referrals/R-<svg onload=zr9404>",
                              "/pupils/<img src=x onerror=zr9405>", "/surveys/1'\"><script>zr9406")):
        urls.append(urllib.parse.quote(path, safe="/"))
    return urls


def same_origin(base, href, port):
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "webcal:", "data:")):
        return None
    u = urllib.parse.urljoin(f"http://127.0.0.1:{port}" + base, href)
    p = urllib.parse.urlparse(u)
    if p.netloc != f"127.0.0.1:{port}" or p.scheme != "http":
        return None
    path = p.path + ("?" + p.query if p.query else "")
    if p.path.startswith(SKIP) or p.path in ("/logout",):
        return None
    return path


def crawl_role(role, client, start, port, report, shown, hot_words=()):
    """Breadth first from start; links found on a page that shows one of
    our markers, or naming one of our records, go first."""
    seen = set()
    per_path = {}
    hot, cold = [], []

    def push(u, urgent=False):
        if not u or u in seen:
            return
        path = u.split("?")[0]
        if "?" in u:
            if per_path.get(path, 0) >= MAX_QUERIES_PER_PATH:
                return
            per_path[path] = per_path.get(path, 0) + 1
        seen.add(u)
        (hot if urgent or any(w in path for w in hot_words) else cold).append(u)

    for u in start:
        push(u, True)
    counts = {}
    done = 0
    probe = [9100]

    def fetch(u):
        try:
            r = client.raw("GET", u, headers={"Accept": "text/html,application/json"})
        except (OSError, http.client.HTTPException) as e:
            return u, None, str(e)
        return u, r, None

    with ThreadPoolExecutor(THREADS) as pool:
        while (hot or cold) and done < PAGES:
            n = min(8 * THREADS, PAGES - done)
            batch = hot[:n]
            del hot[:n]
            if len(batch) < n:
                k = n - len(batch)
                batch += cold[:k]
                del cold[:k]
            for u, r, err in pool.map(fetch, batch):
                done += 1
                if err:
                    report("status", u, f"no answer: {err}")
                    continue
                if r.status >= 500:
                    report("status", u, f"HTTP {r.status}")
                check_headers(role, u, r, report)
                ctype = (r.header("Content-Type") or "").lower()
                kind = ctype.split(";")[0]
                counts[kind] = counts.get(kind, 0) + 1
                if "text/html" in ctype:
                    text = r.body.decode("utf-8", "replace")
                    scan = check_html(u, text, report)
                    body_text = "\n".join(scan.text)
                    urgent = "zq" in body_text
                    for h in scan.links:
                        push(same_origin(u, h, port), urgent)
                    for f in scan.forms:
                        if f["method"] != "get":
                            continue
                        act = f["action"] or u.split("?")[0]
                        q = urllib.parse.urlencode(f["fields"])
                        push(same_origin(u, act + ("?" + q if q else ""), port), urgent)
                        if f["text"]:
                            probe[0] += 1
                            hostile = [(n, f"\"><script>alert('zr{probe[0]}')</script>" if n in f["text"] else v)
                                       for n, v in f["fields"]]
                            push(same_origin(u, act + "?" + urllib.parse.urlencode(hostile), port), True)
                elif "json" in ctype:
                    body_text = check_json(u, r.body.decode("utf-8", "replace"), report)
                elif "text/csv" in ctype:
                    body_text = check_csv(u, r.body.decode("utf-8-sig", "replace"), report)
                elif "spreadsheetml" in ctype:
                    body_text = check_xlsx(u, r.body, report)
                elif "calendar" in ctype:
                    body_text = check_ics(u, r.body.decode("utf-8", "replace"), report)
                else:
                    body_text = r.body.decode("utf-8", "replace")
                    if MARK.search(body_text) and r.status != 303:
                        report("type", u, f"marker in a {ctype or 'untyped'} answer")
                    if "text/html" not in ctype and RAW_TAG.search(body_text):
                        report("type", u, f"raw markup in a {ctype or 'untyped'} answer")
                if "text/html" in ctype:
                    for m in markers_in(body_text):
                        shown.setdefault(m, set()).add(role)
                        met("html")
                # a JSON answer must say so: never HTML-sniffable
                if u.startswith("/api/") and r.status != 204 and "json" not in ctype:
                    report("type", u, f"API answer with Content-Type {ctype!r}")
    return done, counts, len(hot) + len(cold)


def main():
    args = sys.argv[1:]
    if len(args) != 1:
        print(__doc__)
        print("crawl: 0 passed, 1 failed")
        return 1
    hearth = os.path.abspath(args[0])
    tmp = tempfile.mkdtemp(prefix="hearth-crawl-")
    dbfile = f"{tmp}/crawl.db"
    url = f"sqlite:{dbfile}"
    env = dict(os.environ, HEARTH_DEMO_PUPILS=os.environ.get("HEARTH_DEMO_PUPILS", "2000"))
    srv = Server(hearth, url, env, args=["--quiet", "--threads", str(THREADS)])
    t0 = time.time()
    try:
        subprocess.run([hearth, "demo", "--db", url], check=True, capture_output=True, env=env)
        srv.start()
        port = srv.port
        ids = {}
        clients = plant_all(port, dbfile, hearth, url, ids)
        time.sleep(0.5)   # the import job and other work finished after the answer
        note(f"planted {len(P.items)} hostile values in {time.time() - t0:.1f} s")

        # storage: byte for byte
        stored = {}
        con = sqlite3.connect(dbfile, timeout=30)
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cols = [c[1] for c in con.execute(f'PRAGMA table_info("{table}")')]
            sel = ", ".join(f'"{c}"' for c in cols)
            for row in con.execute(f'SELECT {sel} FROM "{table}"'):
                for col, v in zip(cols, row):
                    if isinstance(v, str) and "zq" in v:
                        for m in markers_in(v):
                            stored.setdefault(m, []).append((table, col, v))
        con.close()
        for item in P.items:
            cells = stored.get(item["marker"], [])
            exact = [f"{t}.{c}" for t, c, v in cells if v == item["value"]]
            if exact:
                ok(f"stored verbatim: {item['label']} ({item['marker']} in {exact[0]})")
            elif cells:
                fail(f"not stored verbatim: {item['label']}: sent {item['value']!r}, "
                     f"{cells[0][0]}.{cells[0][1]} holds {cells[0][2]!r}")
            else:
                fail(f"not stored at all: {item['label']} ({item['marker']})")

        # findings, one FAIL line each (deduplicated by where and what)
        findings = {}
        flock = threading.Lock()

        def reporter(role):
            def report(kind, where, what):
                path = re.sub(r"/(?:[A-Z]-\d+|\d+)(?=/|$|\?)", "/{id}", where.split("?")[0])
                key = (kind, path, re.sub(r"z[qr]\d{4}", "M", what)[:60])
                with flock:
                    if key in findings:
                        findings[key][1].add(role)
                        return
                    findings[key] = [f"{kind}: {where} — {what}", {role}]
            return report

        n = probe_posts(port, clients, ids, reporter("forms"))
        note(f"{n} hostile form posts and redirect targets sent")
        starts = ["/"] + route_urls(hearth, ids)
        hot_words = {f"/{seg}/{v}" for seg, key in FILL.items() for v in ids.get(key) or []}
        shown = {}
        total = 0
        for role in ROLES:
            c = clients.get(role) or Client(port, f"{role}@hearth.example")
            before = len(findings)
            t1 = time.time()
            done, counts, left = crawl_role(role, c, starts, port, reporter(role), shown, hot_words)
            total += done
            kinds = ", ".join(f"{v} {k.split('/')[-1] or '?'}" for k, v in sorted(counts.items()))
            msg = f"{role}: {done} pages crawled ({kinds}) in {time.time() - t1:.1f} s" + \
                  (f", {left} more left unvisited (CRAWL_PAGES={PAGES})" if left else "")
            if len(findings) == before:
                ok(msg + ", no unescaped output")
            else:
                note(msg)
        # the hostile-named user's own pages
        hc = Client(port, "crawl.cli@hearth.example", "crawl-test-password-1")
        done, _, _ = crawl_role("hostile-named viewer", hc, ["/", "/account/security"], port,
                                reporter("crawl.cli"), shown)
        total += done
        # anonymous: the sign-in page echoes ?next=, a signed-in page redirects there
        q = urllib.parse.quote
        done, _, _ = crawl_role("anonymous", Client(port), [
            "/login?next=" + q("\"><script>alert('zr9601')</script>"),
            "/login?next=" + q("/x\r\nSet-Cookie: injected=zr9602"),
            "/login?next=" + q("//evil.example/zr9603"),
            "/cases/" + q("\"><script>zr9604</script>"), "/pupils?q=" + q("<script>zr9605</script>"),
            "/api/v1/cases?q=" + q("<script>zr9606</script>")], port, reporter("anonymous"), shown)
        total += done
        for line, roles in findings.values():
            fail(f"{line} (as {', '.join(sorted(roles))})")
        kinds = {k for (k, _, _) in findings}
        for kind, what in (("status", "no 5xx answer and no lost connection"),
                           ("header", "no marker, CR/LF or other site in any response header or redirect"),
                           ("html", f"no unescaped marker in HTML ({MET['html']} escaped values met)"),
                           ("json", f"JSON parses, values intact ({MET['json']} planted values met)"),
                           ("csv", f"CSV values verbatim, formulas neutralised ({MET['csv']} cells met)"),
                           ("xlsx", f"XLSX well formed, no formula ({MET['xlsx']} cells met)"),
                           ("type", "every API answer is JSON; no marker in an untyped answer")):
            if kind not in kinds:
                ok(f"{total} answers: {what}")
        for kind, least in (("json", 20), ("csv", 5), ("csv-formula", 3), ("xlsx", 3), ("html", 100)):
            if MET[kind] < least:
                fail(f"the {kind} check met only {MET[kind]} planted values (expected at least {least}):"
                     " it proves little")
        # iCalendar feed (public, the token is the credential)
        if ids.get("calendar"):
            r = Client(port).raw("GET", ids["calendar"])
            bad = []
            check_ics(ids["calendar"], r.body.decode("utf-8", "replace"), lambda k, w, x: bad.append(x))
            item = next((i for i in P.items if i["label"].startswith("booked visit place")), None)
            if r.status != 200:
                fail(f"calendar feed: HTTP {r.status}")
            elif bad:
                fail(f"calendar feed: {bad[0]}")
            elif item and item["marker"] not in r.body.decode("utf-8", "replace"):
                fail("calendar feed: the booked visit with a hostile place is missing")
            else:
                ok("calendar feed: a CR/LF in a visit's place is escaped, no property injected")
        # every planted value was shown somewhere
        unseen = [i for i in P.items if i["shown"] and i["marker"] not in shown]
        for i in unseen:
            fail(f"never shown on a crawled page, so its escaping is unchecked: {i['label']} ({i['marker']})")
        if not unseen:
            ok(f"every one of {sum(1 for i in P.items if i['shown'])} displayed values was seen "
               f"(escaped) on crawled pages")
        note(f"layer time {time.time() - t0:.1f} s")
    except Exception as e:  # noqa: BLE001 — any failure of the harness is a failed test
        import traceback
        traceback.print_exc()
        fail(f"harness: {e}")
    finally:
        srv.stop()
        if not os.environ.get("CRAWL_KEEP"):
            subprocess.run(["rm", "-rf", tmp])
        else:
            note(f"kept {tmp}")
    print(f"crawl: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
