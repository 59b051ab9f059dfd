#!/usr/bin/env python
"""Reads and writes while an indexed field is added to 1,000,000 customers (PostgreSQL).

Creates a scratch database metacrm_bench_online on postgresql://postgres@127.0.0.1:5432
(dropped at the end), migrates the shipped CRM and fills it with --rows customers (one
INSERT ... SELECT generate_series per 200,000 rows, as scope_pg.py does; VACUUM ANALYZE).
Then, twice, each time with its own gunicorn (-w 2 -k gthread --threads 4) on the same
database:

  concurrent      the new behaviour: METACRM_MIGRATION_CONCURRENT_INDEXES=1 (default)
  transaction     the old behaviour: METACRM_MIGRATION_CONCURRENT_INDEXES=0, the column
                  and a plain CREATE INDEX in one transaction

--readers clients send GET /api/customer/<random id>, --writers clients alternate
PATCH /api/customer/<random id> {"annual_revenue": ...} and POST /api/customer, each at
--rate requests a second over its own keep-alive connection (a closed loop: a client whose
request is blocked sends nothing else meanwhile). After --baseline seconds an
administrator posts {"extend": "customer", "fields": {<name>: {"type": "string",
"indexed": true}}} to /api/meta/customizations; the load goes on --tail seconds after the
answer. With --change index the customization is instead an index over two existing,
filled columns ({"extend": "customer", "indexes": [{"fields": ["name", "code"]}]}, then
["code", "name"] for the second behaviour): a longer build. Latencies are grouped by when
the request ran: before the change, during it (overlapping the POST), after it (each
worker then recompiles the definitions once).

Prints p50/p99/max of reads and writes per window, the change's duration, the errors
(there must be none), the ratio of p99 during the change to p99 before, and old/new.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import _common
from _common import Gunicorn, machine_note, percentile, save_result, scratch_postgres, table
from approvals_pg import Client
from scope_pg import seed_customers

DATABASE = "metacrm_bench_online"
SCENARIOS = (("concurrent", "1"), ("transaction", "0"))
WHAT = {"field": "an indexed field", "index": "an index over name and code"}


@dataclass
class Sample:
    kind: str  # read | write
    start: float
    end: float
    status: int

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


@dataclass
class Run:
    name: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    change: tuple[float, float] = (0.0, 0.0)
    change_status: int = 0
    index_valid: bool = False

    def window(self, kind: str, which: str, skip: float) -> list[float]:
        begin, end = self.change
        first = min(s.start for s in self.samples) + skip
        chosen = []
        for s in self.samples:
            if s.kind != kind or s.start < first:
                continue
            overlaps = s.start < end and s.end > begin
            if (which == "during" and overlaps) or (which == "before" and s.end <= begin) or (
                    which == "after" and s.start >= end):
                chosen.append(s.ms)
        return chosen


def client_loop(run: Run, lock: threading.Lock, kind: str, port: int, token: str,
                rows: int, rate: float, stop: threading.Event, seed: int) -> None:
    rnd = random.Random(seed)
    client = Client(port, token)
    interval, due, n = 1.0 / rate, time.perf_counter(), 0
    while not stop.is_set():
        n += 1
        if kind == "read":
            call = ("GET", f"/api/customer/{rnd.randint(1, rows)}", None)
        elif n % 2:
            call = ("PATCH", f"/api/customer/{rnd.randint(1, rows)}",
                    {"annual_revenue": f"{rnd.randrange(10**9) / 100:.2f}"})
        else:
            call = ("POST", "/api/customer", {"name": f"在线定制基准 {seed}-{n}",
                                              "lifecycle": "lead"})
        start = time.perf_counter()
        try:
            status, body = client.call(*call)
        except Exception as exc:  # noqa: BLE001 - counted as an error, the run goes on
            status, body = 0, {"exception": repr(exc)}
            client = Client(port, token)
        end = time.perf_counter()
        with lock:
            run.samples.append(Sample(kind, start, end, status))
            if not 200 <= status < 300:
                run.errors.append(f"{call[0]} {call[1]}: {status} {str(body)[:200]}")
        due = max(due + interval, time.perf_counter())
        stop.wait(max(0.0, due - time.perf_counter()))


def change_of(name: str, change: str) -> tuple[dict, str]:
    """The customization a behaviour posts, and the name of the index it builds."""
    if change == "index":
        fields = ["name", "code"] if name == "concurrent" else ["code", "name"]
        return ({"extend": "customer", "indexes": [{"fields": fields}]},
                f"ix_customer_{'_'.join(fields)}")
    field_name = f"bench_{name}"
    return ({"extend": "customer", "fields": {field_name: {
        "type": "string", "max_length": 60, "indexed": True,
        "label": {"en": "Online benchmark field", "zh": "在线定制基准字段"}}}},
            f"ix_customer_{field_name}")


def measure(name: str, port: int, token: str, args: argparse.Namespace, document: dict) -> Run:
    run, lock, stop = Run(name), threading.Lock(), threading.Event()
    kinds = ["read"] * args.readers + ["write"] * args.writers
    threads = [threading.Thread(target=client_loop, daemon=True,
                                args=(run, lock, kind, port, token, args.rows, args.rate, stop,
                                      i + (1000 if name == "transaction" else 0)))
               for i, kind in enumerate(kinds)]
    for thread in threads:
        thread.start()
    time.sleep(args.warmup + args.baseline)
    admin = Client(port, token)
    begin = time.perf_counter()
    status, body = admin.call("POST", "/api/meta/customizations", document)
    run.change = (begin, time.perf_counter())
    run.change_status = status
    if status != 201:
        run.errors.append(f"POST /api/meta/customizations: {status} {body}")
    time.sleep(args.tail)
    stop.set()
    for thread in threads:
        thread.join(120)
    return run


def index_is_valid(url: str, name: str) -> bool:
    import sqlalchemy as sa

    from metacrm.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = :name"), {"name": name}).scalar())
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0,
                        help="requests a second per client (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured")
    parser.add_argument("--baseline", type=float, default=10.0)
    parser.add_argument("--tail", type=float, default=5.0)
    parser.add_argument("--change", choices=["field", "index"], default="field",
                        help="add an indexed field (default), or index existing columns")
    parser.add_argument("--only", choices=[n for n, _ in SCENARIOS])
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the database {DATABASE} afterwards")
    args = parser.parse_args()

    import sqlalchemy as sa

    from metacrm.platform import Platform

    print(machine_note())
    runs: list[Run] = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        url = stack.enter_context(scratch_postgres(DATABASE, keep=args.keep))
        settings = _common.settings_for(url, tmp / "instance")
        started = time.perf_counter()
        _common.migrate(settings)
        token = _common.admin_token(settings)
        platform = Platform.build(settings)
        users = platform.compiled.metadata.tables["mc_users"]
        with platform.reading() as conn:
            admin = conn.execute(sa.select(users.c.id).where(users.c.username == "admin")
                                 ).scalar_one()
        seed_customers(platform, [admin], args.rows)
        with platform.reading() as conn:
            size = conn.exec_driver_sql(
                "SELECT pg_size_pretty(pg_total_relation_size('customer'))").scalar()
        platform.engine.dispose()
        print(f"seeded {args.rows:,} customers ({size} with indexes) in "
              f"{time.perf_counter() - started:.0f} s")
        for name, flag in SCENARIOS:
            if args.only and name != args.only:
                continue
            env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
                   "METACRM_SECRET_KEY": "bench", "METACRM_RUN_JOBS": "0",
                   "METACRM_MIGRATION_CONCURRENT_INDEXES": flag}
            document, index = change_of(name, args.change)
            with Gunicorn("metacrm.wsgi:app", env, 2, log=tmp / f"gunicorn-{name}.log",
                          extra=["-k", "gthread", "--threads", "4", "--keep-alive", "300"]
                          ) as server:
                _common.wait_for_http(server.port, "/api/customer?limit=1")
                print(f"{name}: {args.readers} readers, {args.writers} writers at "
                      f"{args.rate:g}/s each; the change after {args.warmup + args.baseline:g} s",
                      flush=True)
                run = measure(name, server.port, token, args, document)
            run.index_valid = index_is_valid(url, index)
            runs.append(run)
            print(f"  change: {run.change_status} in {run.change[1] - run.change[0]:.2f} s, "
                  f"{len(run.samples)} requests, {len(run.errors)} errors", flush=True)

    text = report(runs, args, size)
    print("\n" + text)
    print(f"\nsaved to {save_result('online_customization_pg', text)}")
    return 1 if any(r.errors or not r.index_valid for r in runs) else 0


def report(runs: list[Run], args: argparse.Namespace, size: str) -> str:
    rows, p99 = [], {}
    for run in runs:
        for kind in ("read", "write"):
            for which in ("before", "during", "after"):
                values = run.window(kind, which, args.warmup)
                p99[(run.name, kind, which)] = percentile(values, 99)
                rows.append([run.name, kind + "s", which, len(values),
                             f"{percentile(values, 50):.1f}", f"{percentile(values, 99):.1f}",
                             f"{max(values, default=float('nan')):.1f}"])
    lines = [
        (f"online customization on PostgreSQL ({WHAT[args.change]}): "
         f"{args.rows:,} customers ({size}); "
         f"{args.readers} readers + {args.writers} writers at {args.rate:g} requests/s each; "
         "gunicorn -w 2 -k gthread --threads 4; latencies in ms"),
        machine_note(), "",
        table(rows, ["behaviour", "requests", "window", "n", "p50", "p99", "max"]), "",
    ]
    for run in runs:
        lines.append(
            f"{run.name}: the change took {run.change[1] - run.change[0]:.2f} s "
            f"(answer {run.change_status}, index valid: {run.index_valid}); errors: "
            f"{len(run.errors)}" + "".join(f"\n    {e}" for e in run.errors[:5]))
        for kind in ("read", "write"):
            before, during = p99[(run.name, kind, "before")], p99[(run.name, kind, "during")]
            lines.append(f"    {kind}s p99 during / before: {during / before:.1f}")
    if len(runs) == 2:
        for kind in ("read", "write"):
            old, new = p99[("transaction", kind, "during")], p99[("concurrent", kind, "during")]
            lines.append(f"{kind}s p99 during the change, old / new: {old / new:.1f} "
                         f"({old:.0f} ms / {new:.0f} ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
