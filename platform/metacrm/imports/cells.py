"""A file's row as a request body: each cell read by its field's type (the type's
``read_cell``), references found by code or name among the records the importer
may read, users by user name or name, choices by value or label."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import FieldDef
from ..fieldtypes.multi_choice import split_cell
from ..runtime.access import Viewer
from ..values import json_value
from .mapping import ColumnMapping, _key

# Kinds whose text is stored as typed (the field's ``clean:`` steps, if any, decide).
VERBATIM = frozenset({"string", "text", "json"})


MAX_OPTIONS_SAID = 12  # how many options a refused cell lists


class CellError(ValueError):
    """A cell that cannot become its field's value; the message says why."""


class RowReader:
    """Turns rows into request bodies for one import (caches the names it resolved)."""

    def __init__(self, conn: sa.Connection, compiled: Compiled, viewer: Viewer,
                 model: EntityModel, header: Sequence[str], mapping: ColumnMapping):
        self.conn, self.compiled, self.viewer, self.model = conn, compiled, viewer, model
        self.header = list(header)
        self.positions = [(i, mapping.columns.get(c)) for i, c in enumerate(self.header)]
        self.defaults = mapping.defaults
        self._found: dict[tuple[str, str], int] = {}
        self._refused: dict[tuple[str, str], str] = {}  # what look_up found no single one of
        self._options: dict[str, dict[str, str]] = {}
        self._readers: dict[str, Callable[[Any], Any]] = {}  # by field: its cells' reader

    def body(self, cells: list[Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The row's request body (JSON values), and the cells that could not be read
        ({field: [why]}); ragged and blank rows are errors of the row itself."""
        errors: dict[str, list[str]] = {}
        if not cells:
            return {}, {"_row": ["the row is empty"]}
        if len(cells) > len(self.header) and any(
                c not in (None, "") for c in cells[len(self.header):]):
            errors["_row"] = [f"the row has {len(cells)} cells, the header "
                              f"{len(self.header)}: a value has a comma or a quote too many?"]
        body: dict[str, Any] = {}
        readers = self._readers
        for index, name in self.positions:
            if name is None:
                continue
            cell = cells[index] if index < len(cells) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                continue
            try:
                body[name] = readers[name](cell) if name in readers else self.value(name, cell)
            except CellError as exc:
                errors.setdefault(name, []).append(str(exc))
            except ValueError as exc:
                said = str(exc)  # most types name the value already; else say it
                errors.setdefault(name, []).append(
                    said if _text(cell) in said else f"{_shown(cell)}: {said}")
        for name, value in self.defaults.items():
            if name not in body and name not in errors:
                body[name] = value
        return body, errors

    def look_up(self, rows: Sequence[list[Any]]) -> None:
        """Find the records and users the cells of ``rows`` name, a statement per
        referenced entity and key for them all (instead of one per name), and keep
        the answers as ``reference`` and ``user`` would give them one by one."""
        wanted: dict[str, set[str]] = {}
        for index, name in self.positions:
            field_def = self.model.entity.fields.get(name or "")
            if field_def is None or field_def.type not in (
                    "reference", "multi_reference", "user"):
                continue
            target = "$user" if field_def.type == "user" else field_def.to or ""
            for cells in rows:
                cell = cells[index] if index < len(cells) else None
                if cell is None or (isinstance(cell, str) and not cell.strip()):
                    continue
                parts = split_cell(cell) if field_def.type == "multi_reference" else [cell]
                wanted.setdefault(target, set()).update(
                    text for part in parts if (text := _text(part))
                    and not (text.startswith("#") and text[1:].isdecimal()))
        for target, texts in wanted.items():
            todo = sorted(t for t in texts if (target, t) not in self._found)
            if todo:
                self._look_up(target, todo)

    def _look_up(self, target: str, texts: list[str]) -> None:
        if target == "$user":
            users = self.compiled.tables.users
            keys: list[tuple[str, Any, Any]] = [
                (c.name, c, users.c.active.is_(True))
                for c in (users.c.username, users.c.name, users.c.email)]
            table: Any = users
        else:
            model = self.compiled.models[target]
            table = model.table
            scope = self.viewer.read_condition(model)
            live = table.c.deleted_at.is_(None)
            keys = [(k, table.c[k], live if scope is None else sa.and_(live, scope))
                    for k in self._keys(model)]
        left = list(texts)
        for key, column, condition in keys:
            if not left:
                break
            integer = target != "$user" and \
                self.compiled.models[target].entity.fields[key].type == "integer"
            values = {t: int(t) for t in left if t.lstrip("-").isdecimal()} if integer \
                else {t: t for t in left}
            if not values:
                continue
            ranked = sa.select(table.c.id, column.label("value"), sa.func.row_number().over(
                partition_by=column, order_by=table.c.id).label("n")).where(
                column.in_(sorted(set(values.values()), key=repr)), condition).subquery()
            ids: dict[Any, list[int]] = {}
            for row in self.conn.execute(sa.select(ranked).where(ranked.c.n <= 2)):
                ids.setdefault(row[1], []).append(row[0])
            still = []
            for text in left:
                found = ids.get(values[text], []) if text in values else []
                if len(found) == 1:
                    self._found[(target, text)] = found[0]
                elif len(found) > 1 and target != "$user":
                    keys_shown = self._keys(self.compiled.models[target])
                    self._refused[(target, text)] = (
                        f"{text!r} names more than one {target} (by {key}); "
                        f"give its {keys_shown[0]} or #id")
                else:
                    still.append(text)
            left = still
        named = "" if target == "$user" else \
            " or ".join(self._keys(self.compiled.models[target])) or "id"
        for text in left:
            self._refused[(target, text)] = (
                f"no single active user with user name, name or e-mail {text!r}"
                if target == "$user" else f"no {target} with {named} {text!r} that you may read")

    @staticmethod
    def _keys(target: EntityModel) -> list[str]:
        """The fields a cell may name a record by: its unique keys, then its title."""
        entity = target.entity
        keys = [n for n, f in entity.fields.items() if f.unique and f.stored
                and f.type in ("string", "autonumber", "email", "phone", "url", "integer")]
        if entity.title and entity.title not in keys:
            keys.append(entity.title)
        return keys

    def value(self, name: str, cell: Any) -> Any:
        """The cell of field ``name`` as a request body holds it."""
        read = self._readers.get(name)
        if read is None:  # each field's way of reading is worked out once per batch
            read = self._readers[name] = self._reader(name)
        return read(cell)

    def _reader(self, name: str) -> Callable[[Any], Any]:
        if name == "id":
            return _integer
        field_def = self.model.entity.fields[name]
        kind = field_def.type
        if kind == "reference":
            return lambda cell: self.reference(field_def, cell)
        if kind == "multi_reference":
            return lambda cell: [self.reference(field_def, part) for part in split_cell(cell)]
        if kind == "user":
            return self.user
        if kind == "choice":
            return lambda cell: self.option(field_def, cell)
        if kind == "multi_choice":
            return lambda cell: [self.option(field_def, part) for part in split_cell(cell)]
        field_type = self.compiled.catalog.field_types.of(field_def)
        read_cell = field_type.read_cell
        if kind in VERBATIM:
            return lambda cell: json_value(read_cell(cell, field_def))
        # A spreadsheet's times carry no offset: they are the bundles' time zone's.
        zone = self.compiled.catalog.settings.tzinfo

        def read(cell: Any) -> Any:
            if isinstance(cell, str):
                # A number, date or phone typed with full-width digits (１２０,
                # ２０２４－０３－０１) means what its ASCII twin does; names and texts are
                # left to the fields' own cleaning, which applies on every write.
                cell = unicodedata.normalize("NFKC", cell)
                if kind in ("date", "datetime"):
                    cell = _iso_date(cell)
                elif kind == "boolean":
                    cell = _YES_NO.get(cell.strip().lower(), cell)
            return json_value(read_cell(field_type.taken_in(cell, zone), field_def))
        return read

    def reference(self, field_def: FieldDef, cell: Any) -> int:
        """The record of ``field_def.to`` the cell names by one of its unique fields or
        its title (among those the importer may read), or by ``#id``."""
        text = _text(cell)
        if text.startswith("#") and text[1:].isdecimal():
            return int(text[1:])
        return self._named(field_def.to or "", text)

    def user(self, cell: Any) -> int:
        text = _text(cell)
        if text.startswith("#") and text[1:].isdecimal():
            return int(text[1:])
        return self._named("$user", text)

    def _named(self, target: str, text: str) -> int:
        """What ``look_up`` found for ``text``; a name it was not given (a row of an
        entity that refers to itself is read as its turn comes) is looked up now, the
        same way."""
        cache = (target, text)
        if cache not in self._found and cache not in self._refused:
            self._look_up(target, [text])
        if cache in self._found:
            return self._found[cache]
        raise CellError(self._refused[cache])

    def option(self, field_def: FieldDef, cell: Any) -> str:
        """An option's value, or the value of the option whose label (any language)
        the cell shows; a cell that is neither says so, quoting it, with what would do."""
        text = _text(cell)
        known = self._options.get(field_def.name)
        if known is not None and (found := known.get(text)):
            return found
        optionset = self.compiled.catalog.optionsets.get(field_def.options or "")
        if known is None:  # every way of writing each option, once per field
            known = self._options[field_def.name] = {} if optionset is None else {
                key: option.value for option in reversed(optionset.options)
                for key in (_key(option.value), *map(_key, option.label.as_dict().values()))}
            known.update({o: o for o in known.values()})
        found = known.get(text) or known.get(_key(text))
        if found is None and optionset is not None:
            written = [" / ".join(dict.fromkeys((o.value, *o.label.as_dict().values())))
                       for o in optionset.options[:MAX_OPTIONS_SAID]]
            more = ", …" if len(optionset.options) > MAX_OPTIONS_SAID else ""
            raise CellError(f"{text!r} is not an option; write one of: "
                            f"{', '.join(written)}{more}")
        return found or text


# Yes and no as people type them in a spreadsheet (the type reads true/false, yes/no, 1/0).
_YES_NO = {"是": "true", "否": "false", "y": "true", "n": "false", "√": "true", "×": "false"}
# How spreadsheets in China and elsewhere write a day when saving CSV: 2024/3/2,
# 2024.3.2, 2024年3月2日, with a time after it or not.
_DAY = re.compile(r"\s*(\d{4})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*日?(.*)")


def _iso_date(text: str) -> str:
    found = _DAY.fullmatch(text)
    if found is None:
        return text
    year, month, day, rest = found.groups()
    rest = rest.strip()
    if rest and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", rest):
        hour, _, minute_second = rest.partition(":")
        rest = "T" + hour.zfill(2) + ":" + minute_second
    return f"{year}-{month.zfill(2)}-{day.zfill(2)}{rest}"


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _integer(cell: Any) -> int:
    text = _text(cell)
    if not text.lstrip("#").isdecimal():
        raise CellError(f"{text!r} is not a record id")
    return int(text.lstrip("#"))


def _shown(cell: Any) -> str:
    text = repr(cell) if not isinstance(cell, str) else repr(cell.strip())
    return text if len(text) <= 60 else text[:57] + "...'"
