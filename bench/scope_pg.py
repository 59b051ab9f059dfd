#!/usr/bin/env python
"""The cost of a record scope: a salesperson's list vs an administrator's, on PostgreSQL.

Creates a scratch database metacrm_bench_scope on postgresql://postgres@127.0.0.1:5432
(dropped at the end), migrates the shipped CRM plus a small bundle with one role,
``bench_rep``, whose customer scope is ``subordinates`` (own and subordinates'),
and fills it with:

  500 users in a 4-level reporting line: 1 director, 10 managers (under the
      director), 50 team leads (5 per manager), 439 salespeople (about 9 per lead);
      every user has the role ``bench_rep``;
  1,000,000 customers, held by the 500 users evenly (about 2,000 each), one
      INSERT ... SELECT generate_series per 200,000 rows, then VACUUM ANALYZE.

Then times GET /api/customer?limit=50 (the default order: -updated_at) for

  admin        an administrator: no scope at all
  salesperson  a salesperson at the bottom of the line (own records only)
  team lead    level 3: own and ~9 salespeople's
  manager      level 2: own and ~54 people's
  director     level 1: everyone (the scope matches every row)

both in the engine (parse_list_query + list_records on a pooled connection) and as
whole requests through the Flask test client with a Bearer token (authentication,
routing, SQL, JSON). Samples are interleaved so drift hits every case alike.
Prints p50/p95 per case, each scoped case's p50 as a ratio of the admin's, and the
EXPLAIN ANALYZE of the salesperson's list statement.

Target: the salesperson's list within 1.3x of the administrator's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import machine_note, percentile, save_result, scratch_postgres, table

TARGET_RATIO = 1.3
ROLE = """
role: bench_rep
label: Benchmark salesperson
permissions:
  customer:
    operations: [read, create, update]
    scope: subordinates
"""


def make_users(platform) -> dict[str, list[int]]:
    """The 4-level line; returns the user ids per level."""
    import sqlalchemy as sa
    from metacrm.base.context import utcnow

    users = platform.compiled.metadata.tables["mc_users"]
    roles = platform.compiled.metadata.tables["mc_user_roles"]
    levels: dict[str, list[int]] = {}
    with platform.writing() as conn:
        def add(name: str, manager: int | None) -> int:
            uid = conn.execute(users.insert().values(
                username=name, name=name, created_at=utcnow(), manager_id=manager)
                .returning(users.c.id)).scalar_one()
            conn.execute(roles.insert().values(user_id=uid, role="bench_rep"))
            return int(uid)

        director = add("director", None)
        levels["director"] = [director]
        levels["manager"] = [add(f"manager{i}", director) for i in range(10)]
        levels["lead"] = [add(f"lead{i}", levels["manager"][i // 5]) for i in range(50)]
        levels["salesperson"] = [add(f"rep{i}", levels["lead"][i % 50]) for i in range(439)]
        admin = conn.execute(users.insert().values(
            username="admin", name="admin", created_at=utcnow(), is_admin=True)
            .returning(users.c.id)).scalar_one()
        levels["admin"] = [int(admin)]
        total = conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()
    assert total == 501, total  # 500 in the line, plus the administrator
    return levels


def seed_customers(platform, owners: list[int], rows: int, chunk: int = 200_000) -> None:
    import sqlalchemy as sa

    compiled = platform.compiled
    model = compiled.models["customer"]
    rollups = [f.name for f in model.entity.fields.values() if f.type == "rollup"]
    rollup_values = [("0" if model.entity.fields[n].aggregate in ("count", "sum") else "NULL")
                     for n in rollups]
    grades = _common.option_values(compiled, "customer", "grade")
    owner_array = "ARRAY[" + ",".join(str(o) for o in owners) + "]"
    columns = ["version", "created_at", "updated_at", "name", "code", "grade", "lifecycle",
               "owner", "owner_since", "annual_revenue", *rollups]
    grade = (f"(ARRAY[{','.join(repr(x) for x in grades)}])"
             f"[1 + (hashint4(g + 13) & 2147483647) % {len(grades)}]")
    values = ["1", "ts", "ts", "'基准客户 ' || g", "'CUS-' || g", grade,
              "'lead'", f"({owner_array})[1 + (hashint4(g) & 2147483647) % {len(owners)}]",
              "ts", "round(((hashint4(g + 7) & 2147483647) % 100000000)::numeric, 2)",
              *rollup_values]
    insert = sa.text(
        f"INSERT INTO customer ({', '.join(columns)}) SELECT {', '.join(values)} FROM ("
        "  SELECT g, now() - make_interval(mins => (hashint4(g + 29) & 2147483647) % 1000000)"
        "    AS ts FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g) AS s")
    for lo in range(1, rows + 1, chunk):
        hi = min(lo + chunk - 1, rows)
        with platform.engine.begin() as conn:
            conn.execute(insert, {"lo": lo, "hi": hi})
        print(f"  inserted {hi:,} rows", flush=True)
    _common.set_counter(platform.engine, compiled.metadata.tables["mc_sequences"],
                        "customer.code", rows)
    with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE customer")
        conn.exec_driver_sql("VACUUM ANALYZE mc_users")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300, help="timed lists per case")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database metacrm_bench_scope afterwards")
    args = parser.parse_args()

    from metacrm.base.context import Principal
    from metacrm.config import default_bundle_path
    from metacrm.identity.tokens import create_token
    from metacrm.platform import Platform
    from metacrm.runtime.access import Viewer
    from metacrm.runtime.query import parse_list_query
    from metacrm.runtime.reads import list_records
    from metacrm.web.app import create_app

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        bundle = tmp / "bench_roles"
        (bundle / "roles").mkdir(parents=True)
        (bundle / "bundle.yaml").write_text("bundle: bench\nversion: 1.0.0\nrequires: [crm]\n")
        (bundle / "roles" / "bench_rep.yaml").write_text(textwrap.dedent(ROLE))
        url = stack.enter_context(scratch_postgres("metacrm_bench_scope", keep=args.keep))
        settings = _common.settings_for(url, tmp / "instance",
                                        [default_bundle_path(), str(bundle)])
        started = time.perf_counter()
        _common.migrate(settings)
        platform = Platform.build(settings)
        levels = make_users(platform)
        line = [uid for level in ("director", "manager", "lead", "salesperson")
                for uid in levels[level]]
        seed_customers(platform, line, args.rows)
        print(f"seeded {len(line)} users and {args.rows:,} customers in "
              f"{time.perf_counter() - started:.0f} s")
        compiled = platform.compiled
        model = compiled.models["customer"]
        who = {"admin": levels["admin"][0], "salesperson": levels["salesperson"][0],
               "team lead": levels["lead"][0], "manager": levels["manager"][0],
               "director": levels["director"][0]}
        principals = {name: Principal(uid, frozenset() if name == "admin"
                                      else frozenset({"bench_rep"}), name == "admin")
                      for name, uid in who.items()}
        app = create_app(settings, platform)
        client = app.test_client()
        tokens = {}
        with platform.writing() as conn:
            for name, uid in who.items():
                tokens[name], _ = create_token(conn, compiled.metadata, uid, "bench")

        def engine_list(name: str) -> dict:
            with platform.reading() as conn:
                viewer = Viewer(compiled, principals[name], conn)
                query = parse_list_query({"limit": ["50"]}, model, viewer,
                                         model.entity.default_sort)
                return list_records(conn, viewer, model, query)

        def request_list(name: str) -> None:
            response = client.get("/api/customer?limit=50",
                                  headers={"Authorization": f"Bearer {tokens[name]}"})
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        sizes = {name: len(engine_list(name)["items"]) for name in who}
        assert all(size == 50 for size in sizes.values()), sizes
        cases = [(where, name) for where in ("engine", "request") for name in who]
        calls = {("engine", n): (lambda n=n: engine_list(n)) for n in who}
        calls.update({("request", n): (lambda n=n: request_list(n)) for n in who})
        for case in cases:
            for _ in range(20):  # warm plans and buffers
                calls[case]()
        timings: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
        for _ in range(args.samples):
            for case in cases:
                start = time.perf_counter()
                calls[case]()
                timings[case].append((time.perf_counter() - start) * 1000)

        capture = _Capture(platform.engine)
        capture.on = True
        engine_list("salesperson")
        capture.on = False
        statement, parameters = next(s for s in capture.statements if "ORDER BY" in s[0])
        with platform.reading() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                        parameters).scalars().all()

    rows, ratios = [], {}
    for where, name in cases:
        values = timings[(where, name)]
        p50 = percentile(values, 50)
        ratio = p50 / percentile(timings[(where, "admin")], 50)
        ratios[(where, name)] = ratio
        rows.append([where, name, f"{p50:.2f}", f"{percentile(values, 95):.2f}",
                     f"{ratio:.2f}"])
    headline = max(ratios[("engine", "salesperson")], ratios[("request", "salesperson")])
    report = [
        (f"record scopes on PostgreSQL: {args.rows:,} customers, 500 users in a 4-level line "
         f"(scope: own and subordinates'), list of 50 by -updated_at; {args.samples} samples "
         "per case (ms)"),
        machine_note(), "",
        table(rows, ["measured", "caller", "p50", "p95", "p50 / admin"]), "",
        (f"salesperson / admin: {headline:.2f} (target <= {TARGET_RATIO}: "
         f"{'ok' if headline <= TARGET_RATIO else 'MISSED'})"), "",
        "--- the salesperson's list statement:", statement, str(parameters), "",
        "\n".join(plan),
    ]
    text = "\n".join(report)
    print("\n" + text)
    print(f"\nsaved to {save_result('scope_pg', text)}")


class _Capture:
    def __init__(self, engine):
        import sqlalchemy as sa

        self.statements: list[tuple[str, object]] = []
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._hook)

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((statement, parameters))


if __name__ == "__main__":
    sys.exit(main())
