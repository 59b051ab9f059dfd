"""An import is an operation a role must grant, besides create and update; it runs
the assignment rules for records nobody holds and writes the audit trail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from metacrm.base.problems import Forbidden

from .conftest import Importer, records, write_csv


def test_a_role_without_import_is_refused(crm, tmp_path: Path) -> None:
    clerk = Importer(crm, "clerk", roles=("clerk",))
    path = write_csv(tmp_path / "c.csv", [["name"], ["甲"]])
    with pytest.raises(Forbidden, match="import"):
        clerk.start(path)
    response = crm.post("/api/customer/imports", headers=clerk.headers, data={
        "file": (io.BytesIO(path.read_bytes()), "c.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert "import" in str(response.json["errors"])
    # Update needs update: a seller with import would not pass either.
    seller = Importer(crm, "sel", roles=("seller",))
    with pytest.raises(Forbidden):
        seller.start(path, mode="upsert", match=("name",))
    assert records(crm) == []


def test_ownerless_leads_are_assigned_and_the_audit_trail_is_written(crm, tmp_path: Path
                                                                      ) -> None:
    from metacrm.identity.teams import add_team_members, ensure_team

    platform = crm.application.extensions["metacrm"]
    members = [Importer(crm, name, roles=("importer",)) for name in ("zhao", "qian")]
    with platform.writing() as conn:
        team = ensure_team(conn, platform.compiled.metadata, "inside", "Inside sales")
        ids = [conn.execute(sa.text("SELECT id FROM mc_users WHERE username = :u"),
                            {"u": m.username}).scalar_one() for m in members]
        add_team_members(conn, platform.compiled.metadata, team, ids)
    importer = Importer(crm)
    path = write_csv(tmp_path / "leads.csv", [["name", "类型"], ["线索一", "lead"],
                                              ["线索二", "lead"], ["客户三", "customer"]])
    job = importer.run(path)
    assert job["counts"]["created"] == 3
    owners = [r["owner"] for r in records(crm)]
    assert sorted(owners[:2]) == sorted(ids) and owners[2] is None  # round robin, leads only
    with platform.reading() as conn:
        audit = conn.execute(sa.text(
            "SELECT action, user_id FROM mc_audit WHERE entity = 'customer' ORDER BY id")).all()
    importer_id = conn_user(platform, "imp")
    assert [tuple(a) for a in audit] == [("create", importer_id)] * 3


def conn_user(platform, username: str) -> int:  # type: ignore[no-untyped-def]
    with platform.reading() as conn:
        return int(conn.execute(sa.text("SELECT id FROM mc_users WHERE username = :u"),
                                {"u": username}).scalar_one())
