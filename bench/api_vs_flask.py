#!/usr/bin/env python
"""Throughput of metacrm's generated REST API against a hand-written Flask app.

Both apps run under gunicorn (sync workers, -w 2) on 127.0.0.1 against the
SAME database tables, which ``metacrm migrate`` creates and this script seeds
with N customers (SQLAlchemy Core bulk insert). The baseline is
bench/baseline_app.py (Flask + SQLAlchemy Core, same JSON representation,
minimal validation, version bump on PATCH, no audit trail, no autonumber).

Four operations, each driven by wrk with bench/wrk/ops.lua:

  get     GET  /api/customer/<random id>
  list    GET  /api/customer?stage=S&grade=G&sort=-annual_revenue&limit=50
  create  POST /api/customer  {name, stage, grade, lifecycle, annual_revenue, phone, city}
  patch   PATCH /api/customer/<random id>  {"annual_revenue": ...}   (version + 1)

Every request of both apps carries the same administrator's API token
(``Authorization: Bearer``), which each app looks up before doing anything.

--minimal makes the baseline the least a hand-written app can do: it keeps a
token it has found in memory (no query per request) and answers a read asked
for ``fields=`` (without tags) with one SELECT. Two more operations then ask
both apps for the same columns (``FIELDS`` below), besides the full rows:

  get_fields   GET /api/customer/<random id>?fields=FIELDS
  list_fields  GET /api/customer?stage=S&grade=G&sort=-annual_revenue&limit=50&fields=FIELDS

For each operation the two apps are measured one after the other in the same
run (order alternating between rounds), after a short warm-up. Reported:
requests/s per app and the ratio metacrm/baseline (target >= 0.8).

SQLite (a file in a temporary folder) by default; --postgres uses a scratch
database metacrm_bench_api on postgresql://postgres@127.0.0.1:5432 that the
script creates and drops. Needs wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import Gunicorn, machine_note, save_result, scratch_postgres, table

TARGET = 0.8
OPS = ("get", "list", "create", "patch")
FIELD_OPS = ("get_fields", "list_fields")
FIELDS = "id,code,name,stage,grade,lifecycle,annual_revenue,city,owner,version,updated_at"
PREFIX = {"metacrm": "/api/customer", "baseline": "/customer"}


TOKEN = {"value": ""}  # the administrator's API token, sent by every request of both apps


def run_wrk(port: int, op: str, prefix: str, n: int, args, seconds: float) -> dict:
    fields = FIELDS if op in FIELD_OPS else ""
    return _common.run_wrk(port, "ops.lua", [op.removesuffix("_fields"), prefix, str(n),
                                             TOKEN["value"], fields],
                           threads=args.threads, connections=args.connections, seconds=seconds)


def http(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {TOKEN['value']}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def smoke_test(ports: dict[str, int]) -> list[str]:
    """One request of each operation on each app; both must succeed and agree."""
    notes = []
    got = {}
    for app, port in ports.items():
        p = PREFIX[app]
        checks = {
            "get": http(port, "GET", f"{p}/1"),
            "list": http(port, "GET", f"{p}?stage=proposal&grade=A&sort=-annual_revenue"
                                      "&limit=50"),
            "create": http(port, "POST", p, {"name": "smoke 客户", "stage": "proposal",
                                             "grade": "B", "annual_revenue": "10.50",
                                             "phone": "+86 21 5555 0000", "city": "上海"}),
            "patch": http(port, "PATCH", f"{p}/2", {"annual_revenue": "1234.56"}),
        }
        for op, (status, body) in checks.items():
            if status not in (200, 201):
                raise SystemExit(f"{app} {op} answered {status}: {body}")
        got[app] = checks
    m, b = got["metacrm"], got["baseline"]
    if m["get"][1] != b["get"][1]:
        diff = sorted(k for k in set(m["get"][1]) | set(b["get"][1])
                      if m["get"][1].get(k) != b["get"][1].get(k))
        notes.append(f"GET representations differ in: {', '.join(diff)}")
    else:
        notes.append("GET /customer/1: both apps return the identical JSON record")
    m_ids = [r["id"] for r in m["list"][1]["items"]]
    b_ids = [r["id"] for r in b["list"][1]["items"]]
    notes.append("list: both apps return the same 50 ids in the same order" if m_ids == b_ids
                 else "list: the apps return DIFFERENT rows (check the baseline)")
    versions = (m["patch"][1]["version"], b["patch"][1]["version"])
    notes.append(f"patch: versions after the two patches of record 2: {versions} (bumped twice)")
    return notes


def statements_per_request(settings, url: str, minimal: bool
                           ) -> dict[str, dict[str, list[str]]]:
    """In-process (Flask test clients): the SQL statements one request of each op runs."""
    import sqlalchemy as sa

    os.environ["BASELINE_DATABASE_URL"] = url
    os.environ["BASELINE_MINIMAL"] = "1" if minimal else "0"
    import baseline_app

    from metacrm.web.app import create_app

    metacrm_app = create_app(settings)
    apps = {"metacrm": (metacrm_app, metacrm_app.extensions["metacrm"].engine),
            "baseline": (baseline_app.app, baseline_app.engine)}
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:4])[:48])

    found: dict[str, dict[str, list[str]]] = {}
    for name, (app, engine) in apps.items():
        sa.event.listen(engine, "before_cursor_execute", remember)
        client, p = app.test_client(), PREFIX[name]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN['value']}"
        calls = {
            "get": lambda client=client, p=p: client.get(f"{p}/3"),
            "list": lambda client=client, p=p: client.get(
                f"{p}?stage=proposal&grade=A&sort=-annual_revenue"),
            "get_fields": lambda client=client, p=p: client.get(f"{p}/3?fields={FIELDS}"),
            "list_fields": lambda client=client, p=p: client.get(
                f"{p}?stage=proposal&grade=A&sort=-annual_revenue&fields={FIELDS}"),
            "create": lambda client=client, p=p: client.post(p, json={
                "name": "count 客户", "stage": "proposal", "grade": "B",
                "annual_revenue": "1.00"}),
            "patch": lambda client=client, p=p: client.patch(f"{p}/3", json={
                "annual_revenue": f"{time.perf_counter_ns() % 10 ** 9}.25"}),
        }
        for op, call in calls.items():
            call()  # first use: caches, pool
            seen.clear()
            response = call()
            assert response.status_code < 300, response.get_data(as_text=True)
            found.setdefault(op, {})[name] = list(seen)
        sa.event.remove(engine, "before_cursor_execute", remember)
        engine.dispose()
    return found


def audit_count(engine, compiled) -> int:
    import sqlalchemy as sa

    audit = compiled.metadata.tables["mc_audit"]
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit)).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rows", type=int, default=20_000, help="customers to seed")
    parser.add_argument("--baseline-codes", action="store_true",
                        help="the baseline also assigns the gap-free customer code "
                             "(CUS-000042) that metacrm's create assigns")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per app/op")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn -w (sync workers)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measurements per app and op (order alternates)")
    parser.add_argument("--minimal", action="store_true",
                        help="the least a hand-written app can do: tokens kept in memory, "
                             "one statement per read; adds get_fields and list_fields")
    parser.add_argument("--ops", default=None, help="comma-separated subset of "
                        + ",".join(OPS + FIELD_OPS))
    args = parser.parse_args()
    default_ops = OPS[:2] + FIELD_OPS + OPS[2:] if args.minimal else OPS
    ops = [o for o in (args.ops or ",".join(default_ops)).split(",") if o]
    if bad := [o for o in ops if o not in OPS + FIELD_OPS]:
        parser.error(f"unknown ops: {bad}")
    args.rounds = max(1, min(args.rounds, 10))
    args.duration = max(1.0, min(args.duration, 300.0))
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    from metacrm.catalog_loader import load_catalog
    from metacrm.compile.compiled import compile_catalog
    from metacrm.db import make_engine

    database = "PostgreSQL" if args.postgres else "SQLite"
    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        if args.postgres:
            url = stack.enter_context(scratch_postgres("metacrm_bench_api"))
        else:
            url = f"sqlite:///{tmp / 'bench.sqlite'}"
        settings = _common.settings_for(url, tmp / "instance")
        started = time.perf_counter()
        _common.migrate(settings)
        TOKEN["value"] = _common.admin_token(settings)
        compiled = compile_catalog(load_catalog(settings.bundles))
        engine = make_engine(url)
        _common.seed_customers(engine, compiled, args.rows)
        if args.postgres:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"{database}: migrated and seeded {args.rows} customers in "
              f"{time.perf_counter() - started:.1f} s")

        env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
               "METACRM_SECRET_KEY": "bench", "BASELINE_DATABASE_URL": url,
               # The pool's return job would hand the seeded, idle customers back to the
               # pool during the run: the rows the two apps read must stay the same.
               "METACRM_RUN_JOBS": "0",
               "BASELINE_GAPFREE_CODE": "1" if args.baseline_codes else "0",
               "BASELINE_MINIMAL": "1" if args.minimal else "0"}
        servers = {
            "metacrm": stack.enter_context(Gunicorn("metacrm.wsgi:app", env, args.workers,
                                                    log=tmp / "metacrm.log")),
            "baseline": stack.enter_context(Gunicorn("baseline_app:app", env, args.workers,
                                                     log=tmp / "baseline.log")),
        }
        ports = {name: s.port for name, s in servers.items()}
        for name, port in ports.items():
            try:
                _common.wait_for_http(port, f"{PREFIX[name]}/1")
            except RuntimeError:
                print((tmp / f"{name}.log").read_text()[-3000:])
                raise
        notes = smoke_test(ports)
        statements = statements_per_request(settings, url, args.minimal)

        results: dict[tuple[str, str], list[dict]] = {}
        metacrm_writes = 0
        for op in ops:
            for app in ("metacrm", "baseline"):  # warm both before measuring either
                run_wrk(ports[app], op, PREFIX[app], args.rows, args, args.warmup)
            for rnd in range(args.rounds):
                order = ("metacrm", "baseline") if rnd % 2 == 0 else ("baseline", "metacrm")
                for app in order:
                    before = audit_count(engine, compiled) if app == "metacrm" else 0
                    result = run_wrk(ports[app], op, PREFIX[app], args.rows, args,
                                     args.duration)
                    if app == "metacrm" and op in ("create", "patch"):
                        result["audit_rows"] = audit_count(engine, compiled) - before
                        metacrm_writes += result["requests"] - result["non2xx"]
                    results.setdefault((op, app), []).append(result)
                    print(f"  {op:6s} {app:8s} {result['rps']:8.1f} req/s  "
                          f"p50 {result['lat_p50_us'] / 1000:6.1f} ms  "
                          f"p99 {result['lat_p99_us'] / 1000:6.1f} ms  "
                          f"non-2xx {result['non2xx']}", flush=True)
        audit_written = sum(r.get("audit_rows", 0) for rs in results.values() for r in rs)
        engine.dispose()

    rows = []
    ratios = []
    for op in ops:
        m = results[(op, "metacrm")]
        b = results[(op, "baseline")]
        m_rps = sum(r["rps"] for r in m) / len(m)
        b_rps = sum(r["rps"] for r in b) / len(b)
        ratio = m_rps / b_rps if b_rps else float("nan")
        ratios.append(ratio)
        errors = sum(r["non2xx"] + r["socket_errors"] for r in m + b)
        rows.append([op, f"{m_rps:.0f}", f"{b_rps:.0f}", f"{ratio:.2f}",
                     f"{sum(r['lat_p50_us'] for r in m) / len(m) / 1000:.1f}",
                     f"{sum(r['lat_p50_us'] for r in b) / len(b) / 1000:.1f}",
                     errors, "ok" if ratio >= TARGET else "MISSED"])
    baseline = "minimal hand-written" if args.minimal else "hand-written"
    report = [
        (f"metacrm vs {baseline} Flask, {database}, {args.rows} customers, gunicorn -w "
        f"{args.workers} (sync), wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s x {args.rounds} round(s)"),
        machine_note(), "",
        table(rows, ["op", "metacrm req/s", "baseline req/s", "ratio", "metacrm p50 ms",
                     "baseline p50 ms", "errors", f">= {TARGET}"]), "",
        "ratio = metacrm / baseline requests per second (target >= 0.8)",
        *([f"- get_fields and list_fields ask both apps for fields={FIELDS}"]
          if any(op in FIELD_OPS for op in ops) else []),
        *[f"- {n}" for n in notes],
        (f"- metacrm's audit trail is INCLUDED in its create/patch figures: {audit_written} "
        f"audit rows written during its {metacrm_writes} successful measured writes; "
        "the baseline writes none."),
        ("- metacrm also does per write: autonumber (customer.code), payload schema, "
        "validation rule, row lock (SELECT ... FOR UPDATE on PostgreSQL) and a re-read."),
    ]
    report += ["", ("SQL statements per request (in-process, one request each; BEGIN shown, "
               "COMMIT not):")]
    for op, by_app in statements.items():
        for app, seen in by_app.items():
            report.append(f"  {op:6s} {app:8s} {len(seen)}: " + " | ".join(seen))
    text = "\n".join(report)
    print("\n" + text)
    db = "pg" if args.postgres else "sqlite"
    print(f"\nsaved to {save_result(f'api_vs_flask-{db}', text)}")


if __name__ == "__main__":
    sys.exit(main())
