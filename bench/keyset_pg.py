#!/usr/bin/env python
"""Latency of the list query on PostgreSQL with 1,000,000 customers: page 1 vs page 10,000.

Creates a scratch database metacrm_bench_keyset on postgresql://postgres@127.0.0.1:5432
(dropped at the end), migrates it with metacrm and fills ``customer`` with one
INSERT ... SELECT generate_series per 200,000 rows, then ANALYZE. 60% of the rows
have stage=negotiation, grade=A so that the benchmark's filter reaches page 10,000
(50 rows a page); the rest spread over every stage and grade.

Measured in-process, against the engine (no HTTP):

  engine  runtime.query.parse_list_query + runtime.reads.list_records on a pooled
          connection: what the server spends on the query
  request the whole request through the Flask test client of create_app(settings)
          (routing, parsing, SQL, serializing 50 records to JSON)

for GET /api/customer?stage=negotiation&grade=A&sort=-annual_revenue&limit=50, first
page and page 10,000: the cursor of page 10,000 is reached by walking the keyset
(999 pages of 500, then 9 of 50) once, checked against OFFSET 499,950, then the
next page is fetched repeatedly with it. Prints p50/p95 and the EXPLAIN ANALYZE of
the SQL each page runs.

Targets: engine p50 < 15 ms; page 10,000 about as fast as page 1 (ratio < 1.5).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import machine_note, percentile, save_result, scratch_postgres, table

TARGET_P50_MS = 15.0
TARGET_RATIO = 1.5
FILTER = {"stage": ["negotiation"], "grade": ["A"], "sort": ["-annual_revenue"]}


def seed_sql(engine, compiled, rows: int, chunk: int = 200_000) -> None:
    """INSERT ... SELECT generate_series in chunks; values satisfy the definitions."""
    import sqlalchemy as sa

    model = compiled.models["customer"]
    stages = _common.option_values(compiled, "customer", "stage")
    grades = _common.option_values(compiled, "customer", "grade")
    lifecycles = _common.option_values(compiled, "customer", "lifecycle")
    industries = _common.option_values(compiled, "customer", "industry")

    def array(values: list[str]) -> str:
        return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"

    def pick(values: list[str], salt: int) -> str:
        # deterministic spread: a hash of the row number, not random()
        return f"({array(values)})[1 + (hashint4(g + {salt}) & 2147483647) % {len(values)}]"

    rollups = [f.name for f in model.entity.fields.values() if f.type == "rollup"]
    rollup_values = [("0" if model.entity.fields[n].aggregate in ("count", "sum") else "NULL")
                     for n in rollups]
    columns = ["version", "created_at", "updated_at", "created_by", "updated_by", "name",
               "code", "industry", "grade", "stage", "lifecycle", "owner", "phone", "email",
               "city", "annual_revenue", "employees", *rollups]
    skewed = "(hashint4(g) & 2147483647) % 10 < 6"
    values = [
        "1", "ts", "ts", ":admin", ":admin",
        "'基准客户 ' || g || ' 有限公司'",
        "'CUS-' || CASE WHEN g < 1000000 THEN lpad(g::text, 6, '0') ELSE g::text END",
        pick(industries, 11),
        f"CASE WHEN {skewed} THEN 'A' ELSE {pick(grades, 13)} END",
        f"CASE WHEN {skewed} THEN 'negotiation' ELSE {pick(stages, 17)} END",
        pick(lifecycles, 19), ":admin",
        "'+86 21 ' || lpad((g % 100000000)::text, 8, '0')",
        "'c' || g || '@bench.example.com'", "'上海'",
        "round(((hashint8(g::bigint) & 4611686018427387903) % 5000000000000)::numeric / 100, 2)",
        "1 + (hashint4(g + 23) & 2147483647) % 20000",
        *rollup_values,
    ]
    insert = sa.text(
        f"INSERT INTO customer ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM ("
        "  SELECT g, now() - make_interval(mins => (hashint4(g + 29) & 2147483647) % 1000000)"
        "    AS ts FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g) AS s")
    users = compiled.metadata.tables["mc_users"]
    with engine.begin() as conn:
        admin = conn.execute(sa.select(sa.func.min(users.c.id))).scalar_one()
    for lo in range(1, rows + 1, chunk):
        hi = min(lo + chunk - 1, rows)
        with engine.begin() as conn:
            conn.execute(insert, {"lo": lo, "hi": hi, "admin": admin})
        print(f"  inserted {hi:,} rows", flush=True)
    _common.set_counter(engine, compiled.metadata.tables["mc_sequences"], "customer.code",
                        rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE customer")


class Capture:
    """Remembers the SQL statements (with parameters) run on an engine."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.statements: list[tuple[str, object]] = []
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._hook)

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((statement, parameters))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="timed fetches per case")
    parser.add_argument("--page", type=int, default=10_000,
                        help="deep page number (50 rows a page)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database metacrm_bench_keyset afterwards")
    args = parser.parse_args()
    args.samples = max(5, min(args.samples, 5000))
    deep_offset = (args.page - 1) * 50
    if deep_offset + 50 > args.rows * 0.6 * 0.95:
        parser.error(f"--rows {args.rows} is too few for page {args.page}")

    import sqlalchemy as sa

    from metacrm.base.context import Principal
    from metacrm.platform import Platform
    from metacrm.runtime.access import Viewer
    from metacrm.runtime.query import parse_list_query
    from metacrm.runtime.reads import list_records
    from metacrm.web.app import create_app

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        url = stack.enter_context(scratch_postgres("metacrm_bench_keyset", keep=args.keep))
        settings = _common.settings_for(url, tmp / "instance")
        started = time.perf_counter()
        _common.migrate(settings)
        token = _common.admin_token(settings)  # also the seeded records' creator
        platform = Platform.build(settings)
        compiled = platform.compiled
        seed_sql(platform.engine, compiled, args.rows)
        print(f"seeded {args.rows:,} customers in {time.perf_counter() - started:.0f} s")
        model = compiled.models["customer"]
        table_ = model.table
        with platform.reading() as conn:
            matching = conn.execute(sa.select(sa.func.count()).select_from(table_).where(
                table_.c.stage == "negotiation", table_.c.grade == "A")).scalar_one()
        capture = Capture(platform.engine)

        admin = Principal(None, admin=True)

        def engine_page(args_: dict, limit: int = 50) -> dict:
            with platform.reading() as conn:
                viewer = Viewer(compiled, admin, conn)
                query = parse_list_query({**args_, "limit": [str(limit)]}, model, viewer,
                                         model.entity.default_sort)
                return list_records(conn, viewer, model, query)

        # walk the keyset to the deep page once
        walk_start = time.perf_counter()
        cursor = None
        walked = 0
        for limit, pages in ((500, deep_offset // 500), (50, (deep_offset % 500) // 50)):
            for _ in range(pages):
                page = engine_page({**FILTER, **({"cursor": [cursor]} if cursor else {})},
                                   limit)
                walked += len(page["items"])
                cursor = page["next_cursor"]
        walk_seconds = time.perf_counter() - walk_start
        deep_args = {**FILTER, "cursor": [cursor]}
        first_deep = engine_page(deep_args)["items"][0]["id"]
        with platform.reading() as conn:
            by_offset = conn.execute(
                sa.select(table_.c.id).where(table_.c.deleted_at.is_(None),
                                             table_.c.stage == "negotiation",
                                             table_.c.grade == "A")
                .order_by(table_.c.annual_revenue.desc().nulls_first(), table_.c.id.desc())
                .offset(deep_offset).limit(1)).scalar_one()
        check = ("same first row as OFFSET " f"{deep_offset:,}" if by_offset == first_deep
                 else f"MISMATCH: keyset gives id {first_deep}, OFFSET gives {by_offset}")

        app = create_app(settings, platform)
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        query_string = "stage=negotiation&grade=A&sort=-annual_revenue&limit=50"

        def request_page(cursor_: str | None) -> None:
            url_ = f"/api/customer?{query_string}" + (f"&cursor={cursor_}" if cursor_ else "")
            response = client.get(url_)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        cases = {
            ("engine", "page 1"): lambda: engine_page(FILTER),
            ("engine", f"page {args.page:,}"): lambda: engine_page(deep_args),
            ("request", "page 1"): lambda: request_page(None),
            ("request", f"page {args.page:,}"): lambda: request_page(cursor),
        }
        timings: dict[tuple[str, str], list[float]] = {}
        for call in cases.values():
            for _ in range(10):  # warm the plan cache and the buffers
                call()
        for _ in range(args.samples):  # interleaved, so drift hits every case alike
            for key, call in cases.items():
                start = time.perf_counter()
                call()
                timings.setdefault(key, []).append((time.perf_counter() - start) * 1000)

        explains = []
        for label, args_ in (("page 1", FILTER), (f"page {args.page:,}", deep_args)):
            capture.statements.clear()
            capture.on = True
            engine_page(args_)
            capture.on = False
            statement, parameters = capture.statements[0]
            with platform.reading() as conn:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                            parameters).scalars().all()
            explains.append(f"--- {label}: {len(capture.statements)} statement(s); the list "
                            f"query:\n{statement}\n{parameters}\n\n" + "\n".join(plan))

    rows = []
    p50 = {}
    for (where, page), values in timings.items():
        p50[(where, page)] = percentile(values, 50)
        rows.append([where, page, f"{percentile(values, 50):.2f}", f"{percentile(values, 95):.2f}",
                     f"{min(values):.2f}", f"{max(values):.2f}"])
    deep = f"page {args.page:,}"
    ratios = {w: p50[(w, deep)] / p50[(w, "page 1")] for w in ("engine", "request")}
    verdict_p50 = max(p50[("engine", "page 1")], p50[("engine", deep)]) < TARGET_P50_MS
    report = [
        (f"keyset pages on PostgreSQL: {args.rows:,} customers, {matching:,} match "
        "stage=negotiation&grade=A, sort=-annual_revenue, limit=50; "
        f"{args.samples} samples per case (ms)"),
        machine_note(), "",
        table(rows, ["measured", "page", "p50", "p95", "min", "max"]), "",
        (f"deep / first page p50 ratio: engine {ratios['engine']:.2f}, request "
        f"{ratios['request']:.2f}  (target < {TARGET_RATIO}: "
        f"{'ok' if max(ratios.values()) < TARGET_RATIO else 'MISSED'})"),
        f"engine p50 target < {TARGET_P50_MS:g} ms: {'ok' if verdict_p50 else 'MISSED'}",
        (f"walk to page {args.page:,}: {walked:,} rows in {walk_seconds:.1f} s; "
        f"deep page check: {check}"), "",
        *explains,
    ]
    text = "\n".join(report)
    print("\n" + text)
    print(f"\nsaved to {save_result('keyset_pg', text)}")


if __name__ == "__main__":
    sys.exit(main())
