"""The public pool on the shipped CRM (salespeople, a manager, their customers) and
on a small bundle of leads with a low hold limit; helpers to act as each person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import token_for, write_bundle


@pytest.fixture(autouse=True)
def _fast(cached_catalogs: None) -> None:  # noqa: F811
    """Each bundle's YAML is read once per run (see tests/api/conftest.py)."""

LEADS = {
    "entities/lead.yaml": """
        entity: lead
        label: {en: Lead, zh: 线索}
        plural: {en: Leads, zh: 线索}
        title: name
        owned_by: owner
        fields:
          name: {type: string, required: true, max_length: 100}
          status:
            type: choice
            required: true
            default: new
            options: [new, working, pooled, won]
          owner: {type: user, default: $user}
          owner_since: {type: datetime, readonly: true}
          last_contact_at: {type: datetime}
          region: {type: string, max_length: 20}
          in_pool: {type: formula, result: boolean, expression: "owner == null"}
        pool:
          label: {en: Lead pool, zh: 线索公海}
          on_claim: {status: working}
          on_return: {status: pooled}
          assigned_at: owner_since
          hold_limit_excludes: {status: won}
          return_rules:
            - name: idle_7_days
              label: {en: Untouched for 7 days, zh: 7天未联系}
              idle_days: 7
              activity: last_contact_at
              unless: {status: won}
              every: 30m
            - name: north_idle_2_days
              idle_days: 2
              activity: [last_contact_at]
              where: {region: north}
              every: 1d
        """,
    "entities/note.yaml": """
        entity: note
        label: {en: Note, zh: 备注}
        plural: {en: Notes, zh: 备注}
        fields:
          text: {type: string, required: true, max_length: 100}
        """,
    "roles/rep.yaml": """
        role: rep
        label: {en: Rep, zh: 销售}
        permissions:
          lead:
            operations: [read, create, update, claim, release]
            scope: own
            hold_limit: 3
            fields: {status: readonly, region: readonly}   # read by the pool's rules
          note:
            operations: [read, create]
        """,
    "roles/south_rep.yaml": """
        role: south_rep
        label: {en: Southern rep, zh: 南区销售}
        permissions:
          lead:
            operations: [read, claim]
            scope: own
            where: {region: south}
        """,
}


class Caller:
    """A signed-in user of a test app: ``caller.post(url, json=...)`` and their id."""

    def __init__(self, app: Any, username: str, **kwargs: Any):
        self.username = username
        self.app = app
        self.token = token_for(app, username, **kwargs)
        self.client = self.fresh_client()
        self.id = user_id(app, username)

    def fresh_client(self) -> Any:
        """Another client as this user (one per thread in concurrency tests)."""
        client = self.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return client

    def __getattr__(self, method: str) -> Any:  # get, post, patch, delete
        return getattr(self.client, method)

    def claim(self, entity: str, record_id: int, **kwargs: Any) -> Any:
        return self.client.post(f"/api/{entity}/{record_id}/claim", **kwargs)

    def release(self, entity: str, record_id: int, reason: Any = "no answer", **kwargs: Any
                ) -> Any:
        return self.client.post(f"/api/{entity}/{record_id}/release",
                                json={"reason": reason}, **kwargs)


def user_id(app: Any, username: str) -> int:
    from metacrm.identity.users import find_user

    platform = app.extensions["metacrm"]
    with platform.reading() as conn:
        found = find_user(conn, platform.compiled.metadata, username)
    assert found is not None
    return found.id


@pytest.fixture
def sales(crm) -> dict[str, Caller]:  # type: ignore[no-untyped-def]
    """On the shipped CRM: team east (manager east_boss; wang, liu), team west (yang),
    a service agent (reads customers, may not claim)."""
    app = crm.application
    people = {"east_boss": Caller(app, "east_boss", roles=("sales_manager",), team="east")}
    people["wang"] = Caller(app, "wang", roles=("salesperson",), team="east",
                            manager="east_boss")
    people["liu"] = Caller(app, "liu", roles=("salesperson",), team="east",
                           manager="east_boss")
    people["yang"] = Caller(app, "yang", roles=("salesperson",), team="west")
    people["service"] = Caller(app, "service", roles=("service_agent",))
    return people


@pytest.fixture
def leads_app(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The small leads bundle: an administrator's client (``.application`` is the app)."""
    return make_client(write_bundle(tmp_path / "leads", LEADS))


def make_record(client: Any, entity: str, **values: Any) -> dict[str, Any]:
    response = client.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return dict(response.json)


def pool_customer(crm: Any, name: str = "上海星河贸易有限公司", **values: Any) -> dict[str, Any]:
    """A customer in the pool (created by the administrator with no owner)."""
    return make_record(crm, "customer", name=name, owner=None, lifecycle="public_pool",
                       **values)


def audit_rows(app: Any, entity: str, record_id: int, action: str | None = None
               ) -> list[dict[str, Any]]:
    platform = app.extensions["metacrm"]
    audit = platform.compiled.metadata.tables["mc_audit"]
    statement = sa.select(audit).where(audit.c.entity == entity,
                                       audit.c.record_id == record_id).order_by(audit.c.id)
    if action is not None:
        statement = statement.where(audit.c.action == action)
    with platform.reading() as conn:
        return [dict(row) for row in conn.execute(statement).mappings()]


def owners(app: Any, entity: str, ids: list[int]) -> dict[int, int | None]:
    platform = app.extensions["metacrm"]
    table = platform.compiled.metadata.tables[entity]
    with platform.reading() as conn:
        return dict(conn.execute(sa.select(table.c.id, table.c.owner)
                                 .where(table.c.id.in_(ids))).all())


def set_columns(app: Any, entity: str, record_id: int, **values: Any) -> None:
    """Change stored values behind the API's back (e.g. to age a record)."""
    platform = app.extensions["metacrm"]
    table = platform.compiled.metadata.tables[entity]
    with platform.writing() as conn:
        conn.execute(table.update().where(table.c.id == record_id).values(**values))


@pytest.fixture
def at() -> Callable[..., datetime]:
    """``at(days=31)``: a moment that many days (hours…) from now, in UTC."""
    from datetime import timedelta

    from metacrm.base.context import utcnow

    start = utcnow()
    return lambda **delta: start + timedelta(**delta)
