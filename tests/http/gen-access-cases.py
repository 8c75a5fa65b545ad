#!/usr/bin/env python3
"""Generates tests/http/cases/access-cases.http (the issue-5 access matrix):
   python3 tests/http/gen-access-cases.py > tests/http/cases/access-cases.http"""
ROLES = [
    ("schoolA", "school", "school A (the demo school, Ratae Academy): referred family A"),
    ("schoolB", "access.b@hearth.example access-test-password-1", "school B: referred family B only"),
    ("workerX", "access.x@hearth.example access-test-password-1", "worker X: leads case A"),
    ("workerY", "access.y@hearth.example access-test-password-1", "worker Y: leads case B"),
    ("coordinator", "coordinator", "the coordinator: every referral and case"),
    ("admin", "admin", "the admin: no referrals or cases (least privilege)"),
    ("agency", "agency", "an agency professional: none of these"),
    ("viewer", "viewer", "a viewer: none of these"),
    ("auditor", "auditor", "the auditor: none of these"),
]
SCHOOLS = {"schoolA", "schoolB"}
WORKERS = {"workerX", "workerY"}
OK, F, NF = "ok", "403", "404"

def cap(allowed):
    return lambda role: OK if role in allowed else F

def scoped(mine, others):
    # mine: roles that may see object A; others: roles with the capability that get 404
    return lambda role: OK if role in mine else NF if role in others else F

REFERRALS = SCHOOLS | {"coordinator"}
CASES = WORKERS | {"coordinator"}
A_REF = scoped({"schoolA", "coordinator"}, {"schoolB"})
A_FAMILY = scoped({"schoolA", "workerX", "coordinator"}, {"schoolB", "workerY"})
A_CASE = scoped({"workerX", "coordinator"}, {"workerY"})

# (method, path, kind, expectation, extra checks per role)
ROUTES = [
    ("GET", "/api/v1/referrals", "api", cap(REFERRALS),
     {"schoolA": ["body contains ${ra}", "body not-contains ${rb}"], "schoolB": ["body not-contains ${ra}"]}),
    ("POST", "/api/v1/referrals", "api", cap(REFERRALS), {}),
    ("GET", "/api/v1/referrals/${ra}", "api", A_REF, {}),
    ("GET", "/api/v1/referrals/${rb}", "api", scoped({"schoolB", "coordinator"}, {"schoolA"}), {}),
    ("GET", "/referrals", "page", cap(REFERRALS),
     {"schoolA": ["body contains ${ra}"], "schoolB": ["body not-contains ${ra}", "body not-contains Accessa"]}),
    ("GET", "/referrals/new", "page", cap(SCHOOLS), {}),
    ("POST", "/referrals", "page", cap(SCHOOLS), {}),
    ("GET", "/referrals/${ra}", "page", A_REF, {"schoolA": ["body contains Accessa"]}),
    ("POST", "/families/${fa}/consents", "page", A_FAMILY, {}),
    ("POST", "/families/${fa}/consents/${consa}/withdraw", "page", A_FAMILY, {}),
    ("GET", "/screening", "page", cap({"coordinator"}), {}),
    ("GET", "/screening/${ra2}", "page", cap({"coordinator"}), {}),
    ("POST", "/screening/${ra2}", "page", cap({"coordinator"}), {}),
    ("GET", "/api/v1/screening", "api", cap({"coordinator"}), {}),
    ("GET", "/api/v1/referrals/${ra2}/suggestions", "api", cap({"coordinator"}), {}),
    ("POST", "/api/v1/referrals/${ra2}/decision", "api", cap({"coordinator"}), {}),
    ("GET", "/workers", "page", cap({"coordinator"}), {}),
    ("GET", "/workers/new", "page", cap({"coordinator"}), {}),
    ("POST", "/workers", "page", cap({"coordinator"}), {}),
    ("GET", "/workers/${wx}", "page", cap({"coordinator"}), {}),
    ("POST", "/workers/${wx}", "page", cap({"coordinator"}), {}),
    ("POST", "/workers/${wx}/covers", "page", cap({"coordinator"}), {}),
    ("GET", "/api/v1/workers", "api", cap({"coordinator"}), {}),
    ("GET", "/cases", "page", cap(CASES),
     {"workerX": ["body contains ${ca}"], "workerY": ["body not-contains ${ca}"]}),
    ("GET", "/cases/${ca}", "page", A_CASE, {"workerX": ["body contains Accessa family"]}),
    ("GET", "/cases/${cb}", "page", scoped({"workerY", "coordinator"}, {"workerX"}), {}),
] + [("POST", "/cases/${ca}/" + p, "page", A_CASE, {}) for p in
     ["contacts", "contacts/${kid}/held", "members", "professionals", "review", "step-up",
      "step-down", "transfer", "close"]] + [
    ("GET", "/api/v1/cases", "api", cap(CASES),
     {"workerX": ["body contains ${ca}"], "workerY": ["body not-contains ${ca}"]}),
    ("GET", "/api/v1/cases/${ca}", "api", A_CASE, {}),
] + [("POST", "/api/v1/cases/${ca}/" + p, "api", A_CASE, {}) for p in
     ["contacts", "contacts/${kid}/held", "review", "step-up", "step-down", "transfer", "close"]] + [
    ("GET", "/caseload", "page", cap(WORKERS),
     {"workerX": ["body contains ${ca}"], "workerY": ["body not-contains ${ca}", "body contains ${cb}"]}),
    ("GET", "/api/v1/caseload", "api", cap(WORKERS),
     {"workerX": ["body contains ${ca}"], "workerY": ["body not-contains ${ca}"]}),
    ("POST", "/account/calendar", "page", cap(WORKERS), {}),
    ("POST", "/api/v1/account/calendar", "api", cap(WORKERS), {}),
]

SETUP = r'''# The access matrix of issue 5: every route (pages and API, GET and POST)
# asked by every kind of user about families that are not theirs.  Two
# schools each refer a family (A by the demo school, B by school B); the
# coordinator allocates A to worker X and B to worker Y; a third referral
# from school A waits in the screening queue.  Then each user in turn asks
# every route about family A:
#   allowed  -> GET 200 (201 for a new calendar address); POST with an empty
#               form or {} is refused for what is missing (400/409/422),
#               never for who is asking, so nothing changes;
#   403      -> the role lacks the capability (the dispatcher's refusal);
#   404      -> the role has the capability but family A is not theirs
#               (school B, worker Y): never 403, so nothing is revealed;
# and every 403 and 404 writes exactly one "denied" audit row.  Lists show
# only the caller's own.  Generated from a table (one block per user);
# keep the blocks alike when adding a route.
setup: user add --name "Xena Access" --email access.x@hearth.example --role worker --password access-test-password-1
setup: user add --name "Yusuf Access" --email access.y@hearth.example --role worker --password access-test-password-1
as: admin

--- GET /api/v1/schools
status 200
capture district = json schools.0.district

--- POST /api/v1/schools
body: {"urn":"999541","name":"Access Test School B","phase":"secondary","district":"${district}"}
status 201

--- POST /api/v1/users
body: {"name":"Bea Access","email":"access.b@hearth.example","role":"school","school":"999541","password":"access-test-password-1"}
status 201

--- POST /api/v1/imports?school=999541&date=2026-10-01
header: Content-Type: text/csv
body: <<END
UPN,Forename,Surname,Date of birth,Gender,Year group,Sessions possible,Sessions attended,Address,Postcode
G801999954201,Bo,Accessby,2011-03-04,M,10,200,150,9 Mill Yard,LE3 5AB
END
status 201
json import.rows_applied = 1

--- POST /api/v1/imports?date=2026-10-01
as: school
header: Content-Type: text/csv
body: <<END
UPN,Forename,Surname,Date of birth,Gender,Year group,Sessions possible,Sessions attended,Address,Postcode
V801999954101,Ann,Accessa,2011-05-06,F,10,200,140,2 Weaver Close,LE1 7AB
J801999954102,Cal,Accessc,2012-07-08,M,9,200,160,5 Dyer Street,LE1 7AD
END
status 201
json import.rows_applied = 2

--- POST /api/v1/referrals
body: {"upns":["V801999954101"],"adults":[{"name":"Jo Accessa","relationship":"mother"}],"needs":["attendance"],"level_of_need":2,"reason":"Ann's attendance has fallen to 70%.","consent":{"basis":"consent","given_by":"Jo Accessa","relationship":"mother","scope":["pool","school"],"given_on":"2026-10-01"}}
status 201
capture ra = json referral.ref
capture fa = sql SELECT f.ref FROM families f JOIN referrals r ON r.family_id = f.id WHERE r.ref = :ra
capture consa = sql SELECT c.id FROM consents c JOIN referrals r ON r.id = c.referral_id WHERE r.ref = :ra

--- POST /api/v1/referrals
body: {"upns":["J801999954102"],"adults":[{"name":"Sue Accessc","relationship":"mother"}],"needs":["behaviour"],"level_of_need":2,"reason":"Cal has had two suspensions.","consent":{"basis":"consent","given_by":"Sue Accessc","relationship":"mother","scope":["pool","school"],"given_on":"2026-10-01"}}
status 201
capture ra2 = json referral.ref

--- POST /api/v1/referrals
as: access.b@hearth.example access-test-password-1
body: {"upns":["G801999954201"],"adults":[{"name":"Di Accessby","relationship":"mother"}],"needs":["parenting"],"level_of_need":2,"reason":"Mum asks for help with routines.","consent":{"basis":"consent","given_by":"Di Accessby","relationship":"mother","scope":["pool","school"],"given_on":"2026-10-01"}}
status 201
capture rb = json referral.ref
capture fb = sql SELECT f.ref FROM families f JOIN referrals r ON r.family_id = f.id WHERE r.ref = :rb

# The coordinator makes X's and Y's profiles and allocates A to X, B to Y.
--- GET /api/v1/workers
as: coordinator
status 200
capture ux = sql SELECT id FROM users WHERE email = 'access.x@hearth.example'
capture uy = sql SELECT id FROM users WHERE email = 'access.y@hearth.example'

--- POST /workers
field: name=Xena Access
field: employer=City Early Help
field: kind=family_support
field: hours_per_week=37
field: user_id=${ux}
status 303
capture wx = sql SELECT id FROM workers WHERE user_id = :ux

--- POST /workers
field: name=Yusuf Access
field: employer=City Early Help
field: kind=mentor
field: hours_per_week=37
field: user_id=${uy}
status 303
capture wy = sql SELECT id FROM workers WHERE user_id = :uy

--- POST /api/v1/referrals/${ra}/decision
body: {"decision":"accept","version":1,"worker_id":${wx},"intensity":2}
status 200|201
capture ca = sql SELECT c.ref FROM cases c JOIN referrals r ON r.id = c.referral_id WHERE r.ref = :ra
capture today = sql SELECT opened_on FROM cases WHERE ref = :ca

--- POST /api/v1/referrals/${rb}/decision
body: {"decision":"accept","version":1,"worker_id":${wy},"intensity":2}
status 200|201
capture cb = sql SELECT c.ref FROM cases c JOIN referrals r ON r.id = c.referral_id WHERE r.ref = :rb

# X books a visit to family A and Y one to family B (for the feeds, and
# the "record as held" routes).
--- POST /api/v1/cases/${ca}/contacts
as: access.x@hearth.example access-test-password-1
body: {"at":"${today}T23:45","kind":"home_visit","duration_min":60,"place":"Family home","planned":true,"notes":"Private note about family A"}
status 201
capture kid = sql SELECT max(k.id) FROM contacts k JOIN cases c ON c.id = k.case_id WHERE c.ref = :ca

--- POST /api/v1/cases/${cb}/contacts
as: access.y@hearth.example access-test-password-1
body: {"at":"${today}T23:50","kind":"home_visit","duration_min":45,"place":"Family home","planned":true}
status 201
'''

def step(method, path, kind, exp, extra, role):
    out = [f"--- {method} {path}"]
    if method == "POST":
        out.append("form:" if kind == "page" else "body: {}")
    if exp == OK:
        if method == "GET":
            out.append("status 200")
        elif path.endswith("/calendar"):
            out.append("status 200|201")
        else:
            out.append("status 400|409|422")
        out.append("audit +0 action=denied")
        out += extra.get(role, [])
    else:
        out.append(f"status {exp}")
        if kind == "api":
            out.append('json error.code = "%s"' % ("forbidden" if exp == F else "not_found"))
        out.append("audit +1 action=denied")
        out.append("body not-contains Accessa")
    return "\n".join(out)

def main():
    parts = [SETUP]
    for role, login, who in ROLES:
        parts.append(f"# ==== {who}\n--- GET /\nas: {login}\nstatus 200")
        for (m, p, k, f, extra) in ROUTES:
            parts.append(step(m, p, k, f(role), extra, role))
        if role == "workerX":
            parts.append(FEED_X)
        if role == "workerY":
            parts.append(FEED_Y)
    print("\n\n".join(parts))

FEED_X = r'''# X's calendar feed has family A's visit, not family B's, and no notes.
--- POST /api/v1/account/calendar
status 201
capture xfeed = json url
capture xtoken = body-regex /calendar/([0-9a-f]{64})\.ics

--- GET /calendar/${xtoken}.ics
as: anonymous
status 200
body contains ${fa} Accessa family
body not-contains ${fb}
body not-contains Private note
audit +1 action=view entity=workers entity_id=${wx}'''

FEED_Y = r'''# Y's calendar feed has family B's visit and nothing of family A.
--- POST /api/v1/account/calendar
status 201
capture ytoken = body-regex /calendar/([0-9a-f]{64})\.ics

--- GET /calendar/${ytoken}.ics
as: anonymous
status 200
body contains ${fb} Accessby family
body not-contains ${fa}
audit +1 action=view entity=workers entity_id=${wy}'''

main()
