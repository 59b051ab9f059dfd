"""Keyset paging: a list's sort keys, the condition for the rows after a page's last
one, and the cursor that carries that row's sort values between requests (an opaque,
URL-safe token a client passes back unchanged)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..fieldtypes import FieldTypes
from ..values import fit_column_integer, json_value
from .rows import Row


@dataclass(frozen=True)
class SortKey:
    name: str
    column: sa.ColumnElement
    kind: str
    descending: bool
    # For choice fields: the option order, since they sort as their option set lists them.
    ordinals: Mapping[str, int] | None = None

    def position(self, value: Any) -> Any:
        """The value the ordering compares (an option's rank for a choice)."""
        if self.ordinals is None:
            return value
        return self.ordinals.get(value, len(self.ordinals))  # empty ranks after every option


def after_condition(sort: Sequence[SortKey], after: Sequence[Any], named: bool = False
                    ) -> sa.ColumnElement:
    """The rows that sort after the row whose sort values are ``after``; ``named``: the
    values as bound parameters ``after_<i>`` (given at execution), not literals."""
    alternatives = []
    equal_so_far: list[sa.ColumnElement] = []
    if named:
        after = [None if value is None else sa.bindparam(f"after_{i}", value,
                                                         type_=key.column.type)
                 for i, (key, value) in enumerate(zip(sort, after, strict=True))]
    for key, value in zip(sort, after, strict=True):
        alternatives.append(sa.and_(*equal_so_far, _after(key, value)))
        equal_so_far.append(key.column.is_(None) if value is None else key.column == value)
    condition = sa.or_(*alternatives)
    first, first_value = sort[0], after[0]
    if first.descending and first_value is not None:
        # Redundant bound that lets the database range-scan an index.
        condition = sa.and_(first.column <= first_value, condition)
    return condition


def _after(key: SortKey, value: Any) -> sa.ColumnElement:
    if value is None:
        return key.column.is_not(None) if key.descending else sa.false()
    if key.descending:
        return key.column < value
    return sa.or_(key.column > value, key.column.is_(None))


def encode_cursor(sort: Sequence[SortKey], row: Row) -> str:
    """The cursor of ``row``: the sort it belongs to and its sort values."""
    payload = {"s": _signature(sort), "v": [json_value(k.position(row[k.name])) for k in sort]}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str, sort: Sequence[SortKey], types: FieldTypes) -> list[Any]:
    """The sort values a cursor carries; ValueError says why a cursor is refused (not
    one of ours, made for another sort, or damaged)."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        signature, values = payload["s"], payload["v"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValueError("not a cursor from this API: pass back 'next_cursor' unchanged") from None
    if signature != _signature(sort) or not isinstance(values, list) or len(values) != len(sort):
        raise ValueError("the cursor belongs to another sort order: keep 'sort' the same "
                         "between pages")
    try:
        return [None if v is None else fit_column_integer(types.parse(k.kind, str(v)),
                                                          getattr(k.column, "type", None))
                for k, v in zip(sort, values, strict=True)]
    except ValueError:
        raise ValueError("the cursor is damaged: pass back 'next_cursor' unchanged") from None


def _signature(sort: Sequence[SortKey]) -> list[str]:
    return [("-" if k.descending else "") + k.name for k in sort]
