#!/usr/bin/env python
"""The per-row cost of each step of an import that no batching removes, in µs of
CPU a row, beside COPY's whole cost a row: why import_pg.py's ">= 0.5x COPY" is out
of reach of one Python process (and what a second one could take).

Each step runs alone over the rows of import_pg.py's file (every value distinct, as
there: no cache helps), on SQLite (the steps are the database's no matter which):

    python bench/import_floors.py --rows 20000

Steps: the file read into cells (csv) and cells into a request body (the fields'
types); cleaning (the phone to E.164 with phonenumbers, the company name); the
body checked as the API checks it (read_payload, with the cleaning in it); the
fuzzy rule's block key (pinyin) and its scores against a full block (rapidfuzz
cdist, 500 rows against 2,000 names).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common
from _common import machine_note, save_result, table
from import_pg import write_file


def timed(rows: int, action: Callable[[], Any]) -> float:
    """µs of CPU a row for ``action`` over ``rows`` rows (best of 3)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    from metacrm.base.context import Context
    from metacrm.cleaning import keys
    from metacrm.imports.cells import RowReader
    from metacrm.imports.mapping import suggest
    from metacrm.platform import Platform
    from metacrm.runtime.access import Viewer
    from metacrm.runtime.fuzzy_scores import BlockScores
    from metacrm.runtime.payload import read_payload

    with tempfile.TemporaryDirectory(prefix="import-floors-") as work:
        path = Path(work) / "customers.csv"
        write_file(path, args.rows)
        settings = _common.settings_for(f"sqlite:///{Path(work) / 'f.db'}",
                                        Path(work) / "instance")
        _common.migrate(settings)
        platform = Platform.build(settings)
        model = platform.compiled.models["customer"]
        ctx = Context.system()
        with path.open(encoding="utf-8-sig", newline="") as source:
            header, *lines = list(csv.reader(source))
        n = len(lines)
        mapping = suggest(model, header)
        results: list[list[str]] = []
        with platform.engine.connect() as conn:
            viewer = Viewer(platform.compiled, ctx.principal, conn)
            access = viewer.of(model)
            reader = RowReader(conn, platform.compiled, viewer, model, header, mapping)
            bodies = [reader.body(cells)[0] for cells in lines]
            good = [b for b in bodies if b.get("name") and b.get("phone") != "call me"]

            def read_file() -> None:
                with path.open(encoding="utf-8-sig", newline="") as source:
                    for _ in csv.reader(source):
                        pass

            def fresh() -> None:  # every value distinct, as in the file: no cache hit
                for clean in model.cleaners.values():
                    clean.cache_clear()  # type: ignore[attr-defined]
                keys.match_key.cache_clear()

            def payloads() -> None:
                fresh()
                for body in good:
                    read_payload(model, ctx, dict(body), creating=True, access=access)

            phone, name = model.cleaners["phone"], model.cleaners["name"]

            def phones() -> None:
                fresh()
                for body in good:
                    phone(body["phone"])

            def names() -> None:
                fresh()
                for body in good:
                    name(body["name"])

            cleaned = [name(b["name"]) for b in good]

            def block_keys() -> None:
                fresh()
                for text in cleaned:
                    model.block_keys({"name": text})

            stored = [model.match_key("name", text) for text in cleaned[:2000]]
            batch = [(model.match_key("name", t), "xinghe") for t in cleaned[2000:2500]]

            def fuzzy() -> None:
                scores = BlockScores(batch, [stored] * len(batch), 85)
                for index in range(len(batch)):
                    scores.scored(index, "xinghe", 0)

            results += [
                ["the file read (csv)", f"{timed(n, read_file):.0f}"],
                ["cells into a body (types)",
                 f"{timed(n, lambda: [reader.body(c) for c in lines]):.0f}"],
                ["body checked (read_payload, cleaning in it)",
                 f"{timed(len(good), payloads):.0f}"],
                ["  of which: phone to E.164 (phonenumbers)",
                 f"{timed(len(good), phones):.0f}"],
                ["  of which: company name standardised", f"{timed(len(good), names):.0f}"],
                ["block key (pinyin)", f"{timed(len(good), block_keys):.0f}"],
                ["fuzzy scores, full block (cdist)",
                 f"{timed(len(batch), fuzzy):.0f}"],
            ]
        platform.engine.dispose()
    text = "\n".join([machine_note(), f"rows: {n:,}", "",
                      table(results, ["step (each alone)", "µs CPU / row"])])
    print(text)
    save_result("import_floors", text)


if __name__ == "__main__":
    sys.exit(main())
