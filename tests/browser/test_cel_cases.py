"""The browser evaluates CEL with the server's answers: every case of the shared file
tests/defs/expression_cases.yaml, run by web/static/conditions.js in Chromium on a
page the app serves under its Content-Security-Policy, gives the answer the file
gives (and the server's interpreter gives, tests/test_expressions.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from metacrm.expressions import SERVER_ONLY_FUNCTIONS, ExpressionError, parse_expression
from metacrm.expressions.functions import BUILTINS
from metacrm.expressions.text import decimal_text
from tests.test_expressions import CASES, _value

BROWSER_CASES = [case for case in CASES if "server_only" not in case]


def _tagged(value: Any) -> Any:
    """A value in the JSON form the page reports (integers as text: 64 bits)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, Fraction):
        return {"decimal": decimal_text(value)}
    if isinstance(value, (datetime, timedelta)):
        kind = "timestamp" if isinstance(value, datetime) else "duration"
        return {kind: BUILTINS["string"].impl(value)}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    return {"map": [[_tagged(k), _tagged(v)] for k, v in value.items()]}


def _variables(case: dict[str, Any]) -> dict[str, Any]:
    return {name: _tagged(_value(spec)) for name, spec in (case.get("vars") or {}).items()}


def test_every_shared_case_gives_the_same_answer_in_the_browser(
        live_test_pages: str, page: Any) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_test_pages}/_test/cel_cases.html")
    page.wait_for_function("window.celCases !== undefined")
    sent = [{"expr": case["expr"], "vars": _variables(case)} for case in BROWSER_CASES]
    answers = page.evaluate("cases => window.celCases.runCases(cases)", sent)

    wrong = []
    for case, answer in zip(BROWSER_CASES, answers, strict=True):
        if "crash" in answer:
            wrong.append(f"{case['expr']}: the browser cannot answer ({answer['crash']})")
        elif "error" in case:
            expected = case["error"]
            if expected == "empty" and answer.get("error") != "empty":
                wrong.append(f"{case['expr']}: expected an empty field, got {answer}")
            elif expected != "empty" and (answer.get("error") in (None, "empty")
                                          or expected not in answer["error"]):
                wrong.append(f"{case['expr']}: expected an error with {expected!r}, got {answer}")
        elif answer.get("value", "∅") != _tagged(_value(case["expect"])):
            wrong.append(f"{case['expr']}: expected {json.dumps(_tagged(_value(case['expect'])))}"
                         f", got {json.dumps(answer)}")
    assert not wrong, "\n".join(wrong)
    assert len(answers) == len(CASES) > 100  # no case is left to the server alone
    assert not problems, problems


def test_the_browser_has_every_function_the_server_has(live_test_pages: str, page: Any) -> None:
    page.goto(f"{live_test_pages}/_test/cel_cases.html")
    page.wait_for_function("window.celCases !== undefined")
    names = page.evaluate("window.celCases.functionNames()")
    assert names == sorted(set(BUILTINS) - SERVER_ONLY_FUNCTIONS)


# What the server's parser reads and refuses; the browser (cel-js's parser and our
# compiler over its tree) must decide each the same way before anything runs.
SYNTAX = [
    ".5 + 1", "x > .25 && y != '.5'", "1.0e-5", "0x1F", "r'a\\b'", '"""x"""', "'\\x41'",
    "[1, 2,][0]", "{'a': 1,}", "--1", "-(1)", "1 == 1 == true", "x in [1]  // comment .5",
    "tags.exists_one(t, t > 1)", "[1].map(x, x > 0, x * 2)", "has(details.city)",
    "math.round(1)", "size('😀')", "-9223372036854775808",
    "1u", "b'x'", "let == 1", "1 +", "a.b(", "x.?y", "has(x)", "math.foo(1)", "foo(1)",
    "'a'.size(1)", "12345678901234567890", "-9223372036854775809", "cel.bind(a, 1, a)",
    "[1].exists(1, true)", "x.5", "'unclosed",
]


def _server_parses(source: str) -> bool:
    try:
        parse_expression(source)
    except ExpressionError:
        return False
    return True


def test_the_browser_reads_and_refuses_what_the_server_does(live_test_pages: str, page: Any
                                                            ) -> None:
    page.goto(f"{live_test_pages}/_test/cel_cases.html")
    page.wait_for_function("window.celCases !== undefined")
    answers = page.evaluate("sources => window.celCases.parses(sources)", SYNTAX)
    differ = [f"{source}: server {'reads' if _server_parses(source) else 'refuses'} it, "
              f"browser {'reads it' if answer is True else f'refuses it ({answer})'}"
              for source, answer in zip(SYNTAX, answers, strict=True)
              if (answer is True) != _server_parses(source)]
    assert not differ, "\n".join(differ)
    assert sum(_server_parses(s) for s in SYNTAX) == 19  # both kinds are tried
