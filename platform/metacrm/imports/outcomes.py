"""What an import logs of each row (its action, record, earlier values, errors), and
the few ways of writing a row's errors and keys that the batch's parts share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..values import json_value


@dataclass
class Outcome:
    """One row's result, logged as it is."""

    row: int
    action: str
    record_id: int | None = None
    version: int | None = None
    before: dict[str, Any] | None = None
    errors: dict[str, Any] | None = None  # messages; created, updated: _duplicates
    cells: list[Any] | None = None


def failed(number: int, cells: list[Any], errors: dict[str, list[str]]) -> Outcome:
    return Outcome(number, "failed", errors=errors, cells=[json_value(c) for c in cells])


def created(number: int, record: dict[str, Any], warnings: list[dict[str, Any]] | None
            ) -> Outcome:
    return Outcome(number, "created", record["id"], record.get("version", 1),
                   errors={"_duplicates": warnings} if warnings else None)


def by_item(errors: dict[str, list[str]]) -> dict[int, dict[str, list[str]]]:
    """``{"items[3].name": [...]}`` -> ``{3: {"name": [...]}}``; {} when an error is
    not an item's (the batch's as a whole)."""
    found: dict[int, dict[str, list[str]]] = {}
    for key, messages in errors.items():
        if not key.startswith("items["):
            return {}
        index, _, name = key[len("items["):].partition("].")
        found.setdefault(int(index), {})[name] = messages
    return found


def item_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A one-item bulk create's errors as the row's (``items[0].name`` -> ``name``)."""
    return {k.split(".", 1)[1] if k.startswith("items[") else k: v for k, v in errors.items()}


def shown_key(match: tuple[str, ...], key: tuple[Any, ...] | None) -> str:
    if key is None:
        return ""
    return ", ".join(f"{n} = {json_value(v)}" for n, v in zip(match, key, strict=True))
