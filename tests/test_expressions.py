"""The expression language (CEL) computes from field values and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from metacrm.expressions import ExpressionError, check_expression, parse_expression

FIELDS = {"amount": "money", "probability": "percent", "stage": "choice",
          "expected_close": "date", "tags": "multi_choice", "name": "string"}


@pytest.mark.parametrize("source, values, expected", [
    ("amount * probability / 100.0", {"amount": 2000.0, "probability": 25.0}, 500.0),
    ("stage in ['won', 'lost']", {"stage": "won"}, True),
    ("'vip' in tags", {"tags": ["vip", "export"]}, True),
    ("name.startsWith('上海')", {"name": "上海星河"}, True),
    ("expected_close == null || expected_close > now",
     {"expected_close": None, "now": datetime(2026, 1, 1, tzinfo=UTC)}, True),
])
def test_expressions_compute_from_the_values_they_are_given(source, values, expected) -> None:
    assert parse_expression(source).evaluate(values) == expected


@pytest.mark.parametrize("source", [
    "__import__('os').system('true')",
    "name.__class__",
    "open('/etc/passwd')",
    "eval('1')",
    "amount.__dict__",
])
def test_python_internals_are_out_of_reach(source: str) -> None:
    with pytest.raises(ExpressionError):
        check_expression(source, FIELDS)


def test_misspelt_field_is_caught_at_check_time_with_a_suggestion() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'amout' \(did you mean 'amount'\?\)"):
        check_expression("amout > 1.0", FIELDS)


def test_integer_literal_next_to_a_number_field_is_explained() -> None:
    with pytest.raises(ExpressionError, match="write number literals with a point"):
        check_expression("amount * 2 > 1.0", FIELDS)


def test_syntax_error_gives_the_column() -> None:
    with pytest.raises(ExpressionError, match="syntax error at column"):
        check_expression("amount >", FIELDS)
