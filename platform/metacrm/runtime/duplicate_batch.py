"""The duplicate check of a bulk create (POST /api/<entity>/bulk): each item against
the live records, as a create is checked, and against the items before it in the same
request, as if they had been created one by one in order.

Items are compared in memory, by the same rules: an exact rule's cleaned values, a
fuzzy rule's matching keys within a block (at most MAX_BULK items, so a request costs
at most a block's pairs). A match with an earlier item is a candidate like any other,
naming the item (``request_item``) instead of a record; after the create, a warning's
candidate gets the id the earlier item was created with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..cleaning.keys import block_key
from ..compile.models import EntityModel
from ..definitions import DuplicateRuleDef
from .duplicates import (
    MAX_CANDIDATES,
    DuplicateFound,
    blocked_errors,
    find_duplicates,
)
from .operation import Operation

# The member of a candidate naming an earlier item of the same request.
REQUEST_ITEM = "request_item"

Twin = tuple[DuplicateRuleDef, int, int]  # rule, earlier item, score


def check_new_records(op: Operation, model: EntityModel, rows: Sequence[Mapping[str, Any]]
                      ) -> list[list[dict[str, Any]]]:
    """Each item's likely duplicates (per item, as its ``_duplicates`` lists them), or
    DuplicateFound for the whole request when a blocking rule matched any item: errors
    at ``items[<n>].<field>``, each candidate with ``"item": n``."""
    lang = op.locale
    twins = request_twins(model, rows)
    warnings: list[list[dict[str, Any]]] = []
    errors: dict[str, list[str]] = {}
    blocked: list[dict[str, Any]] = []
    for index, values in enumerate(rows):
        found = [c.as_json(model, lang) for c in find_duplicates(op, model, values)]
        found += [_twin_json(model, rows, rule, earlier, score, lang)
                  for rule, earlier, score in twins[index]]
        blocking = [c for c in found if c["action"] == "block"]
        if blocking:
            rules = [r for r in model.entity.duplicates
                     if any(c["rule"] == r.name for c in blocking)]
            errors.update({f"items[{index}].{k}": v
                           for k, v in blocked_errors(model, rules, lang).items()})
            blocked.extend({**c, "item": index} for c in blocking)
        warnings.append([] if blocking else found)
    if errors:
        raise DuplicateFound(errors, blocked)
    return warnings


def name_created(warnings: list[list[dict[str, Any]]], created: list[dict[str, Any]]) -> None:
    """Give each candidate that is an earlier item of the request that item's new id."""
    for found in warnings:
        for candidate in found:
            if REQUEST_ITEM in candidate:
                candidate["id"] = created[candidate[REQUEST_ITEM]]["id"]


def request_twins(model: EntityModel, rows: Sequence[Mapping[str, Any]]) -> list[list[Twin]]:
    """Per item, the earlier items each rule says it duplicates (best first within a
    rule, at most MAX_CANDIDATES per rule)."""
    twins: list[list[Twin]] = [[] for _ in rows]
    for rule in model.entity.duplicates:
        found = _similar_items(model, rule, rows) if rule.fuzzy else _same_items(rule, rows)
        for index, matches in found.items():
            matches.sort(key=lambda m: (-m[1], m[0]))
            twins[index].extend((rule, earlier, score)
                                for earlier, score in matches[:MAX_CANDIDATES])
    return twins


def _same_items(rule: DuplicateRuleDef, rows: Sequence[Mapping[str, Any]]
                ) -> dict[int, list[tuple[int, int]]]:
    seen: dict[tuple[Any, ...], list[int]] = {}
    found: dict[int, list[tuple[int, int]]] = {}
    for index, values in enumerate(rows):
        key = tuple(values.get(name) for name in rule.fields)
        if any(v is None or v == "" for v in key):
            continue  # empty values never match, as against the records
        earlier = seen.setdefault(key, [])
        if earlier:
            found[index] = [(e, 100) for e in earlier]
        earlier.append(index)
    return found


def _similar_items(model: EntityModel, rule: DuplicateRuleDef,
                   rows: Sequence[Mapping[str, Any]]) -> dict[int, list[tuple[int, int]]]:
    from rapidfuzz import fuzz

    name = rule.fuzzy or ""
    blocks: dict[str, list[tuple[int, str]]] = {}
    found: dict[int, list[tuple[int, int]]] = {}
    for index, values in enumerate(rows):
        value = values.get(name)
        if value is None or value == "":
            continue
        key = model.match_key(name, value)
        block = block_key(key)
        if block is None:
            continue
        earlier = blocks.setdefault(block, [])
        # alike as a create counts it: the rounded score reaches the threshold
        matches = [(e, int(round(score))) for e, other in earlier
                   if round(score := fuzz.ratio(key, other)) >= rule.threshold]
        if matches:
            found[index] = matches
        earlier.append((index, key))
    return found


def _twin_json(model: EntityModel, rows: Sequence[Mapping[str, Any]], rule: DuplicateRuleDef,
               earlier: int, score: int, lang: str) -> dict[str, Any]:
    # The caller sent the earlier item: its title is theirs to see (a title field their
    # role hides is one they cannot write, so it is not there).
    title = model.entity.title
    return {"rule": rule.name, "label": rule.label.get(lang), "action": rule.action,
            "score": score, REQUEST_ITEM: earlier, "title": rows[earlier].get(title)
            if title else None}

