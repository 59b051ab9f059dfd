#!/usr/bin/env python
"""How long the definition compiler takes: load_catalog + compile_catalog.

Generates a synthetic bundle (default 100 entities x 30 fields: every field
type, option sets, references between entities, multi-references, indexes,
formulas and validation rules) into a temporary folder, then times
``compile_catalog(load_catalog([path]))`` -- the work every server process
does at start-up and after a runtime customization -- for it and for the
shipped CRM bundle (the repository root). Reports the median of --repeat runs.

Targets: synthetic bundle < 1 s, shipped bundle < 0.3 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts platform/ on sys.path)
import yaml
from _common import REPO, median, save_result, table

TARGET_SYNTHETIC = 1.0
TARGET_SHIPPED = 0.3

# (type, extra keys) cycled through for the plain fields of every entity
FIELD_KINDS = [
    ("string", {"max_length": 120}),
    ("text", {"max_length": 4000}),
    ("integer", {"min": 0}),
    ("decimal", {"scale": 3}),
    ("money", {"min": 0}),
    ("percent", {}),
    ("boolean", {}),
    ("date", {}),
    ("datetime", {}),
    ("choice", {}),          # options filled in below
    ("multi_choice", {}),
    ("email", {"max_length": 100}),
    ("phone", {}),
    ("url", {}),
    ("user", {}),
    ("json", {}),
    ("string", {"pattern": "[A-Z]{2}-[0-9]{4}"}),
]


def generate_bundle(folder: Path, entities: int, fields: int, optionsets: int = 12,
                    seed: int = 7) -> dict[str, int]:
    """Write a bundle of ``entities`` entities with ``fields`` declared fields each."""
    rnd = random.Random(seed)
    (folder / "entities" / "options").mkdir(parents=True, exist_ok=True)
    (folder / "bundle.yaml").write_text(yaml.safe_dump({
        "bundle": "bench_big", "version": "1.0.0",
        "label": {"en": "Benchmark bundle", "zh": "基准测试"}, "requires": []}))
    sets = []
    for s in range(optionsets):
        name = f"set_{s:02d}"
        options = [{"value": f"opt_{s}_{o}", "label": {"en": f"Option {o}", "zh": f"选项{o}"},
                    "color": "#5b8ff9"} for o in range(rnd.randint(3, 12))]
        sets.append((name, [o["value"] for o in options]))
        (folder / "entities" / "options" / f"{name}.yaml").write_text(yaml.safe_dump(
            {"optionset": name, "label": {"en": f"Set {s}", "zh": f"集合{s}"},
             "options": options}, allow_unicode=True, sort_keys=False))
    counts = {"fields": 0, "references": 0, "multi_references": 0, "formulas": 0,
              "rules": 0, "indexes": 0}
    for e in range(entities):
        name = f"entity_{e:03d}"
        doc: dict = {"entity": name, "label": {"en": f"Entity {e}", "zh": f"实体{e}"},
                     "plural": {"en": f"Entities {e}", "zh": f"实体{e}"},
                     "title": "name", "search": ["name", "code"],
                     "default_sort": ["-updated_at"]}
        fdefs: dict[str, dict] = {
            "name": {"type": "string", "label": {"en": "Name", "zh": "名称"},
                     "required": True, "max_length": 200},
            "code": {"type": "autonumber", "format": f"E{e:03d}-{{seq:06}}", "unique": True},
            "amount": {"type": "money", "min": 0},
            "rate": {"type": "percent"},
            "status": {"type": "choice", "options": sets[e % len(sets)][0],
                       "default": sets[e % len(sets)][1][0], "indexed": True},
        }
        if e > 0:  # references to earlier entities (acyclic, like real CRMs)
            fdefs["parent"] = {"type": "reference", "to": f"entity_{rnd.randrange(e):03d}",
                               "on_delete": rnd.choice(["restrict", "cascade", "set_null"])}
            counts["references"] += 1
        if e > 1:
            fdefs["related"] = {"type": "reference", "to": f"entity_{rnd.randrange(e):03d}",
                                "on_delete": "set_null"}
            fdefs["links"] = {"type": "multi_reference", "to": f"entity_{rnd.randrange(e):03d}"}
            counts["references"] += 1
            counts["multi_references"] += 1
        fdefs["weighted"] = {"type": "formula", "result": "money",
                             "expression": "amount * rate / 100.0"}
        fdefs["big"] = {"type": "formula", "result": "boolean",
                        "expression": "weighted != null && weighted > 1000.0"}
        counts["formulas"] += 2
        k = 0
        while len(fdefs) < fields:
            kind, extra = FIELD_KINDS[k % len(FIELD_KINDS)]
            fname = f"f{k:02d}_{kind}"
            fdef: dict = {"type": kind, "label": {"en": f"Field {k}", "zh": f"字段{k}"},
                          "help": {"en": "Generated", "zh": "生成的"}, **extra}
            if kind in ("choice", "multi_choice"):
                fdef["options"] = rnd.choice(sets)[0]
            if kind == "choice" and k % 3 == 0:  # some inline option lists
                fdef["options"] = ["red", "green", "blue"]
            if kind == "integer" and k % 4 == 0:
                fdef["indexed"] = True
            fdefs[fname] = fdef
            k += 1
        doc["fields"] = fdefs
        plain = [n for n, f in fdefs.items() if f["type"] in ("string", "integer", "date")]
        doc["indexes"] = [{"fields": ["status", "amount"]},
                          {"fields": ["name", plain[-1]], "unique": e % 5 == 0}]
        counts["indexes"] += 2
        doc["rules"] = [
            {"name": "rate_needs_amount", "check": "rate == null || amount != null",
             "field": "amount", "message": {"en": "Give an amount", "zh": "请填写金额"}},
            {"name": "big_amount", "when": f"status == '{sets[e % len(sets)][1][0]}'",
             "check": "amount == null || amount < 1000000000.0",
             "message": {"en": "Too big", "zh": "太大"}},
        ]
        counts["rules"] += 2
        counts["fields"] += len(fdefs)
        (folder / "entities" / f"{name}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    counts["entities"] = entities
    counts["optionsets"] = optionsets
    return counts


def compile_once(path: Path):
    from metacrm.catalog_loader import load_catalog
    from metacrm.compile.compiled import compile_catalog

    return compile_catalog(load_catalog([str(path)]))


def time_compile(path: Path, repeat: int) -> tuple[list[float], object]:
    compiled = compile_once(path)  # warm: imports, first-use caches of libraries
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        compiled = compile_once(path)
        times.append(time.perf_counter() - start)
    return times, compiled


def phase_times(path: Path) -> dict[str, float]:
    """One extra, instrumented compile: seconds spent in each phase of the compiler."""
    from metacrm import catalog_loader
    from metacrm.compile import compiled as compiled_module
    from metacrm.load import bundles

    spent: dict[str, float] = {}
    wrapped = [(bundles, "load_yaml", "YAML parse"),
               (bundles, "validate_document", "JSON Schema"),
               (catalog_loader, "resolve_catalog", "resolve + CEL checks"),
               (compiled_module, "compile_tables", "SQLAlchemy tables"),
               (compiled_module, "compile_models", "entity models")]
    originals = []
    for module, name, label in wrapped:
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*a, __original=original, __label=label, **k):
            start = time.perf_counter()
            try:
                return __original(*a, **k)
            finally:
                spent[__label] = spent.get(__label, 0.0) + time.perf_counter() - start
        setattr(module, name, timed)
    try:
        start = time.perf_counter()
        compile_once(path)
        total = time.perf_counter() - start
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    spent["other (build, files)"] = total - sum(spent.values())
    spent["total"] = total
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100)
    parser.add_argument("--fields", type=int, default=30, help="declared fields per entity")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile one compile of the synthetic bundle (top 25)")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the synthetic bundle to DIR and keep it")
    args = parser.parse_args()
    args.repeat = max(1, min(args.repeat, 50))

    with tempfile.TemporaryDirectory(prefix="metacrm-bench-bundle-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "bench_big"
        counts = generate_bundle(folder, args.entities, args.fields)
        big_times, big = time_compile(folder, args.repeat)
        ship_times, ship = time_compile(REPO, args.repeat)
        phases = {"synthetic": phase_times(folder), "shipped": phase_times(REPO)}
        profile_text = ""
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            compile_once(folder)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
            out.write("\n--- by own time ---\n")
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
            profile_text = out.getvalue()

    def row(label, times, compiled, target):
        models = compiled.models
        fields = sum(len(m.entity.fields) for m in models.values())
        med = median(times)
        return [label, len(models), fields, len(compiled.metadata.tables),
                f"{med * 1000:.0f}", f"{min(times) * 1000:.0f}", f"{max(times) * 1000:.0f}",
                f"< {target * 1000:.0f}", "ok" if med < target else "MISSED"]

    rows = [row(f"synthetic {args.entities}x{args.fields}", big_times, big, TARGET_SYNTHETIC),
            row("shipped CRM bundle", ship_times, ship, TARGET_SHIPPED)]
    text = [f"load_catalog + compile_catalog, median of {args.repeat} (ms)", "",
            table(rows, ["bundle", "entities", "fields", "tables", "median", "min", "max",
                         "target", ""]), "",
            "synthetic bundle: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
            (f"ratio median/target: synthetic {median(big_times) / TARGET_SYNTHETIC:.2f}, "
            f"shipped {median(ship_times) / TARGET_SHIPPED:.2f}  (< 1.00 meets the target)"),
            f"synthetic per entity: {median(big_times) / max(args.entities, 1) * 1000:.1f} ms",
            "", "where the time goes (one instrumented run, ms):",
            table([[label, f"{phases['synthetic'][label] * 1000:.0f}",
                    f"{phases['shipped'][label] * 1000:.0f}"] for label in phases["synthetic"]],
                  ["phase", "synthetic", "shipped"])]
    report = "\n".join(text)
    print(report)
    if profile_text:
        print("\n" + profile_text)
    print(f"\nsaved to {save_result('compile_time', report + chr(10) + profile_text)}")


if __name__ == "__main__":
    sys.exit(main())
