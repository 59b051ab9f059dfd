"""Turn a syntax tree into a Python function of the variables, with a step budget.

Each node becomes a closure once, when the expression is compiled; evaluating
is then a chain of calls with no dispatch on node types. Work that grows with
the data — comprehension rounds and the strings and lists functions build — is
charged to a budget, so no expression, however written, runs for long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..base.words import with_article
from . import operators as op
from .errors import EmptyValue, EvaluationError, ExpressionError
from .functions import BUILTINS, SIZED_RESULTS, call, unknown_function
from .syntax import (
    Binary,
    Call,
    Comprehension,
    Conditional,
    Has,
    Ident,
    Index,
    ListLit,
    Literal,
    Logical,
    MapLit,
    Node,
    Select,
    Unary,
    children,
)

MAX_STEPS = 100_000


class Activation:
    """One evaluation's variables, comprehension variables and remaining budget."""

    __slots__ = ("budget", "locals", "variables")

    def __init__(self, variables: Mapping[str, Any], budget: int = MAX_STEPS) -> None:
        self.variables = variables
        self.locals: dict[str, Any] = {}
        self.budget = budget

    def charge(self, steps: int) -> None:
        self.budget -= steps
        if self.budget < 0:
            from .errors import CostExceeded
            raise CostExceeded(f"the expression needs more than {MAX_STEPS:,} steps")


Compiled = Callable[[Activation], Any]


def size(node: Node) -> int:
    """How many nodes ``node`` has: what one evaluation of it costs at most."""
    return 1 + sum(size(child) for child in children(node))


def compile_tree(node: Node, bound: frozenset[str] = frozenset()) -> Compiled:
    """The function computing ``node``; names in ``bound`` are comprehension variables."""
    build = _BUILDERS.get(type(node))
    if build is None:
        raise ExpressionError(f"unsupported construct {type(node).__name__}", node.pos)
    return build(node, bound)


def _literal(node: Literal, bound: frozenset[str]) -> Compiled:
    value = node.value
    return lambda act: value


def _unary(node: Unary, bound: frozenset[str]) -> Compiled:
    operand = compile_tree(node.operand, bound)
    apply = op.logical_not if node.op == "!" else op.negate
    return _located(node, lambda act: apply(operand(act)))


def _list(node: ListLit, bound: frozenset[str]) -> Compiled:
    items = [compile_tree(item, bound) for item in node.items]
    return lambda act: [item(act) for item in items]


def _located(node: Node, compute: Compiled) -> Compiled:
    """Give an evaluation error the position of the node that raised it."""
    def run(act: Activation) -> Any:
        try:
            return compute(act)
        except EvaluationError as exc:
            if exc.pos is None:
                exc.pos = node.pos
            raise
    return run


def _ident(node: Ident, bound: frozenset[str]) -> Compiled:
    name = node.name
    if name in bound:
        return lambda act: act.locals[name]

    def read(act: Activation) -> Any:
        try:
            return act.variables[name]
        except KeyError:
            raise EvaluationError(f"unknown name '{name}'", node.pos) from None
    return read


def _truth(value: Any, what: str) -> bool:
    if value is None:
        raise EmptyValue(f"{what} needs true or false and met an empty field")
    if type(value) is not bool:
        raise EvaluationError(f"{what} needs true or false, found "
                              f"{with_article(op.type_name(value))}")
    return value


def _logical(node: Logical, bound: frozenset[str]) -> Compiled:
    left, right = compile_tree(node.left, bound), compile_tree(node.right, bound)
    # CEL's && and || are commutative over errors: `x > 1 || phone != null` holds when
    # the phone is given, whether or not x is empty.
    decisive = node.op == "||"

    def run(act: Activation) -> bool:
        try:
            first = _truth(left(act), f"'{node.op}'")
        except EvaluationError as problem:
            failed: EvaluationError | None = problem
        else:
            if first is decisive:
                return decisive
            failed = None
        second = _truth(right(act), f"'{node.op}'")
        if failed is not None and second is not decisive:
            raise failed
        return second
    return _located(node, run)


def _conditional(node: Conditional, bound: frozenset[str]) -> Compiled:
    condition = compile_tree(node.condition, bound)
    then, otherwise = compile_tree(node.then, bound), compile_tree(node.otherwise, bound)
    return _located(node, lambda act: then(act) if _truth(condition(act), "'? :'")
                    else otherwise(act))


def _binary(node: Binary, bound: frozenset[str]) -> Compiled:
    left, right = compile_tree(node.left, bound), compile_tree(node.right, bound)
    symbol = node.op
    if symbol == "==":
        return lambda act: op.equal(left(act), right(act))
    if symbol == "!=":
        return lambda act: not op.equal(left(act), right(act))
    if symbol == "in":
        return _located(node, lambda act: op.contains("in", left(act), right(act)))
    if symbol in ("<", "<=", ">", ">="):
        return _located(node, lambda act: op.compare(symbol, left(act), right(act)))
    apply = op.BINARY[symbol]
    if symbol == "+":  # concatenation builds strings and lists: charge for their size
        def concatenate(act: Activation) -> Any:
            result = apply(left(act), right(act))
            if type(result) in (str, list):
                act.charge(len(result) // 64)
            return result
        return _located(node, concatenate)
    return _located(node, lambda act: apply(left(act), right(act)))


def _select(node: Select | Has, bound: frozenset[str]) -> Compiled:
    operand = compile_tree(node.operand, bound)
    name, testing = node.field, isinstance(node, Has)

    def run(act: Activation) -> Any:
        value = operand(act)
        if value is None:
            raise EmptyValue(f"'.{name}' met an empty field")
        if type(value) is not dict:
            raise EvaluationError(f"{with_article(op.type_name(value))} has no field '{name}'")
        if testing:
            return name in value
        if name not in value:
            raise EvaluationError(f"no key '{name}' in the map")
        return value[name]
    return _located(node, run)


def _index(node: Index, bound: frozenset[str]) -> Compiled:
    operand, index = compile_tree(node.operand, bound), compile_tree(node.index, bound)

    def run(act: Activation) -> Any:
        value, key = operand(act), index(act)
        if value is None or key is None:
            raise EmptyValue("'[]' met an empty field")
        if type(value) is list:
            if type(key) is not int:
                raise EvaluationError(f"a list index must be an integer, found a "
                                      f"{op.type_name(key)}")
            if not 0 <= key < len(value):
                raise EvaluationError(f"index {key} out of range (the list has {len(value)})")
            return value[key]
        if type(value) is dict:
            for candidate in value:
                if op.equal(candidate, key):
                    return value[candidate]
            raise EvaluationError(f"no key {key!r} in the map")
        raise EvaluationError(f"{with_article(op.type_name(value))} cannot be indexed")
    return _located(node, run)


def _map(node: MapLit, bound: frozenset[str]) -> Compiled:
    entries = [(compile_tree(k, bound), compile_tree(v, bound)) for k, v in node.entries]

    def run(act: Activation) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in entries:
            found = key(act)
            if type(found) not in (str, int, bool):
                raise EvaluationError(f"a map key must be a string, integer or boolean, "
                                      f"found {with_article(op.type_name(found))}")
            if found in result:
                raise EvaluationError(f"repeated map key {found!r}")
            result[found] = value(act)
        return result
    return _located(node, run)


def _call(node: Call, bound: frozenset[str]) -> Compiled:
    builtin = BUILTINS.get(node.function)
    receiver = compile_tree(node.target, bound) if node.target is not None else None
    count = len(node.args)
    if builtin is None or (receiver is not None and not builtin.receiver):
        raise unknown_function(node.function, node.pos)
    if receiver is None and builtin.receiver and not builtin.global_form:
        raise ExpressionError(f"{node.function}() is a method: write x.{node.function}(...)",
                              node.pos)
    expected = builtin.arities if receiver is not None or not builtin.receiver else tuple(
        n + 1 for n in builtin.arities)
    if count not in expected:
        raise ExpressionError(f"{node.function}() takes {_counts(expected)} argument"
                              f"{'' if expected == (1,) else 's'}, not {count}", node.pos)
    args = [compile_tree(arg, bound) for arg in node.args]
    sized = node.function in SIZED_RESULTS

    def run(act: Activation) -> Any:
        values = tuple(a(act) for a in args)
        if receiver is not None:
            values = (receiver(act),) + values
        result = call(builtin, values)
        if sized:
            act.charge(len(result) // 64)
        return result
    return _located(node, run)


def _counts(arities: tuple[int, ...]) -> str:
    if len(arities) == 1:
        return str(arities[0])
    return f"{arities[0]} to {arities[-1]}"


def _comprehension(node: Comprehension, bound: frozenset[str]) -> Compiled:
    source = compile_tree(node.range, bound)
    inner = bound | {node.variable}
    predicate = compile_tree(node.predicate, inner) if node.predicate is not None else None
    transform = compile_tree(node.transform, inner) if node.transform is not None else None
    name, macro = node.variable, node.macro
    round_cost = 1 + sum(size(n) for n in (node.predicate, node.transform) if n is not None)

    def rounds(act: Activation) -> Any:
        items = source(act)
        if items is None:
            raise EmptyValue(f"{macro}() met an empty field")
        if type(items) is dict:
            items = list(items)
        if type(items) is not list:
            raise EvaluationError(f"{macro}() needs a list or a map, found a "
                                  f"{op.type_name(items)}")
        saved = act.locals.get(name, _UNSET)
        try:
            for item in items:
                act.charge(round_cost)
                act.locals[name] = item
                yield item
        finally:
            if saved is _UNSET:
                act.locals.pop(name, None)
            else:
                act.locals[name] = saved

    def test(act: Activation) -> bool:
        assert predicate is not None
        return _truth(predicate(act), f"{macro}()")

    if macro == "all":
        return _located(node, lambda act: all(test(act) for _ in rounds(act)))
    if macro == "exists":
        return _located(node, lambda act: any(test(act) for _ in rounds(act)))
    if macro == "exists_one":
        return _located(node, lambda act: sum(1 for _ in rounds(act) if test(act)) == 1)
    if macro == "filter":
        return _located(node, lambda act: [item for item in rounds(act) if test(act)])
    assert transform is not None
    if predicate is None:
        return _located(node, lambda act: [transform(act) for _ in rounds(act)])
    return _located(node, lambda act: [transform(act) for _ in rounds(act) if test(act)])


_UNSET = object()
_BUILDERS: dict[type, Callable[[Any, frozenset[str]], Compiled]] = {
    Literal: _literal, Ident: _ident, Logical: _logical, Conditional: _conditional,
    Unary: _unary, Binary: _binary, Select: _select, Has: _select, Index: _index,
    ListLit: _list, MapLit: _map, Call: _call, Comprehension: _comprehension,
}
