"""The compiler's pure layers import no web framework, job queue or database session."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

PURE_MODULES = ["metacrm.definitions", "metacrm.load.documents", "metacrm.load.schema",
                "metacrm.build.entities",
                "metacrm.load.bundles", "metacrm.resolve.catalog", "metacrm.expressions",
                "metacrm.catalog_loader", "metacrm.compile.compiled", "metacrm.build.forms",
                "metacrm.resolve.forms", "metacrm.compile.forms", "metacrm.build.reports",
                "metacrm.resolve.reports", "metacrm.resolve.report_paths",
                "metacrm.resolve.report_reads", "metacrm.resolve.report_schedules"]


def test_pure_layers_do_not_pull_in_flask_or_rq() -> None:
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in PURE_MODULES)
            + "print(sorted(m for m in ('flask', 'rq', 'redis', 'werkzeug') if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "[]"


def test_importing_metacrm_does_nothing_visible() -> None:
    code = "import metacrm, sys; print('flask' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "False"


# The engine is every module of the metacrm package except the shipped CRM's demo
# generator, which it reaches only as a plugin (demo/organisation.yaml names it).
ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "platform" / "metacrm"
DEMO_PACKAGE = ENGINE / "demo"


def _engine_modules() -> list[Path]:
    modules = [p for p in sorted(ENGINE.rglob("*.py")) if DEMO_PACKAGE not in p.parents]
    assert len(modules) > 100 and ENGINE / "operations.py" in modules
    return modules


def _imported(path: Path, tree: ast.Module) -> set[str]:
    """Absolute names of the modules ``tree`` imports (relative ones resolved)."""
    package = ".".join(path.relative_to(ENGINE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + [node.module] if node.module else base) if node.level \
                else node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_engine_does_not_import_the_demo_generator() -> None:
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in _engine_modules()
                 for name in sorted(_imported(path, ast.parse(path.read_text())))
                 if name == "metacrm.demo" or name.startswith("metacrm.demo.")]
    assert offenders == []


def _shipped_names() -> set[str]:
    """Entity, role and demo user names of the shipped CRM bundle, less the words the
    definition language itself uses as keys (``activity`` of a return rule, ``admin``
    of a role): those are engine vocabulary."""
    names: set[str] = set()
    for folder, kind in (("entities", "entity"), ("roles", "role")):
        for path in (ROOT / folder).rglob("*.yaml"):
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(document, dict) and kind in document:
                    names.add(document[kind])
    demo = yaml.safe_load((ROOT / "demo" / "organisation.yaml").read_text(encoding="utf-8"))
    names.update(person["username"] for person in demo["people"])
    assert {"customer", "opportunity", "salesperson", "wang.fang"} <= names
    schema = json.loads((ENGINE / "schemas" / "definitions.schema.json").read_text())
    keys = {key for definition in schema["$defs"].values()
            for key in definition.get("properties", {})}
    return names - keys


def _texts(tree: ast.Module) -> list[ast.Constant]:
    """The string literals of ``tree`` that are not docstrings."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_shipped_crm_name_is_written_into_engine_code() -> None:
    names = _shipped_names()
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
                 for path in _engine_modules() for node in _texts(ast.parse(path.read_text()))
                 if node.value in names or any(
                     word in names for word in re.findall(r"[a-z_][a-z0-9_.]*", node.value)
                     if "_" in word or "." in word)]
    assert offenders == []
