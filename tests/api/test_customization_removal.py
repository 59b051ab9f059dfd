"""An admin removes a runtime customization and restores it; every process follows
(docs/api.md, "Customizing a running system")."""

from __future__ import annotations

from dataclasses import replace

from click.testing import CliRunner

from metacrm.cli import main
from metacrm.web.app import create_app

from ..conftest import admin_client, token_for

WECHAT = {"extend": "customer", "fields": {"wechat": {"type": "string"}}}
WINE = {"extend_optionset": "industry", "options": [{"value": "wine"}]}


def another_process(crm, every: float = 3600.0):  # type: ignore[no-untyped-def]
    """A second app on the same database that checks for schema changes ``every``
    seconds (an unknown field name makes it look at once)."""
    settings = replace(crm.application.extensions["metacrm"].settings,
                       schema_check_interval=every)
    return admin_client(create_app(settings))


def _customize(crm, document) -> int:  # type: ignore[no-untyped-def]
    response = crm.post("/api/meta/customizations", json=document)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_removing_options_takes_them_away_from_every_process(crm) -> None:
    other = another_process(crm, every=0.0)
    wine = _customize(crm, WINE)
    assert other.post("/api/customer", json={"name": "酒行", "industry": "wine"}).status_code \
        == 201
    response = crm.delete(f"/api/meta/customizations/{wine}")
    assert response.status_code == 200, response.json
    assert response.json["document"] == WINE and response.json["removed"] is True
    assert crm.get("/api/meta/customizations").json["items"] == []
    refused = other.post("/api/customer", json={"name": "酒行二", "industry": "wine"})
    assert refused.status_code == 422  # the other process no longer knows the option
    assert "industry" in refused.json["errors"]


def test_removing_a_field_that_holds_values_needs_allow_destructive(crm) -> None:
    wechat = _customize(crm, WECHAT)
    kept = crm.post("/api/customer", json={"name": "星河", "wechat": "xinghe"}).json["id"]
    other = another_process(crm)
    assert other.get(f"/api/customer/{kept}").json["wechat"] == "xinghe"
    refused = crm.delete(f"/api/meta/customizations/{wechat}")
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == [
        (f"removing customization #{wechat} would drop column customer.wechat: it is no longer "
        "defined; dropping it deletes its data (1 non-empty values); nothing was changed; "
        "pass allow_destructive=true to drop it with its values")]
    assert crm.get(f"/api/customer/{kept}").json["wechat"] == "xinghe"  # nothing changed

    removed = crm.delete(f"/api/meta/customizations/{wechat}?allow_destructive=true")
    assert removed.status_code == 200, removed.json
    assert any("drop column customer.wechat" in line for line in removed.json["changes"])
    assert "wechat" not in crm.get(f"/api/customer/{kept}").json
    assert crm.get("/api/customer?wechat=xinghe").status_code == 400
    # A process that compiled the field before sees it gone on its next use of the table.
    assert "wechat" not in other.get(f"/api/customer/{kept}").json
    assert other.post("/api/customer", json={"name": "B", "wechat": "x"}).status_code == 422


def test_a_removed_customization_is_restored_under_its_number(crm) -> None:
    wechat = _customize(crm, WECHAT)
    wine = _customize(crm, WINE)
    crm.delete(f"/api/meta/customizations/{wechat}?allow_destructive=true")
    again = crm.delete(f"/api/meta/customizations/{wechat}")
    assert again.status_code == 404
    assert f"POST /api/meta/customizations/{wechat}/restore" in again.json["errors"][
        "_request"][0]
    # A new customization never takes a removed one's number.
    assert _customize(crm, {"extend": "customer", "fields": {"qq": {"type": "string"}}}) \
        == wine + 1
    other = another_process(crm)
    other.get("/api/customer")
    restored = crm.post(f"/api/meta/customizations/{wechat}/restore")
    assert restored.status_code == 200, restored.json
    assert [i["id"] for i in crm.get("/api/meta/customizations").json["items"]] == [
        wechat, wine, wine + 1]
    created = other.post("/api/customer", json={"name": "A", "wechat": "again"})
    assert created.status_code == 201, created.json  # the other process follows
    assert crm.post(f"/api/meta/customizations/{wechat}/restore").status_code == 409


def test_a_customization_another_builds_on_cannot_be_removed_first(crm) -> None:
    wechat = _customize(crm, WECHAT)
    later = _customize(crm, {"extend": "customer", "indexes": [{"fields": ["wechat"]}]})
    refused = crm.delete(f"/api/meta/customizations/{wechat}?allow_destructive=true")
    assert refused.status_code == 409
    message = refused.json["errors"]["_request"][0]
    assert message.startswith(f"customization #{wechat} cannot be removed: "
                              f"customization #{later} build(s) on it; remove that first")
    assert crm.delete(f"/api/meta/customizations/{later}").status_code == 200
    assert crm.delete(f"/api/meta/customizations/{wechat}?allow_destructive=true"
                      ).status_code == 200


def test_removal_is_for_administrators_and_names_unknown_ones(crm) -> None:
    wine = _customize(crm, WINE)
    token = token_for(crm.application, "wang", roles=("sales",))
    assert crm.delete(f"/api/meta/customizations/{wine}",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert crm.delete("/api/meta/customizations/99").status_code == 404
    assert crm.delete(f"/api/meta/customizations/{wine}?allow_destructive=maybe"
                      ).status_code == 400


def test_the_command_line_lists_removes_and_restores(crm, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    for name, value in (("DATABASE_URL", settings.database_url),
                        ("BUNDLES", ":".join(settings.bundles)),
                        ("INSTANCE_PATH", settings.instance_path), ("SECRET_KEY", "test")):
        monkeypatch.setenv(f"METACRM_{name}", value)
    wechat = _customize(crm, WECHAT)
    wine = _customize(crm, WINE)
    run = CliRunner().invoke
    assert run(main, ["customizations", "list"]).output.splitlines() == [
        f"#{wechat} extend customer", f"#{wine} extend_optionset industry"]
    refused = run(main, ["customizations", "remove", str(wechat)])
    assert refused.exit_code == 1
    assert refused.output.endswith("pass --allow-destructive to drop it with its values\n")
    removed = run(main, ["customizations", "remove", str(wechat), "--allow-destructive"])
    assert removed.exit_code == 0, removed.output
    assert removed.output.splitlines()[-1].startswith(f"removed customization #{wechat} ")
    assert "wechat" not in crm.post("/api/customer", json={"name": "A"}).json
    assert run(main, ["customizations", "list"]).output.splitlines() == [
        f"#{wine} extend_optionset industry"]
    restored = run(main, ["customizations", "restore", str(wechat)])
    assert restored.exit_code == 0, restored.output
    assert crm.post("/api/customer", json={"name": "B", "wechat": "b"}).json["wechat"] == "b"
