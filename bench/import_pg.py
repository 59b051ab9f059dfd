#!/usr/bin/env python
"""Import N customer rows from a CSV file, with every check a write makes, against
COPY of the same rows into the same table.

Writes a CSV of ``--rows`` customers (default 1,000,000; a tenth of them with a
bad phone number or a missing name, which the import must refuse row by row)
and imports it into the shipped CRM's ``customer`` through ``metacrm import``'s
engine (imports/run.py): each row read by its fields' types, checked as the API
checks a body (types, required, choices, rules, permissions), created with the
API's bulk create 500 rows at a time (one INSERT statement for them all:
multi-row on SQLite, the ids from the sequence then one COPY of the rows on
PostgreSQL; autonumbers, audit trail, assignment rules) and logged row by row,
as the platform itself. Then,
on PostgreSQL, ``COPY customer (...) FROM STDIN`` of the same valid rows (with the
columns the platform fills: code, version, timestamps) into the emptied table.

Memory: the resident set size is sampled after every batch; flat means the
peak at the end is no higher than after the first tenth (the file is streamed,
not loaded).

    python bench/import_pg.py --rows 100000 --sqlite   # SQLite, target < 60 s
    python bench/import_pg.py --rows 1000000           # PostgreSQL: import vs COPY

Targets: import >= 0.5x COPY's rows/s on PostgreSQL; 100,000 rows on SQLite in
under a minute; memory flat.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import _common
from _common import machine_note, save_result, scratch_postgres, table

TARGET_RATIO = 0.5
TARGET_SQLITE_SECONDS = 60.0
HEADER = ["公司名称", "简称", "行业", "客户等级", "电话", "邮箱", "省份", "城市", "年营业额",
          "员工人数"]
INDUSTRIES = ["software", "manufacturing", "electronics", "retail", "trade", "finance"]
CITIES = [("上海", "上海"), ("北京", "北京"), ("广东", "深圳"), ("浙江", "杭州"), ("江苏", "南京")]


def write_file(path: Path, rows: int, seed: int = 7) -> int:
    """The CSV (UTF-8 with BOM, as Excel saves "CSV UTF-8"); how many rows are valid."""
    rng = random.Random(seed)
    valid = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            province, city = CITIES[i % len(CITIES)]
            bad = i % 10 == 9
            name = "" if bad and i % 20 == 9 else f"{city}星河{i}贸易有限公司"
            phone = "call me" if bad and i % 20 == 19 else f"021-{5550000 + i % 10_000_000:08d}"
            valid += not bad
            writer.writerow([name, f"星河{i}", INDUSTRIES[i % len(INDUSTRIES)],
                             "ABCD"[i % 4], phone, f"buyer{i}@example.com", province, city,
                             f"{rng.randint(1, 10**8)}.{rng.randint(0, 99):02d}",
                             rng.randint(1, 5000)])
    return valid


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_import_bench(settings, path: Path, rows: int) -> tuple[float, dict, list[float]]:
    from metacrm.base.context import Context
    from metacrm.imports.jobs import prepare_import
    from metacrm.imports.run import run_import
    from metacrm.imports.store import ImportOptions
    from metacrm.platform import Platform

    platform = Platform.build(settings)
    samples: list[float] = []
    try:
        prepared = prepare_import(platform, Context.system(), "customer", path, path.name,
                                  ImportOptions(as_platform=True))
        started, cpu = time.perf_counter(), time.process_time()
        job = run_import(platform, prepared.import_id,
                         progress=lambda state: samples.append(rss_mb()))
        took = time.perf_counter() - started
        job["cpu_seconds"] = time.process_time() - cpu
    finally:
        platform.engine.dispose()
    return took, job, samples


def copy_bench(database_url: str, path: Path) -> tuple[float, int]:
    """COPY the file's valid rows (with the columns the platform fills) into the
    emptied customer table, as one COPY FROM STDIN."""
    import psycopg

    columns = ["name", "short_name", "industry", "grade", "phone", "email", "province", "city",
               "annual_revenue", "employees", "code", "lifecycle", "version", "created_at",
               "updated_at"]
    now = "2025-01-01 00:00:00+00"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        for cells in reader:
            if not cells[0] or cells[4] == "call me":
                continue
            count += 1
            writer.writerow([*cells, f"CUS-{count:07d}", "potential", 1, now, now])
    data = buffer.getvalue()
    with psycopg.connect(database_url.replace("postgresql://", "postgresql://", 1)) as conn:
        conn.execute("DELETE FROM customer")
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY customer ({', '.join(columns)}) FROM STDIN "
                                "WITH (FORMAT csv)") as copy:
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start:start + (1 << 20)])
        conn.commit()
        took = time.perf_counter() - started
    return took, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL "
                        "(no COPY to compare with)")
    args = parser.parse_args()
    lines = [machine_note(), f"rows: {args.rows:,}"]
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="import-bench-")))
        path = work / "customers.csv"
        started = time.perf_counter()
        valid = write_file(path, args.rows)
        lines.append(f"file: {path.stat().st_size / 2**20:.0f} MiB written in "
                     f"{time.perf_counter() - started:.1f} s ({valid:,} valid rows)")
        if args.sqlite:
            url = f"sqlite:///{work / 'bench.db'}"
        else:
            url = stack.enter_context(scratch_postgres("metacrm_bench_import"))
        settings = _common.settings_for(url, work / "instance")
        _common.migrate(settings)
        took, job, samples = run_import_bench(settings, path, args.rows)
        counts = job["counts"]
        assert counts["created"] == valid, counts
        rate = args.rows / took
        tenth = samples[max(0, len(samples) // 10 - 1)] if samples else 0.0
        peak = max(samples) if samples else 0.0
        result = [["metacrm import", f"{took:.1f}", f"{job['cpu_seconds']:.1f}", f"{rate:,.0f}",
                   f"{counts['created']:,} created, {counts['failed']:,} failed"]]
        if not args.sqlite:
            copy_took, copied = copy_bench(url, path)
            result.append(["COPY (valid rows)", f"{copy_took:.1f}", "-",
                           f"{copied / copy_took:,.0f}", f"{copied:,} rows"])
            ratio = rate / (copied / copy_took)
            verdict = f"import / COPY rows/s = {ratio:.2f} (target >= {TARGET_RATIO})"
        else:
            verdict = (f"{args.rows:,} rows in {took:.1f} s, {job['cpu_seconds']:.1f} s of "
                       f"CPU (target for 100,000: < {TARGET_SQLITE_SECONDS:.0f} s)")
        header = ["", "seconds", "CPU s (Python)", "rows/s", "result"]
        lines += ["", table(result, header), "", verdict,
                  f"RSS after the first tenth {tenth:.0f} MiB, peak {peak:.0f} MiB "
                  f"({'flat' if peak <= tenth * 1.15 + 10 else 'GROWING'})"]
    text = "\n".join(lines)
    print(text)
    save_result("import_pg", text)


if __name__ == "__main__":
    sys.exit(main())
