"""Read YAML files into plain data while remembering where every node stood.

PyYAML's ``compose`` keeps the marks that ``safe_load`` throws away; we build
the data ourselves from the node tree and record each value's and each key's
position by its path, so that later phases (schema validation, reference
checks) can point at the exact line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .definitions import Location
from .errors import ErrorCollector

PathKey = tuple[Any, ...]
# libyaml's parser keeps node marks too and is ~10x faster than the pure-Python one.
_NODE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


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
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.add(Location(shown), f"cannot read file: {exc}")
        return []
    try:
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
        errors.add(where, f"YAML syntax error: {exc.problem or exc}")
        return []
    except yaml.YAMLError as exc:
        errors.add(Location(shown), f"YAML error: {exc}")
        return []
    documents = []
    for node in nodes:
        if node is None:
            continue
        builder = _Builder(shown, errors)
        data = builder.build(node, ())
        documents.append(
            Document(data, shown, node.start_mark.line + 1, builder.values, builder.keys)
        )
    return documents


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
        try:
            value = self._scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self._error(node, f"bad value: {exc}")
            return None
        # Definitions are JSON-shaped: YAML's unquoted dates become ISO text.
        return value.isoformat() if isinstance(value, (date, datetime)) else value

    def _error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.add(Location(self.file, mark.line + 1, mark.column + 1), message)
