"""Reports are definitions: `metacrm check` reads a bundle's reports/ folder and says
what is wrong with a report as file:line:col: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError

from .conftest import sales_bundle


def diagnostics(tmp_path: Path, report: str) -> list[str]:
    bundle = sales_bundle(tmp_path / "b", **{"reports/extra.yaml": report})
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d).replace(str(bundle) + "/", "") for d in exc.diagnostics]
    return []


def test_a_report_is_read_from_the_reports_folder(tmp_path: Path) -> None:
    catalog = load_catalog([sales_bundle(tmp_path / "b")])
    report = catalog.reports["won_by_month"]
    assert (report.entity, report.rows.path, report.rows.bucket) == ("deal", "closed_on",
                                                                     "month")
    assert [m.name for m in report.measures] == ["deals", "amount"]
    assert report.filters == (("stage", "won"),)
    assert report.label.get("zh") == "按月成交"


@pytest.mark.parametrize(("body", "expected"), [
    ("entity: dael\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:2:9: report 'x': unknown entity 'dael' (did you mean 'deal'?)"),
    ("entity: deal\nrows: stge\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:3:7: report 'x': rows: unknown field 'stge' of 'deal' "
     "(did you mean 'stage'?)"),
    ("entity: deal\nmeasures: [{name: n, aggregate: sum, field: name}]\n",
     "reports/extra.yaml:3:45: report 'x': measure 'n': sum needs a number field; 'name' "
     "is string"),
    ("entity: deal\nrows: {field: stage, bucket: month}\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:3:15: report 'x': rows: bucket 'month' needs a date or datetime "
     "field; 'stage' is choice"),
    ("entity: deal\nfilters: {stage: wonn}\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:3:11: report 'x': filter stage: 'wonn' is not one of open, won, "
     "lost"),
    ("entity: deal\nfilters: {account.industri: retail}\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:3:11: report 'x': filter unknown field 'industri' of 'account' "
     "(did you mean 'industry'?)"),
    ("entity: deal\nfilters: {amount__contains: 1}\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:3:11: report 'x': filter operator 'contains' does not apply to "
     "'amount' (money); it takes: eq, ne, gt, gte, lt, lte, in, isnull"),
    ("entity: deal\nmeasures: [{name: n}, {name: r, ratio: [n, m]}]\n",
     "reports/extra.yaml:3:44: report 'x': measure 'r': ratio: unknown measure 'm'"),
    ("entity: deal\nroles: [seller]\nrows: secret\nmeasures: [{name: n}]\n",
     "reports/extra.yaml:4:7: report 'x': field 'secret' of 'deal' is hidden from role "
     "'seller', which the report is for"),
    ("entity: deal\nmeasures: [{name: n}]\nparameters: {period: {field: closed_on, "
     "default: last_decade}}\n",
     "reports/extra.yaml:4:50: report 'x': parameter 'period': default 'last_decade' is "
     "not a period: one of this_month, last_month, this_quarter, last_quarter, this_year, "
     "last_year, all, or a range of days '2026-01-01..2026-03-31'"),
    ("entity: deal\nmeasures: [{name: n}]\nparameters: {who: {field: stage, default: me}}\n",
     "reports/extra.yaml:4:43: report 'x': parameter 'who': default 'me' stands for a user; "
     "this is choice"),
    ("entity: deal\nmeasures: [{name: n}]\norder: [-amount]\n",
     "reports/extra.yaml:4:9: report 'x': order: 'amount' is neither a measure nor a "
     "dimension"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\npresentation: stacked_bar\n",
     "reports/extra.yaml:5:15: report 'x': a stacked_bar shows two dimensions (rows and "
     "columns); this report has one dimension (rows)"),
    ("entity: deal\nmeasures: [{name: n}]\ntime_zone: Mars/Olympus\n",
     "reports/extra.yaml:4:12: report 'x': unknown time zone 'Mars/Olympus' (an IANA name "
     "such as Asia/Shanghai or UTC)"),
    ("entity: deal\nmeasures: [{name: n, aggregate: avg}]\n",
     "reports/extra.yaml:3:12: report 'x': measure 'n': avg needs a 'field'"),
    ("entity: deal\nmeasures: [{name: n, aggregat: count}]\n",
     "reports/extra.yaml:3:22: measures[0] (n): unknown key 'aggregat' (did you mean "
     "'aggregate'?)"),
])
def test_a_mistake_is_reported_where_it_is_written(tmp_path: Path, body: str,
                                                   expected: str) -> None:
    assert diagnostics(tmp_path, "report: x\n" + body) == [expected]


def test_a_report_name_is_used_once(tmp_path: Path) -> None:
    found = diagnostics(tmp_path, "report: won_by_month\nentity: deal\nmeasures: [{name: n}]\n")
    assert len(found) == 1 and "report 'won_by_month' is already defined at" in found[0]


def test_the_shipped_reports_pass_check() -> None:
    root = Path(__file__).resolve().parents[2]
    catalog = load_catalog([root])
    assert set(catalog.reports) == {p.stem for p in (root / "reports").glob("*.yaml")}
