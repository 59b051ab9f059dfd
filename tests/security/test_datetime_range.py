"""Date-times are stored and compared in UTC, which holds the years 1 to 9999: one
whose offset moves it out of them (0001-01-01T00:00:00+01:00 is in year 0 in UTC)
is a 400 naming the query parameter or a 422 naming the body's field, never a 500;
one that stays inside by a second is taken."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ..conftest import token_for, write_bundle

EARLY = "0001-01-01T00:00:00+01:00"  # 0000-12-31T23:00:00 in UTC
LATE = "9999-12-31T23:59:59-01:00"  # 10000-01-01T00:59:59 in UTC
OUT_OF_RANGE = "Out of range: in UTC this date-time falls outside the years 1 to 9999."

VISITS = {
    "entities/visit.yaml": """
        entity: visit
        fields:
          name: {type: string}
          at: {type: datetime}
          status: {type: choice, options: [planned, done], default: planned}
        """,
    "workflows/visit_flow.yaml": """
        workflow: visit_flow
        entity: visit
        field: status
        final: [done]
        transitions:
          - name: finish
            from: planned
            to: done
            requires: [at]
        """,
}


@pytest.fixture
def visits(make_client: Any, tmp_path: Path) -> Any:
    return make_client(write_bundle(tmp_path / "visits", VISITS))


@pytest.mark.parametrize("moment", [EARLY, LATE])
def test_a_body_date_time_outside_utc_years_is_422_on_its_field(visits: Any,
                                                                moment: str) -> None:
    created = visits.post("/api/visit", json={"name": "v", "at": moment})
    assert created.status_code == 422, created.json
    assert created.json["errors"] == {"at": [OUT_OF_RANGE]}
    visit = visits.post("/api/visit", json={"name": "v"}).json["id"]
    changed = visits.patch(f"/api/visit/{visit}", json={"at": moment})
    assert changed.status_code == 422
    assert changed.json["errors"] == {"at": [OUT_OF_RANGE]}
    fired = visits.post(f"/api/visit/{visit}/transitions/finish", json={"values": {"at": moment}})
    assert fired.status_code == 422, fired.json
    assert fired.json["errors"] == {"at": [OUT_OF_RANGE]}
    bulk = visits.post("/api/visit/bulk", json={"items": [{"name": "ok"}, {"at": moment}]})
    assert bulk.status_code == 422
    assert bulk.json["errors"] == {"items[1].at": [OUT_OF_RANGE]}
    assert [v["id"] for v in visits.get("/api/visit").json["items"]] == [visit]


def test_the_message_is_in_the_request_language(visits: Any) -> None:
    response = visits.post("/api/visit", json={"at": EARLY}, headers={"Accept-Language": "zh"})
    assert response.json["errors"]["at"] == [
        "超出范围：换算为 UTC 后，该日期时间不在公元 1 年至 9999 年之间。"]


@pytest.mark.parametrize("moment", [EARLY, LATE])
def test_a_filter_date_time_outside_utc_years_is_400_naming_the_parameter(
        visits: Any, moment: str) -> None:
    for key in ("at", "at__gte", "at__lt", "created_at__gt"):
        response = visits.get(f"/api/visit?{key}={moment.replace('+', '%2B')}")
        assert response.status_code == 400, (key, response.json)
        assert list(response.json["errors"]) == [key]
        assert "out of range" in response.json["errors"][key][0]
    listed = visits.get(f"/api/visit?at__in=2026-01-01T00:00:00,{moment.replace('+', '%2B')}")
    assert listed.status_code == 400 and list(listed.json["errors"]) == ["at__in"]
    # A second inside the years of UTC is taken, stored, and found again.
    for edge, stored in [("0001-01-01T00:00:00-01:00", "0001-01-01T01:00:00+00:00"),
                         ("9999-12-31T23:59:59+01:00", "9999-12-31T22:59:59+00:00")]:
        created = visits.post("/api/visit", json={"at": edge})
        assert created.status_code == 201, created.json
        assert created.json["at"] == stored
        found = visits.get(f"/api/visit?at={edge.replace('+', '%2B')}")
        assert [v["id"] for v in found.json["items"]] == [created.json["id"]]


def test_a_cursor_holding_a_date_time_outside_utc_years_is_400(visits: Any) -> None:
    for name in ("a", "b"):
        visits.post("/api/visit", json={"name": name, "at": "2026-01-01T00:00:00+00:00"})
    page = visits.get("/api/visit?sort=at&limit=1").json
    assert page["next_cursor"]
    forged = base64.urlsafe_b64encode(json.dumps(
        {"s": ["at", "id"], "v": [EARLY, 1]}).encode()).decode().rstrip("=")
    response = visits.get(f"/api/visit?sort=at&limit=1&cursor={forged}")
    assert response.status_code == 400, response.json
    assert list(response.json["errors"]) == ["cursor"]


@pytest.mark.parametrize(("key", "moment"), [("starts_at", EARLY), ("ends_at", LATE)])
def test_a_delegation_date_time_outside_utc_years_is_422(visits: Any, key: str,
                                                         moment: str) -> None:
    token_for(visits.application, "deputy")
    deputy = visits.get("/api/users?q=deputy").json["items"][0]["id"]
    period = {"delegate": deputy, "starts_at": "2026-01-01T00:00:00+00:00",
              "ends_at": "2999-01-01T00:00:00+00:00", key: moment}
    response = visits.post("/api/approvals/delegations", json=period)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {key: [OUT_OF_RANGE]}
    assert visits.get("/api/approvals/delegations").json["items"] == []


def test_a_definition_literal_outside_utc_years_is_reported_by_check(tmp_path: Path,
                                                                     monkeypatch: Any) -> None:
    from metacrm.cli import main

    bundle = write_bundle(tmp_path / "b", {"entities/visit.yaml": f"""
        entity: visit
        fields:
          at: {{type: datetime, default: "{EARLY}"}}
        """})
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[0] == (
        f"entities/visit.yaml:3:33: field 'visit.at': default '{EARLY}' is out of range: in "
        "UTC it falls outside the years 1 to 9999")


def test_jobs_run_now_outside_utc_years_is_a_usage_error(tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    from metacrm.cli import main

    monkeypatch.setenv("METACRM_DATABASE_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    result = CliRunner().invoke(main, ["jobs", "run", "housekeeping", "--now", LATE])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "out of range" in result.output
