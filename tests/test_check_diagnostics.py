"""`metacrm check` reports every mistake in definitions as file:line:col: message.

Each case in tests/defs/bad/<case>.yaml is checked as the only definition of
a bundle; its diagnostics must equal <case>.expected.txt line for line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.cli import main
from metacrm.errors import DefinitionError

from .conftest import write_bundle

BAD = Path(__file__).parent / "defs" / "bad"
CASES = sorted(p.stem for p in BAD.glob("*.yaml"))


def diagnostics_of(bundle: Path) -> list[str]:
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


@pytest.mark.parametrize("case", CASES)
def test_bad_definition_is_reported_where_it_is(case: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "bundle", {})
    (bundle / "entities").mkdir()
    shutil.copy(BAD / f"{case}.yaml", bundle / "entities" / f"{case}.yaml")
    monkeypatch.chdir(bundle)
    expected = (BAD / f"{case}.expected.txt").read_text(encoding="utf-8").splitlines()
    assert diagnostics_of(Path(".")) == expected


def test_check_prints_every_error_and_exits_1(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/a.yaml": "entity: a\nfields:\n  x: {type: strng}\n",
        "entities/b.yaml": "entity: b\nfields:\n  a: {type: reference, to: aa}\n",
    })
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        ("entities/a.yaml:3:13: fields.x.type: unknown field type 'strng' (did you mean "
         "'string'?); expected one of: string, text, integer, decimal, money, percent, boolean, "
         "date, datetime, choice, multi_choice, reference, multi_reference, user, email, phone, "
         "url, json, autonumber, formula, rollup"),
        "entities/b.yaml:3:28: field 'b.a': unknown entity 'aa'",
    ]


def test_check_passes_on_the_shipped_crm() -> None:
    from .conftest import SHIPPED_BUNDLE

    result = CliRunner().invoke(main, ["check", SHIPPED_BUNDLE])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 1 bundle, ")


def test_entity_defined_twice_names_both_files(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = write_bundle(tmp_path / "one",
                         {"entities/c.yaml": "entity: c\nfields:\n  x: {type: string}\n"},
                         name="one")
    second = write_bundle(tmp_path / "two",
                          {"entities/c.yaml": "entity: c\nfields:\n  y: {type: string}\n"},
                          name="two", requires=("one",))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DefinitionError) as caught:
        load_catalog([first, second])
    assert str(caught.value) == ("two/entities/c.yaml:1:1: entity 'c' is already defined at "
                                 "one/entities/c.yaml:1:1; use 'extend' to add to it")


def test_extension_adds_fields_and_a_clash_names_both_places(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = write_bundle(tmp_path / "base", {
        "entities/c.yaml": "entity: c\nfields:\n  name: {type: string}\n",
        "entities/o.yaml": "optionset: kind\noptions: [a, b]\n"}, name="base")
    good = write_bundle(tmp_path / "good", {
        "entities/x.yaml": "extend: c\nlabels:\n  name: {en: Venue, zh: 场所}\nfields:\n"
                           "  license: {type: string}\n---\nextend_optionset: kind\n"
                           "options: [c]\n"}, name="good", requires=("base",))
    catalog = load_catalog([base, good])
    assert list(catalog.entities["c"].fields) == ["name", "license"]
    assert catalog.entities["c"].fields["name"].label.get("zh") == "场所"
    assert catalog.optionsets["kind"].values() == ("a", "b", "c")
    clash = write_bundle(tmp_path / "clash", {
        "entities/x.yaml": "extend: c\nfields:\n  name: {type: text}\n"},
        name="clash", requires=("base",))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DefinitionError) as caught:
        load_catalog([base, clash])
    assert str(caught.value) == ("clash/entities/x.yaml:3:3: field 'c.name' is already defined "
                                 "at base/entities/c.yaml:3:3")


def test_missing_required_bundle_is_reported(tmp_path: Path) -> None:
    lonely = write_bundle(tmp_path / "lonely", {}, name="lonely", requires=("crm",))
    with pytest.raises(DefinitionError, match="requires bundle 'crm', which is not loaded"):
        load_catalog([lonely])


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="not a bundle: bundle.yaml is missing"):
        load_catalog([tmp_path])


def _check_output(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 1
    return result.output.splitlines()


def test_a_misspelt_type_is_reported_once_not_in_every_file_naming_the_entity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/order.yaml": "entity: order\nfields:\n  title: {type: strng}\n",
        "entities/line.yaml": ("entity: line\nfields:\n  order: {type: reference, to: order}\n"
                               "  amount: {type: money}\n"),
        "entities/order_extra.yaml": "extend: order\nfields:\n  memo: {type: text}\n",
        "roles/clerk.yaml": "role: clerk\npermissions:\n  order: {operations: [read]}\n",
        "workflows/order.yaml": ("workflow: order_flow\nentity: order\nfield: state\n"
                                 "states: [open]\ntransitions: []\n"),
    })
    assert _check_output(bundle, monkeypatch)[:1] == [
        ("entities/order.yaml:3:17: fields.title.type: unknown field type 'strng' (did you "
        "mean 'string'?); expected one of: string, text, integer, decimal, money, percent, "
        "boolean, date, datetime, choice, multi_choice, reference, multi_reference, user, "
        "email, phone, url, json, autonumber, formula, rollup")]
    assert not any("unknown entity" in line for line in _check_output(bundle, monkeypatch))


def test_a_mistake_in_an_approval_or_role_is_reported_once_not_where_it_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/order.yaml": ("entity: order\nowned_by: owner\nfields:\n"
                                "  owner: {type: user}\n"
                                "  state: {type: choice, options: [draft, waiting, approved]}\n"),
        # commenting needs a chain on order: the broken one is not the clerk's fault
        "roles/clerk.yaml": "role: clerk\npermissions:\n  order: {operations: [read, comment]}\n",
        "roles/boss.yaml": "role: boss\npermisions:\n  order: {operations: [read]}\n",
        "workflows/order.yaml": """
            workflow: order_flow
            entity: order
            field: state
            final: [approved]
            transitions:
              - {name: submit, from: draft, to: approved, pending: waiting,
                 approval: order_approval}
            ---
            approval: order_approval
            entity: order
            steps:
              - name: manager
                approvers: {manger: 1}
              - name: boss
                approvers: {role: boss}
            """,
    })
    lines = _check_output(bundle, monkeypatch)
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [
        "roles/boss.yaml:2:1", "workflows/order.yaml:13:17"]
    assert lines[-1] == "2 error(s)"
    assert not any("unknown approval" in line or "unknown role" in line for line in lines)
    # the step is named, not only counted
    assert lines[1].endswith("steps[0] (manager).approvers: unknown key 'manger' "
                             "(did you mean 'manager'?)")


def test_a_comma_in_an_unquoted_label_says_to_quote_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/order.yaml": (
        "entity: order\nlabel: {en: Plans, patients and approvals, zh: 计划}\n"
        "fields:\n  title: {type: string}\n")})
    assert _check_output(bundle, monkeypatch) == [
        "entities/order.yaml:2:20: label: unknown key 'patients and approvals'; allowed: en, "
        "zh; a text with a comma inside {…} needs quotes: en: \"Plans, patients and "
        "approvals\"", "1 error(s)"]


def test_a_field_error_points_at_the_value_that_is_wrong(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/order.yaml": """
        entity: order
        fields:
          status:
            type: choice
            options: statusez
          qty: {type: integer}
          total:
            type: formula
            result: money
            expression: qty * pricee
          customer:
            label: Customer
            type: reference
            to: custmer
        rules:
          - name: positive
            message: Must be positive
            check: qty > "0"
        """})
    assert _check_output(bundle, monkeypatch)[:4] == [
        "entities/order.yaml:5:14: field 'order.status': unknown option set 'statusez'",
        "entities/order.yaml:10:17: formula 'order.total': unknown name 'pricee' (at column 7)",
        "entities/order.yaml:14:9: field 'order.customer': unknown entity 'custmer'",
        ("entities/order.yaml:18:12: rule 'positive': '>' cannot order an integer and a "
        "string (at column 5)"),
    ]


def test_a_type_name_takes_a_or_an(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/order.yaml": """
        entity: order
        search: [qty]
        fields:
          qty: {type: integer}
          code: {type: autonumber, format: "O-{seq}", default: x}
        """})
    assert _check_output(bundle, monkeypatch) == [
        ("entities/order.yaml:2:1: search: 'qty' is an integer field; text search needs text "
        "fields"),
        ("entities/order.yaml:5:3: an autonumber field is computed: it takes no 'default' and "
        "cannot be 'required'"),
        "2 error(s)",
    ]


def test_a_file_that_does_not_parse_is_reported_once_not_in_every_file_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/order.yaml": ("entity: order\nfields:\n  total:\n    type: money\n"
                                "   label: Total\n"),
        "entities/line.yaml": "entity: line\nfields:\n  order: {type: reference, to: order}\n",
        "roles/clerk.yaml": "role: clerk\npermissions:\n  order: {operations: [read]}\n",
    })
    assert _check_output(bundle, monkeypatch) == [
        ("entities/order.yaml:5:4: YAML syntax error: this line is indented 3 spaces, which "
        "lines it up with nothing above it: indent it 4 spaces like 'type' on line 4; or 2 "
        "spaces like 'total' on line 3 (the keys of one mapping, and the items of one list, "
        "start in the same column)"),
        "1 error(s)",
    ]


def test_a_misspelt_required_key_is_one_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/order.yaml": "entity: order\nfields:\n  amount: {type: money}\n",
        "workflows/order.yaml": """
            approval: order_approval
            entity: order
            steps:
              - name: manager
                approver: {manager: 1}
            """,
    })
    lines = _check_output(bundle, monkeypatch)
    assert len(lines) == 2 and lines[-1] == "1 error(s)", lines
    assert lines[0].endswith("steps[0] (manager): unknown key 'approver' (did you mean "
                             "'approvers'?)")


def test_a_misspelt_rollup_field_is_named_as_unknown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/order.yaml": ("entity: order\nfields:\n"
                                "  total: {type: rollup, from: line.order, aggregate: sum, "
                                "of: amout}\n"),
        "entities/line.yaml": ("entity: line\nfields:\n  order: {type: reference, to: order}\n"
                               "  amount: {type: money}\n"),
    })
    assert _check_output(bundle, monkeypatch) == [
        "entities/order.yaml:3:63: rollup 'order.total': 'of' names unknown field "
        "'line.amout' (did you mean 'amount'?)", "1 error(s)"]
