#!/usr/bin/env python
"""The shipped reports on PostgreSQL at volume: p50 per report, scoped against the
administrator, and against the same figures asked of the database by hand.

Creates a scratch database metacrm_bench_reports on postgresql://postgres@127.0.0.1:5432
(dropped at the end; ``--keep`` keeps it, ``--reuse`` runs on a kept one), migrates
the shipped CRM and fills it (INSERT ... SELECT generate_series, then VACUUM ANALYZE):

  505 users: the 4-level reporting line and the role users of bench/scope_pg.py;
  --customers customers (1,000,000): 2% in the pool, the rest spread over the line;
  --opportunities opportunities (1,000,000): each on a customer and held by its
      owner, stages spread over the option set, expected close dates over the
      last two years and the next one, sources spread;
  --activities follow-ups (3,000,000): on a customer, by its owner, over the last
      two years, types spread.

The VACUUM ANALYZE after loading stands for the autovacuum a real database gets
between its writes and a report: it gathers the planner's statistics and sets the
visibility map, without which an index-only scan (the shipped reports' indexes carry
what they count, `include:`) still visits the table for every row.

Then, through the Flask test client with a Bearer token (authentication, parameters,
SQL, JSON: what a page or a client gets), every shipped report with its default
parameters (most are "this year" by month) as

  admin           an administrator: every record
  salesperson     shipped salesperson: their own records (about 1/500th)
  team lead       shipped sales_manager: their team's
  director        shipped sales_director: scope all, as a person

and three reports asked of the database by hand (psycopg, one statement each with
GROUPING SETS for the totals: the least a hand-written app would send for the same
rows and totals): won opportunities by month and owner, new business by month, and
follow-up activity by salesperson and type. Samples are interleaved so drift hits
every case alike.

Targets (issue 11): each report's p50 < 300 ms for a year by month; a scoped run /
the administrator's <= 1.3; metacrm's speed / the hand-written query's >= 0.8
(i.e. hand p50 / metacrm p50 >= 0.8).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import _common
import scope_pg
from _common import machine_note, percentile, save_result, scratch_postgres, table

P50_TARGET_MS, SCOPE_TARGET, HAND_TARGET = 300.0, 1.3, 0.8
CALLERS = {"admin": "admin0", "salesperson": "salesperson1", "team lead": "lead1",
           "director": "sales_director0"}
ZONE = "Asia/Shanghai"

# The same rows and totals as the shipped report, written by hand. :start and :end
# are this year's bounds in the report's time zone (its default period).
HAND = {
    "won_opportunities": """
        SELECT date_trunc('month', expected_close)::date AS month, owner,
               count(*) AS deals, sum(amount) AS amount
        FROM opportunity
        WHERE deleted_at IS NULL AND stage = 'won'
          AND expected_close >= CAST(:start AS date) AND expected_close < CAST(:end AS date)
        GROUP BY GROUPING SETS ((1, 2), (1), (2), ())""",
    "new_business": """
        SELECT date_trunc('month', created_at AT TIME ZONE :zone) AS month,
               count(*) AS customers,
               count(*) FILTER (WHERE lifecycle = 'lead') AS leads,
               count(*) FILTER (WHERE lifecycle = 'opportunity') AS opportunities,
               count(*) FILTER (WHERE lifecycle = 'customer') AS signed
        FROM customer
        WHERE deleted_at IS NULL
          AND created_at >= CAST(:start AS timestamp) AT TIME ZONE :zone
          AND created_at < CAST(:end AS timestamp) AT TIME ZONE :zone
        GROUP BY GROUPING SETS ((1), ())""",
    "followup_activity": """
        SELECT owner, type, count(*) AS activities, count(DISTINCT customer) AS customers
        FROM activity
        WHERE deleted_at IS NULL
          AND occurred_at >= CAST(:month_start AS timestamp) AT TIME ZONE :zone
          AND occurred_at < CAST(:month_end AS timestamp) AT TIME ZONE :zone
        GROUP BY GROUPING SETS ((1, 2), (1), (2), ())""",
}


def hand_bounds() -> dict[str, str]:
    """The parameters of HAND: this year's and this month's bounds in ZONE."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(ZONE)).date()
    month_end = (date(today.year + 1, 1, 1) if today.month == 12
                 else date(today.year, today.month + 1, 1))
    return {"start": f"{today.year}-01-01", "end": f"{today.year + 1}-01-01",
            "month_start": today.replace(day=1).isoformat(),
            "month_end": month_end.isoformat(), "zone": ZONE}


def seed(platform, customers: int, opportunities: int, activities: int,
         chunk: int = 250_000) -> None:
    """Users and customers as scope_pg makes them, then opportunities and follow-ups
    held by their customer's owner."""
    import sqlalchemy as sa

    compiled = platform.compiled
    scope_pg.make_users(platform)
    ids = scope_pg.user_ids(platform)
    scope_pg.seed_customers(platform, scope_pg.line_ids(ids), customers, chunk=chunk)
    stages = _common.option_values(compiled, "opportunity", "stage")
    sources = _common.option_values(compiled, "opportunity", "source")
    kinds = _common.option_values(compiled, "activity", "type")
    statuses = _common.option_values(compiled, "activity", "status")

    def pick(values: list[str], salt: int) -> str:
        return (f"(ARRAY[{','.join(repr(v) for v in values)}])"
                f"[1 + (hashint4(g + {salt}) & 2147483647) % {len(values)}]")

    customer_of = f"1 + (hashint4(g + 5) & 2147483647) % {customers}"
    opportunity = sa.text(
        "INSERT INTO opportunity (version, created_at, updated_at, code, name, customer, "
        "  amount, stage, probability, weighted_amount, expected_close, owner, source) "
        "SELECT 1, s.ts, s.ts, 'OPP-' || g, '基准商机 ' || g, c.id, s.amount, s.stage, 50, "
        "  round(s.amount / 2, 2), "
        "  (current_date + 365 - (hashint4(g + 11) & 2147483647) % 1095), c.owner, s.source "
        "FROM ("
        f"  SELECT g, {customer_of} AS cid, {pick(stages, 23)} AS stage, "
        f"    {pick(sources, 31)} AS source, "
        "    ((hashint4(g + 7) & 2147483647) % 100000000)::numeric / 100 AS amount,"
        "    now() - make_interval(mins => (hashint4(g + 29) & 2147483647) % 1051200) AS ts"
        "  FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g) AS s "
        "JOIN customer c ON c.id = s.cid")
    activity = sa.text(
        "INSERT INTO activity (version, created_at, updated_at, customer, type, status, "
        "  subject, occurred_at, owner) "
        "SELECT 1, s.ts, s.ts, c.id, s.kind, s.status, '跟进 ' || g, s.ts, c.owner FROM ("
        f"  SELECT g, {customer_of} AS cid, {pick(kinds, 37)} AS kind, "
        f"    {pick(statuses, 43)} AS status, "
        "    now() - make_interval(mins => (hashint4(g + 47) & 2147483647) % 1051200) AS ts"
        "  FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g) AS s "
        "JOIN customer c ON c.id = s.cid")
    for name, statement, rows in (("opportunities", opportunity, opportunities),
                                  ("activities", activity, activities)):
        for lo in range(1, rows + 1, chunk):
            hi = min(lo + chunk - 1, rows)
            with platform.engine.begin() as conn:
                conn.execute(statement, {"lo": lo, "hi": hi})
            print(f"  inserted {hi:,} {name}", flush=True)
    _common.set_counter(platform.engine, compiled.metadata.tables["mc_sequences"],
                        "opportunity.code", opportunities)
    with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in ("opportunity", "activity"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {name}")


def seeded(platform, customers: int, opportunities: int, activities: int) -> bool | None:
    import sqlalchemy as sa

    counts = []
    with platform.reading() as conn:
        for name in ("customer", "opportunity", "activity"):
            counts.append(conn.execute(sa.select(sa.func.count()).select_from(
                platform.compiled.models[name].table)).scalar_one())
    if counts == [0, 0, 0]:
        return False
    return True if counts == [customers, opportunities, activities] else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=3_000_000)
    parser.add_argument("--samples", type=int, default=15, help="timed runs per case")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database metacrm_bench_reports afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="run on a database kept by --keep (keeps it)")
    parser.add_argument("--reports", default="",
                        help="comma-separated report names (default: every shipped one)")
    args = parser.parse_args()


    import sqlalchemy as sa

    from metacrm.identity.tokens import create_token
    from metacrm.platform import Platform
    from metacrm.web.app import create_app

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        url = stack.enter_context(scratch_postgres("metacrm_bench_reports", keep=args.keep,
                                                   reuse=args.reuse))
        settings = _common.settings_for(url, tmp / "instance")
        started = time.perf_counter()
        _common.migrate(settings)
        platform = Platform.build(settings)
        state = seeded(platform, args.customers, args.opportunities, args.activities)
        if state is None:
            sys.exit("metacrm_bench_reports holds other data: run once without --reuse")
        if not state:
            seed(platform, args.customers, args.opportunities, args.activities)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        compiled = platform.compiled
        names = ([n.strip() for n in args.reports.split(",") if n.strip()]
                 or sorted(compiled.catalog.reports))
        ids = scope_pg.user_ids(platform)
        tokens: dict[str, str] = {}
        with platform.writing() as conn:
            for caller, username in CALLERS.items():
                tokens[caller], _ = create_token(conn, compiled.metadata, ids[username],
                                                 "bench")
        client = create_app(settings, platform).test_client()

        def run(report: str, caller: str) -> None:
            response = client.get(f"/api/reports/{report}",
                                  headers={"Authorization": f"Bearer {tokens[caller]}"})
            assert response.status_code == 200, (report, caller, response.get_json())

        bounds = hand_bounds()
        hand_engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))

        def by_hand(report: str) -> None:
            with hand_engine.connect() as conn:
                conn.execute(sa.text(HAND[report]), bounds).all()

        cases = [(report, caller) for report in names for caller in CALLERS]
        calls = {case: (lambda r=case[0], c=case[1]: run(r, c)) for case in cases}
        calls.update({(report, "by hand"): (lambda r=report: by_hand(r))
                      for report in names if report in HAND})
        for call in calls.values():
            for _ in range(2):  # warm plans, buffers and caches
                call()
        timings: dict[tuple[str, str], list[float]] = {case: [] for case in calls}
        for _ in range(args.samples):
            for case, call in calls.items():
                start = time.perf_counter()
                call()
                timings[case].append((time.perf_counter() - start) * 1000)
        hand_engine.dispose()
        platform.engine.dispose()

    def p50(case: tuple[str, str]) -> float:
        return percentile(timings[case], 50)

    rows, misses = [], []
    for report in names:
        admin = p50((report, "admin"))
        scoped = {c: p50((report, c)) / admin for c in CALLERS if c != "admin"}
        hand = p50((report, "by hand")) / admin if (report, "by hand") in timings else None
        slowest = max(p50((report, c)) for c in CALLERS)
        rows.append([report, f"{admin:.1f}", *(f"{p50((report, c)):.1f}" for c in CALLERS
                                               if c != "admin"),
                     f"{max(scoped.values()):.2f}", "" if hand is None else f"{hand:.2f}"])
        if slowest >= P50_TARGET_MS:
            misses.append(f"{report}: p50 {slowest:.0f} ms")
        if max(scoped.values()) > SCOPE_TARGET:
            misses.append(f"{report}: scoped / admin {max(scoped.values()):.2f}")
        if hand is not None and hand < HAND_TARGET:
            misses.append(f"{report}: hand / metacrm {hand:.2f}")
    report_text = "\n".join([
        (f"shipped reports on PostgreSQL: {args.customers:,} customers, "
         f"{args.opportunities:,} opportunities, {args.activities:,} follow-ups; default "
         f"parameters; {args.samples} interleaved samples per case; p50 in ms, whole "
         "requests through the test client"),
        machine_note(), "",
        table(rows, ["report", "admin", *[c for c in CALLERS if c != "admin"],
                     "worst scoped / admin", "hand / metacrm"]), "",
        (f"targets: p50 < {P50_TARGET_MS:.0f} ms, scoped / admin <= {SCOPE_TARGET}, "
         f"hand / metacrm >= {HAND_TARGET}: "
         + ("all met" if not misses else "MISSED: " + "; ".join(misses))),
    ])
    print("\n" + report_text)
    print(f"\nsaved to {save_result('reports_pg', report_text)}")


if __name__ == "__main__":
    sys.exit(main())
