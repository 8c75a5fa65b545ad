#!/usr/bin/env python3
"""bench/dashboard/baseline.py DIALECT FROM TO [RUNS] — print, for the sqlite3
shell (DIALECT sqlite) or psql (pg), bench/dashboard/baseline.sql for the
period FROM..TO (YYYY-MM-DD), repeated RUNS + 1 times (default 10 + 1), each
statement preceded by a marker line the runner parses:
    @section RUN ID
and timed by the shell (.timer on / \\timing on).  Run 0 is the cold run
(the first in a fresh process); bench/dashboard/run.sh reports it and the
median of the others.  See the header of baseline.sql for the
substitutions made here."""
import calendar
import datetime
import os
import re
import sys


def months(d0, d1):
    """(month 'YYYY-MM', its last day) for every month from d0's to d1's."""
    out, y, m = [], d0.year, d0.month
    while (y, m) <= (d1.year, d1.month):
        out.append((f"{y:04d}-{m:02d}", f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def less_12_months(d):
    day = min(d.day, calendar.monthrange(d.year - 1, d.month)[1])
    return datetime.date(d.year - 1, d.month, day)


def expand(sql, dialect, d0, d1):
    today = datetime.date.today()
    values = {
        ":from": d0.isoformat(), ":tonext": (d1 + datetime.timedelta(days=1)).isoformat(),
        ":to12": less_12_months(d1).isoformat(), ":asof": min(d1, today).isoformat(),
        ":to": d1.isoformat(),
    }
    for k in (":from", ":tonext", ":to12", ":asof", ":to"):
        sql = re.sub(re.escape(k) + r"\b", "'" + values[k] + "'", sql)
    sql = sql.replace("MONTHS", ", ".join(f"('{m}', '{e}')" for m, e in months(d0, d1)))
    if dialect == "sqlite":
        days = r"CAST(julianday(\2) - julianday(\1) AS INTEGER)"
    else:
        days = r"(CAST(\2 AS date) - CAST(\1 AS date))"
    # DAYS(a, b): a has no commas; b may hold one level of parentheses.
    return re.sub(r"DAYS\(([^,()]+(?:\([^()]*\))?),\s*((?:[^()]|\([^()]*\))+)\)", days, sql)


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("sqlite", "pg"):
        sys.exit("usage: baseline.py sqlite|pg FROM TO [RUNS]")
    dialect = sys.argv[1]
    d0, d1 = (datetime.date.fromisoformat(x) for x in sys.argv[2:4])
    runs = int(sys.argv[4]) if len(sys.argv) == 5 else 10
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline.sql")
    text = open(path, encoding="utf-8").read()
    sections = re.findall(r"^-- section: (\S+)\n(.*?)(?=^-- section: |\Z)", text, re.M | re.S)
    out = [".timer on", ".headers off", ".mode list"] if dialect == "sqlite" else \
        ["\\timing on", "\\pset tuples_only on", "\\pset format unaligned"]
    for run in range(runs + 1):
        for sid, body in sections:
            body = "\n".join(l for l in body.splitlines() if not l.startswith("--")).strip()
            out.append((".print" if dialect == "sqlite" else "\\echo") + f" @section {run} {sid}")
            out.append(expand(body, dialect, d0, d1))
    print("\n".join(out))


if __name__ == "__main__":
    main()
