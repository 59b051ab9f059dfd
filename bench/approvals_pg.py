#!/usr/bin/env python
"""Approval chains through the API on PostgreSQL and Redis: submit and fully approve
two-step chains, and the approver's inbox with 100,000 chains pending.

Creates a scratch database metacrm_bench_approvals on postgresql://postgres@127.0.0.1:5432
(dropped at the end), and serves a small bundle (deals with a two-step chain: the
submitter's manager, then one of the finance users) with gunicorn (-w 2, gthread, 4
threads), METACRM_REDIS_URL pointing at the local Redis (jobs go to RQ, as in
production). Users: one manager over 20 salespeople, 4 finance users.

  chains    2 x (--warmup + --rounds x --chains) deals are inserted as drafts and, through
            metacrm's HTTP API with --clients concurrent keep-alive connections, submitted
            by their owners (POST /api/deal/<id>/transitions/submit). Then, in --rounds
            interleaved rounds (the order alternating), each app approves --chains
            chains of its own, step 1 as the manager and step 2 as a finance user:
              metacrm   POST /api/approvals/<id>/approve  (metacrm.wsgi:app)
              baseline  the same request to approvals_baseline_app.py, a hand-written
                        Flask + psycopg app doing the least an approve needs
            both served the same way (gunicorn -w 2 gthread x4). Reports decisions/s
            per app and their ratio, and the CPU each decision cost the app's workers,
            the PostgreSQL backends and this client process; checks at the end that
            every deal is approved, with one audit row per decision.
  inbox     --pending chains (default 100,000) are added straight into the tables,
            pending at the manager step, spread over 50 managers, one of whom holds
            a tenth (10,000); then GET /api/approvals?assigned=me&limit=50 is timed (p50/p95)
            for that heavy manager and for a light one, first page and a deep page.

Targets: the inbox answers in tens of ms (issue 4); >= 500 decisions/s on 2 cores, an
approve in <= 10 statements (issue 9).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import (
    Gunicorn,
    cpu_seconds,
    machine_note,
    percentile,
    save_result,
    scratch_postgres,
    table,
)

BUNDLE = {
    "bundle.yaml": "bundle: bench\nversion: 1.0.0\n",
    "entities/deal.yaml": """
        entity: deal
        owned_by: owner
        title: name
        fields:
          name: {type: string, required: true}
          owner: {type: user, default: $user}
          amount: {type: money}
          approved_at: {type: datetime}
          status:
            type: choice
            options: [draft, pending, approved, rejected]
        """,
    "roles/roles.yaml": """
        role: rep
        permissions:
          deal: {operations: [read, create, update], scope: own}
        ---
        role: manager
        permissions:
          deal: {operations: [read, update], scope: subordinates}
        ---
        role: finance
        permissions:
          deal: {operations: [read]}
        """,
    "workflows/deal.yaml": """
        workflow: deal_flow
        entity: deal
        field: status
        final: [approved]
        transitions:
          - name: submit
            from: [draft, rejected]
            to: approved
            approval: deal_approval
            pending: pending
            rejected: rejected
            actions:
              - set: {approved_at: now}
        ---
        approval: deal_approval
        entity: deal
        steps:
          - {name: manager, approvers: {manager: 1}}
          - {name: finance, approvers: {role: finance}}
        """,
}


def write_bundle(root: Path) -> Path:
    for name, text in BUNDLE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def make_people(platform) -> dict[str, list[tuple[int, str]]]:
    """(user id, token) per group: the manager, the reps, finance; plus 50 inbox managers."""
    from metacrm.identity.tokens import create_token
    from metacrm.identity.users import set_manager, set_roles
    from metacrm.runtime.bootstrap import ensure_user

    compiled, metadata = platform.compiled, platform.compiled.metadata
    people: dict[str, list[tuple[int, str]]] = {"manager": [], "reps": [], "finance": [],
                                                 "inbox": []}
    with platform.writing() as conn:
        def add(name: str, role: str, group: str, manager: int | None = None) -> int:
            uid = ensure_user(conn, compiled, name, name)
            set_roles(conn, metadata, uid, [role])
            if manager:
                set_manager(conn, metadata, uid, manager)
            token, _ = create_token(conn, metadata, uid, "bench")
            people[group].append((uid, token))
            return uid

        boss = add("boss", "manager", "manager")
        for i in range(20):
            add(f"rep{i}", "rep", "reps", boss)
        for i in range(4):
            add(f"fin{i}", "finance", "finance")
        for i in range(50):
            add(f"inbox_manager{i}", "manager", "inbox")
    return people


def seed_deals(platform, owners: list[int], count: int, state: str = "draft") -> list[int]:
    from metacrm.base.context import utcnow

    table = platform.compiled.models["deal"].table
    now = utcnow()
    rows = [{"name": f"基准商机 {i}", "owner": owners[i % len(owners)], "amount": 1000 + i,
             "status": state, "version": 1, "created_at": now, "updated_at": now}
            for i in range(count)]
    with platform.writing() as conn:
        ids = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                           rows).scalars().all()
        conn.exec_driver_sql("ANALYZE deal")
    return list(ids)


class Client:
    """One keep-alive HTTP connection with a bearer token."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        try:
            return self._send(method, path, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed this keep-alive connection while it was idle, before
            # reading the request: sending it again on a new connection is safe.
            self.conn.close()
            return self._send(method, path, body)

    def _send(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        self.conn.request(method, path, body=json.dumps(body) if body else None,
                          headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})


def run_phase(port: int, jobs: list[tuple[str, str, str]], clients: int
              ) -> tuple[float, list[float], list[dict]]:
    """Run (token, method, path) jobs over ``clients`` threads; (seconds, latencies, bodies)."""
    lock = threading.Lock()
    queue = list(reversed(jobs))
    latencies: list[float] = []
    bodies: list[dict] = []
    failures: list[str] = []
    connections: dict[tuple[int, str], Client] = {}

    def worker(index: int) -> None:
        while True:
            with lock:
                if not queue:
                    return
                token, method, path = queue.pop()
            client = connections.get((index, token))
            if client is None:
                client = connections[(index, token)] = Client(port, token)
            start = time.perf_counter()
            status, body = client.call(method, path)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed * 1000)
                bodies.append(body)
                if status >= 300:
                    failures.append(f"{method} {path}: {status} {body}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} request(s) failed, e.g. {failures[:3]}")
    return seconds, latencies, bodies


def seed_pending(platform, people: dict, count: int) -> dict[str, int]:
    """``count`` chains pending at their first step, straight into the tables."""
    from metacrm.base.context import utcnow

    inbox = [uid for uid, _ in people["inbox"]]
    heavy, heavy_share = inbox[0], count // 10
    owners = [uid for uid, _ in people["reps"]]
    deal_ids = seed_deals(platform, owners, count, state="pending")
    tables = platform.compiled.metadata.tables
    now = utcnow()
    approvers = [heavy if i < heavy_share else inbox[1 + i % (len(inbox) - 1)]
                 for i in range(count)]
    with platform.writing() as conn:
        for start in range(0, count, 5000):
            chunk = range(start, min(start + 5000, count))
            ids = conn.execute(tables["mc_approvals"].insert().returning(
                tables["mc_approvals"].c.id, sort_by_parameter_order=True), [{
                    "approval": "deal_approval", "entity": "deal", "record_id": deal_ids[i],
                    "transition": "submit", "from_state": "draft", "state": "pending",
                    "steps": [{"name": "manager", "decide": "any", "approvers": [approvers[i]]},
                              {"name": "finance", "decide": "any", "approvers": [1]}],
                    "current": 0, "submitter_id": owners[i % len(owners)],
                    "submitted_at": now} for i in chunk]).scalars().all()
            conn.execute(tables["mc_approval_tasks"].insert(), [{
                "approval_id": approval_id, "step": "manager", "step_index": 0,
                "user_id": approvers[i], "state": "pending", "created_at": now}
                for i, approval_id in zip(chunk, ids, strict=True)])
        conn.exec_driver_sql("ANALYZE mc_approvals")
        conn.exec_driver_sql("ANALYZE mc_approval_tasks")
    return {"heavy": heavy, "light": inbox[1]}


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds ``pids`` used since ``before`` (a process new since then: all of it)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_seconds(pids).items())


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench's database (both apps' pools)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


def decide_chains(port: int, url: str, workers: list[int], chains: list[int],
                  manager: str, finance: list[str], clients: int) -> dict:
    """Both steps of ``chains`` through the server on ``port``: seconds, latencies, and
    CPU seconds of its ``workers``, of the database's backends and of this process."""
    first = [(manager, "POST", f"/api/approvals/{c}/approve") for c in chains]
    second = [(finance[i % len(finance)], "POST", f"/api/approvals/{c}/approve")
              for i, c in enumerate(chains)]
    app, db, client = cpu_seconds(workers), cpu_seconds(backend_pids(url)), time.process_time()
    seconds1, latencies1, _ = run_phase(port, first, clients)
    seconds2, latencies2, _ = run_phase(port, second, clients)
    return {"decisions": 2 * len(chains), "seconds": seconds1 + seconds2,
            "step seconds": (seconds1, seconds2), "latencies": (latencies1, latencies2),
            "app cpu": cpu_since(app, workers),
            # (a backend that ended in between is missed: the pools keep theirs open)
            "db cpu": cpu_since(db, backend_pids(url)),
            "client cpu": time.process_time() - client}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chains", type=int, default=1000,
                        help="chains each app decides in each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200,
                        help="chains each app decides before the rounds (not counted)")
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200, help="timed inbox pages per case")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15",
                        help="Redis for RQ (a database of its own; flushed at the end)")
    args = parser.parse_args()

    from metacrm.platform import Platform

    print(machine_note())
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        bundle = write_bundle(tmp / "bundle")
        url = stack.enter_context(scratch_postgres("metacrm_bench_approvals"))
        settings = _common.settings_for(url, tmp / "instance", [str(bundle)])
        _common.migrate(settings)
        platform = Platform.build(settings)
        people = make_people(platform)
        reps = people["reps"]
        per_app = args.warmup + args.rounds * args.chains
        deals = seed_deals(platform, [uid for uid, _ in reps], 2 * per_app)
        token_of = dict(reps)
        owner_of = {deal: reps[i % len(reps)][0] for i, deal in enumerate(deals)}
        env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
               "METACRM_SECRET_KEY": "bench", "METACRM_BUNDLES": str(bundle),
               "METACRM_REDIS_URL": args.redis}
        served = ["-k", "gthread", "--threads", "4", "--keep-alive", "300"]
        server = stack.enter_context(Gunicorn(
            "metacrm.wsgi:app", env, 2, log=tmp / "gunicorn.log", extra=served))
        baseline = stack.enter_context(Gunicorn(
            "approvals_baseline_app:app", {"BASELINE_DATABASE_URL": url}, 2,
            log=tmp / "baseline.log", extra=served))
        _common.wait_for_http(server.port, "/api/deal?limit=1")
        _common.wait_for_http(baseline.port, "/api/approvals/0/approve")
        results = []

        submits = [(token_of[owner_of[d]], "POST", f"/api/deal/{d}/transitions/submit")
                   for d in deals]
        seconds, latencies, bodies = run_phase(server.port, submits, args.clients)
        chains = [body["_approval"]["id"] for body in bodies]
        results.append(("submit (metacrm)", len(submits), seconds, latencies))
        manager_token = people["manager"][0][1]
        finance = [token for _, token in people["finance"]]
        apps = {"metacrm": (server.port, server.worker_pids()),
                "baseline": (baseline.port, baseline.worker_pids())}
        groups = [chains[i:i + args.chains] for i in range(2 * args.warmup, len(chains),
                                                             args.chains)]
        for n, name in enumerate(apps):  # warm up: imports, pools, prepared statements
            port, workers = apps[name]
            decide_chains(port, url, workers, chains[n * args.warmup:(n + 1) * args.warmup],
                          manager_token, finance, args.clients)
        rounds: list[tuple[int, str, dict, float]] = []
        for r in range(args.rounds):
            order = list(apps) if r % 2 == 0 else list(reversed(apps))
            for name in order:
                port, workers = apps[name]
                measured = decide_chains(port, url, workers, groups.pop(0), manager_token,
                                         finance, args.clients)
                rounds.append((r + 1, name, measured, os.getloadavg()[0]))
        for name in apps:
            mine = [m for _, who, m, _ in rounds if who == name]
            for step in (0, 1):
                results.append((f"approve step {step + 1} ({name})",
                                sum(m["decisions"] // 2 for m in mine),
                                sum(m["step seconds"][step] for m in mine),
                                [x for m in mine for x in m["latencies"][step]]))

        import sqlalchemy as sa

        model = platform.compiled.models["deal"]
        with platform.reading() as conn:
            approved = conn.execute(sa.select(sa.func.count()).select_from(model.table).where(
                model.table.c.status == "approved")).scalar_one()
            audit = platform.compiled.metadata.tables["mc_audit"]
            decisions = conn.execute(sa.select(sa.func.count()).select_from(audit).where(
                audit.c.action == "approve")).scalar_one()
        check = (f"{approved:,} of {len(deals):,} deals approved; {decisions:,} approve "
                 f"decisions in the audit trail")

        who = seed_pending(platform, people, args.pending)
        tokens = {uid: token for uid, token in people["inbox"]}
        inbox_rows = []
        heavy = args.pending // 10
        light = (args.pending - heavy) // (len(people["inbox"]) - 1)
        for name, uid in ((f"heavy ({heavy:,} waiting)", who["heavy"]),
                          (f"light (~{light:,} waiting)", who["light"])):
            client = Client(server.port, tokens[uid])
            status, page = client.call("GET", "/api/approvals?assigned=me&limit=50")
            assert status == 200 and len(page["items"]) == 50, (status, page)
            cursor, depth = page["next_cursor"], 1
            while depth < 20 and cursor:  # walk to page 21, or the last page if sooner
                following = client.call("GET", "/api/approvals?assigned=me&limit=50&cursor="
                                        + cursor)[1]
                depth += 1
                cursor = following["next_cursor"] or None
            cases = [("page 1", "/api/approvals?assigned=me&limit=50")]
            if cursor:
                cases.append((f"page {depth + 1}",
                              "/api/approvals?assigned=me&limit=50&cursor=" + cursor))
            for label, path in cases:
                timings = []
                for _ in range(10):
                    client.call("GET", path)
                for _ in range(args.samples):
                    start = time.perf_counter()
                    client.call("GET", path)
                    timings.append((time.perf_counter() - start) * 1000)
                inbox_rows.append([name, label, f"{percentile(timings, 50):.1f}",
                                   f"{percentile(timings, 95):.1f}"])
        from redis import Redis

        Redis.from_url(args.redis).flushdb()  # the RQ queue this run used

    rows = [[phase, f"{n:,}", f"{s:.1f}", f"{n / s:.0f}", f"{percentile(lat, 50):.1f}",
             f"{percentile(lat, 95):.1f}"] for phase, n, s, lat in results]
    round_rows = [[r, name, f"{m['decisions']:,}", f"{m['decisions'] / m['seconds']:.0f}",
                   *(f"{m[k] * 1000 / m['decisions']:.2f}"
                     for k in ("app cpu", "db cpu", "client cpu")), f"{load:.1f}"]
                  for r, name, m, load in rounds]
    total: dict[str, dict[str, float]] = {}
    for _, name, m, _ in rounds:
        keys = ("decisions", "seconds", "app cpu", "db cpu", "client cpu")
        into = total.setdefault(name, dict.fromkeys(keys, 0.0))
        for key in keys:
            into[key] += m[key]
    rate = {name: t["decisions"] / t["seconds"] for name, t in total.items()}
    summary = [[name, f"{rate[name]:.0f}",
                *(f"{t[k] * 1000 / t['decisions']:.2f}"
                  for k in ("app cpu", "db cpu", "client cpu")),
                f"{(t['app cpu'] + t['db cpu'] + t['client cpu']) * 1000 / t['decisions']:.2f}"]
               for name, t in total.items()]
    report = [
        (f"approval chains on PostgreSQL + Redis: {args.rounds} interleaved rounds of "
         f"{args.chains:,} two-step chains per app through the HTTP API (gunicorn -w 2 "
         f"gthread x4 each, {args.clients} clients)"),
        f"load average (1 min) at the start {load_before:.2f}; {machine_note()}", "",
        table(rows, ["phase", "requests", "seconds", "req/s", "p50 ms", "p95 ms"]), "",
        "decisions per round (CPU ms per decision: app workers, PostgreSQL backends, "
        "this client):",
        table(round_rows, ["round", "app", "decisions", "decisions/s", "app CPU ms",
                           "db CPU ms", "client CPU ms", "load 1m"]), "",
        table(summary, ["app", "decisions/s", "app CPU ms", "db CPU ms", "client CPU ms",
                        "all CPU ms"]), "",
        (f"metacrm / baseline decisions/s: {rate['metacrm'] / rate['baseline']:.2f} "
         f"({rate['metacrm']:.0f} / {rate['baseline']:.0f})"),
        f"check: {check}", "",
        (f"inbox with {args.pending:,} more chains pending (GET /api/approvals?assigned=me"
         f"&limit=50, {args.samples} samples, ms):"),
        table(inbox_rows, ["approver", "page", "p50", "p95"]),
    ]
    text = "\n".join(report)
    print("\n" + text)
    print(f"\nsaved to {save_result('approvals_pg', text)}")


if __name__ == "__main__":
    sys.exit(main())
