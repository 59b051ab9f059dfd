"""The syntax tree of an expression: one frozen node per construct, each with its offset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any              # int, Fraction, str, bool or None


@dataclass(frozen=True)
class Ident(Node):
    name: str


@dataclass(frozen=True)
class Select(Node):
    operand: Node
    field: str


@dataclass(frozen=True)
class Has(Node):
    operand: Node
    field: str


@dataclass(frozen=True)
class Index(Node):
    operand: Node
    index: Node


@dataclass(frozen=True)
class Call(Node):
    function: str
    target: Node | None     # the receiver of ``x.f(...)``
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class MapLit(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str                 # "!" or "-"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str                 # arithmetic, comparison or "in"
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical(Node):
    op: str                 # "&&" or "||"
    left: Node
    right: Node


@dataclass(frozen=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Comprehension(Node):
    macro: str              # all, exists, exists_one, map, filter
    range: Node
    variable: str
    predicate: Node | None  # filter/all/exists/exists_one, and map's optional filter
    transform: Node | None  # map's result


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly under ``node``."""
    if isinstance(node, (Select, Has, Unary)):
        return (node.operand,)
    if isinstance(node, Index):
        return (node.operand, node.index)
    if isinstance(node, Call):
        return ((node.target,) if node.target else ()) + node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, MapLit):
        return tuple(part for entry in node.entries for part in entry)
    if isinstance(node, (Binary, Logical)):
        return (node.left, node.right)
    if isinstance(node, Conditional):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Comprehension):
        return tuple(n for n in (node.range, node.predicate, node.transform) if n is not None)
    return ()


def free_names(node: Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """The variables ``node`` reads, without those its comprehensions bind."""
    if isinstance(node, Ident):
        return set() if node.name in bound else {node.name}
    if isinstance(node, Comprehension):
        inner = bound | {node.variable}
        read = free_names(node.range, bound)
        for part in (node.predicate, node.transform):
            if part is not None:
                read |= free_names(part, inner)
        return read
    found: set[str] = set()
    for child in children(node):
        found |= free_names(child, bound)
    return found
