"""Which column of a file goes into which field: suggested from the entity's field
names and labels (every language) and the last mapping used for the entity, or
given in a mapping file (YAML or JSON) that also sets defaults."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..compile.models import EntityModel
from ..definitions import COMPUTED_TYPES


class BadMapping(ValueError):
    """A mapping (file or form) that names unknown fields or columns; says which."""


@dataclass(frozen=True)
class ColumnMapping:
    """``columns``: header -> field name (None: not imported); ``defaults``: field ->
    the value a row gets when its cell is empty or the file has no such column."""

    columns: dict[str, str | None]
    defaults: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "defaults": dict(self.defaults)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """``{"columns": {...}, "defaults": {...}}``, or a plain ``{column: field}``."""
        if not isinstance(data, Mapping):
            raise BadMapping("expected an object of columns to fields")
        if "columns" in data or "defaults" in data:
            extra = set(data) - {"columns", "defaults"}
            if extra:
                raise BadMapping(f"unknown key(s) {', '.join(sorted(extra))}; a mapping has "
                                 "'columns' and 'defaults'")
            columns, defaults = data.get("columns") or {}, data.get("defaults") or {}
        else:
            columns, defaults = data, {}
        if not isinstance(columns, Mapping) or not isinstance(defaults, Mapping):
            raise BadMapping("'columns' and 'defaults' must each map names to values")
        return cls({str(k): (str(v) if v not in (None, "") else None)
                    for k, v in columns.items()}, {str(k): v for k, v in defaults.items()})


def importable(model: EntityModel) -> list[str]:
    """The fields a file may fill: stored or linked, not computed by the platform."""
    return [name for name, f in model.entity.fields.items() if f.type not in COMPUTED_TYPES]


def _key(text: str) -> str:
    """A header or label reduced to what tells it apart: NFKC (full-width to plain),
    lower case, no spaces, punctuation or required-marks (``*姓名``)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s_\-*:：()（）\[\]【】]+", "", text)


def suggest(model: EntityModel, header: Sequence[str],
            previous: ColumnMapping | None = None) -> ColumnMapping:
    """A field for each column that names one: the previous mapping's choice first,
    then a field's name or any of its labels, then the id column (for updates)."""
    names = importable(model)
    keys: dict[str, str] = {}
    for name in names:
        f = model.entity.fields[name]
        for text in (name, *f.label.as_dict().values()):
            keys.setdefault(_key(text), name)
    keys.setdefault("id", "id")
    columns: dict[str, str | None] = {}
    taken: set[str] = set()
    for column in header:
        chosen = None
        if previous is not None and column in previous.columns:
            chosen = previous.columns[column]
            chosen = chosen if chosen in names or chosen == "id" else None
        if chosen is None:
            chosen = keys.get(_key(column))
        if chosen in taken:
            chosen = None  # two columns for one field: the first wins, say so by leaving it
        if chosen is not None:
            taken.add(chosen)
        columns[column] = chosen
    defaults = dict(previous.defaults) if previous is not None else {}
    return ColumnMapping(columns, {k: v for k, v in defaults.items() if k in names})


def load_mapping_file(path: str | Path) -> ColumnMapping:
    """A mapping file, YAML (.yaml, .yml) or JSON; BadMapping says what is wrong."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadMapping(f"{path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise BadMapping(f"{path}: expected a mapping of columns to fields")
    try:
        return ColumnMapping.from_dict(data)
    except BadMapping as exc:
        raise BadMapping(f"{path}: {exc}") from None


def combine(suggested: ColumnMapping, given: ColumnMapping | None) -> ColumnMapping:
    """The suggestion overridden column by column (and default by default) by ``given``."""
    if given is None:
        return suggested
    columns = dict(suggested.columns)
    columns.update(given.columns)
    return ColumnMapping(columns, {**suggested.defaults, **given.defaults})


def check_mapping(model: EntityModel, header: Sequence[str], mapping: ColumnMapping) -> None:
    """Every named column is in the file, every field is importable and mapped once."""
    names = set(importable(model)) | {"id"}
    problems = []
    missing = [c for c, f in mapping.columns.items() if f is not None and c not in header]
    if missing:
        problems.append(f"column(s) not in the file: {', '.join(missing)} "
                        f"(the file's columns: {', '.join(header)})")
    unknown = sorted({f for f in mapping.columns.values() if f is not None and f not in names}
                     | {f for f in mapping.defaults if f not in names or f == "id"})
    if unknown:
        problems.append(f"unknown or computed field(s) of {model.name}: {', '.join(unknown)} "
                        f"(importable: {', '.join(sorted(names))})")
    used = [f for c, f in mapping.columns.items() if f is not None and c in header]
    twice = sorted({f for f in used if used.count(f) > 1})
    if twice:
        problems.append(f"field(s) mapped from more than one column: {', '.join(twice)}")
    if problems:
        raise BadMapping("; ".join(problems))
