"""Plugins offer hooks that definitions call by name: checked when the platform is
built, called when a transition happens, able to refuse it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError
from metacrm.operations import migrate_database
from metacrm.plugins import PluginError, load_plugins
from metacrm.web.app import create_app

from ..access.conftest import person
from ..conftest import admin_client, write_bundle
from .conftest import DEALS, fire, new_deal
from .sample_plugin import plugin

PLUGIN = "tests.workflows.sample_plugin:plugin"
HOOKED = {**DEALS, "workflows/deal_flow.yaml": DEALS["workflows/deal_flow.yaml"].replace(
    "              - notify: {to: [owner], message: {en: \"Won!\", zh: 赢单了}}",
    "              - hook: erp.won")}


@pytest.fixture
def hooked(make_settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    bundle = write_bundle(tmp_path / "deals", HOOKED, name="deals")
    settings = replace(make_settings(bundle), plugins=(PLUGIN,))
    assert migrate_database(settings, echo=lambda line: None)
    app = create_app(settings)
    yield admin_client(app)
    app.extensions["metacrm"].engine.dispose()


def test_a_hook_no_plugin_offers_is_a_definition_error(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "deals", HOOKED, name="deals")
    with pytest.raises(DefinitionError) as caught:
        load_catalog([bundle])
    assert "unknown hook 'erp.won' (no plugin is loaded: METACRM_PLUGINS)" in str(caught.value)
    assert load_catalog([bundle], hooks=frozenset({"erp.won"})) is not None


def test_a_plugin_that_cannot_be_loaded_says_why() -> None:
    with pytest.raises(PluginError, match="cannot be loaded"):
        load_plugins(["tests.workflows.no_such_module:plugin"])
    with pytest.raises(PluginError, match="needs a 'name'"):
        load_plugins(["tests.workflows.sample_plugin:Recorder"])


def test_a_hook_hears_the_transition_and_may_refuse_it(hooked) -> None:
    boss = person(hooked, "boss", roles=("manager",))
    plugin.events.clear()
    small, big = new_deal(boss, amount="5000"), new_deal(boss, amount="5000000")
    table = hooked.application.extensions["metacrm"].compiled.models["deal"].table
    with hooked.application.extensions["metacrm"].writing() as conn:
        conn.execute(table.update().values(status="approved"))
    assert fire(boss, small["id"], "win").status_code == 200
    assert [(e.event, e.record["id"]) for e in plugin.events] == [("transition:win", small["id"])]
    refused = fire(boss, big["id"], "win")
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == [
        "erp.won refused: the ERP confirms deals above 1,000,000 by hand"]
    assert boss.get(f"/api/deal/{big['id']}").json["status"] == "approved"  # undone
