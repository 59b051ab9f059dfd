"""The report builder's API: a draft runs as a preview in the caller's scope, a saved
report is a versioned ``report`` customization that every viewer can run, a shipped
report can be changed and taken back to its YAML, export-customizations writes it as
a reports/ file `check` accepts; only administrators and roles with ``design`` on
the report's entity may build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.runtime.report_answer import named_rows

from ..conftest import SHIPPED_BUNDLE, create_as_platform, token_for

BY_SOURCE: dict[str, Any] = {
    "report": "open_by_source", "entity": "opportunity",
    "label": {"en": "Open deals by source", "zh": "按来源的在途商机"},
    "filters": {"stage__in": ["qualify", "proposal"]},
    "rows": {"field": "source"},
    "measures": [{"name": "deals", "aggregate": "count"},
                 {"name": "amount", "aggregate": "sum", "field": "amount"}],
    "presentation": "bar",
}
DESIGNER = {"role": "deal_designer", "label": {"en": "Deal designer", "zh": "商机报表设计"},
            "permissions": {"opportunity": {"operations": ["read", "design"], "scope": "own"},
                            "customer": {"operations": ["read"], "scope": "own"}}}


def as_user(crm, username: str, roles: tuple[str, ...]):  # type: ignore[no-untyped-def]
    client = crm.application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {token_for(crm.application, username, roles=roles)}")
    return client


def _deals(crm, owner: int | None = None) -> None:  # type: ignore[no-untyped-def]
    customer = create_as_platform(crm, "customer", name="星河贸易", lifecycle="lead")
    for stage, source, amount in [("qualify", "website", "100.10"), ("proposal", "website",
                                                                     "0.20"),
                                  ("qualify", "referral", "5"), ("won", "website", "999")]:
        create_as_platform(crm, "opportunity", name=f"{stage} {source}", customer=customer,
                           stage=stage, source=source, amount=amount, owner=owner,
                           expected_close="2030-01-01")


def test_a_draft_previews_without_being_saved(crm) -> None:
    _deals(crm)
    answer = crm.post("/api/meta/reports/preview", json={"document": BY_SOURCE})
    assert answer.status_code == 200, answer.json
    figures = {r["rows"]["value"]: r["values"] for r in named_rows(answer.json)}
    assert figures["website"]["deals"] == 2 and figures["website"]["amount"] == "100.30"
    assert figures["referral"]["deals"] == 1
    assert crm.get("/api/reports/open_by_source").status_code == 404
    assert crm.get("/api/meta/customizations").json["items"] == []


def test_a_saved_report_runs_for_everyone_and_is_versioned(crm) -> None:
    _deals(crm)
    saved = crm.post("/api/meta/reports", json=BY_SOURCE)
    assert saved.status_code == 201, saved.json
    assert [v["current"] for v in saved.json["versions"]] == [True]
    listed = [r["name"] for r in crm.get("/api/reports").json["items"]]
    assert "open_by_source" in listed
    run = crm.get("/api/reports/open_by_source").json
    assert run["totals"]["all"]["deals"] == 3

    narrower = {**BY_SOURCE, "filters": {"stage": "proposal"}}
    again = crm.put("/api/meta/reports/open_by_source", json=narrower)
    assert again.status_code == 201, again.json
    assert crm.get("/api/reports/open_by_source").json["totals"]["all"]["deals"] == 1
    first = saved.json["id"]
    back = crm.post(f"/api/meta/reports/open_by_source/versions/{first}/revert")
    assert back.status_code == 201, back.json
    assert crm.get("/api/reports/open_by_source").json["totals"]["all"]["deals"] == 3
    shown = crm.get("/api/meta/reports/open_by_source").json
    assert shown["document"]["filters"] == BY_SOURCE["filters"]
    assert [v["current"] for v in shown["versions"]] == [False, False, True]


def test_a_shipped_report_is_changed_and_taken_back_to_its_yaml(crm) -> None:
    shipped = crm.get("/api/meta/reports/sales_funnel").json
    assert shipped["versions"] == []
    document = shipped["document"]
    assert document["report"] == "sales_funnel" and document["entity"] == "opportunity"
    changed = {**document, "label": {"en": "Funnel (ours)", "zh": "我们的漏斗"}}
    assert crm.put("/api/meta/reports/sales_funnel", json=changed).status_code == 201
    titles = {r["name"]: r["label"] for r in crm.get("/api/reports").json["items"]}
    assert titles["sales_funnel"] == "Funnel (ours)"
    assert crm.post("/api/meta/reports/sales_funnel/versions/0/revert").status_code == 201
    titles = {r["name"]: r["label"] for r in crm.get("/api/reports").json["items"]}
    assert titles["sales_funnel"] == "Sales funnel by stage"


def test_a_broken_draft_says_where_and_why(crm) -> None:
    for document, words in [
        ({**BY_SOURCE, "rows": {"field": "sorce"}}, "sorce"),
        ({**BY_SOURCE, "measures": [{"name": "x", "aggregate": "median", "field": "amount"}]},
         "median"),
        ({**BY_SOURCE, "entity": "nothing"}, "entities"),
        ({"entity": "opportunity"}, "report"),
    ]:
        for call in (lambda d: crm.post("/api/meta/reports/preview", json={"document": d}),
                     lambda d: crm.post("/api/meta/reports", json=d)):
            answer = call(document)
            assert answer.status_code == 422, (document, answer.json)
            assert words in str(answer.json), (words, answer.json)
    assert crm.get("/api/meta/customizations").json["items"] == []


def test_only_those_who_may_design_the_entity_build_and_a_preview_keeps_their_scope(
        crm) -> None:  # type: ignore[no-untyped-def]
    assert crm.post("/api/meta/customizations", json=DESIGNER).status_code == 201
    seller = as_user(crm, "wang", ("salesperson",))
    assert seller.post("/api/meta/reports/preview",
                       json={"document": BY_SOURCE}).status_code == 403
    assert seller.post("/api/meta/reports", json=BY_SOURCE).status_code == 403

    designer = as_user(crm, "li", ("deal_designer",))
    mine = designer.get("/api/users/me").json["id"]
    _deals(crm, owner=mine)
    _deals(crm)  # nobody's: out of li's scope
    answer = designer.post("/api/meta/reports/preview", json={"document": BY_SOURCE})
    assert answer.status_code == 200, answer.json
    assert answer.json["totals"]["all"]["deals"] == 3  # only li's
    of_customers = {**BY_SOURCE, "report": "c", "entity": "customer", "filters": {},
                    "measures": [{"name": "n", "aggregate": "count"}], "rows": None}
    of_customers.pop("rows")
    assert designer.post("/api/meta/reports", json=of_customers).status_code == 403
    assert designer.post("/api/meta/reports", json=BY_SOURCE).status_code == 201
    assert designer.put("/api/meta/reports/sales_funnel", json={
        **crm.get("/api/meta/reports/sales_funnel").json["document"]}).status_code == 201
    # the generic customization endpoint agrees
    assert designer.post("/api/meta/customizations",
                         json={**of_customers, "report": "d"}).status_code == 403


def test_export_writes_the_newest_report_as_a_file_check_accepts(crm, tmp_path: Path,
                                                                 monkeypatch) -> None:
    from metacrm.cli import main

    assert crm.post("/api/meta/reports", json=BY_SOURCE).status_code == 201
    newer = {**BY_SOURCE, "presentation": "pie"}
    assert crm.put("/api/meta/reports/open_by_source", json=newer).status_code == 201
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["export-customizations", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "export" / "reports").iterdir()) == [
        "0002_open_by_source.yaml"]
    checked = CliRunner().invoke(main, ["check", SHIPPED_BUNDLE, str(tmp_path / "export")])
    assert checked.exit_code == 0, checked.output
    catalog = load_catalog([SHIPPED_BUNDLE, tmp_path / "export"])
    assert catalog.reports["open_by_source"].presentation == "pie"
