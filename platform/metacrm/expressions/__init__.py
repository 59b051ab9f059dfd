"""The one expression language of definitions: CEL, evaluated by our own interpreter.

Formulas, validation rules, workflow guards, approval conditions and actions
are CEL expressions. The interpreter is ours so that numbers are exact (money
never meets binary floating point), every evaluation has a step budget, and a
definition is type-checked, with the column of each mistake, before it runs.
An expression can call only the functions in ``functions.BUILTINS`` and read
only the values it is given: nothing reaches Python.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .boundary import (
    BUILTIN_NAMES,
    BUILTIN_TYPES,
    builtin_values,
    expression_type,
    to_expression,
    to_field,
)
from .errors import CostExceeded, EmptyValue, EvaluationError, ExpressionError
from .evaluator import Activation, Compiled, compile_tree
from .functions import SERVER_ONLY_FUNCTIONS, check_regex
from .option_literals import check_option_literals
from .parser import parse
from .syntax import Node, free_names
from .typecheck import check_types

__all__ = [
    "BUILTIN_NAMES", "CostExceeded", "EmptyValue", "EvaluationError", "Expression",
    "ExpressionError", "SERVER_ONLY_FUNCTIONS", "builtin_values", "check_expression", "check_regex",
    "expression_type", "parse_expression", "to_expression", "to_field",
]


@dataclass(frozen=True)
class Expression:
    source: str
    names: frozenset[str]
    tree: Node = field(repr=False, compare=False)
    _run: Compiled = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value of the expression. EmptyValue when it needs an empty field,
        EvaluationError (with the column) when it fails otherwise."""
        return self._run(Activation(values))


def parse_expression(source: str) -> Expression:
    tree = parse(source)
    return Expression(source, frozenset(free_names(tree)), tree, compile_tree(tree))


def check_expression(source: str, field_types: Mapping[str, str],
                     result: str | None = None,
                     kinds: Callable[[str], str] = expression_type,
                     options: Mapping[str, Collection[str]] | None = None) -> Expression:
    """Parse ``source`` and check it against the fields' value types (``money``,
    ``multi_choice``…); ``result`` is the expression type it must have (``bool`` for
    a rule or a guard). ``kinds`` gives a value type's expression type (the platform's
    field types, which plugins may add to); ``options`` the option values of choice
    fields, which a text compared with them must be one of. ExpressionError says what
    is wrong and at which column."""
    try:
        expression = parse_expression(source)
        types = {name: kinds(kind) for name, kind in field_types.items()}
        types.update(BUILTIN_TYPES)
        checked = check_types(expression.tree, types)
        if options:
            check_option_literals(expression.tree, options)
    except ExpressionError as exc:
        raise ExpressionError(exc.located()) from None
    if result is not None and not _fits(checked.type, result):
        raise ExpressionError(f"the expression gives {_name(checked.type)}, where "
                              f"{_name(result)} is needed")
    return expression


def _fits(given: str, wanted: str) -> bool:
    if given in ("dyn", "null") or wanted == "dyn":
        return True
    if wanted == "number":
        return given in ("int", "decimal")
    if wanted == "string":
        return given in ("string", "int", "decimal", "bool")
    numbers = ("int", "decimal")
    return given == wanted or (given in numbers and wanted in numbers)


def _name(kind: str) -> str:
    from .typecheck import describe
    return "a number" if kind == "number" else describe(kind)
