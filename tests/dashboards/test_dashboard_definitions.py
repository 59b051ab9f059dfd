"""Dashboards are definitions: `metacrm check` reads a bundle's dashboards/ folder and
says what is wrong with one as file:line:col: message — an unknown report, entity,
measure, parameter, field or role, a widget wider than the grid, a role with two
default dashboards."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError

from ..conftest import write_bundle
from .conftest import dashboard_bundle


def diagnostics(tmp_path: Path, text: str) -> list[str]:
    bundle = dashboard_bundle(tmp_path / "b", **{"dashboards/extra.yaml": text})
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d).replace(str(bundle) + "/", "") for d in exc.diagnostics]
    return []


def test_a_dashboard_is_read_from_the_dashboards_folder(tmp_path: Path) -> None:
    catalog = load_catalog([dashboard_bundle(tmp_path / "b")])
    selling = catalog.dashboards["selling"]
    assert selling.roles == ("seller",) and selling.columns == 4
    assert [(w.kind, w.target, w.span) for w in selling.widgets] == [
        ("number", "won_by_month", 1), ("report", "won_by_month", 2), ("list", "deal", 2),
        ("approvals", "pending", 1)]
    number, _, listed, _ = selling.widgets
    assert number.measure == "amount" and number.parameters == (("period", "this_month"),)
    assert number.title.get("zh") == "本月成交"
    assert listed.filters == (("stage", "open"),) and listed.sort == ("-amount",)
    assert catalog.dashboards["directing"].columns == 2


def test_the_shipped_crm_has_a_dashboard_per_kind_of_user() -> None:
    catalog = load_catalog([Path(__file__).parents[2]])
    by_role = {role: d.name for d in catalog.dashboards.values() for role in d.roles}
    assert by_role["salesperson"] == "sales"
    assert by_role["sales_manager"] == by_role["sales_director"] == "sales_management"
    assert by_role["finance"] == "finance"


HEAD = "dashboard: x\n"


@pytest.mark.parametrize(("body", "expected"), [
    ("widgets: [{report: won_by_mnth}]\n",
     "dashboards/extra.yaml:2:20: dashboard 'x': widget 1: unknown report 'won_by_mnth' "
     "(did you mean 'won_by_month'?)"),
    ("widgets:\n  - list: dael\n",
     "dashboards/extra.yaml:3:11: dashboard 'x': widget 1: unknown entity 'dael' "
     "(did you mean 'deal'?)"),
    ("roles: [sellr]\nwidgets: [{approvals: pending}]\n",
     "dashboards/extra.yaml:2:9: dashboard 'x': unknown role 'sellr' (did you mean "
     "'seller'?)"),
    ("roles: [seller]\nwidgets: [{approvals: pending}]\n",
     # (the later in file order is the one said to be wrong)
     "dashboards/selling.yaml:3:9: dashboard 'selling': role 'seller' already starts on "
     "dashboard 'x' (dashboards/extra.yaml:1:1); a role has one default dashboard"),
    ("columns: 2\nwidgets:\n  - {approvals: pending, span: 3}\n",
     "dashboards/extra.yaml:4:32: dashboard 'x': widget 1: span 3 is wider than the "
     "dashboard's 2 columns"),
    ("widgets:\n  - {number: won_by_month, measure: amont}\n",
     "dashboards/extra.yaml:3:37: dashboard 'x': widget 1: report 'won_by_month' has no "
     "measure 'amont' (did you mean 'amount'?)"),
    ("widgets:\n  - {number: won_by_month}\n",
     "dashboards/extra.yaml:3:5: dashboard 'x': widget 1: a number card names the report's "
     "'measure' (one of deals, amount)"),
    ("widgets:\n  - {report: won_by_month, parameters: {perod: this_month}}\n",
     "dashboards/extra.yaml:3:41: dashboard 'x': widget 1: report 'won_by_month' has no "
     "parameter 'perod'; it takes: period, owner"),
    ("widgets:\n  - {report: won_by_month, parameters: {period: someday}}\n",
     "dashboards/extra.yaml:3:41: dashboard 'x': widget 1: parameter 'period': 'someday' "
     "is not a period: one of this_month, last_month, this_quarter, last_quarter, "
     "this_year, last_year, all, or a range of days '2026-01-01..2026-03-31'"),
    ("widgets:\n  - {list: deal, filters: {stage: wonn}}\n",
     "dashboards/extra.yaml:3:28: dashboard 'x': widget 1: filter stage: 'wonn' is not one "
     "of open, won, lost"),
    ("widgets:\n  - {list: deal, columns: [name, amout]}\n",
     "dashboards/extra.yaml:3:34: dashboard 'x': widget 1: columns: unknown field 'amout' "
     "of 'deal' (did you mean 'amount'?)"),
    ("widgets:\n  - {list: deal, measure: amount}\n",
     "dashboards/extra.yaml:3:18: dashboard 'x': widget 1: 'measure' does not apply to a "
     "list widget; it takes: title, span, filters, columns, sort, limit"),
    ("widgets:\n  - {list: deal, report: won_by_month}\n",
     "dashboards/extra.yaml:3:5: dashboard 'x': widget 1: a widget names exactly one of "
     "report, number, list, approvals (found 'report' and 'list')"),
    ("widgets:\n  - {approvals: pending, span: 9}\n",
     "dashboards/extra.yaml:3:32: widgets[0].span: 9 is greater than the maximum of 6"),
])
def test_check_says_where_a_dashboard_is_wrong(tmp_path: Path, body: str,
                                               expected: str) -> None:
    assert diagnostics(tmp_path, HEAD + body) == [expected]


def test_me_in_a_list_filter_is_the_viewer(tmp_path: Path) -> None:
    assert diagnostics(tmp_path, HEAD + "widgets:\n  - {list: deal, filters: {owner: me}}\n") \
        == []


def test_a_templates_dashboard_that_takes_a_shipped_role_is_the_one_said_to_be_wrong(
        tmp_path: Path) -> None:
    """The clash is reported where the template's author can change it, not in the
    bundle below theirs."""
    template = write_bundle(tmp_path / "template", {
        "dashboards/clinic.yaml": "dashboard: clinic\nroles: [sales_manager]\n"
                                  "widgets: [{approvals: pending}]\n"}, name="clinic")
    with pytest.raises(DefinitionError) as raised:
        load_catalog([Path(__file__).parents[2], template])
    (said,) = [str(d) for d in raised.value.diagnostics]
    assert said.startswith(f"{template}/dashboards/clinic.yaml:2:9: dashboard 'clinic': role "
                           "'sales_manager' already starts on dashboard 'sales_management'")
