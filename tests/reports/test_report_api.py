"""The reports API: the list and a run answer as the OpenAPI document declares; a bad
or unknown parameter is a 400 naming it; an unknown report a 404; each row's filters,
sent to the entity's list API, give exactly the records the row counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metacrm.runtime.report_answer import named_rows, named_totals
from metacrm.runtime.report_drill import drill_query
from metacrm.web.openapi import build_openapi

from ..api.openapi_checks import declared_answer
from ..conftest import create_as_platform
from .conftest import sales_bundle

PIVOT = """
report: stage_by_month
entity: deal
label: {en: Stages by month, zh: 按月阶段}
rows: {field: met_at, bucket: month}
columns: stage
measures: [{name: deals, aggregate: count}, {name: amount, aggregate: avg, field: amount}]
time_zone: Asia/Shanghai
presentation: stacked_bar
"""


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/pivot.yaml": PIVOT}))
    for index, (stage, met_at, amount) in enumerate([
            ("won", "2026-01-31T17:00:00Z", "10.00"),  # 1 February in Shanghai
            ("won", "2026-01-31T15:00:00Z", "20.00"),  # 31 January
            ("lost", "2026-02-10T00:00:00Z", "30.00"), ("won", "2026-03-01T00:00:00Z", None)]):
        create_as_platform(client, "deal", name=f"D{index}", stage=stage, met_at=met_at,
                           amount=amount, closed_on="2026-02-0" + str(index + 1))
    return client


@pytest.fixture
def doc(client) -> dict:  # type: ignore[no-untyped-def]
    return build_openapi(client.application.extensions["metacrm"].compiled.catalog)


def test_the_list_names_each_report_with_its_parameters(client, doc: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/reports", headers={"Accept-Language": "zh"})
    answer: Any = declared_answer(doc, "/api/reports", "get", response)
    items = {r["name"]: r for r in answer["items"]}
    assert set(items) == {"won_by_month", "stage_by_month"}
    assert items["won_by_month"]["label"] == "按月成交"
    assert [(p["name"], p["kind"], p["default"]) for p in items["won_by_month"]["parameters"]] \
        == [("period", "period", "all"), ("owner", "value", None)]


def test_a_run_answers_rows_totals_and_series(client, doc: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/reports/stage_by_month")
    answer: Any = declared_answer(doc, "/api/reports/{name}", "get", response)
    # each dimension's values once; a row is their positions, then the figures in the
    # columns' order; a total of a row or column value is its position, then its figures
    months, stages = (d["values"] for d in answer["dimensions"])
    assert [m["label"] for m in months] == ["2026-01", "2026-02", "2026-03"]
    assert [s["value"] for s in stages] == ["won", "lost"]
    assert stages[1]["filters"] == [["stage", "lost"]]
    assert [c["name"] for c in answer["columns"]] == ["deals", "amount"]
    assert answer["rows"] == [[0, 0, 1, "20.00"], [1, 0, 1, "10.00"], [1, 1, 1, "30.00"],
                              [2, 0, 1, None]]
    assert answer["totals"]["all"] == {"deals": 4, "amount": "20.00"}
    assert answer["totals"]["columns"] == [[0, 3, "15.00"], [1, 1, "30.00"]]
    assert answer["totals"]["rows"] == [[0, 1, "20.00"], [1, 2, "20.00"], [2, 1, None]]
    # read with names (runtime/report_answer.py)
    cells = {(r["rows"]["label"], r["columns"]["value"]): r["values"]
             for r in named_rows(answer)}
    assert cells == {("2026-01", "won"): {"deals": 1, "amount": "20.00"},
                     ("2026-02", "won"): {"deals": 1, "amount": "10.00"},
                     ("2026-02", "lost"): {"deals": 1, "amount": "30.00"},
                     ("2026-03", "won"): {"deals": 1, "amount": None}}
    assert {t["value"]: t["values"]["deals"] for t in named_totals(answer, "columns")} == {
        "won": 3, "lost": 1}
    assert answer["series"]["categories"] == ["2026-01", "2026-02", "2026-03"]
    assert {s["name"]: s["data"] for s in answer["series"]["series"]} == {
        "won": [1, 1, 1], "lost": [None, 1, None]}
    assert [d["axis"] for d in answer["dimensions"]] == ["rows", "columns"]


def test_a_rows_filters_pick_its_records_from_the_list_api(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/api/reports/stage_by_month").get_json()
    for row in answer["rows"]:
        query = drill_query(answer, row)  # the run's filters and the row's values'
        listed = client.get("/api/deal?count=true&" + query).get_json()
        assert listed["count"] == row[2], query  # its deals


@pytest.mark.parametrize(("params", "key", "words"), [
    ({"period": "last_decade"}, "period", "is not a period"),
    ({"period_from": "2026-13-01"}, "period", "days like"),
    ({"period_from": "2026-03-01", "period_to": "2026-01-01"}, "period", "starts"),
    ({"period": "this_year", "period_to": "2026-01-01"}, "period", "not both"),
    ({"owner": "someone"}, "owner", "someone"),
    ({"colour": "red"}, "colour", "has no parameter 'colour'"),
])
def test_a_bad_parameter_is_named(client, params: dict[str, str], key: str,  # type: ignore[no-untyped-def]
                                  words: str) -> None:
    response = client.get("/api/reports/won_by_month", query_string=params)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert list(errors) == [key] and words in errors[key][0]


def test_an_unknown_report_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/reports/nothing_here").status_code == 404
