"""A list follows a change of the reporting line or of a team at once, for a caller
whose earlier lists were served from the people kept per credentials version
(runtime/people.py): every such change moves that version."""

from __future__ import annotations

from typing import Any

from ..conftest import SHIPPED_BUNDLE, write_bundle
from .conftest import create, person

LINE_ROLE = """
role: line_manager
permissions:
  customer:
    operations: [read, update]
    scope: subordinates
"""


def _write(crm: Any, change: Any) -> None:
    platform = crm.application.extensions["metacrm"]
    with platform.writing() as conn:
        change(conn, platform.compiled.metadata)


def _kept(crm: Any) -> int:
    return len(crm.application.extensions["metacrm"].people._entries)


def test_a_team_lead_sees_a_team_change_at_once(crm, org) -> None:
    from metacrm.identity.cli_support import existing_team
    from metacrm.identity.profiles import set_user_teams
    from metacrm.identity.teams import add_team_members, delete_team, remove_team_members

    boss, wang, liu = org["east_boss"], org["wang"], org["liu"]
    held = {who.username: create(who, "customer", name=who.username)
            for who in (boss, wang, liu, org["yang"])}
    team = {held[n] for n in ("east_boss", "wang", "liu")}
    assert set(boss.ids("/api/customer")) == team
    assert _kept(crm) > 0  # the team was looked up once and kept
    assert set(boss.ids("/api/customer")) == team

    def team_id(conn: Any, metadata: Any) -> int:
        return existing_team(conn, metadata, "east").id

    _write(crm, lambda conn, md: remove_team_members(conn, md, team_id(conn, md), [wang.id]))
    assert set(boss.ids("/api/customer")) == team - {held["wang"]}
    _write(crm, lambda conn, md: add_team_members(conn, md, team_id(conn, md), [wang.id]))
    assert set(boss.ids("/api/customer")) == team
    _write(crm, lambda conn, md: set_user_teams(conn, md, liu.id, ["west"]))
    assert set(boss.ids("/api/customer")) == team - {held["liu"]}
    _write(crm, lambda conn, md: delete_team(conn, md, team_id(conn, md)))
    assert set(boss.ids("/api/customer")) == {held["east_boss"]}


def test_a_line_manager_sees_a_change_of_the_line_at_once(make_client, tmp_path) -> None:
    from metacrm.identity.users import set_manager

    template = write_bundle(tmp_path / "template", {"roles/line.yaml": LINE_ROLE},
                            name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    top = person(crm, "top", roles=("line_manager", "salesperson"))
    middle = person(crm, "middle", roles=("line_manager", "salesperson"), manager="top")
    bottom = person(crm, "bottom", roles=("salesperson",), manager="middle")
    aside = person(crm, "aside", roles=("salesperson",))
    held = {who.username: create(who, "customer", name=who.username)
            for who in (top, middle, bottom, aside)}
    assert top.ids("/api/customer") == sorted(held[n] for n in ("top", "middle", "bottom"))
    assert middle.ids("/api/customer") == sorted(held[n] for n in ("middle", "bottom"))
    _write(crm, lambda conn, md: set_manager(conn, md, bottom.id, aside.id))
    assert top.ids("/api/customer") == sorted(held[n] for n in ("top", "middle"))
    assert middle.ids("/api/customer") == [held["middle"]]
    _write(crm, lambda conn, md: set_manager(conn, md, aside.id, middle.id))
    assert top.ids("/api/customer") == sorted(held.values())
    assert middle.ids("/api/customer") == sorted(held[n] for n in ("middle", "bottom", "aside"))
