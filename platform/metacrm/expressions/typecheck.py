"""Check an expression against the types of the names it reads, before it ever runs.

Types are text: ``int``, ``decimal``, ``string``, ``bool``, ``timestamp``,
``duration``, ``null``, ``map``, ``list<T>`` and ``dyn`` (not known until it
runs, e.g. a JSON field). Every field may be empty, so null is allowed wherever
a value is; what the checker refuses is what can never work — comparing a
string with a number, adding a date to a name, calling a method a value does
not have — with the column where it is written. It also estimates what one
evaluation costs, so a definition that could run for long is refused by
``metacrm check`` rather than cut off at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..base.words import with_article
from ..errors import did_you_mean
from .errors import ExpressionError
from .evaluator import MAX_STEPS
from .functions import BUILTINS, check_regex, unknown_function
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
)

NUMBERS = ("int", "decimal")
# What a list whose length only the data knows is assumed to hold, for the estimate.
ASSUMED_LENGTH = 100
_ORDERED = ("string", "bool", "timestamp", "duration")


@dataclass(frozen=True)
class Checked:
    type: str
    cost: int       # an upper estimate of the steps one evaluation takes
    length: int = ASSUMED_LENGTH  # for a list: how many elements it may have


def element(kind: str) -> str:
    return kind[5:-1] if kind.startswith("list<") else "dyn"


def is_list(kind: str) -> bool:
    return kind == "list" or kind.startswith("list<")


def is_number(kind: str) -> bool:
    return kind in NUMBERS


def describe(kind: str) -> str:
    names = {"int": "an integer", "decimal": "a decimal", "string": "a string",
             "bool": "a boolean", "timestamp": "a timestamp (date or date-time)",
             "duration": "a duration", "null": "null", "map": "a map"}
    if is_list(kind):
        return "a list"
    return names.get(kind, with_article(kind))


def check_types(node: Node, names: Mapping[str, str]) -> Checked:
    """The type of ``node`` given the types of ``names``; ExpressionError if it cannot
    work, or if it may take more than the budget of steps."""
    checked = _Checker(names).visit(node, {})
    if checked.cost > MAX_STEPS:
        raise ExpressionError(
            f"this expression may take about {checked.cost:,} steps, more than the "
            f"{MAX_STEPS:,} one evaluation may (nested map/filter/all/exists over lists "
            "multiply): simplify it", node.pos)
    return checked


class _Checker:
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def visit(self, node: Node, scope: dict[str, Checked]) -> Checked:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node, scope)

    def _literal(self, node: Literal, scope: dict[str, Checked]) -> Checked:
        value = node.value
        kind = ("null" if value is None else "bool" if isinstance(value, bool)
                else "int" if isinstance(value, int) else "string" if isinstance(value, str)
                else "decimal")
        return Checked(kind, 1)

    def _ident(self, node: Ident, scope: dict[str, Checked]) -> Checked:
        if node.name in scope:
            return Checked(scope[node.name].type, 1)
        if node.name not in self.names:
            raise ExpressionError(f"unknown name '{node.name}'"
                                  f"{did_you_mean(node.name, list(self.names))}", node.pos)
        return Checked(self.names[node.name], 1)

    def _logical(self, node: Logical, scope: dict[str, Checked]) -> Checked:
        left, right = self.visit(node.left, scope), self.visit(node.right, scope)
        for side, part in ((left, node.left), (right, node.right)):
            self._boolean(side.type, f"'{node.op}'", part.pos)
        return Checked("bool", 1 + left.cost + right.cost)

    def _boolean(self, kind: str, what: str, pos: int) -> None:
        if kind not in ("bool", "dyn", "null"):
            raise ExpressionError(f"{what} needs true or false, found {describe(kind)}", pos)

    def _conditional(self, node: Conditional, scope: dict[str, Checked]) -> Checked:
        condition = self.visit(node.condition, scope)
        self._boolean(condition.type, "the condition of '? :'", node.condition.pos)
        then, otherwise = self.visit(node.then, scope), self.visit(node.otherwise, scope)
        return Checked(_common(then.type, otherwise.type),
                       1 + condition.cost + max(then.cost, otherwise.cost),
                       max(then.length, otherwise.length))

    def _unary(self, node: Unary, scope: dict[str, Checked]) -> Checked:
        operand = self.visit(node.operand, scope)
        kind = operand.type
        if node.op == "!":
            self._boolean(kind, "'!'", node.pos)
            return Checked("bool", 1 + operand.cost)
        if kind not in ("int", "decimal", "duration", "dyn", "null"):
            raise ExpressionError(f"'-' does not apply to {describe(kind)}", node.pos)
        return Checked(kind, 1 + operand.cost)

    def _binary(self, node: Binary, scope: dict[str, Checked]) -> Checked:
        left, right = self.visit(node.left, scope), self.visit(node.right, scope)
        cost = 1 + left.cost + right.cost
        lt, rt = left.type, right.type
        symbol = node.op
        if symbol in ("==", "!="):
            if not _comparable(lt, rt):
                raise ExpressionError(f"'{symbol}' compares {describe(lt)} with {describe(rt)}"
                                      ": they are never equal", node.pos)
            return Checked("bool", cost)
        if symbol == "in":
            if not (is_list(rt) or rt in ("map", "dyn", "null")):
                raise ExpressionError(f"'in' needs a list or a map on its right, found "
                                      f"{describe(rt)}", node.pos)
            if is_list(rt) and not _comparable(lt, element(rt)):
                raise ExpressionError(f"'in' looks for {describe(lt)} in a list of "
                                      f"{describe(element(rt))[2:]}s", node.pos)
            return Checked("bool", cost + right.length)
        if symbol in ("<", "<=", ">", ">="):
            if not _ordered(lt, rt):
                raise ExpressionError(f"'{symbol}' cannot order {describe(lt)} and "
                                      f"{describe(rt)}", node.pos)
            return Checked("bool", cost)
        result = _arithmetic(symbol, lt, rt)
        if result is None:
            raise ExpressionError(f"'{symbol}' does not apply to {describe(lt)} and "
                                  f"{describe(rt)}", node.pos)
        return Checked(result, cost, left.length + right.length)

    def _select(self, node: Select, scope: dict[str, Checked]) -> Checked:
        operand = self.visit(node.operand, scope)
        if operand.type not in ("map", "dyn", "null"):
            raise ExpressionError(f"{describe(operand.type)} has no field '{node.field}'",
                                  node.pos)
        return Checked("dyn", 1 + operand.cost)

    def _has(self, node: Has, scope: dict[str, Checked]) -> Checked:
        operand = self.visit(node.operand, scope)
        if operand.type not in ("map", "dyn", "null"):
            raise ExpressionError(f"has() needs a map field, found {describe(operand.type)}",
                                  node.pos)
        return Checked("bool", 1 + operand.cost)

    def _index(self, node: Index, scope: dict[str, Checked]) -> Checked:
        operand, index = self.visit(node.operand, scope), self.visit(node.index, scope)
        cost = 1 + operand.cost + index.cost
        if is_list(operand.type):
            if index.type not in ("int", "dyn", "null"):
                raise ExpressionError(f"a list index must be an integer, found "
                                      f"{describe(index.type)}", node.index.pos)
            return Checked(element(operand.type), cost)
        if operand.type not in ("map", "dyn", "null"):
            raise ExpressionError(f"{describe(operand.type)} cannot be indexed", node.pos)
        return Checked("dyn", cost + operand.length)

    def _listlit(self, node: ListLit, scope: dict[str, Checked]) -> Checked:
        items = [self.visit(item, scope) for item in node.items]
        kinds = {i.type for i in items if i.type != "null"}
        kind = "dyn"
        if len(kinds) == 1:
            kind = kinds.pop()
        elif kinds and kinds <= set(NUMBERS):
            kind = "decimal"
        return Checked(f"list<{kind}>", 1 + sum(i.cost for i in items), len(items))

    def _maplit(self, node: MapLit, scope: dict[str, Checked]) -> Checked:
        cost = 1
        for key, value in node.entries:
            key_type = self.visit(key, scope)
            if key_type.type not in ("string", "int", "bool", "dyn"):
                raise ExpressionError(f"a map key must be a string, integer or boolean, "
                                      f"found {describe(key_type.type)}", key.pos)
            cost += key_type.cost + self.visit(value, scope).cost
        return Checked("map", cost, len(node.entries))

    def _call(self, node: Call, scope: dict[str, Checked]) -> Checked:
        builtin = BUILTINS.get(node.function)
        if builtin is None:
            raise unknown_function(node.function, node.pos)
        if node.function == "matches" and isinstance(node.args[-1], Literal) and isinstance(
                node.args[-1].value, str) and (problem := check_regex(node.args[-1].value)):
            raise ExpressionError(problem, node.args[-1].pos)
        args = [self.visit(arg, scope) for arg in node.args]
        cost = 1 + sum(a.cost for a in args)
        receiver: Checked | None = None
        if node.target is not None:
            receiver = self.visit(node.target, scope)
        elif builtin.receiver and builtin.global_form and args:
            receiver, args = args[0], args[1:]
        if receiver is not None:
            cost += receiver.cost + receiver.length
            allowed = builtin.receiver
            kind = receiver.type
            if kind not in ("dyn", "null") and not any(
                    kind == a or (a == "list" and is_list(kind)) for a in allowed):
                raise ExpressionError(f"{describe(kind)} has no method '{node.function}'",
                                      node.pos)
        # Unequal on purpose: ``builtin.args`` types only the arguments it checks, and a
        # function of several arities is called with fewer than it lists.
        parts = node.args[-len(args):] if args else ()
        for arg, wanted, part in zip(args, builtin.args, parts, strict=False):
            if not _accepts(wanted, arg.type):
                raise ExpressionError(f"{node.function}() takes {describe(wanted)} here, not "
                                      f"{describe(arg.type)}", part.pos)
        result = builtin.result
        if result == "same":
            kinds = {a.type for a in args}
            result = "int" if kinds == {"int"} else "decimal" if kinds <= set(
                NUMBERS) | {"null"} else "dyn"
        if result == "dyn" and node.function == "dyn" and args:
            result = "dyn"
        return Checked(result, cost)

    def _comprehension(self, node: Comprehension, scope: dict[str, Checked]) -> Checked:
        source = self.visit(node.range, scope)
        kind = source.type
        if not (is_list(kind) or kind in ("map", "dyn", "null")):
            raise ExpressionError(f"{node.macro}() needs a list or a map, found "
                                  f"{describe(kind)}", node.pos)
        item = element(kind) if is_list(kind) else "dyn"
        inner = {**scope, node.variable: Checked(item, 1)}
        body_cost = 1
        if node.predicate is not None:
            predicate = self.visit(node.predicate, inner)
            self._boolean(predicate.type, f"{node.macro}()", node.predicate.pos)
            body_cost += predicate.cost
        result = "bool"
        if node.transform is not None:
            transform = self.visit(node.transform, inner)
            body_cost += transform.cost
            result = f"list<{transform.type}>"
        elif node.macro == "filter":
            result = kind if is_list(kind) else "list<dyn>"
        return Checked(result, 1 + source.cost + source.length * body_cost, source.length)


def _common(left: str, right: str) -> str:
    if left == right or right == "null":
        return left
    if left == "null":
        return right
    if is_number(left) and is_number(right):
        return "decimal"
    return "dyn"


def _comparable(left: str, right: str) -> bool:
    if "dyn" in (left, right) or "null" in (left, right) or left == right:
        return True
    if is_number(left) and is_number(right):
        return True
    return is_list(left) and is_list(right)


def _ordered(left: str, right: str) -> bool:
    if "dyn" in (left, right) or "null" in (left, right):
        return True
    if is_number(left) and is_number(right):
        return True
    return left == right and left in _ORDERED


def _arithmetic(symbol: str, left: str, right: str) -> str | None:
    if "dyn" in (left, right):
        return "dyn"
    if "null" in (left, right):
        other = right if left == "null" else left
        return other if other != "null" else "dyn"
    if is_number(left) and is_number(right):
        return "int" if left == right == "int" else "decimal"
    if symbol == "+":
        if left == right and (left == "string" or is_list(left)):
            return left
        if {left, right} == {"timestamp", "duration"}:
            return "timestamp"
        if left == right == "duration":
            return "duration"
    if symbol == "-":
        if left == right == "timestamp" or left == right == "duration":
            return "duration"
        if left == "timestamp" and right == "duration":
            return "timestamp"
    return None


def _accepts(wanted: str, given: str) -> bool:
    if wanted == "dyn" or given in ("dyn", "null"):
        return True
    if wanted == "number":
        return is_number(given) or is_list(given)
    return wanted == given or (wanted == "decimal" and given == "int")
