#!/usr/bin/env python
"""The cost of record scopes: each shipped role's list vs an administrator's, on PostgreSQL.

Creates a scratch database metacrm_bench_scope on postgresql://postgres@127.0.0.1:5432
(dropped at the end; ``--keep`` keeps it, ``--reuse`` runs on a kept one without
seeding it again), migrates the shipped CRM plus a small bundle with one role,
``bench_rep``, whose customer scope is ``subordinates`` (own and subordinates'),
and fills it with:

  500 users in a 4-level reporting line: 1 director, 10 managers (under the
      director), 50 team leads (5 per manager), 439 salespeople (about 9 per lead);
      50 teams, each a lead and the salespeople reporting to them;
      roles: salespeople hold the shipped ``salesperson`` (own records and the
      pool), odd leads the shipped ``sales_manager`` (their team's and the pool),
      even leads, managers and the director ``bench_rep`` (their line's);
  4 users holding ``sales_director``, ``finance``, ``service_agent``, ``auditor``
      (scope ``all``; finance only customers whose lifecycle is ``customer``);
  1,000,000 customers: 2% in the public pool (no owner), 30% held by one
      salesperson (salesperson1, in the team lead's team and the line manager's
      line: skewed data, so that the plans are tested where one owner holds much),
      the rest by the 500 users evenly (about 1,400 each), lifecycles spread over
      lead, opportunity and customer; one INSERT ... SELECT generate_series per
      200,000 rows, then VACUUM ANALYZE.

Then times GET /api/customer?limit=50 (the default order: -updated_at) for

  admin           an administrator: no scope at all
  salesperson     shipped salesperson: own records (~1,400) and the pool
  heavy salesperson  shipped salesperson holding 30% of the customers, and the pool
  team lead       shipped sales_manager: own, ~9 team mates' (the heavy one among
                  them) and the pool
  sales director  shipped sales_director, finance, service agent, auditor: scope all
  finance, service agent, auditor
  line lead       bench_rep at level 3: own and ~9 salespeople's
  line manager    bench_rep at level 2: own and ~54 people's
  line director   bench_rep at level 1: everyone (the scope matches every row)

both in the engine (parse_list_query + list_records on a pooled connection, the
caller as authentication gives it: with its credentials version, so that the people
of team and line scopes are looked up once per version as in a request) and as
whole requests through the Flask test client with a Bearer token (authentication,
routing, SQL, JSON). Samples are interleaved so drift hits every case alike.
Prints p50/p95 per case, each case's p50 as a ratio of the admin's, and the
EXPLAIN ANALYZE of the list statement of the slowest scoped case.

Target: every case within 1.3x of the administrator's.
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


HEAVY, HEAVY_PERCENT = 1, 30  # salesperson1 holds 30% of the customers

# case -> (level in the line or a role user, index, roles held)
CASES = {
    "admin": ("admin", 0),
    "salesperson": ("salesperson", 0),
    "heavy salesperson": ("salesperson", HEAVY),
    "team lead": ("lead", 1),
    "sales director": ("sales_director", 0),
    "finance": ("finance", 0),
    "service agent": ("service_agent", 0),
    "auditor": ("auditor", 0),
    "line lead": ("lead", 0),
    "line manager": ("manager", 0),
    "line director": ("director", 0),
}
ROLE_USERS = ("sales_director", "finance", "service_agent", "auditor")


def make_users(platform) -> None:
    """The 4-level line, its teams, the role users and the administrator."""
    from metacrm.base.context import utcnow

    tables = platform.compiled.metadata.tables
    users, roles = tables["mc_users"], tables["mc_user_roles"]
    teams, members = tables["mc_teams"], tables["mc_team_members"]
    with platform.writing() as conn:
        def add(name: str, manager: int | None, role: str | None, admin: bool = False) -> int:
            uid = int(conn.execute(users.insert().values(
                username=name, name=name, created_at=utcnow(), manager_id=manager,
                is_admin=admin).returning(users.c.id)).scalar_one())
            if role:
                conn.execute(roles.insert().values(user_id=uid, role=role))
            return uid

        director = add("director0", None, "bench_rep")
        managers = [add(f"manager{i}", director, "bench_rep") for i in range(10)]
        leads = [add(f"lead{i}", managers[i // 5], "bench_rep" if i % 2 == 0
                     else "sales_manager") for i in range(50)]
        team_ids = [int(conn.execute(teams.insert().values(
            code=f"T{i}", name=f"team {i}", created_at=utcnow()).returning(teams.c.id))
            .scalar_one()) for i in range(50)]
        conn.execute(members.insert(), [{"team_id": t, "user_id": u}
                                        for t, u in zip(team_ids, leads, strict=True)])
        for i in range(439):
            rep = add(f"salesperson{i}", leads[i % 50], "salesperson")
            conn.execute(members.insert().values(team_id=team_ids[i % 50], user_id=rep))
        for role in ROLE_USERS:
            add(f"{role}0", None, role)
        add("admin0", None, None, admin=True)


def user_ids(platform) -> dict[str, int]:
    """username -> id of the users make_users created."""
    import sqlalchemy as sa

    users = platform.compiled.metadata.tables["mc_users"]
    with platform.reading() as conn:
        return {name: int(uid) for name, uid in conn.execute(
            sa.select(users.c.username, users.c.id))}


def line_ids(ids: dict[str, int]) -> list[int]:
    """The 500 users of the line, who hold every owned customer."""
    return [uid for name, uid in ids.items()
            if name.rstrip("0123456789") in ("director", "manager", "lead", "salesperson")]


def seeded(platform, rows: int) -> bool | None:
    """Whether the database already holds what make_users and seed_customers make
    (None: it holds something else)."""
    import sqlalchemy as sa

    tables = platform.compiled.metadata.tables
    with platform.reading() as conn:
        people = conn.execute(sa.select(sa.func.count()).select_from(tables["mc_users"])
                              ).scalar_one()
        customers = conn.execute(sa.select(sa.func.count()).select_from(
            platform.compiled.models["customer"].table)).scalar_one()
        heavy = conn.execute(sa.select(sa.func.count()).select_from(
            platform.compiled.models["customer"].table).where(
            sa.text("owner = (SELECT id FROM mc_users WHERE username = :name)")),
            {"name": f"salesperson{HEAVY}"}).scalar_one()
    if people == customers == 0:
        return False
    skewed = heavy > rows * (HEAVY_PERCENT - 5) / 100  # seeded before the skew: no
    return (True if people == 500 + len(ROLE_USERS) + 1 and customers == rows and skewed
            else None)


def seed_customers(platform, owners: list[int], rows: int, chunk: int = 200_000,
                   heavy: int | None = None) -> None:
    """``rows`` customers: 2% in the pool, HEAVY_PERCENT held by ``heavy`` (if given),
    the others spread over ``owners``."""
    import sqlalchemy as sa

    compiled = platform.compiled
    model = compiled.models["customer"]
    rollups = [f.name for f in model.entity.fields.values() if f.type == "rollup"]
    rollup_values = [("0" if model.entity.fields[n].aggregate in ("count", "sum") else "NULL")
                     for n in rollups]
    grades = _common.option_values(compiled, "customer", "grade")
    owner_array = "ARRAY[" + ",".join(str(o) for o in owners) + "]"
    columns = ["version", "created_at", "updated_at", "name", "code", "grade", "lifecycle",
               "owner", "owner_since", "phone", "annual_revenue", *rollups]
    grade = (f"(ARRAY[{','.join(repr(x) for x in grades)}])"
             f"[1 + (hashint4(g + 13) & 2147483647) % {len(grades)}]")
    # 2 rows in 100 sit in the public pool; the others cycle through three lifecycles.
    pooled = "(hashint4(g + 3) & 2147483647) % 100 < 2"
    lifecycle = (f"CASE WHEN {pooled} THEN 'public_pool' ELSE "
                 "(ARRAY['lead','opportunity','customer'])[1 + (hashint4(g + 17) & 2147483647) % 3]"
                 " END")
    skew = (f"WHEN (hashint4(g + 41) & 2147483647) % 100 < {HEAVY_PERCENT} THEN {heavy} "
            if heavy is not None else "")
    owner = (f"CASE WHEN {pooled} THEN NULL {skew}ELSE "
             f"({owner_array})[1 + (hashint4(g) & 2147483647) % {len(owners)}] END")
    values = ["1", "ts", "ts", "'基准客户 ' || g", "'CUS-' || g", grade, lifecycle, owner,
              "ts", "'+86 21 ' || (55500000 + g)",
              "round(((hashint4(g + 7) & 2147483647) % 100000000)::numeric, 2)",
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
        for table in ("customer", "mc_users", "mc_team_members"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="timed lists per case")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database metacrm_bench_scope afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="run on a database kept by --keep (seeded again only if it "
                             "does not hold the users and --rows customers); keeps it")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="comma-separated cases to time (admin is always timed)")
    args = parser.parse_args()
    chosen = ["admin", *[c.strip() for c in args.cases.split(",")
                         if c.strip() and c.strip() != "admin"]]
    if unknown := [c for c in chosen if c not in CASES]:
        sys.exit(f"unknown cases {unknown}; cases: {', '.join(CASES)}")

    import sqlalchemy as sa

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
        url = stack.enter_context(scratch_postgres("metacrm_bench_scope", keep=args.keep,
                                                   reuse=args.reuse))
        settings = _common.settings_for(url, tmp / "instance",
                                        [default_bundle_path(), str(bundle)])
        started = time.perf_counter()
        _common.migrate(settings)
        platform = Platform.build(settings)
        state = seeded(platform, args.rows)
        if state is None:
            sys.exit("metacrm_bench_scope holds other data: run once without --reuse")
        if state:
            print("reusing the seeded database metacrm_bench_scope")
        else:
            make_users(platform)
            ids = user_ids(platform)
            seed_customers(platform, line_ids(ids), args.rows,
                           heavy=ids[f"salesperson{HEAVY}"])
            print(f"seeded 505 users and {args.rows:,} customers in "
                  f"{time.perf_counter() - started:.0f} s")
        ids = user_ids(platform)
        compiled = platform.compiled
        model = compiled.models["customer"]
        who = {name: ids[f"{CASES[name][0]}{CASES[name][1]}"] for name in chosen}
        held = compiled.metadata.tables["mc_user_roles"]
        with platform.reading() as conn:
            # As authentication gives them: with the credentials version they were read
            # under, for which the people of team and line scopes are kept.
            version = platform.principals.version(conn)
            principals = {name: Principal(uid, frozenset(conn.execute(
                sa.select(held.c.role).where(held.c.user_id == uid)).scalars()),
                name == "admin", credentials=version) for name, uid in who.items()}
        app = create_app(settings, platform)
        client = app.test_client()
        tokens = {}
        with platform.writing() as conn:
            for name, uid in who.items():
                tokens[name], _ = create_token(conn, compiled.metadata, uid, "bench")

        def engine_list(name: str) -> dict:
            with platform.reading() as conn:
                viewer = Viewer(compiled, principals[name], conn, platform.people)
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

        def p50(where: str, name: str) -> float:
            return percentile(timings[(where, name)], 50)

        slowest = max((n for n in who if n != "admin"), key=lambda n: p50("engine", n),
                      default="admin")
        capture = _Capture(platform.engine)
        capture.on = True
        engine_list(slowest)
        capture.on = False
        statement, parameters = next(s for s in capture.statements if "ORDER BY" in s[0])
        with platform.reading() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                        parameters).scalars().all()
        platform.engine.dispose()

    rows, ratios = [], {}
    for where, name in cases:
        ratio = p50(where, name) / p50(where, "admin")
        ratios[(where, name)] = ratio
        rows.append([where, name, f"{p50(where, name):.2f}",
                     f"{percentile(timings[(where, name)], 95):.2f}", f"{ratio:.2f}"])
    worst = max(ratios, key=lambda case: ratios[case])
    headline = ratios[worst]
    report = [
        (f"record scopes on PostgreSQL: {args.rows:,} customers, 505 users (a 4-level line, "
         f"teams, shipped roles), list of 50 by -updated_at; {args.samples} samples "
         "per case (ms)"),
        machine_note(), "",
        table(rows, ["measured", "caller", "p50", "p95", "p50 / admin"]), "",
        (f"worst case / admin: {headline:.2f} ({worst[1]}, {worst[0]}; target <= "
         f"{TARGET_RATIO}: {'ok' if headline <= TARGET_RATIO else 'MISSED'})"), "",
        f"--- the list statement of the slowest scoped case ({slowest}):", statement,
        str(parameters), "",
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
