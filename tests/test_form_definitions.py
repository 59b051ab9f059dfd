"""Form layouts are definitions: `metacrm check` reads a bundle's forms/ folder and
reports every mistake in a layout as file:line:col: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError

from .conftest import write_bundle

ENTITY = """
entity: deal
fields:
  name: {type: string, required: true}
  stage: {type: choice, options: [open, won, lost]}
  amount: {type: money}
  lost_reason: {type: string}
  secret: {type: string}
  code: {type: autonumber, format: "D{seq}"}
"""
CHILD = """
entity: note
fields:
  deal: {type: reference, to: deal}
  body: {type: text}
"""
ROLE = """
role: seller
permissions:
  deal: {operations: [read, create, update], fields: {secret: hidden}}
  note: {operations: [read]}
"""


def bundle_with(tmp_path: Path, form: str, **extra: str) -> Path:
    return write_bundle(tmp_path / "b", {
        "entities/deal.yaml": ENTITY, "entities/note.yaml": CHILD, "roles/seller.yaml": ROLE,
        "forms/deal.yaml": form, **extra})


def diagnostics(bundle: Path) -> list[str]:
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def test_a_layout_is_read_from_the_forms_folder(tmp_path: Path) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: deal
        label: {en: Deal, zh: 交易}
        list: {columns: [name, stage, amount]}
        quick_create: {fields: [name, amount]}
        tabs:
          - name: main
            label: {en: Details, zh: 详情}
            sections:
              - title: {en: Deal, zh: 交易}
                columns: 3
                collapsible: true
                fields:
                  - name
                  - {field: amount, span: 2, placeholder: {en: "0.00"}}
                  - field: lost_reason
                    visible_if: "stage == 'lost'"
                    required_if: "stage == 'lost'"
                    readonly_if: "stage == 'won'"
        related:
          - {entity: note, via: deal, columns: [body], limit: 5}
        """)
    catalog = load_catalog([bundle])
    (form,) = catalog.forms_of("deal")
    assert form.name == "deal_main" and form.label.get("zh") == "交易"
    assert form.list_columns == ("name", "stage", "amount")
    assert [f.name for f in form.quick_create] == ["name", "amount"]
    section = form.tabs[0].sections[0]
    assert (section.columns, section.collapsible) == (3, True)
    assert [(f.name, f.span) for f in section.fields] == [
        ("name", 1), ("amount", 2), ("lost_reason", 1)]
    assert form.field("lost_reason").required_if == "stage == 'lost'"
    assert form.related[0].entity == "note" and form.related[0].limit == 5


def test_sections_without_tabs_are_one_tab(tmp_path: Path) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: deal
        sections:
          - fields: [name, amount]
        """)
    (form,) = load_catalog([bundle]).forms_of("deal")
    assert len(form.tabs) == 1 and [f.name for _, f in form.fields()] == ["name", "amount"]


def test_check_reports_every_mistake_of_a_layout_where_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: deal
        roles: [seller]
        list: {columns: [name, amout]}
        sections:
          - fields:
              - name
              - nmae
              - {field: amount, visible_if: "stage == 'lost' &&"}
              - {field: lost_reason, required_if: "stag == 'lost'"}
              - secret
              - name
              - {field: code, required_if: "true"}
          - visible_if: "amount"
            fields: [stage]
        related:
          - {entity: note, via: body}
        """)
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:4:24: form 'deal_main': list column: unknown field 'amout' of 'deal' "
        "(did you mean 'amount'?)",
        "forms/deal.yaml:8:9: form 'deal_main': unknown field 'nmae' of 'deal' "
        "(did you mean 'name'?)",
        "forms/deal.yaml:9:37: form 'deal_main': field 'amount' visible_if: unexpected end of "
        "expression (at column 19)",
        "forms/deal.yaml:10:43: form 'deal_main': field 'lost_reason' required_if: unknown "
        "name 'stag' (did you mean 'stage'?) (at column 1)",
        "forms/deal.yaml:11:9: form 'deal_main': field 'secret' is hidden from role 'seller', "
        "which this layout is for; leave it out (or make a layout for the roles that may "
        "see it)",
        "forms/deal.yaml:12:9: form 'deal_main': field 'name' is shown twice (also at "
        "forms/deal.yaml:7:9)",
        "forms/deal.yaml:13:36: form 'deal_main': field 'code': required_if on a field nobody "
        "types (computed or system) means nothing",
        "forms/deal.yaml:14:17: form 'deal_main': section visible_if: the expression gives a "
        "decimal, where a boolean is needed",
        "forms/deal.yaml:17:25: form 'deal_main': related list: 'via' must follow reference "
        "fields from 'note' to 'deal'; 'note.body' is not a reference field",
    ]


def test_a_related_list_may_reach_the_record_through_another_entity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reply = """
entity: reply
fields:
  note: {type: reference, to: note}
  text: {type: text}
"""
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: deal
        sections: [{fields: [name]}]
        related:
          - {entity: reply, via: note.deal}
          - {entity: reply, via: note}
          - {entity: reply, via: note.dael}
          - {entity: reply, via: text.deal}
        """, **{"entities/reply.yaml": reply})
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:6:26: form 'deal_main': related list: 'via' must end at 'deal'; "
        "'reply.note' points to 'note'",
        "forms/deal.yaml:7:26: form 'deal_main': related list: 'via' must follow reference "
        "fields from 'reply' to 'deal'; 'note.dael' is not a reference field "
        "(did you mean 'deal'?)",
        "forms/deal.yaml:8:26: form 'deal_main': related list: 'via' must follow reference "
        "fields from 'reply' to 'deal'; 'reply.text' is not a reference field",
    ]
    monkeypatch.chdir(bundle_with(tmp_path / "bad", """
        form: deal_main
        entity: deal
        sections: [{fields: [name]}]
        related: [{entity: reply, via: Note.deal}]
        """, **{"entities/reply.yaml": reply}))
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:4:32: related[0].via: expected a reference field in snake_case, or a "
        "chain of up to three such as 'contract.customer', got 'Note.deal'"]
    (form,) = load_catalog([bundle_with(tmp_path / "ok", """
        form: deal_main
        entity: deal
        sections: [{fields: [name]}]
        related: [{entity: reply, via: note.deal}]
        """, **{"entities/reply.yaml": reply})]).forms_of("deal")
    assert form.related[0].path == ("note", "deal") and not form.related[0].direct


def test_a_layout_must_name_a_known_entity_and_roles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: dael
        sections: [{fields: [name]}]
        ---
        form: deal_seller
        entity: deal
        roles: [sellr]
        sections: [{fields: [name]}]
        """)
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:2:9: form 'deal_main': unknown entity 'dael' (did you mean 'deal'?)",
        "forms/deal.yaml:7:9: form 'deal_seller': unknown role 'sellr' (did you mean "
        "'seller'?)",
    ]


def test_a_layout_key_misspelt_is_an_error_at_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_main
        entity: deal
        sections:
          - colums: 2
            fields: [{field: name, spn: 2}]
        """)
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:4:5: sections[0]: unknown key 'colums' (did you mean 'columns'?)",
        "forms/deal.yaml:5:28: sections[0].fields[0]: unknown key 'spn' (did you mean "
        "'span'?)",
    ]


def test_two_layouts_for_everyone_of_one_entity_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = bundle_with(tmp_path, """
        form: deal_a
        entity: deal
        sections: [{fields: [name]}]
        ---
        form: deal_b
        entity: deal
        sections: [{fields: [name]}]
        """)
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "forms/deal.yaml:5:1: form 'deal_b': 'deal' already has a layout for every role "
        "('deal_a' at forms/deal.yaml:1:1); give this one 'roles'",
    ]


def test_a_later_bundle_replaces_a_layout_of_the_same_name(tmp_path: Path) -> None:
    first = bundle_with(tmp_path, "form: deal_main\nentity: deal\nsections: [{fields: [name]}]\n")
    second = write_bundle(tmp_path / "later", {
        "forms/deal.yaml": "form: deal_main\nentity: deal\nsections: [{fields: [amount]}]\n"},
        name="later", requires=("test",))
    (form,) = load_catalog([first, second]).forms_of("deal")
    assert [f.name for _, f in form.fields()] == ["amount"]


def test_a_later_bundle_hiding_a_field_does_not_break_an_earlier_layout(tmp_path: Path) -> None:
    # The pages drop what a viewer may not see; the later bundle may give the role
    # a layout of its own.
    first = bundle_with(tmp_path, """
        form: deal_seller
        entity: deal
        roles: [seller]
        sections: [{fields: [name, amount]}]
        """)
    later = write_bundle(tmp_path / "later", {"roles/seller.yaml": """
        extend_role: seller
        permissions:
          deal: {fields: {amount: hidden}}
        """}, name="later", requires=("test",))
    catalog = load_catalog([first, later])
    assert catalog.roles["seller"].grant("deal").fields["amount"] == "hidden"
    assert catalog.forms["deal_seller"].field("amount") is not None
