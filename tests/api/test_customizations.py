"""An admin adds fields and options while the server runs; every process uses them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.web.app import create_app

from ..conftest import SHIPPED_BUNDLE, admin_client, write_bundle

WECHAT = {"extend": "customer", "fields": {"wechat": {
    "type": "string", "max_length": 60, "label": {"en": "WeChat", "zh": "微信"}}}}


def another_process(crm):  # type: ignore[no-untyped-def]
    """A second app on the same database that checks for schema changes only hourly:
    it must still accept the new field at once, because an unknown name makes it look."""
    settings = replace(crm.application.extensions["metacrm"].settings,
                       schema_check_interval=3600.0)
    return admin_client(create_app(settings))


def test_new_field_is_usable_at_once_and_keeps_every_row(crm) -> None:
    created = [crm.post("/api/customer", json={"name": f"客户{i}"}).json["id"] for i in range(3)]
    response = crm.post("/api/meta/customizations", json=WECHAT)
    assert response.status_code == 201, response.json
    assert len(crm.get("/api/customer?limit=500").json["items"]) == 3
    patched = crm.patch(f"/api/customer/{created[0]}", json={"wechat": "xinghe_sh"})
    assert patched.status_code == 200, patched.json
    assert patched.json["wechat"] == "xinghe_sh"
    assert crm.get("/api/customer?wechat__startswith=xing").json["items"][0]["id"] == created[0]
    field = next(f for f in crm.get("/api/meta/entities/customer",
                                    headers={"Accept-Language": "zh"}).json["fields"]
                 if f["name"] == "wechat")
    assert field["label"] == "微信"


def test_another_process_notices_the_new_schema(crm) -> None:
    other_process = another_process(crm)
    assert other_process.post("/api/customer", json={"name": "A", "wechat": "x"}).status_code \
        == 422
    assert crm.post("/api/meta/customizations", json=WECHAT).status_code == 201
    response = other_process.post("/api/customer", json={"name": "A", "wechat": "x"})
    assert response.status_code == 201, response.json
    assert response.json["wechat"] == "x"


def test_another_process_filters_and_bulk_creates_with_the_new_field(crm) -> None:
    other_process = another_process(crm)
    other_process.get("/api/customer")  # it has compiled the schema without the field
    assert crm.post("/api/meta/customizations", json=WECHAT).status_code == 201
    bulk = other_process.post("/api/customer/bulk", json={"items": [{"name": "B", "wechat": "y"}]})
    assert bulk.status_code == 201, bulk.json
    listed = other_process.get("/api/customer?wechat=y")
    assert [c["name"] for c in listed.json["items"]] == ["B"]


def test_customizations_survive_a_restart_and_add_options(crm) -> None:
    option = {"extend_optionset": "industry",
              "options": [{"value": "wine", "label": {"en": "Wine", "zh": "酒类"}}]}
    assert crm.post("/api/meta/customizations", json=option).status_code == 201
    restarted = admin_client(create_app(crm.application.extensions["metacrm"].settings))
    response = restarted.post("/api/customer", json={"name": "葡萄酒商行", "industry": "wine"})
    assert response.status_code == 201, response.json
    listed = restarted.get("/api/meta/customizations").json
    assert listed["schema_version"] == 1
    assert listed["items"][0]["document"] == option


def test_invalid_customization_is_refused_and_changes_nothing(crm) -> None:
    bad = {"extend": "customer", "fields": {"wechat": {"type": "strng"}}}
    response = crm.post("/api/meta/customizations", json=bad)
    assert response.status_code == 422
    assert "unknown field type 'strng' (did you mean 'string'?)" in response.json["errors"][
        "_request"][0]
    clash = {"extend": "customer", "fields": {"name": {"type": "text"}}}
    response = crm.post("/api/meta/customizations", json=clash)
    assert response.status_code == 422
    assert "field 'customer.name' is already defined" in response.json["errors"]["_request"][0]
    not_extend = {"entity": "hack", "fields": {"x": {"type": "string"}}}
    assert crm.post("/api/meta/customizations", json=not_extend).status_code == 422
    assert crm.get("/api/meta/customizations").json == {"schema_version": 0, "items": []}


def test_a_new_required_field_keeps_existing_rows(crm) -> None:
    crm.post("/api/customer", json={"name": "有数据的客户"})
    required = {"extend": "customer", "fields": {"tax_no": {"type": "string",
                                                            "required": True}}}
    # Required is enforced by the API, not as NOT NULL: existing rows stay as they are.
    assert crm.post("/api/meta/customizations", json=required).status_code == 201
    assert len(crm.get("/api/customer").json["items"]) == 1
    assert crm.post("/api/customer", json={"name": "新客户"}).status_code == 422


def test_export_customizations_writes_a_bundle_that_loads(crm, tmp_path: Path,
                                                          monkeypatch) -> None:
    from metacrm.cli import main

    crm.post("/api/meta/customizations", json=WECHAT)
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["export-customizations", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((tmp_path / "export" / "bundle.yaml").read_text())
    assert manifest["requires"] == ["crm"]
    catalog = load_catalog([SHIPPED_BUNDLE, tmp_path / "export"])
    assert catalog.entities["customer"].fields["wechat"].label.get("zh") == "微信"


def test_extension_bundle_from_yaml_migrates_additively(make_client, tmp_path: Path) -> None:
    wine = write_bundle(tmp_path / "wine", {"entities/customer.yaml": """
        extend: customer
        fields:
          liquor_license: {type: string, label: {en: Liquor license, zh: 酒类许可证}}
        """}, name="wine", requires=("crm",))
    client = make_client(SHIPPED_BUNDLE, wine)
    response = client.post("/api/customer", json={"name": "酒行", "liquor_license": "SH-1"})
    assert response.status_code == 201, response.json


def test_a_customization_the_data_cannot_take_is_refused_clearly(crm) -> None:
    for name in ("甲", "乙"):
        crm.post("/api/customer", json={"name": name, "city": "上海"})
    unique_city = {"extend": "customer", "indexes": [{"fields": ["city"], "unique": True}]}
    response = crm.post("/api/meta/customizations", json=unique_city)
    assert response.status_code == 409
    message = response.json["errors"]["_request"][0]
    assert message.startswith("the data cannot take this change, nothing was changed")
    assert "uq_customer_city" in message
    assert crm.get("/api/meta/customizations").json == {"schema_version": 0, "items": []}
    assert len(crm.get("/api/customer").json["items"]) == 2


def test_a_customization_the_database_would_refuse_is_422_and_changes_nothing(crm) -> None:
    """The limits `metacrm check` applies hold for runtime customizations too: an index
    named like a table or a primary key would fail when the table is altered."""
    for taken in ("contact", "pk_contact"):
        document = {"extend": "customer", "fields": {"wechat": {"type": "string"}},
                    "indexes": [{"fields": ["wechat"], "name": taken}]}
        response = crm.post("/api/meta/customizations", json=document)
        assert response.status_code == 422, response.json
        assert "would have the same name as the" in response.json["errors"]["_request"][0]
    assert crm.get("/api/meta/customizations").json["items"] == []
    assert crm.post("/api/customer", json={"name": "A", "wechat": "x"}).status_code == 422


NOTES_FIRST = {"form": "customer_main", "entity": "customer",
               "label": {"en": "Customer", "zh": "客户"},
               "sections": [{"title": {"en": "Short", "zh": "简要"}, "columns": 1, "fields": [
                   "name", {"field": "phone", "required_if": "grade == 'A'"}]}]}


def test_a_form_layout_is_a_customization_that_replaces_the_shipped_one(crm, tmp_path: Path,
                                                                        monkeypatch) -> None:
    from metacrm.cli import main

    response = crm.post("/api/meta/customizations", json=NOTES_FIRST)
    assert response.status_code == 201, response.json
    # Its condition holds through the API at once, in this process and another.
    for client in (crm, another_process(crm)):
        refused = client.post("/api/customer", json={"name": "星河", "grade": "A"})
        assert refused.status_code == 422 and list(refused.json["errors"]) == ["phone"]
    assert crm.post("/api/customer", json={"name": "星河", "grade": "B"}).status_code == 201
    # Saving an earlier version again goes back to it.
    earlier = {**NOTES_FIRST, "sections": [{"fields": ["name", "phone"]}]}
    assert crm.post("/api/meta/customizations", json=earlier).status_code == 201
    assert crm.post("/api/customer", json={"name": "月亮", "grade": "A"}).status_code == 201
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["export-customizations", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "export" / "forms").iterdir())
    assert written == ["0002_customer_main.yaml"]  # the newest version of the layout
    checked = CliRunner().invoke(main, ["check", SHIPPED_BUNDLE, str(tmp_path / "export")])
    assert checked.exit_code == 0, checked.output
    catalog = load_catalog([SHIPPED_BUNDLE, tmp_path / "export"])
    assert [f.name for _, f in catalog.forms["customer_main"].fields()] == ["name", "phone"]


def test_a_form_customization_naming_an_unknown_field_is_refused(crm) -> None:
    bad = {"form": "customer_main", "entity": "customer",
           "sections": [{"fields": ["name", {"field": "phone", "visible_if": "grad == 'A'"}]}]}
    response = crm.post("/api/meta/customizations", json=bad)
    assert response.status_code == 422
    assert "unknown name 'grad'" in response.json["errors"]["_request"][0]
    assert crm.get("/api/meta/customizations").json["items"] == []
