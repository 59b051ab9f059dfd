#!/usr/bin/env python
"""One approve end to end, in-process: the bench's approval bundle on a scratch
PostgreSQL database (metacrm_bench_prof_approvals) with Redis, chains submitted and
decided through the Flask test client (no HTTP server), for profiling the Python
of a decision.

  python bench/approvals_profile.py                 # cProfile of N approves, top functions
  python bench/approvals_profile.py --mode time     # ms of wall and process CPU per approve
  python bench/approvals_profile.py --mode count    # the SQL of one approve of each step
  python bench/approvals_profile.py --mode compare  # ms of CPU per approve (this process,
                                                    # PostgreSQL) against the baseline app

Each chain is approved twice (manager, then finance), as in approvals_pg.py.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common
from approvals_pg import (
    backend_pids,
    cpu_seconds,
    cpu_since,
    make_people,
    seed_deals,
    write_bundle,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chains", type=int, default=300)
    parser.add_argument("--mode", choices=("profile", "time", "count", "compare"),
                        default="profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", help="write the cProfile stats to this file")
    parser.add_argument("--breakdown", action="store_true",
                        help="with --mode compare: each app's CPU split by package "
                             "(cProfile's shares of this process's CPU per approve)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14",
                        help="Redis for RQ (a database of its own; flushed at the end)")
    args = parser.parse_args()

    import sqlalchemy as sa

    from metacrm.platform import Platform
    from metacrm.web.app import create_app

    with tempfile.TemporaryDirectory() as folder, \
            _common.scratch_postgres("metacrm_bench_prof_approvals") as url:
        tmp = Path(folder)
        bundle = write_bundle(tmp / "bundle")
        settings = dataclasses.replace(
            _common.settings_for(url, tmp / "instance", [str(bundle)]), redis_url=args.redis)
        _common.migrate(settings)
        platform = Platform.build(settings)
        people = make_people(platform)
        reps = people["reps"]
        deals = seed_deals(platform, [uid for uid, _ in reps], args.chains + 20)
        client = create_app(settings, platform).test_client()
        chains = []
        for i, deal in enumerate(deals):
            response = client.post(f"/api/deal/{deal}/transitions/submit",
                                   headers={"Authorization": f"Bearer {reps[i % len(reps)][1]}"})
            assert response.status_code == 200, response.json
            chains.append(response.json["_approval"]["id"])
        manager = {"Authorization": f"Bearer {people['manager'][0][1]}"}
        finance = {"Authorization": f"Bearer {people['finance'][0][1]}"}

        def approve(chain: int, who: dict[str, str], through: Any = client) -> None:
            response = through.post(f"/api/approvals/{chain}/approve", headers=who)
            assert response.status_code == 200, response.json

        for chain in chains[:20]:  # warm up: statement caches, prepared statements
            approve(chain, manager)
            approve(chain, finance)
        rest = chains[20:]
        if args.mode == "count":
            seen: list[str] = []
            sa.event.listen(platform.engine, "before_cursor_execute",
                            lambda *a: seen.append(a[2]))
            for step, who in (("step 1", manager), ("step 2", finance)):
                seen.clear()
                approve(rest[0], who)
                print(f"{step}: {len(seen)} statements")
                for statement in seen:
                    print("  ", " ".join(statement.split())[:150])
        elif args.mode == "compare":
            _compare(approve, rest, manager, finance, url, client, args.breakdown)
        else:
            _measure(args, approve, rest, manager, finance, url)
        platform.engine.dispose()
        from redis import Redis

        Redis.from_url(args.redis).flushdb()  # any job the approves queued


def _measure(args: argparse.Namespace, approve: Callable[[int, dict[str, str]], None],
             rest: list[int], manager: dict[str, str], finance: dict[str, str], url: str
             ) -> None:
    # CPU time, not wall time: a statement's wait for the server is not the process's work.
    profile = cProfile.Profile(time.process_time)
    backends = backend_pids(url)
    db = cpu_seconds(backends)
    wall, cpu = time.perf_counter(), time.process_time()
    if args.mode == "profile":
        profile.enable()
    for who in (manager, finance):
        for chain in rest:
            approve(chain, who)
    if args.mode == "profile":
        profile.disable()
    count = 2 * len(rest)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db_cpu = cpu_since(db, backends)
    print(f"{count} approves: {wall * 1000 / count:.2f} ms wall, "
          f"{cpu * 1000 / count:.2f} ms process CPU, {db_cpu * 1000 / count:.2f} ms "
          f"PostgreSQL CPU each ({_common.machine_note()})")
    if args.mode == "profile":
        stats = pstats.Stats(profile)
        print(f"{stats.total_calls / count:,.0f} Python function calls per approve")
        if args.save:
            stats.dump_stats(args.save)
        stats.sort_stats("cumulative").print_stats("metacrm", args.top)
        stats.sort_stats("tottime").print_stats(args.top)


def _compare(approve: Callable[..., None], rest: list[int], manager: dict[str, str],
             finance: dict[str, str], url: str, client: Any, breakdown: bool) -> None:
    """Both steps of a quarter of the chains through metacrm, then through the baseline
    app (bench/approvals_baseline_app.py, in this process too), then the baseline and
    metacrm again: CPU per approve of this process and of the database's backends
    (``breakdown``: and this process's CPU split by package)."""
    os.environ["BASELINE_DATABASE_URL"] = url
    import approvals_baseline_app

    baseline = approvals_baseline_app.app.test_client()
    for chain in rest[-10:]:  # its connection and prepared statements
        approve(chain, manager, baseline)
        approve(chain, finance, baseline)
    order = (("metacrm", client), ("baseline", baseline), ("baseline", baseline),
             ("metacrm", client))
    # With a breakdown, the same again profiled: the figures come from the first four
    # blocks (cProfile slows Python down unevenly), the shares from the last four.
    blocks = order + order if breakdown else order
    quarter = (len(rest) - 10) // len(blocks)
    spent: dict[str, list[float]] = {"metacrm": [0.0, 0.0, 0], "baseline": [0.0, 0.0, 0]}
    profiles = {name: cProfile.Profile(time.process_time) for name in spent}
    for n, (name, through) in enumerate(blocks):
        chains = rest[n * quarter:(n + 1) * quarter]
        profiled = n >= len(order)
        backends = backend_pids(url)
        db, cpu = cpu_seconds(backends), time.process_time()
        if profiled:
            profiles[name].enable()
        for who in (manager, finance):
            for chain in chains:
                approve(chain, who, through)
        if profiled:
            profiles[name].disable()
            continue
        spent[name][0] += time.process_time() - cpu
        spent[name][1] += cpu_since(db, backends)
        spent[name][2] += 2 * len(chains)
    print(_common.machine_note())
    for name, (cpu, db, count) in spent.items():
        print(f"{name:9} {count} approves: {cpu * 1000 / count:.2f} ms process CPU + "
              f"{db * 1000 / count:.2f} ms PostgreSQL CPU = "
              f"{(cpu + db) * 1000 / count:.2f} ms each")
        if breakdown:
            shares = _by_package(pstats.Stats(profiles[name]))
            total = sum(shares.values())
            for package, seconds in sorted(shares.items(), key=lambda item: -item[1]):
                print(f"    {package:28} {100 * seconds / total:5.1f}%  "
                      f"{cpu * 1000 / count * seconds / total:5.2f} ms")


# Where a function's file lies -> the part of the stack it belongs to (first match).
PACKAGES = (("metacrm/web/", "metacrm web"), ("metacrm/runtime/", "metacrm runtime"),
            ("metacrm/", "metacrm other"), ("psycopg", "psycopg"),
            ("sqlalchemy", "SQLAlchemy"), ("werkzeug/test", "test client"),
            ("flask/testing", "test client"), ("werkzeug", "Werkzeug"), ("flask", "Flask"),
            ("approvals_baseline_app", "baseline app"))


def _by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own (not cumulative) CPU seconds per part of the stack; C built-ins go to their
    caller's part when it has one caller, else to "other"."""
    found: dict[str, float] = {}
    for (path, _, _), (_, _, own, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if path == "~" and len(callers) == 1:
            path = next(iter(callers))[0]
        part = next((name for key, name in PACKAGES if key in path), "other")
        found[part] = found.get(part, 0.0) + own
    return found


if __name__ == "__main__":
    sys.exit(main())
