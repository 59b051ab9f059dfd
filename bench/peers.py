#!/usr/bin/env python
"""metacrm's generated REST API against its peers Directus and NocoDB, on PostgreSQL.

Every system gets a scratch database of its own on postgresql://postgres@127.0.0.1:5432
(metacrm_bench_peers_<system>, dropped at the end) with the same entity -- a customer of
8 fields: name (string), code (string), city (string), grade (choice A-D),
annual_revenue (decimal, 2 places), signed_on (date), owner (integer), notes (text) --
an index on (city, name), and the same --rows rows, inserted by one SQL statement
(INSERT ... SELECT over generate_series) into the table each system reads:

  metacrm   a bundle of that one entity (written to a temporary folder), migrated;
            gunicorn -w 2 sync workers (as api_vs_flask.py), the API token of an admin
  Directus  the table made by SQL before `directus bootstrap`; admin static token
  NocoDB    the table made through NocoDB's meta API (so it knows its columns), the rows
            then inserted by SQL into its physical table; an API token (xc-token)

The peers are installed from the npm registry into ~/.cache/metacrm-peers on the first
run (see _peers.py); a peer that cannot be installed or started is skipped, with why.
Each peer runs in production mode (NODE_ENV=production), caching at its defaults,
logging at warn, in as many processes as metacrm has gunicorn workers (a Node cluster,
as pm2 -i N does; --peer-processes).

Four operations, each with wrk (bench/wrk/peers.lua) and each system's own token:

  get     one record by a random id
  list    city = <one of 8>, sorted by name, 50 records
  create  one record of the 8 fields
  patch   annual_revenue of a random record

Interleaved rounds (metacrm, Directus, NocoDB, then rotated), after a warm-up of each.
Reported: requests/s per system, metacrm / peer, p50 latency, server CPU per request
(the system's processes only), and each system's memory (RSS of all its processes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

import _common
import _peers
from _common import (
    Gunicorn,
    cpu_seconds,
    machine_note,
    memory_mb,
    process_tree,
    save_result,
    scratch_postgres,
    table,
)

OPS = ("get", "list", "create", "patch")
SYSTEMS = ("metacrm", "directus", "nocodb")
CITIES = ("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou", "Nanjing", "Chengdu",
          "Wuhan")  # as in bench/wrk/peers.lua
FIELDS = ("name", "code", "city", "grade", "annual_revenue", "signed_on", "owner", "notes")
ENTITY = """\
entity: customer
title: name
fields:
  name: {type: string, required: true, max_length: 200}
  code: {type: string, max_length: 20}
  city: {type: string, max_length: 50}
  grade: {type: choice, options: [A, B, C, D]}
  annual_revenue: {type: money}
  signed_on: {type: date}
  owner: {type: integer}
  notes: {type: text}
indexes:
  - fields: [city, name]
"""
PLAIN_TABLE = """\
CREATE TABLE customer (
  id serial PRIMARY KEY, name varchar(200) NOT NULL, code varchar(20), city varchar(50),
  grade varchar(1), annual_revenue numeric(18, 2), signed_on date, owner integer,
  notes text)"""


def seed(url: str, table_name: str, rows: int, extra: dict[str, str] | None = None) -> None:
    """The same ``rows`` customers in every system's table (ids 1..rows in order)."""
    import sqlalchemy as sa

    cities = ", ".join(f"'{c}'" for c in CITIES)
    values = {
        "name": "'Customer ' || substr(md5(g::text), 1, 10) || ' ' || g",
        "code": "'C-' || lpad(g::text, 7, '0')",
        "city": f"(ARRAY[{cities}])[1 + mod(g, {len(CITIES)})]",
        "grade": "(ARRAY['A', 'B', 'C', 'D'])[1 + mod(g / 8, 4)]",
        "annual_revenue": "mod(g::bigint * 7919, 500000000) / 100.0",
        "signed_on": "DATE '2020-01-01' + mod(g, 2000)",
        "owner": "1 + mod(g, 50)",
        "notes": "'Seeded customer ' || g || ', a short note.'",
        **(extra or {}),
    }
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {table_name} ({', '.join(values)}) "
            f"SELECT {', '.join(values.values())} FROM generate_series(1, {rows}) AS g ORDER BY g")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"ANALYZE {table_name}")
    engine.dispose()


class System:
    """One system under test: where it listens, how it is asked, its processes."""

    def __init__(self, name: str, port: int, pid: int, base: str, header: str, token: str):
        self.name, self.port, self.pid, self.base = name, port, pid, base
        self.header, self.token = header, token

    def wrk(self, op: str, rows: int, args, seconds: float) -> dict:
        return _common.run_wrk(self.port, "peers.lua",
                               [self.name, op, self.base, str(rows), self.header, self.token],
                               threads=args.threads, connections=args.connections,
                               seconds=seconds)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        return _peers.call(self.port, method, self.base + path, body,
                           {self.header: self.token})


def start_metacrm(stack: ExitStack, tmp: Path, args) -> System:
    bundle = tmp / "bundle"
    (bundle / "entities").mkdir(parents=True)
    (bundle / "bundle.yaml").write_text("bundle: peers\nversion: 1.0.0\n")
    (bundle / "entities" / "customer.yaml").write_text(ENTITY)
    url = stack.enter_context(scratch_postgres("metacrm_bench_peers_metacrm"))
    settings = _common.settings_for(url, tmp / "instance", [str(bundle)])
    _common.migrate(settings)
    token = _common.admin_token(settings)
    seed(url, "customer", args.rows, {
        "version": "1", "created_at": "now()", "updated_at": "now()",
        "created_by": "(SELECT min(id) FROM mc_users)",
        "updated_by": "(SELECT min(id) FROM mc_users)"})
    env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
           "METACRM_SECRET_KEY": "bench", "METACRM_BUNDLES": str(bundle),
           "METACRM_RUN_JOBS": "0"}
    server = stack.enter_context(Gunicorn("metacrm.wsgi:app", env, args.workers,
                                          log=tmp / "metacrm.log"))
    _common.wait_for_http(server.port, "/api/customer/1", timeout=60)
    return System("metacrm", server.port, server.proc.pid, "/api/customer", "Authorization",
                  f"Bearer {token}")


def start_directus(stack: ExitStack, tmp: Path, args) -> System:
    folder = _peers.install("directus")
    url = stack.enter_context(scratch_postgres("metacrm_bench_peers_directus"))
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(PLAIN_TABLE)
        conn.exec_driver_sql("CREATE INDEX ix_customer_city_name ON customer (city, name)")
    engine.dispose()
    seed(url, "customer", args.rows)
    server, token = _peers.start_directus(folder, url, args.peer_processes,
                                          tmp / "directus.log")
    stack.callback(server.stop)
    _common.wait_for_http(server.port, "/server/health", timeout=120)
    assert server.proc
    return System("directus", server.port, server.proc.pid, "/items/customer",
                  "Authorization", f"Bearer {token}")


def start_nocodb(stack: ExitStack, tmp: Path, args) -> System:
    folder = _peers.install("nocodb")
    url = stack.enter_context(scratch_postgres("metacrm_bench_peers_nocodb"))
    # one process first: it migrates NocoDB's own tables (two at once would race)
    # and makes the table; then the measured cluster
    first = _peers.start_nocodb(folder, url, 1, tmp / "nocodb.log")
    try:
        _peers.wait_for_nocodb(first.port, timeout=180)
        token, table_id = _peers.nocodb_table(first.port)
    finally:
        first.stop()
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:  # the physical table NocoDB made for the base
        schema, name = conn.exec_driver_sql(
            "SELECT table_schema, table_name FROM information_schema.columns "
            "WHERE column_name = 'annual_revenue' AND table_name LIKE '%%customer'").one()
        columns = set(conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "%(s)s AND table_name = %(t)s", {"s": schema, "t": name}).scalars())
    qualified = f'"{schema}"."{name}"'
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE INDEX ix_nc_customer_city_name ON {qualified} (city, name)")
    engine.dispose()
    own = {"created_at": "now()", "updated_at": "now()", "nc_order": "g"}  # its row order
    seed(url, qualified, args.rows, {c: v for c, v in own.items() if c in columns})
    server = _peers.start_nocodb(folder, url, args.peer_processes, tmp / "nocodb.log")
    stack.callback(server.stop)
    _peers.wait_for_nocodb(server.port, timeout=180)
    assert server.proc
    return System("nocodb", server.port, server.proc.pid,
                  f"/api/v2/tables/{table_id}/records", "xc-token", token)


STARTERS = {"metacrm": start_metacrm, "directus": start_directus, "nocodb": start_nocodb}


def smoke_test(systems: list[System]) -> list[str]:
    """One request of each operation on each system; they must succeed and read alike."""
    notes, firsts = [], {}
    body = {"name": "smoke customer", "code": "S-1", "city": "Wuhan", "grade": "B",
            "annual_revenue": "10.50", "signed_on": "2026-01-02", "owner": 3,
            "notes": "smoke"}
    for s in systems:
        nocodb = s.name == "nocodb"
        query = {"metacrm": "?city=Beijing&sort=name&limit=50",
                 "directus": "?filter[city][_eq]=Beijing&sort=name&limit=50",
                 "nocodb": "?where=(city,eq,Beijing)&sort=name&limit=50"}[s.name]
        answers = {
            "get": s.call("GET", "/7"),
            "list": s.call("GET", query),
            "create": s.call("POST", "", body),
            "patch": (s.call("PATCH", "", {"Id": 8, "annual_revenue": "12.34"}) if nocodb
                      else s.call("PATCH", "/8", {"annual_revenue": "12.34"})),
        }
        for op, (status, answer) in answers.items():
            if status >= 300:
                raise SystemExit(f"{s.name} {op} answered {status}: {str(answer)[:400]}")
        record = answers["get"][1]
        record = record.get("data", record) if isinstance(record, dict) else record
        listed = answers["list"][1]
        items = (listed.get("items") or listed.get("data") or listed.get("list")
                 if isinstance(listed, dict) else listed)
        firsts[s.name] = (record.get("name"), [r.get("name") for r in items])
        notes.append(f"{s.name}: GET answers {len(record)} keys ({', '.join(sorted(record))})")
    if len({repr(v) for v in firsts.values()}) == 1:
        notes.append("GET /7 and the Beijing list: every system returns the same names")
    else:
        notes.append(f"the systems DISAGREE on record 7 or the list: {firsts}")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="customers in each system")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per system/op")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per system and op")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c")
    parser.add_argument("--workers", type=int, default=2, help="metacrm's gunicorn -w")
    parser.add_argument("--peer-processes", type=int, default=None,
                        help="Node processes per peer (default: --workers)")
    parser.add_argument("--peers", default="directus,nocodb", help="comma-separated peers")
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated subset")
    parser.add_argument("--install-only", action="store_true",
                        help="install the peers into " + str(_peers.PEERS_DIR) + " and stop")
    args = parser.parse_args()
    args.peer_processes = args.peer_processes or args.workers
    peers = [p for p in args.peers.split(",") if p]
    ops = [o for o in args.ops.split(",") if o]
    if bad := [p for p in peers if p not in SYSTEMS[1:]] + [o for o in ops if o not in OPS]:
        parser.error(f"unknown peers or ops: {bad}")
    skipped: dict[str, str] = {}
    if args.install_only:
        for peer in peers:
            try:
                print(f"{peer}: installed in {_peers.install(peer)}")
            except (_peers.PeerUnavailable, OSError) as exc:
                print(f"{peer}: cannot be installed: {exc}")
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-peers-")))
        systems: list[System] = []
        for name in ("metacrm", *peers):
            started = time.perf_counter()
            own = ExitStack()  # its server and database: closed at once if it is skipped
            try:
                system = STARTERS[name](own, tmp, args)
                time.sleep(2)  # a cluster worker that dies at start-up is gone by now
                n = args.workers if name == "metacrm" else args.peer_processes
                expected = n + 1 if name == "metacrm" or n > 1 else 1  # + master or primary
                if (running := len(process_tree(system.pid))) != expected:
                    raise _peers.PeerUnavailable(f"{running} processes, not {expected}")
                systems.append(system)
                stack.callback(own.close)
            except Exception as exc:  # noqa: BLE001 - a peer that fails is skipped, with why
                own.close()
                if name == "metacrm":
                    raise
                log = tmp / f"{name}.log"
                tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
                skipped[name] = f"{type(exc).__name__}: {exc}" + (f"\n{tail}" if tail else "")
                print(f"{name}: SKIPPED -- {skipped[name]}", flush=True)
                continue
            print(f"{name}: ready with {args.rows} rows in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        notes = smoke_test(systems)
        results: dict[tuple[str, str], list[dict]] = {}
        for op in ops:
            for s in systems:
                s.wrk(op, args.rows, args, args.warmup)
            for rnd in range(args.rounds):
                order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
                for s in order:
                    pids = process_tree(s.pid)
                    before = sum(cpu_seconds(pids).values())
                    result = s.wrk(op, args.rows, args, args.duration)
                    result["cpu_ms"] = ((sum(cpu_seconds(pids).values()) - before) * 1000
                                        / max(1, result["requests"]))
                    results.setdefault((op, s.name), []).append(result)
                    print(f"  {op:6s} {s.name:8s} {result['rps']:8.1f} req/s  p50 "
                          f"{result['lat_p50_us'] / 1000:6.1f} ms  CPU "
                          f"{result['cpu_ms']:5.2f} ms/req  non-2xx {result['non2xx']}",
                          flush=True)
        memory = {s.name: (len(process_tree(s.pid)), *memory_mb(process_tree(s.pid)))
                  for s in systems}
    print("\n" + report(args, systems, ops, results, memory, notes, skipped))


def report(args, systems, ops, results, memory, notes, skipped) -> str:
    names = [s.name for s in systems]
    peers = names[1:]

    def mean(op: str, name: str, key: str) -> float:
        runs = results[(op, name)]
        return sum(r[key] for r in runs) / len(runs)

    rows = []
    for op in ops:
        rps = {n: mean(op, n, "rps") for n in names}
        errors = sum(r["non2xx"] + r["socket_errors"] for n in names for r in results[(op, n)])
        rows.append([op, *(f"{rps[n]:.0f}" for n in names),
                     *(f"{rps['metacrm'] / rps[p]:.2f}" if rps[p] else "-" for p in peers),
                     *(f"{mean(op, n, 'lat_p50_us') / 1000:.1f}" for n in names),
                     *(f"{mean(op, n, 'cpu_ms'):.2f}" for n in names), errors])
    header = ["op", *(f"{n} req/s" for n in names), *(f"metacrm/{p}" for p in peers),
              *(f"{n} p50 ms" for n in names), *(f"{n} CPU ms/req" for n in names), "errors"]
    mem_rows = [[n, memory[n][0], f"{memory[n][1]:.0f}", f"{memory[n][2]:.0f}"] for n in names]
    lines = [
        (f"metacrm vs {', '.join(peers) or 'no peer'}, PostgreSQL, {args.rows} customers, "
         f"metacrm gunicorn -w {args.workers} (sync), peers {args.peer_processes} Node "
         f"processes, wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s x "
         f"{args.rounds} interleaved round(s)"),
        machine_note(), "",
        table(rows, header), "",
        "metacrm/<peer> = metacrm's requests per second / the peer's (> 1: metacrm faster)",
        "CPU ms/req: user+system CPU of the system's own processes (not PostgreSQL's) per "
        "request",
        "", table(mem_rows, ["system", "processes", "RSS MB (sum, at the end)",
                             "peak MB (sum of VmHWM)"]),
        "", *(f"- {n}" for n in notes),
        *(f"- {p}@{_peers.VERSIONS[p]}" for p in peers),
        *(f"- SKIPPED {p}: " + textwrap.shorten(why, 600) for p, why in skipped.items()),
    ]
    text = "\n".join(lines)
    print(f"saved to {save_result('peers', text)}")
    return text


if __name__ == "__main__":
    sys.exit(main())
