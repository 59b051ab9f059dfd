"""The expression language (CEL) computes exactly from field values and nothing else,
checks definitions before they run, and bounds the work of every evaluation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from metacrm.expressions import (
    SERVER_ONLY_FUNCTIONS,
    CostExceeded,
    EmptyValue,
    EvaluationError,
    ExpressionError,
    check_expression,
    parse_expression,
    to_expression,
    to_field,
)
from metacrm.expressions.syntax import Call, Node, children

FIELDS = {"amount": "money", "probability": "percent", "stage": "choice",
          "expected_close": "date", "tags": "multi_choice", "name": "string",
          "quantity": "integer", "details": "json"}
CASES = yaml.safe_load((Path(__file__).parent / "defs" / "expression_cases.yaml")
                       .read_text(encoding="utf-8"))


def _value(spec: Any) -> Any:
    if isinstance(spec, dict) and len(spec) == 1:
        kind, text = next(iter(spec.items()))
        if kind == "decimal":
            return Fraction(text)
        if kind == "timestamp":
            return datetime.fromisoformat(text)
        if kind == "duration":
            return parse_expression(f"duration('{text}')").evaluate({})
    if isinstance(spec, list):
        return [_value(item) for item in spec]
    if isinstance(spec, dict):
        return {key: _value(item) for key, item in spec.items()}
    return spec


@pytest.mark.parametrize("case", CASES, ids=[c["expr"] for c in CASES])
def test_each_shared_case_gives_its_answer(case: dict[str, Any]) -> None:
    variables = {name: _value(spec) for name, spec in (case.get("vars") or {}).items()}
    if "error" in case:
        with pytest.raises(EvaluationError) as raised:
            parse_expression(case["expr"]).evaluate(variables)
        if case["error"] == "empty":
            assert isinstance(raised.value, EmptyValue)
        else:
            assert not isinstance(raised.value, EmptyValue)
            assert case["error"] in str(raised.value)
        return
    result = parse_expression(case["expr"]).evaluate(variables)
    expected = _value(case["expect"])
    assert result == expected and type(result) is type(expected)


def _called(node: Node) -> set[str]:
    found = {node.function} if isinstance(node, Call) else set()
    for child in children(node):
        found |= _called(child)
    return found


def test_a_case_is_left_to_the_server_only_where_the_browser_lacks_its_function() -> None:
    # The browser runs every other case (tests/browser/test_cel_cases.py).
    for case in CASES:
        if "server_only" in case:
            assert str(case["server_only"]).strip(), f"{case['expr']}: say why"
            assert _called(parse_expression(case["expr"]).tree) & SERVER_ONLY_FUNCTIONS, (
                f"{case['expr']} calls nothing the browser lacks: the browser must run it")


def test_strings_count_characters_not_utf8_bytes() -> None:
    # The Python CEL package says size('张三') is 6 (bytes); the spec and we say 2.
    assert parse_expression("size('张三')").evaluate({}) == 2
    assert parse_expression("size(name)").evaluate({"name": "😀 上海"}) == 4
    assert parse_expression("'上海星河'.substring(2, 3)").evaluate({}) == "星"


def test_money_keeps_every_cent_from_field_to_field() -> None:
    line = {"quantity": to_expression(Decimal("123456789012345.67"), "money"),
            "price": to_expression(Decimal("33.33"), "decimal")}
    total = parse_expression("quantity * price - quantity * price * 7.77 / 100.0").evaluate(line)
    assert to_field("money", total, 2) == Decimal("3795093669547860.09")
    assert to_field("money", parse_expression("a * 9").evaluate(
        {"a": to_expression(Decimal("1000000000000000.01"), "money")}), 2) == Decimal(
        "9000000000000000.09")


@pytest.mark.parametrize("value, half_up, half_even", [
    ("2.345", "2.35", "2.34"), ("2.355", "2.36", "2.36"), ("-2.345", "-2.35", "-2.34"),
    ("0.005", "0.01", "0.00"), ("-0.001", "0.00", "0.00"),
])
def test_results_round_once_half_up_unless_the_field_says_half_even(
        value: str, half_up: str, half_even: str) -> None:
    exact = Fraction(value)
    assert str(to_field("money", exact, 2)) == half_up
    assert str(to_field("money", exact, 2, "half_even")) == half_even


def test_a_result_of_the_wrong_kind_is_refused_not_coerced() -> None:
    with pytest.raises(EvaluationError, match="not a timestamp"):
        to_field("date", Fraction(3), None)
    with pytest.raises(EvaluationError, match="not a number"):
        to_field("money", "abc", 2)


@pytest.mark.parametrize("source", [
    "__import__('os').system('true')",
    "name.__class__",
    "open('/etc/passwd')",
    "eval('1')",
    "amount.__dict__",
    "name.format('x')",
])
def test_python_internals_are_out_of_reach(source: str) -> None:
    with pytest.raises(ExpressionError):
        check_expression(source, FIELDS)


def test_misspelt_field_is_caught_at_check_time_with_a_suggestion() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'amout' \(did you mean 'amount'\?\)"):
        check_expression("amout > 1.0", FIELDS)


def test_misspelt_function_is_caught_with_a_suggestion() -> None:
    with pytest.raises(ExpressionError, match=r"did you mean 'startsWith'"):
        check_expression("name.startWith('a')", FIELDS)


def test_integers_and_decimals_mix_in_arithmetic() -> None:
    check_expression("amount * 2 > 1", FIELDS)
    check_expression("quantity * amount", FIELDS, result="decimal")


@pytest.mark.parametrize("source, problem", [
    ("name > 3", "cannot order a string and an integer"),
    ("amount + name", "'+' does not apply to a decimal and a string"),
    ("stage == 1", "compares a string with an integer"),
    ("expected_close > 'tomorrow'", "cannot order a timestamp"),
    ("quantity.startsWith('1')", "an integer has no method 'startsWith'"),
    ("size(amount)", "has no method 'size'"),
    ("'x' in name", "'in' needs a list or a map"),
    ("name.matches('(')", "invalid regular expression"),
    ("amount ? 1 : 2", "needs true or false"),
    ("stage == 'won' &&", "unexpected end of expression"),
    ("name.substring('a')", "takes an integer here"),
    ("1u + 2", "unsigned integers"),
    ("b'x'", "bytes literals are not supported"),
    ("let == 1", "reserved word"),
])
def test_type_mistakes_are_found_before_anything_runs(source: str, problem: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(problem)):
        check_expression(source, FIELDS)


def test_the_column_of_a_mistake_is_given() -> None:
    with pytest.raises(ExpressionError, match=r"at column 8\)"):
        check_expression("amount + name", FIELDS)


def test_a_rule_must_be_a_condition_and_a_formula_must_fit_its_result() -> None:
    with pytest.raises(ExpressionError, match="gives a decimal, where a boolean is needed"):
        check_expression("amount * 2", FIELDS, result="bool")
    with pytest.raises(ExpressionError, match="where a timestamp"):
        check_expression("name", FIELDS, result="timestamp")
    check_expression("amount > 1 ? 'big' : 'small'", FIELDS, result="string")


def test_an_expression_that_could_run_for_long_is_refused_by_check() -> None:
    nested = "tags.map(a, tags.map(b, tags.map(c, tags.exists(d, d == a))))"
    with pytest.raises(ExpressionError, match="may take about"):
        check_expression(nested, FIELDS)
    check_expression("tags.exists(t, t == 'vip')", FIELDS)


def test_an_evaluation_stops_at_its_step_budget() -> None:
    # Data can be larger than check assumed: the budget still holds.
    expression = parse_expression("items.all(a, items.all(b, a != -1))")
    with pytest.raises(CostExceeded):
        expression.evaluate({"items": list(range(2000))})


def test_strings_an_expression_builds_are_bounded() -> None:
    blow_up = "s.replace('a', s).replace('a', s).replace('a', s)"
    with pytest.raises(EvaluationError, match="longer than"):
        parse_expression(blow_up).evaluate({"s": "a" * 200})


def test_regular_expressions_take_linear_time() -> None:
    # (a+)+$ backtracks exponentially in Python's re; RE2 answers at once.
    expression = parse_expression("name.matches('^(a+)+$')")
    assert expression.evaluate({"name": "a" * 5000 + "b"}) is False


def test_deep_nesting_and_long_text_are_refused_while_parsing() -> None:
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_expression("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionError, match="longer than"):
        parse_expression("1 + " * 2000 + "1")


def test_dates_enter_as_midnight_utc_and_leave_as_dates() -> None:
    moment = to_expression("2026-03-01", "date")
    assert moment.isoformat() == "2026-03-01T00:00:00+00:00"
    later = parse_expression("d + duration('36h')").evaluate({"d": moment})
    assert to_field("date", later) == datetime(2026, 3, 2).date()
    assert to_field("datetime", later) - moment.astimezone() == timedelta(hours=36)


@pytest.mark.parametrize(("source", "wrong"), [
    ("kind == 'warehose'", "'warehose' is not an option of kind (did you mean 'warehouse'?)"),
    ("'retail' != kind", None),
    ("kind in ['retail', 'offfice']", "'offfice' is not an option of kind"),
    ("'vipp' in tags", "'vipp' is not an option of tags"),
    ("tags.exists(kind, kind == 'vipp')", None),  # the comprehension's own kind
    ("name == 'warehose'", None),  # not a choice
])
def test_a_choice_is_compared_only_with_its_options(source: str, wrong: str | None) -> None:
    types = {"kind": "choice", "tags": "multi_choice", "name": "string"}
    options = {"kind": ("retail", "office", "warehouse"), "tags": ("vip", "new")}
    if wrong is None:
        check_expression(source, types, result="bool", options=options)
        return
    with pytest.raises(ExpressionError) as raised:
        check_expression(source, types, result="bool", options=options)
    assert wrong in str(raised.value) and "its options:" in str(raised.value)
    assert "(at column" in str(raised.value)
