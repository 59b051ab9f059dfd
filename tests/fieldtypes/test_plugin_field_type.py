"""A plugin adds a field type: ``cn_id_card`` (plugins/cn_id_card.py), the number of a
Chinese resident identity card. A bundle's entity uses it like a built-in type once the
plugin is loaded; without the plugin, check does not know it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.cli import main
from metacrm.errors import DefinitionError
from metacrm.operations import migrate_database
from metacrm.plugins import PluginError, field_types_of, load_plugins
from metacrm.web.app import create_app
from plugins.cn_id_card import check_character, parse_id_card

from ..conftest import admin_client, write_bundle

PLUGIN = "plugins.cn_id_card:plugin"
PEOPLE = {
    "entities/person.yaml": """
        entity: person
        search: [name, id_number]
        fields:
          name: {type: string, required: true}
          id_number: {type: cn_id_card, unique: true}
        """,
}
VALID = "11010519491231002X"
WRONG_CHECK = "110105194912310021"


@pytest.fixture
def people(make_settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    bundle = write_bundle(tmp_path / "people", PEOPLE, name="people")
    settings = replace(make_settings(bundle), plugins=(PLUGIN,))
    assert migrate_database(settings, echo=lambda line: None)
    app = create_app(settings)
    yield admin_client(app)
    app.extensions["metacrm"].engine.dispose()


def test_the_check_digit_is_iso_7064_mod_11_2() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"
    assert parse_id_card(" 11010519491231002x ") == VALID
    with pytest.raises(ValueError, match="check digit should be X, not 1"):
        parse_id_card(WRONG_CHECK)
    with pytest.raises(ValueError, match="date of birth"):
        parse_id_card("110105194913310024")
    with pytest.raises(ValueError, match="18 characters"):
        parse_id_card("1101051949")


def test_check_knows_the_type_only_when_the_plugin_is_loaded(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "people", PEOPLE, name="people")
    with pytest.raises(DefinitionError) as caught:
        load_catalog([bundle])
    assert ("entities/person.yaml:5:21: fields.id_number.type: unknown field type "
            "'cn_id_card'") in str(caught.value)
    catalog = load_catalog([bundle], field_types=field_types_of(load_plugins([PLUGIN])))
    assert catalog.entities["person"].fields["id_number"].type == "cn_id_card"


def test_metacrm_check_with_and_without_the_plugin(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "people", PEOPLE, name="people")
    monkeypatch.chdir(bundle)
    monkeypatch.delenv("METACRM_PLUGINS", raising=False)
    refused = CliRunner().invoke(main, ["check", "."])
    assert refused.exit_code == 1
    assert "entities/person.yaml:5:21: fields.id_number.type: unknown field type" in (
        refused.output)
    monkeypatch.setenv("METACRM_PLUGINS", PLUGIN)
    accepted = CliRunner().invoke(main, ["check", "."])
    assert accepted.exit_code == 0, accepted.output


def test_keys_that_do_not_apply_to_the_plugin_type_are_refused(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "people", {"entities/person.yaml": """
        entity: person
        fields:
          id_number: {type: cn_id_card, min: 1}
        """}, name="people")
    with pytest.raises(DefinitionError) as caught:
        load_catalog([bundle], field_types=field_types_of(load_plugins([PLUGIN])))
    assert ("entities/person.yaml:3:33: 'min' does not apply to a cn_id_card field (only "
            "to: integer, decimal, money, percent, date, datetime)") in str(caught.value)


def test_a_plugin_type_may_not_take_a_built_in_name() -> None:
    class Clash:
        name = "clash"
        hooks: ClassVar[dict] = {}

        def field_types(self):  # type: ignore[no-untyped-def]
            from metacrm.fieldtypes import builtin_field_types
            return (builtin_field_types()["money"],)

    import sys
    import types
    module = types.ModuleType("clash_plugin")
    module.plugin = Clash()  # type: ignore[attr-defined]
    sys.modules["clash_plugin"] = module
    try:
        with pytest.raises(PluginError, match="two field types are named 'money'"):
            field_types_of(load_plugins(["clash_plugin:plugin"]))
    finally:
        del sys.modules["clash_plugin"]


def test_a_valid_number_is_stored_and_a_wrong_check_digit_is_a_clear_422(people) -> None:
    created = people.post("/api/person", json={"name": "Li Na", "id_number": VALID.lower()})
    assert created.status_code == 201, created.json
    assert created.json["id_number"] == VALID
    refused = people.post("/api/person", json={"name": "Wang Fang", "id_number": WRONG_CHECK})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"id_number": [
        (f"'{WRONG_CHECK}' is not a valid Chinese resident ID number: its check digit should "
         "be X, not 1")]}
    in_chinese = people.post("/api/person", json={"name": "Wang Fang", "id_number": 42},
                             headers={"Accept-Language": "zh"})
    assert in_chinese.status_code == 422
    assert in_chinese.json["errors"] == {"id_number": ["不是有效的居民身份证号码。"]}
    changed = people.patch(f"/api/person/{created.json['id']}",
                           json={"id_number": WRONG_CHECK},
                           headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 422
    assert people.get(f"/api/person/{created.json['id']}").json["id_number"] == VALID


def test_filters_search_and_the_openapi_document_know_the_type(people) -> None:
    people.post("/api/person", json={"name": "Li Na", "id_number": VALID})
    people.post("/api/person", json={"name": "Zhao Lei", "id_number": None})
    found = people.get(f"/api/person?id_number={VALID.lower()}")
    assert [r["name"] for r in found.json["items"]] == ["Li Na"]
    assert [r["name"] for r in people.get("/api/person?id_number__startswith=110105")
            .json["items"]] == ["Li Na"]
    assert [r["name"] for r in people.get("/api/person?q=1949").json["items"]] == ["Li Na"]
    bad = people.get(f"/api/person?id_number={WRONG_CHECK}")
    assert bad.status_code == 400
    assert "check digit should be X, not 1" in bad.json["errors"]["id_number"][0]
    unordered = people.get("/api/person?id_number__gt=1")
    assert unordered.status_code == 400
    schema = people.get("/api/openapi.json").json["components"]["schemas"]["Person_Create"]
    assert schema["properties"]["id_number"]["pattern"] == "^[0-9]{17}[0-9Xx]$"
    assert schema["properties"]["id_number"]["maxLength"] == 18


def test_the_ui_and_import_answers_of_the_plugin_type(people) -> None:
    types = people.application.extensions["metacrm"].field_types
    kind = types["cn_id_card"]
    field = people.application.extensions["metacrm"].compiled.models["person"].entity.fields[
        "id_number"]
    assert kind.widget == "text"
    assert kind.list_text(VALID, field) == "110105********002X"  # no birthday in a list
    assert kind.read_cell(VALID.lower(), field) == VALID
    with pytest.raises(ValueError, match="format the column as text"):
        kind.read_cell(110105194912310020, field)
