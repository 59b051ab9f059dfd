"""The form designer's API: a saved layout is a versioned ``form`` customization,
checked like YAML, reverted to an earlier version, seen by another process, written
out by export-customizations as a bundle `check` accepts; only administrators and
roles with ``design`` on the entity may use it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.web.app import create_app

from ..conftest import SHIPPED_BUNDLE, admin_client, token_for

DESIGNER_ROLE = {"role": "customer_designer",
                 "label": {"en": "Customer designer", "zh": "客户表单设计"},
                 "permissions": {"customer": {"operations": ["read", "design"]}}}


def as_user(crm, username: str, roles: tuple[str, ...]):  # type: ignore[no-untyped-def]
    client = crm.application.test_client()
    token = token_for(crm.application, username, roles=roles)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def names(document: dict) -> list[list[str]]:  # type: ignore[type-arg]
    """The field names of each section, in order."""
    return [[f if isinstance(f, str) else f["field"] for f in section["fields"]]
            for tab in document["tabs"] for section in tab["sections"]]


def moved(document: dict) -> dict:  # type: ignore[type-arg]
    """``document`` with its first section's first field moved to the second section."""
    changed = {**document, "tabs": [dict(t) for t in document["tabs"]]}
    sections = [dict(s) for s in changed["tabs"][0]["sections"]]
    first = sections[0]["fields"][0]
    sections[0]["fields"] = sections[0]["fields"][1:]
    sections[1]["fields"] = [*sections[1]["fields"], first]
    changed["tabs"][0]["sections"] = sections
    return changed


def test_the_shipped_layout_is_the_designers_start_and_a_save_is_a_new_version(crm) -> None:
    shown = crm.get("/api/meta/forms/customer_main")
    assert shown.status_code == 200, shown.json
    start = shown.json["document"]
    assert start["form"] == "customer_main" and start["entity"] == "customer"
    assert shown.json["versions"] == []
    layouts = crm.get("/api/meta/forms?entity=customer").json["items"]
    assert [f["form"] for f in layouts[0]["forms"]][0] == "customer_main"

    saved = crm.put("/api/meta/forms/customer_main", json=moved(start))
    assert saved.status_code == 201, saved.json
    first = saved.json["id"]
    assert names(crm.get("/api/meta/forms/customer_main").json["document"]) == names(moved(start))
    placed = crm.get("/api/meta/entities/customer").json["form"]
    assert placed is not None
    # A second save, then back to the first: a third version equal to the first.
    again = crm.put("/api/meta/forms/customer_main", json=moved(moved(start))).json["id"]
    reverted = crm.post(f"/api/meta/forms/customer_main/versions/{first}/revert")
    assert reverted.status_code == 201, reverted.json
    versions = crm.get("/api/meta/forms/customer_main/versions").json["items"]
    assert [v["id"] for v in versions] == [first, again, reverted.json["id"]]
    assert [v["current"] for v in versions] == [False, False, True]
    assert names(crm.get("/api/meta/forms/customer_main").json["document"]) == names(moved(start))
    # Version 0 is the bundles' layout.
    assert crm.post("/api/meta/forms/customer_main/versions/0/revert").status_code == 201
    assert names(crm.get("/api/meta/forms/customer_main").json["document"]) == names(start)
    assert crm.post("/api/meta/forms/customer_main/versions/999/revert").status_code == 404


def test_a_bad_layout_is_refused_with_where_and_why_and_nothing_is_stored(crm) -> None:
    start = crm.get("/api/meta/forms/customer_main").json["document"]
    bad = moved(start)
    bad["tabs"][0]["sections"][0]["fields"] = [
        *bad["tabs"][0]["sections"][0]["fields"], {"field": "phone", "visible_if": "grad == 'A'"},
        "nonesuch"]
    refused = crm.put("/api/meta/forms/customer_main", json=bad)
    assert refused.status_code == 422, refused.json
    said = " ".join(refused.json["errors"]["_request"])
    assert "form 'customer_main': field 'phone' visible_if: unknown name 'grad'" in said
    assert "unknown field 'nonesuch' of 'customer'" in said
    wide = moved(start)
    wide["tabs"][0]["sections"][0]["columns"] = 9
    refused = crm.put("/api/meta/forms/customer_main", json=wide)
    assert refused.status_code == 422 and "columns" in " ".join(refused.json["errors"]["_request"])
    renamed = crm.put("/api/meta/forms/customer_main", json={**start, "entity": "contact"})
    assert renamed.status_code == 422
    assert crm.get("/api/meta/forms/customer_main/versions").json["items"] == []


def test_a_condition_is_checked_as_check_does(crm) -> None:
    def check(expression: str):  # type: ignore[no-untyped-def]
        return crm.post("/api/meta/forms/conditions",
                        json={"entity": "customer", "expression": expression}).json

    assert check("grade == 'A'") == {"valid": True}
    wrong = check("grad == 'A'")
    assert wrong["valid"] is False and "unknown name 'grad'" in wrong["error"]
    assert "(at column 1)" in wrong["error"]
    assert "boolean" in check("annual_revenue")["error"]


def test_only_admins_and_roles_with_design_may_use_it(crm) -> None:
    salesperson = as_user(crm, "wang.fang", ("salesperson",))
    start = crm.get("/api/meta/forms/customer_main").json["document"]
    assert salesperson.get("/api/meta/forms/customer_main").status_code == 403
    assert salesperson.put("/api/meta/forms/customer_main", json=start).status_code == 403
    assert salesperson.post("/api/meta/forms/conditions", json={
        "entity": "customer", "expression": "true"}).status_code == 403
    assert salesperson.get("/api/meta/forms").json["items"] == []
    assert salesperson.post("/api/meta/customizations", json={
        "form": "customer_main", **{k: v for k, v in start.items() if k != "form"}}
    ).status_code == 403

    assert crm.post("/api/meta/customizations", json=DESIGNER_ROLE).status_code == 201
    designer = as_user(crm, "li.na", ("customer_designer",))
    assert [i["entity"] for i in designer.get("/api/meta/forms").json["items"]] == ["customer"]
    assert designer.put("/api/meta/forms/customer_main", json=moved(start)).status_code == 201
    # ...and adds a field to the entity it designs, through the customization API...
    field = {"extend": "customer", "fields": {"wechat": {"type": "string",
                                                         "label": {"en": "WeChat", "zh": "微信"}}}}
    assert designer.post("/api/meta/customizations", json=field).status_code == 201
    # ...but nothing else: another entity's layout or fields, an index, a role.
    contact = crm.get("/api/meta/forms/contact_main").json["document"]
    assert designer.put("/api/meta/forms/contact_main", json=contact).status_code == 403
    assert designer.post("/api/meta/customizations", json={
        "extend": "contact", "fields": {"x": {"type": "string"}}}).status_code == 403
    assert designer.post("/api/meta/customizations", json={
        **field, "fields": {"qq": {"type": "string"}},
        "indexes": [{"fields": ["qq"]}]}).status_code == 403
    assert designer.post("/api/meta/customizations", json={
        **DESIGNER_ROLE, "role": "other"}).status_code == 403


def test_another_process_sees_a_saved_layout(crm) -> None:
    settings = crm.application.extensions["metacrm"].settings
    other = admin_client(create_app(replace(settings, schema_check_interval=0.0)))
    start = other.get("/api/meta/forms/customer_main").json["document"]
    layout = {**start, "tabs": [{"name": "main", "label": {"en": "Main"}, "sections": [
        {"columns": 1, "fields": ["name", {"field": "phone", "required_if": "grade == 'A'"}]}]}]}
    assert crm.put("/api/meta/forms/customer_main", json=layout).status_code == 201
    refused = other.post("/api/customer", json={"name": "星河", "grade": "A"})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["phone"]
    shown = other.get("/api/meta/entities/customer").json["form"]
    assert shown is not None


def test_export_writes_the_layout_as_a_bundle_check_accepts(crm, tmp_path: Path,
                                                           monkeypatch) -> None:
    from metacrm.cli import main

    start = crm.get("/api/meta/forms/customer_main").json["document"]
    assert crm.put("/api/meta/forms/customer_main", json=moved(start)).status_code == 201
    assert crm.put("/api/meta/forms/customer_main", json=moved(moved(start))).status_code == 201
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["export-customizations", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "export" / "forms").iterdir()) == [
        "0002_customer_main.yaml"]
    checked = CliRunner().invoke(main, ["check", SHIPPED_BUNDLE, str(tmp_path / "export")])
    assert checked.exit_code == 0, checked.output
    catalog = load_catalog([SHIPPED_BUNDLE, tmp_path / "export"])
    assert [[f.name for f in s.fields] for t in catalog.forms["customer_main"].tabs
            for s in t.sections] == names(moved(moved(start)))


def test_every_shipped_layout_reads_back_as_the_document_it_came_from(crm) -> None:
    """The designer starts from a shipped layout as a document: stored as
    customizations, each gives the same layout again."""
    from metacrm.runtime.form_designs import form_document

    platform = crm.application.extensions["metacrm"]
    shipped = platform.compiled.catalog.forms
    documents = [(index + 1, form_document(form)) for index, form in enumerate(shipped.values())]
    again = platform.load(documents).forms
    assert len(shipped) > 10
    for name, form in shipped.items():
        assert form_document(again[name]) == form_document(form), name
        assert again[name].replaces == form.bundle
