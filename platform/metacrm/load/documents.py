"""Read YAML files into plain data while remembering where every node stood.

PyYAML's ``compose`` keeps the marks that ``safe_load`` throws away; we build
the data ourselves from the node tree and record each value's and each key's
position by its path, so that later phases (schema validation, reference
checks) can point at the exact line and column.

A definition file may come from anyone who can write to a bundle (or send a
customization), so reading one costs bounded work: a file is at most
``MAX_FILE_BYTES``, nests at most ``MAX_DEPTH`` levels, holds at most
``MAX_ALIASES`` aliases each standing for at most ``MAX_ALIAS_VALUES`` values (an
alias of an alias of an alias... turns a kilobyte into gigabytes), and numbers of
at most ``MAX_NUMBER_LENGTH`` characters. What breaks a limit is a located error,
like a syntax error, never an exception.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..definitions import Location
from ..errors import ErrorCollector
from .yaml_errors import explain_syntax_error

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 200
MAX_ALIASES = 100
MAX_ALIAS_VALUES = 1000
MAX_NUMBER_LENGTH = 100

PathKey = tuple[Any, ...]
# libyaml's parser keeps node marks too and is ~10x faster than the pure-Python one.
_NODE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# The names a file that does not parse would have defined: other files naming them
# are not wrong (see ErrorCollector.not_built).
# The definitions other files name (their key, and the word "unknown …" uses): when a
# document of one is reported and not built, errors naming it are echoes, not news.
NAMED_KINDS = {"entity": "entity", "optionset": "option set", "approval": "approval",
               "role": "role", "report": "report"}
_DEFINED = re.compile(rf"^({'|'.join(NAMED_KINDS)}):[ \t]*([a-z][a-z0-9_]*)[ \t]*(?:#.*)?$",
                      re.MULTILINE)
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


@dataclass(frozen=True)
class Document:
    """One YAML document with the positions of its values and keys."""

    data: Any
    file: str
    line: int
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict, compare=False)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict, compare=False)

    def at(self, *path: Any) -> Location:
        """The location of the value at ``path`` (or of its nearest parent)."""
        return self._find(self.values, tuple(path))

    def key_at(self, *path: Any) -> Location:
        """The location of the key that introduces ``path``."""
        return self._find(self.keys, tuple(path)) if tuple(path) in self.keys else self.at(*path)

    def _find(self, table: dict[PathKey, tuple[int, int]], path: PathKey) -> Location:
        while path not in table and path:
            path = path[:-1]
        line, col = table.get(path, (self.line, 1))
        return Location(self.file, line, col)


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def load_yaml(path: Path, errors: ErrorCollector) -> list[Document]:
    """Every document of one file; syntax errors are collected, not raised."""
    shown = display_path(path)
    text = _read(path, shown, errors)
    if text is None:
        return []
    try:
        refused = _refusal(text)
        if refused is not None:
            line, col, why = refused
            errors.add(Location(shown, line, col), why)
            return []
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        line, col, said = explain_syntax_error(exc, text)
        errors.add(Location(shown, line, col), said)
        for kind, name in _DEFINED.findall(text):  # what the file would have defined
            errors.not_built(NAMED_KINDS[kind], name)
        return []
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        errors.add(Location(shown, line, col),
                   f"YAML error: unacceptable character #x{character:04x}: {exc.reason}")
        return []
    except yaml.YAMLError as exc:
        errors.add(Location(shown, 1, 1), f"YAML error: {exc}")
        return []
    documents = []
    for node in nodes:
        if node is None:
            continue
        builder = _Builder(shown, errors)
        data = builder.build(node, ())
        if builder.unreadable:
            continue  # checking it further would only report the values left out
        documents.append(
            Document(data, shown, node.start_mark.line + 1, builder.values, builder.keys)
        )
    return documents


def _read(path: Path, shown: str, errors: ErrorCollector) -> str | None:
    """The file's text: a regular file of at most MAX_FILE_BYTES, in UTF-8."""
    start = Location(shown, 1, 1)
    try:
        # A FIFO or a device named like a definition would block or never end.
        if not stat.S_ISREG(path.stat().st_mode):
            errors.add(start, "not a regular file: a definition must be a file")
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        errors.add(start, f"cannot read file: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_FILE_BYTES:
        errors.add(start, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the "
                   "limit for one definition file: split it into several files")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        before = raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")
        errors.add(Location(shown, line, len(before) + 1),
                   f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded; save the file "
                   "as UTF-8")
        return None


def _line_col(text: str, position: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


def _refusal(text: str) -> tuple[int, int, str] | None:
    """Where (line, column) and why ``text`` breaks a nesting or alias limit, or None; a
    syntax error found first is raised. One pass over the parser's events, before anything
    is built (composing is recursive, and an alias is expanded wherever it is used)."""
    try:
        return _scan(text, _NODE_LOADER)
    except yaml.MarkedYAMLError:
        # libyaml stops at its own depth limit (1000) before emitting an event that deep,
        # and words syntax errors worse: the pure-Python parser says which comes first.
        return _scan(text, yaml.SafeLoader)


def _scan(text: str, loader: Any) -> tuple[int, int, str] | None:
    # Each collection's size counts the values its aliases stand for, so an alias's
    # expansion is known without making it.
    sizes: dict[str, int] = {}
    open_: list[list[Any]] = []  # [anchor, values so far] of each enclosing collection
    aliases = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, _OPENING):
            if len(open_) >= MAX_DEPTH:
                return _at(event, f"nested more than {MAX_DEPTH} levels deep")
            open_.append([event.anchor, 1])
            continue
        if isinstance(event, _CLOSING):
            anchor, size = open_.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent) and event.anchor is not None:  # always named
            aliases += 1
            anchor, size = None, sizes.get(event.anchor, 1)
            problem = _alias_problem(event.anchor, size, aliases, open_)
            if problem:
                return _at(event, problem)
        else:
            if isinstance(event, yaml.DocumentEndEvent):
                sizes.clear()  # anchors belong to one document
            continue
        if anchor is not None:
            sizes[anchor] = size
        if open_:
            open_[-1][1] += size
    return None


def _at(event: yaml.Event, problem: str) -> tuple[int, int, str]:
    """``problem`` at the 1-based line and column where ``event`` starts."""
    mark = event.start_mark
    if mark is None:  # the parser marks every event; only a hand-made one has no mark
        return 1, 1, problem
    return mark.line + 1, mark.column + 1, problem


def _alias_problem(anchor: str, size: int, count: int, open_: list[list[Any]]) -> str | None:
    if count > MAX_ALIASES:
        return f"more than {MAX_ALIASES} aliases in one file"
    if any(frame[0] == anchor for frame in open_):
        return f"alias '*{anchor}' refers to a collection that contains it"
    if size > MAX_ALIAS_VALUES:
        return (f"alias '*{anchor}' stands for {size} values, more than the "
                f"{MAX_ALIAS_VALUES} an alias may stand for")
    return None


def _compose(text: str) -> list[yaml.Node]:
    try:
        return list(yaml.compose_all(text, Loader=_NODE_LOADER))
    except yaml.MarkedYAMLError:
        # The pure-Python parser words its syntax errors better ("but got ':'").
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


class _Builder:
    def __init__(self, file: str, errors: ErrorCollector):
        self.file = file
        self.errors = errors
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}
        self._scalars = yaml.SafeLoader("")
        self.unreadable = False

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, (str, int, float, bool)):
                    self._error(key_node, "a key must be a plain value")
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    self._error(key_node, f"duplicate key '{key}'")
                    continue
                self.keys[path + (key,)] = (
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        if node.tag == _STR_TAG:
            return node.value
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_LENGTH:
            self._refuse(node, f"a number of {len(node.value)} characters; at most "
                         f"{MAX_NUMBER_LENGTH} are allowed")
            return None
        try:
            value = self._scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self._refuse(node, f"bad value: {exc}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            # Definitions are JSON-shaped, and JSON has no infinity or NaN.
            self._refuse(node, f"'{node.value}' is not a finite number")
            return None
        # Definitions are JSON-shaped: YAML's unquoted dates become ISO text.
        return value.isoformat() if isinstance(value, (date, datetime)) else value

    def _error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.add(Location(self.file, mark.line + 1, mark.column + 1), message)

    def _refuse(self, node: yaml.Node, message: str) -> None:
        self.unreadable = True
        self._error(node, message)
