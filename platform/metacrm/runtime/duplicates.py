"""Find the live records a new or changed record may duplicate, by the entity's
``duplicates:`` rules, and answer a create or an update with them: refused (409) by a
blocking rule, or written with a warning.

Exact rules compare the stored (cleaned) values of their fields: one index look-up.
Fuzzy rules compare the matching keys of a name (cleaning/keys.py) with rapidfuzz,
among the records of the same block only (an indexed hidden column the writes keep),
so that a check costs a few hundred comparisons on a million records.

The caller learns nothing they may not read: a candidate outside their read scope is
told as "a record with this phone exists", without its id or title (the record
exists; who holds it is not said). A blocking rule still refuses the create: one
company is one record, whoever holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..base.problems import Conflict
from ..cleaning.keys import block_key, match_key
from ..compile.models import EntityModel
from ..definitions import DuplicateRuleDef, block_column
from ..i18n import message
from .fixed_statements import FixedStatement
from .operation import Operation
from .rows import Row
from .shaped_statements import run_select
from .sqlfunctions import joined_text

# The member of a created record's JSON listing the likely duplicates of warning
# rules (no field can be named so: field names start with a letter).
DUPLICATES_MEMBER = "_duplicates"
# Candidates listed per rule, and records of one block compared at most.
MAX_CANDIDATES = 5
MAX_BLOCK = 2000
# The member of a candidate naming an earlier item of the same bulk request.
REQUEST_ITEM = "request_item"
# A candidate record as the checks read it: (record id, title, readable, score).
Scored = tuple[int | None, Any, bool, int]


@dataclass(frozen=True)
class Candidate:
    """A live record that ``rule`` says the new values may duplicate. ``record_id`` and
    ``title`` are None for a record the caller may not read. ``request_item``: the
    candidate is an earlier item of the same bulk request (its index), with no
    ``record_id`` until it is created."""

    rule: DuplicateRuleDef
    record_id: int | None
    title: str | None
    score: int
    request_item: int | None = None

    @property
    def blocking(self) -> bool:
        return self.rule.action == "block"

    def as_json(self, model: EntityModel, lang: str) -> dict[str, Any]:
        found: dict[str, Any] = {"rule": self.rule.name, "label": self.rule.label.get(lang),
                                 "action": self.rule.action, "score": self.score}
        if self.request_item is not None:
            found[REQUEST_ITEM] = self.request_item
        if self.record_id is not None:
            found.update(id=self.record_id, title=self.title)
        elif self.request_item is not None:  # the caller sent it: its title is theirs
            found["title"] = self.title
        else:
            found["message"] = hidden_message(model, self.rule, lang)
        return found


class DuplicateFound(Conflict):
    """409 with the candidates (``duplicates`` in the body, beside ``errors``)."""

    def __init__(self, errors: dict[str, list[str]], candidates: list[dict[str, Any]]):
        super().__init__(errors)
        self.extra = {"duplicates": candidates}


def rule_fields(rule: DuplicateRuleDef) -> tuple[str, ...]:
    return rule.fields or ((rule.fuzzy,) if rule.fuzzy else ())


def hidden_message(model: EntityModel, rule: DuplicateRuleDef, lang: str) -> str:
    fields = ", ".join(model.entity.fields[n].label.get(lang) for n in rule_fields(rule))
    return message("duplicate_hidden", lang, entity=model.entity.label.get(lang),
                   fields=fields)


def find_duplicates(op: Operation, model: EntityModel, values: Mapping[str, Any], *,
                    exclude: Iterable[int] = (), rules: Iterable[str] | None = None
                    ) -> list[Candidate]:
    """The candidates of every rule (or of the rules named), best first within a rule;
    at most MAX_CANDIDATES per rule, the records the caller may not read folded into
    one candidate without id. ``values`` are cleaned values (read_payload's)."""
    found: list[Candidate] = []
    skip = set(exclude)
    for rule in model.entity.duplicates:
        if rules is not None and rule.name not in set(rules):
            continue
        if rule.fuzzy:
            rows = _similar(op, model, rule, values, skip)
        else:
            rows = _same(op, model, rule, values, skip)
        found.extend(_candidates(model, rule, rows, op))
    return found


def _readable(op: Operation, model: EntityModel) -> sa.ColumnElement:
    scope = op.viewer.read_condition(model) if op.viewer.can_read(model) else sa.false()
    return sa.true() if scope is None else sa.case((scope, True), else_=False)


def _title(model: EntityModel) -> sa.ColumnElement:
    title = model.entity.title
    table = model.table
    return table.c[title] if title and title in table.c else sa.null()


def _same(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
          values: Mapping[str, Any], skip: set[int]) -> list[tuple[int, Any, bool, int]]:
    wanted = {name: values.get(name) for name in rule.fields}
    if any(v is None or v == "" for v in wanted.values()):
        return []
    table = model.table
    statement = (sa.select(table.c.id, _title(model), _readable(op, model))
                 .where(table.c.deleted_at.is_(None),
                        *(table.c[name] == value for name, value in wanted.items()),
                        *([table.c.id.notin_(skip)] if skip else []))
                 .order_by(table.c.id).limit(MAX_CANDIDATES * 4))
    return [(row[0], row[1], bool(row[2]), 100) for row in op.conn.execute(statement)]


def _similar(op: Operation, model: EntityModel, rule: DuplicateRuleDef,
             values: Mapping[str, Any], skip: set[int]) -> list[tuple[int, Any, bool, int]]:
    from rapidfuzz import fuzz, process

    name = rule.fuzzy or ""
    key = model.match_key(name, values.get(name))
    block = block_key(key)
    if block is None:
        return []
    scores: dict[int, int] = {}
    ids, keys = _block(op.conn, model, name, block, skip)
    for _, score, index in process.extract(key, keys, scorer=fuzz.ratio, limit=None,
                                           score_cutoff=rule.threshold - 0.5):
        if round(score) >= rule.threshold:  # (a score is shown and compared rounded)
            scores[int(ids[index])] = int(round(score))
    if not scores:
        return []
    table = model.table
    similar = op.conn.execute(sa.select(table.c.id, _title(model), _readable(op, model))
                              .where(table.c.id.in_(scores))).all()
    scored = [(row[0], row[1], bool(row[2]), scores[row[0]]) for row in similar]
    scored.sort(key=lambda r: (-r[3], r[0]))
    return scored


def _block(conn: sa.Connection, model: EntityModel, name: str, block: str, skip: set[int]
           ) -> tuple[Sequence[int | str], Sequence[str]]:
    """The ids (as numbers or as digits) and matching keys of the first MAX_BLOCK live
    records of ``block``.

    A create compares its name with a whole block: 2,000 rows read one by one cost it
    more than the rest of the create. The database joins the block's ids and names
    into two texts instead (one pass over the same rows: in the same order), split at
    C speed; and the same block's names give the same keys, kept for a few blocks."""
    table = model.table
    in_block = table.c[block_column(name)] == block
    found = (run_select(conn, _joined(_block_rows(table, name, skip).where(in_block)
                                      .subquery(), name)) if skip else
             _joined_block(table, name).execute(conn, {"block": block}))
    ids_text, names_text = found.rows[0]
    if not ids_text:
        return [], []
    ids = ids_text.split(",")  # (made numbers only for the similar ones, the caller's)
    keys = _block_keys(names_text, model.is_company(name))
    if len(keys) != len(ids):  # a name holding the separator: read row by row
        listed = conn.execute(_block_rows(table, name, skip).where(in_block)).all()
        return [i for i, _ in listed], [model.match_key(name, v) for _, v in listed]
    return ids, keys


def _block_rows(table: sa.Table, name: str, skip: set[int]) -> sa.Select:
    """The first MAX_BLOCK live records (id, ``name``) of a block (the caller adds which
    block), but those of ``skip``."""
    return (sa.select(table.c.id, table.c[name])
            .where(table.c.deleted_at.is_(None),
                   *([table.c.id.notin_(skip)] if skip else []))
            .order_by(table.c.id).limit(MAX_BLOCK))


def _joined(rows: sa.Subquery, name: str) -> sa.Select:
    return sa.select(joined_text(sa.cast(rows.c.id, sa.Text), ","),
                     joined_text(sa.func.coalesce(rows.c[name], ""), NAME_SEPARATOR))


@lru_cache(maxsize=256)
def _joined_block(table: sa.Table, name: str) -> FixedStatement:
    """A create's block statement (no record skipped), built once per table and field:
    ``block`` its parameter."""
    rows = _block_rows(table, name, set()).where(
        table.c[block_column(name)] == sa.bindparam("block")).subquery()
    return FixedStatement(_joined(rows, name))


# Between a block's names as the database joins them (no name a person types has it).
NAME_SEPARATOR = "\x1f"


@lru_cache(maxsize=16)  # a block's keys are about 100 KB
def _block_keys(names: str, company: bool) -> tuple[str, ...]:
    return tuple(match_key(value, company) for value in names.split(NAME_SEPARATOR))


BLOCKS_A_STATEMENT = 50


def block_records(conn: sa.Connection, model: EntityModel, name: str, blocks: Sequence[str],
                  columns: Sequence[sa.ColumnElement], where: Sequence[sa.ColumnElement]
                  ) -> dict[str, list[Any]]:
    """The first MAX_BLOCK records by id of each of ``blocks`` of the fuzzy field
    ``name`` that ``where`` lets in, as ``columns``, by block (id order). Each block is
    read with a LIMIT of its own (a block of a million names is not read to find its
    first records), BLOCKS_A_STATEMENT blocks a statement."""
    table = model.table
    column = table.c[block_column(name)]
    found: dict[str, list[Any]] = {block: [] for block in blocks}
    for start in range(0, len(blocks), BLOCKS_A_STATEMENT):
        parts = [sa.select(table.c.id.label("block_record"), *columns,
                           column.label("block_of"))
                 .where(*where, column == block)
                 .order_by(table.c.id).limit(MAX_BLOCK).subquery()
                 for block in blocks[start:start + BLOCKS_A_STATEMENT]]
        statement: Any = (sa.select(parts[0]) if len(parts) == 1
                          else sa.union_all(*(sa.select(p) for p in parts)))
        for row in conn.execute(statement):
            found[row[-1]].append(row)
    for rows in found.values():  # a union's parts come in no set order
        rows.sort(key=lambda row: row[0])
    return found


def _candidates(model: EntityModel, rule: DuplicateRuleDef, rows: Sequence[Scored],
                op: Operation, items: Sequence[int | None] | None = None) -> list[Candidate]:
    """``rows`` (best first) as the answer lists them: the first MAX_CANDIDATES the
    caller may read, then one candidate without id for those they may not. ``items``:
    beside each row, the bulk request's item it is (None: a record)."""
    hidden_title = (model.entity.title or "") in op.viewer.of(model).hidden
    numbered = zip(rows, items if items is not None else [None] * len(rows), strict=True)
    shown: list[Candidate] = []
    for (record_id, title, readable, score), item in numbered:
        if readable:  # (an import's row may have dozens: only the first few are made)
            shown.append(Candidate(rule, record_id, None if hidden_title else title, score,
                                   item))
            if len(shown) == MAX_CANDIDATES:
                break
    unseen = [score for _, _, readable, score in rows if not readable]
    if unseen:
        shown.append(Candidate(rule, None, None, max(unseen)))
    return shown


def check_new_record(op: Operation, model: EntityModel, values: Mapping[str, Any], *,
                     blocking: bool | None = None) -> list[dict[str, Any]]:
    """The duplicate check of a create (API, pages, intake; many records at once:
    duplicate_batches.py): a blocking rule's candidates refuse it with 409
    (DuplicateFound); the warning rules' are returned, as the response shows them.
    ``blocking``: only the blocking rules (True) or only the warning ones (False).

    A single create reads its warnings before its write transaction and checks the
    blocking rules in it: on SQLite a write holds the database's one write lock, and a
    similar-name rule reads a block of up to MAX_BLOCK names (a full block in the
    lock made concurrent creates a third as fast). A warning only informs, so a
    record created in between may go unmentioned; a refusal may not, and is not."""
    rules = None if blocking is None else [
        rule.name for rule in model.entity.duplicates
        if (rule.action == "block") == blocking]
    if rules == []:
        return []
    return answer(op, model, find_duplicates(op, model, values, rules=rules))


def changed_rules(model: EntityModel, current: Row, values: Mapping[str, Any]) -> list[str]:
    """The rules an update touches: those with a field whose value it changes. A rule
    whose fields stay as they are found nothing new (or was already answered)."""
    return [rule.name for rule in model.entity.duplicates
            if any(name in values and values[name] != current.get(name)
                   for name in rule_fields(rule))]


def check_changed_record(op: Operation, model: EntityModel, current: Row,
                         values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The duplicate check of an update: the rules whose fields ``values`` (cleaned, as
    read_payload reads them) change, against every live record but this one, answered
    as a create's (``answer``)."""
    rules = changed_rules(model, current, values)
    if not rules:
        return []
    found = find_duplicates(op, model, {**current, **values}, exclude=[current["id"]],
                            rules=rules)
    return answer(op, model, found)


def answer(op: Operation, model: EntityModel, found: list[Candidate]
           ) -> list[dict[str, Any]]:
    """Refuse with 409 when a blocking rule found candidates (DuplicateFound, errors at
    each rule's first field); otherwise the candidates, as the answer lists them."""
    if not found:
        return []
    lang = op.locale
    blocking = [c for c in found if c.blocking]
    if blocking:
        raise DuplicateFound(blocked_errors(model, [c.rule for c in blocking], lang),
                             [c.as_json(model, lang) for c in blocking])
    return [c.as_json(model, lang) for c in found]


def blocked_errors(model: EntityModel, rules: Iterable[DuplicateRuleDef], lang: str
                   ) -> dict[str, list[str]]:
    """The 409's errors: per blocking rule, its message at the rule's first field."""
    errors: dict[str, list[str]] = {}
    for rule in rules:
        key = rule_fields(rule)[0]
        text = message("duplicate_blocked", lang, entity=model.entity.label.get(lang),
                       rule=rule.label.get(lang))
        if text not in errors.get(key, []):
            errors.setdefault(key, []).append(text)
    return errors


def likely_duplicates(op: Operation, model: EntityModel, record: Mapping[str, Any]
                      ) -> list[dict[str, Any]]:
    """The candidates of every rule for a record there is (its page, after a create
    that warned), itself left out."""
    found = find_duplicates(op, model, record, exclude=[record["id"]])
    return [c.as_json(model, op.locale) for c in found]
