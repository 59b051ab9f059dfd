"""Option values written as text in an expression (``kind == 'warehouse'``,
``stage in ['won', 'lost']``, ``'vip' in tags``): a value the field's option set does
not have can never match, so ``check`` refuses it where it is written, as a list
filter or a report filter refuses it."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping

from .errors import ExpressionError
from .syntax import Binary, Comprehension, Ident, ListLit, Literal, Node, children


def check_option_literals(tree: Node, options: Mapping[str, Collection[str]]) -> None:
    """ExpressionError at the first text compared with a choice field (``options``: the
    option values of each choice or multi-choice field) that is not one of them."""
    for name, value, pos in _compared(tree, options, frozenset()):
        allowed = list(options[name])
        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ExpressionError(f"'{value}' is not an option of {name}{hint}; its options: "
                              + ", ".join(allowed), pos)


def _compared(node: Node, options: Mapping[str, Collection[str]], bound: frozenset[str]
              ) -> Iterator[tuple[str, str, int]]:
    """(field, text, offset) of every text literal ``node`` compares with a field."""
    def field(side: Node) -> str | None:
        return side.name if isinstance(side, Ident) and side.name in options \
            and side.name not in bound else None

    def text(side: Node) -> str | None:
        return side.value if isinstance(side, Literal) and isinstance(side.value, str) \
            else None

    if isinstance(node, Binary):
        left, right = node.left, node.right
        if node.op in ("==", "!="):
            for one, other in ((left, right), (right, left)):
                name, value = field(one), text(other)
                if name is not None and value is not None and value not in options[name]:
                    yield name, value, other.pos
        elif node.op == "in":
            name = field(left)
            if name is not None and isinstance(right, ListLit):  # stage in ['won', ...]
                for item in right.items:
                    value = text(item)
                    if value is not None and value not in options[name]:
                        yield name, value, item.pos
            name, value = field(right), text(left)  # 'vip' in tags
            if name is not None and value is not None and value not in options[name]:
                yield name, value, left.pos
    if isinstance(node, Comprehension):
        yield from _compared(node.range, options, bound)
        for part in (node.predicate, node.transform):
            if part is not None:
                yield from _compared(part, options, bound | {node.variable})
        return
    for child in children(node):
        yield from _compared(child, options, bound)
