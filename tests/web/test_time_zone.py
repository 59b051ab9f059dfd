"""The bundles' time zone (``settings: {time_zone: …}``): pages show moments as their
wall time there, a form's date-time control shows and takes the time there, an
imported time without an offset is taken there, and a report without its own zone
buckets in it. The API keeps UTC with offsets; without the setting, pages say UTC."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from werkzeug.datastructures import MultiDict

from metacrm.errors import DefinitionError
from metacrm.program import Loader

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in
from ..imports.conftest import Importer

FILES = {
    "entities/visit.yaml": """
        entity: visit
        title: subject
        fields:
          subject: {type: string, required: true}
          starts_at: {type: datetime, label: {en: Starts at}}
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          visit: {operations: [read, create, update, import, export], scope: all}
        """,
    "reports/visits_by_day.yaml": """
        report: visits_by_day
        entity: visit
        rows: {field: starts_at, bucket: day}
        measures: [{name: visits, aggregate: count}]
        """,
}


def _bundle(tmp_path: Path, zone: str | None) -> Path:
    settings = f"settings:\n  time_zone: {zone}\n" if zone else ""
    return write_bundle(tmp_path / "visits", {
        "bundle.yaml": f"bundle: visits\nversion: 1.0.0\n{settings}", **FILES})


@pytest.fixture
def shanghai(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(_bundle(tmp_path, "Asia/Shanghai"))
    add_user(client, "wang", roles=("seller",))
    return signed_in(client, "wang")


def _post(client, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data=MultiDict([("csrf_token", client.csrf), *fields.items()]))


def test_a_form_takes_and_shows_the_time_where_people_work(shanghai):
    form = shanghai.get("/visit/new").get_data(as_text=True)
    assert re.search(r'Starts at <span class="muted">\(Asia/Shanghai\)</span>', form)
    saved = _post(shanghai, "/visit/new", subject="Morning visit",
                  starts_at="2026-12-03T09:30")
    assert saved.status_code == 303, saved.get_data(as_text=True)
    record_page = saved.headers["Location"]
    visit = shanghai.get(record_page.replace("/visit/", "/api/visit/")).json
    assert visit["starts_at"] == "2026-12-03T01:30:00+00:00"  # the API: UTC
    edit = shanghai.get(f"{record_page}/edit").get_data(as_text=True)
    assert 'value="2026-12-03T09:30"' in edit  # the control: Shanghai's wall time
    shown = shanghai.get(record_page).get_data(as_text=True)
    assert "2026-12-03 09:30" in shown and "01:30" not in shown
    listed = shanghai.get("/visit").get_data(as_text=True)
    assert "2026-12-03 09:30</td>" in listed


def test_a_time_that_is_no_date_gets_the_forms_error_not_a_crash(shanghai):
    refused = _post(shanghai, "/visit/new", subject="Visit", starts_at="2026-02-30T09:30")
    assert refused.status_code == 422
    assert "Not a valid date and time" in refused.get_data(as_text=True)


def test_an_edit_keeps_the_moment_when_the_time_is_not_touched(shanghai):
    created = shanghai.post("/api/visit", json={"subject": "Call",
                                                "starts_at": "2026-12-31T20:00:00Z"},
                            headers={"X-CSRF-Token": shanghai.csrf}).json
    edit = shanghai.get(f"/visit/{created['id']}/edit").get_data(as_text=True)
    (held,) = re.findall(r'name="starts_at"[^>]*value="([^"]+)"', edit)
    assert held == "2027-01-01T04:00"  # New Year's morning in Shanghai
    saved = _post(shanghai, f"/visit/{created['id']}/edit", version=str(created["version"]),
                  subject="Call back", starts_at=held)
    assert saved.status_code == 303
    assert shanghai.get(f"/api/visit/{created['id']}").json["starts_at"] == (
        "2026-12-31T20:00:00+00:00")


def test_an_imported_time_without_an_offset_is_taken_where_people_work(shanghai,
                                                                       tmp_path: Path):
    csv = tmp_path / "visits.csv"
    csv.write_text("subject,starts_at\nEarly visit,2026-10-05 07:30\n"
                   "Offset given,2026-10-05T07:30:00+00:00\n", encoding="utf-8")
    outcome = Importer(shanghai, "wang", roles=("seller",)).run(csv, entity="visit")
    assert outcome["counts"]["created"] == 2, outcome
    moments = {v["subject"]: v["starts_at"]
               for v in shanghai.get("/api/visit?sort=id").json["items"]}
    assert moments == {"Early visit": "2026-10-04T23:30:00+00:00",
                       "Offset given": "2026-10-05T07:30:00+00:00"}


def test_a_workbook_holds_the_wall_time_both_ways(shanghai, tmp_path: Path):
    # Excel's cells know no zones: the export writes Shanghai's wall time and its heading
    # says so, and an import reads a cell there, so a round trip moves nothing.
    shanghai.post("/api/visit", json={"subject": "Visit", "starts_at": "2026-12-03T01:30:00Z"},
                  headers={"X-CSRF-Token": shanghai.csrf})
    exported = shanghai.get("/api/visit/export?format=xlsx")
    assert exported.status_code == 200
    (header, row) = CalamineWorkbook.from_filelike(io.BytesIO(exported.data)) \
        .get_sheet_by_index(0).to_python()
    assert dict(zip(header, row, strict=True))["Starts at (Asia/Shanghai)"] == datetime(
        2026, 12, 3, 9, 30)
    book = xlsxwriter.Workbook(str(tmp_path / "visits.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["subject", "starts_at"])
    sheet.write(1, 0, "Booked in Excel")
    sheet.write_datetime(1, 1, datetime(2026, 12, 3, 9, 30),
                         book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    book.close()
    outcome = Importer(shanghai, "wang", roles=("seller",)).run(tmp_path / "visits.xlsx",
                                                                entity="visit")
    assert outcome["counts"]["created"] == 1, outcome
    moments = {v["subject"]: v["starts_at"] for v in shanghai.get("/api/visit").json["items"]}
    assert moments["Booked in Excel"] == moments["Visit"] == "2026-12-03T01:30:00+00:00"


def test_a_report_without_its_own_zone_buckets_where_people_work(shanghai):
    shanghai.post("/api/visit", json={"subject": "Late", "starts_at": "2026-10-04T17:00:00Z"},
                  headers={"X-CSRF-Token": shanghai.csrf})
    # 17:00 UTC on the 4th is 01:00 on the 5th in Shanghai: the 5th's bucket.
    answer = json.dumps(shanghai.get("/api/reports/visits_by_day").json)
    assert '"2026-10-05T00:00:00+08:00"' in answer and "2026-10-04" not in answer


def test_without_the_setting_pages_show_and_take_utc(make_client, tmp_path: Path):
    client = make_client(_bundle(tmp_path, None))
    add_user(client, "wang", roles=("seller",))
    seller = signed_in(client, "wang")
    saved = _post(seller, "/visit/new", subject="Visit", starts_at="2026-12-03T09:30")
    record_page = saved.headers["Location"]
    assert seller.get(record_page.replace("/visit/", "/api/visit/")).json["starts_at"] == (
        "2026-12-03T09:30:00+00:00")
    assert "2026-12-03 09:30 UTC" in seller.get(record_page).get_data(as_text=True)
    assert "(UTC)" in seller.get("/visit/new").get_data(as_text=True)


def test_an_unknown_zone_is_refused_where_it_is_written(make_settings, tmp_path: Path):
    settings = make_settings(_bundle(tmp_path, "Asia/Shangai"))
    with pytest.raises(DefinitionError) as refused:
        Loader.of(replace(settings)).catalog()
    (problem,) = [str(d) for d in refused.value.diagnostics]
    assert problem.endswith("bundle.yaml:4:14: settings: time_zone: unknown time zone "
                            "'Asia/Shangai' (did you mean 'Asia/Shanghai'?) (an IANA name "
                            "such as Asia/Shanghai or UTC)"), problem
