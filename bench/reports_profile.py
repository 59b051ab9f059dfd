#!/usr/bin/env python
"""Where a report run's time goes, in-process on the database reports_pg.py keeps
(``python bench/reports_pg.py --keep`` once): per report and viewer, the wall time,
this process's CPU (Python: authentication, parameters, SQL compiled and read, the
answer built, JSON), the database's CPU (the backends of this process's connections,
and the parallel workers that ended meanwhile), and the answer's size; the three
hand-written queries of reports_pg.py the same way.

  python bench/reports_profile.py                  # ms per run, p50 of --runs
  python bench/reports_profile.py --mode profile --reports won_opportunities
                                                   # cProfile of --runs runs, top functions
                                                   # (--sort cumulative: by time inside)
  python bench/reports_profile.py --mode phases --callers admin
                                                   # process CPU of each step of a run

The database CPU is read from /proc (utime + stime of each backend of the database,
and the postmaster's children's, which count the parallel workers once they end: a
run by another process on the same server in the same moment is counted too).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common
import scope_pg
from reports_pg import CALLERS, HAND, hand_bounds

DATABASE = "metacrm_bench_reports"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int, children: bool = False) -> float:
    """Seconds of CPU of process ``pid`` (of its ended children with ``children``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    at = 13 if children else 11  # cutime, cstime / utime, stime (after the name)
    return (int(fields[at]) + int(fields[at + 1])) / TICKS


class DatabaseClock:
    """CPU seconds of the database's backends and of the server's ended children."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                                       poolclass=sa.pool.StaticPool)
        with self.engine.connect() as conn:
            self.own = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        stat = Path(f"/proc/{self.own}/stat").read_text().rsplit(")", 1)[1].split()
        self.postmaster = int(stat[1])

    def now(self) -> float:
        with self.engine.connect() as conn:
            pids = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                (DATABASE, self.own)).scalars().all()
        return sum(_cpu(pid) for pid in pids) + _cpu(self.postmaster, children=True)


def _phases(calls: dict[tuple[str, str], Callable[[], None]], runs: int) -> None:
    """This process's CPU in each step of runs_report (the functions it calls, wrapped
    for the while), and in the whole request, p50 per report and viewer."""
    import orjson

    from metacrm.runtime import reports
    from metacrm.web import jsonio

    spent: dict[str, list[float]] = {}

    def timed(function: Callable, step: str) -> Callable:
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent.setdefault(step, []).append((time.process_time() - started) * 1000)
        return call

    steps = {"figures": "statement run and read", "dimension_labels": "labels statement",
             "_rows": "rows built", "_totals": "totals built", "chart_data": "chart built"}
    for name, step in steps.items():
        setattr(reports, name, timed(getattr(reports, name), step))
    jsonio.orjson = type("Timed", (), {  # type: ignore[attr-defined]
        "dumps": staticmethod(timed(orjson.dumps, "JSON")), "loads": orjson.loads,
        "OPT_NON_STR_KEYS": orjson.OPT_NON_STR_KEYS})
    rows = []
    for case, call in calls.items():
        if case[1] == "by hand":
            continue
        spent.clear()
        whole = []
        for _ in range(runs):
            started = time.process_time()
            call()
            whole.append((time.process_time() - started) * 1000)
        shown = {step: statistics.median(values) for step, values in spent.items()}
        request = statistics.median(whole)
        rows.append([*case, f"{request:.1f}",
                     *(f"{shown.get(step, 0):.1f}" for step in [*steps.values(), "JSON"]),
                     f"{request - sum(shown.values()):.1f}"])
    print(f"\nprocess CPU, p50 ms of {runs} runs")
    print(_common.table(rows, ["report", "caller", "request", *steps.values(), "JSON",
                               "the rest"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--mode", choices=("time", "profile", "phases"), default="time")
    parser.add_argument("--callers", default="admin,salesperson")
    parser.add_argument("--reports", default="won_opportunities,followup_activity,"
                        "new_business,sales_funnel,pipeline_conversion,tickets_by_status")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", choices=("tottime", "cumulative"), default="tottime",
                        help="the profile's order (--mode profile)")
    args = parser.parse_args()


    import sqlalchemy as sa

    from metacrm.identity.tokens import create_token
    from metacrm.platform import Platform
    from metacrm.web.app import create_app

    print(_common.machine_note())
    url = f"{_common.PG_SERVER}/{DATABASE}"
    with tempfile.TemporaryDirectory(prefix="metacrm-bench-") as folder:
        settings = _common.settings_for(url, Path(folder) / "instance")
        _common.migrate(settings)
        platform = Platform.build(settings)
        ids = scope_pg.user_ids(platform)
        callers = [c.strip() for c in args.callers.split(",") if c.strip()]
        tokens = {}
        with platform.writing() as conn:
            for caller in callers:
                tokens[caller], _ = create_token(conn, platform.compiled.metadata,
                                                 ids[CALLERS[caller]], "bench")
        client = create_app(settings, platform).test_client()
        bounds = hand_bounds()
        hand_engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        sizes: dict[tuple[str, str], int] = {}

        def request(report: str, caller: str) -> Callable[[], None]:
            def call() -> None:
                response = client.get(f"/api/reports/{report}", headers={
                    "Authorization": f"Bearer {tokens[caller]}"})
                assert response.status_code == 200, response.get_json()
                sizes[(report, caller)] = len(response.data)
            return call

        def by_hand(report: str) -> Callable[[], None]:
            def call() -> None:
                with hand_engine.connect() as conn:
                    conn.execute(sa.text(HAND[report]), bounds).all()
            return call

        names = [n.strip() for n in args.reports.split(",") if n.strip()]
        calls = {(r, c): request(r, c) for r in names for c in callers}
        calls.update({(r, "by hand"): by_hand(r) for r in names if r in HAND})
        for call in calls.values():
            call(), call()  # warm
        if args.mode == "phases":
            _phases(calls, args.runs)
            return
        if args.mode == "profile":
            profile = cProfile.Profile()
            for (_, caller), call in calls.items():
                if caller == "by hand":
                    continue
                profile.enable()
                for _ in range(args.runs):
                    call()
                profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
            return
        clock = DatabaseClock(url)
        found: dict[tuple[str, str], list[tuple[float, float, float]]] = {
            case: [] for case in calls}
        for _ in range(args.runs):
            for case, call in calls.items():
                db, cpu, wall = clock.now(), time.process_time(), time.perf_counter()
                call()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                found[case].append((wall * 1000, cpu * 1000, (clock.now() - db) * 1000))
        hand_engine.dispose()
        platform.engine.dispose()
    print(f"\n{args.runs} runs per case, interleaved; p50 ms (database CPU from /proc, "
          "10 ms ticks: the median of few runs)")
    rows = []
    for case, samples in found.items():
        walls, cpus, dbs = zip(*samples, strict=True)
        rows.append([case[0], case[1], f"{statistics.median(walls):.1f}",
                     f"{statistics.median(cpus):.1f}", f"{statistics.mean(dbs):.1f}",
                     f"{sizes.get(case, 0):,}" if case in sizes else ""])
    print(_common.table(rows, ["report", "caller", "wall", "python CPU", "db CPU (mean)",
                               "answer bytes"]))


if __name__ == "__main__":
    sys.exit(main())
