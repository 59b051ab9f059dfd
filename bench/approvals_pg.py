#!/usr/bin/env python
"""Approval chains through the API on PostgreSQL and Redis: submit and fully approve
two-step chains, and the approver's inbox with 100,000 chains pending.

Creates a scratch database metacrm_bench_approvals on postgresql://postgres@127.0.0.1:5432
(dropped at the end), and serves a small bundle (deals with a two-step chain: the
submitter's manager, then one of the finance users) with gunicorn (-w 2, gthread, 4
threads), METACRM_REDIS_URL pointing at the local Redis (jobs go to RQ, as in
production). Users: one manager over 20 salespeople, 4 finance users.

  chains    --chains deals (default 10,000) are inserted as drafts; then, through the
            HTTP API, with --clients concurrent keep-alive connections:
              submit   POST /api/deal/<id>/transitions/submit   (as each deal's owner)
              step 1   POST /api/approvals/<id>/approve          (the manager)
              step 2   POST /api/approvals/<id>/approve          (a finance user)
            Reports requests/s per phase and decisions/s (steps 1 and 2 together);
            checks at the end that every deal is approved, once.
  inbox     --pending chains (default 100,000) are added straight into the tables,
            pending at the manager step, spread over 50 managers, one of whom holds
            a tenth (10,000); then GET /api/approvals?assigned=me&limit=50 is timed (p50/p95)
            for that heavy manager and for a light one, first page and a deep page.

Targets (issue 4): report the figures; the inbox should answer in tens of ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import Gunicorn, machine_note, percentile, save_result, scratch_postgres, table

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chains", type=int, default=10_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200, help="timed inbox pages per case")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15",
                        help="Redis for RQ (a database of its own; flushed at the end)")
    args = parser.parse_args()

    from metacrm.platform import Platform

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        bundle = write_bundle(tmp / "bundle")
        url = stack.enter_context(scratch_postgres("metacrm_bench_approvals"))
        settings = _common.settings_for(url, tmp / "instance", [str(bundle)])
        _common.migrate(settings)
        platform = Platform.build(settings)
        people = make_people(platform)
        reps = people["reps"]
        deals = seed_deals(platform, [uid for uid, _ in reps], args.chains)
        token_of = dict(reps)
        owner_of = {deal: reps[i % len(reps)][0] for i, deal in enumerate(deals)}
        env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
               "METACRM_SECRET_KEY": "bench", "METACRM_BUNDLES": str(bundle),
               "METACRM_REDIS_URL": args.redis}
        server = stack.enter_context(Gunicorn(
            "metacrm.wsgi:app", env, 2, log=tmp / "gunicorn.log",
            extra=["-k", "gthread", "--threads", "4", "--keep-alive", "300"]))
        _common.wait_for_http(server.port, "/api/deal?limit=1")
        results = []

        submits = [(token_of[owner_of[d]], "POST", f"/api/deal/{d}/transitions/submit")
                   for d in deals]
        seconds, latencies, bodies = run_phase(server.port, submits, args.clients)
        chains = [body["_approval"]["id"] for body in bodies]
        results.append(("submit", len(submits), seconds, latencies))
        manager_token = people["manager"][0][1]
        first = [(manager_token, "POST", f"/api/approvals/{c}/approve") for c in chains]
        seconds1, latencies1, _ = run_phase(server.port, first, args.clients)
        results.append(("approve step 1 (manager)", len(first), seconds1, latencies1))
        finance = [token for _, token in people["finance"]]
        second = [(finance[i % len(finance)], "POST", f"/api/approvals/{c}/approve")
                  for i, c in enumerate(chains)]
        seconds2, latencies2, _ = run_phase(server.port, second, args.clients)
        results.append(("approve step 2 (finance)", len(second), seconds2, latencies2))

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
    decisions_per_second = (len(first) + len(second)) / (seconds1 + seconds2)
    report = [
        (f"approval chains on PostgreSQL + Redis: {args.chains:,} two-step chains through "
         f"the API (gunicorn -w 2 gthread x4, {args.clients} clients)"),
        machine_note(), "",
        table(rows, ["phase", "requests", "seconds", "req/s", "p50 ms", "p95 ms"]), "",
        f"decisions per second (both steps): {decisions_per_second:.0f}",
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
