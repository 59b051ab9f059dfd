#!/usr/bin/env python
"""Latency of the duplicates list's pages on PostgreSQL with 1,000,000 customers.

Creates a scratch database metacrm_bench_duplicates on postgresql://postgres@127.0.0.1:5432
(dropped at the end), migrates it and seeds ``customer`` as bench/keyset_pg.py does, then
gives 1% of the rows a phone they share with one other row (10,000 pairs for the
``same_phone`` rule) and every row a name block of 20 records (50,000 blocks for
``similar_name``), then ANALYZE.

Measured in-process against the engine (runtime.duplicate_groups.list_duplicate_groups
as the administrator, 50 groups a page): every page of ``same_phone`` from the first
to the last (following next_cursor), and the first pages of ``similar_name``. Each
page reads at most SCAN_WINDOW index entries per rule, so the last page should cost
what the first does.

Target: p95 of a same_phone page < 100 ms; last page / first page < 2.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import machine_note, percentile, save_result, scratch_postgres, table
from keyset_pg import seed_sql

TARGET_P95_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fuzzy-pages", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()


    from metacrm.base.context import Context, Principal
    from metacrm.platform import Platform
    from metacrm.runtime.duplicate_groups import SCAN_WINDOW, list_duplicate_groups
    from metacrm.runtime.operation import Operation

    print(machine_note())
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacrm-bench-")))
        url = stack.enter_context(scratch_postgres("metacrm_bench_duplicates", keep=args.keep))
        settings = _common.settings_for(url, tmp / "instance")
        _common.migrate(settings)
        _common.admin_token(settings)
        platform = Platform.build(settings)
        compiled = platform.compiled
        seed_sql(platform.engine, compiled, args.rows)
        with platform.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE customer SET phone = '+86138' || lpad((id / 2)::text, 8, '0') "
                "WHERE id %% 100 < 2")
            conn.exec_driver_sql("UPDATE customer SET name__block = 'b' || (id %% 50000)")
        with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE customer")
        model = compiled.models["customer"]
        ctx = Context(Principal(None, admin=True))

        def page(rule: str, start):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            with platform.reading() as conn:
                groups, following = list_duplicate_groups(
                    Operation(conn, compiled, ctx), model, rule=rule, limit=50, start=start)
            return (time.perf_counter() - began) * 1000, groups, following

        rows = []
        for rule, most in (("same_phone", 10_000), ("similar_name", args.fuzzy_pages)):
            times, found, start = [], 0, None
            while len(times) < most:
                ms, groups, start = page(rule, start)
                times.append(ms)
                found += len(groups)
                if start is None:
                    break
            rows.append((rule, len(times), found, f"{times[0]:.1f}", f"{times[-1]:.1f}",
                         f"{percentile(times, 50):.1f}", f"{percentile(times, 95):.1f}",
                         f"{max(times):.1f}"))
    text = "\n".join([
        f"duplicates list pages, {args.rows:,} customers, 50 groups a page, "
        f"SCAN_WINDOW {SCAN_WINDOW:,}", machine_note(), "",
        table(rows, ("rule", "pages", "groups", "first ms", "last ms", "p50 ms", "p95 ms",
                     "max ms")), "",
        f"target: same_phone p95 < {TARGET_P95_MS:.0f} ms, last page about as fast as the "
        "first"])
    print("\n" + text)
    print(f"\nsaved to {save_result('duplicates_list_pg', text)}")


if __name__ == "__main__":
    main()
