"""A small CRM for import tests: companies (found by code or name), customers with
every kind of cell, roles with and without ``import``, and helpers to run imports
through the engine as the CLI and the API do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..conftest import token_for, write_bundle

BUNDLE = {
    "entities/crm.yaml": """
        entity: company
        label: {en: Company, zh: 公司}
        title: name
        fields:
          code: {type: string, unique: true, label: {en: Code, zh: 编号}}
          name: {type: string, required: true, label: {en: Name, zh: 名称}}
        ---
        entity: customer
        label: {en: Customer, zh: 客户}
        plural: {en: Customers, zh: 客户}
        title: name
        owned_by: owner
        fields:
          name: {type: string, required: true, max_length: 100,
                 label: {en: Company name, zh: 公司名称}}
          phone: {type: phone, label: {en: Phone, zh: 电话}}
          employees: {type: integer, min: 0, label: {en: Employees, zh: 员工人数}}
          revenue: {type: money, label: {en: Annual revenue, zh: 年营业额}}
          signed_on: {type: date, label: {en: Signed on, zh: 签约日期}}
          grade: {type: choice, label: {en: Grade, zh: 等级},
                  options: [{value: a, label: {en: Key account, zh: 重点客户}},
                            {value: b, label: {en: Normal, zh: 普通客户}}]}
          kind: {type: choice, options: [lead, customer], default: customer,
                 label: {en: Kind, zh: 类型}}
          company: {type: reference, to: company, label: {en: Company, zh: 所属公司}}
          partners: {type: multi_reference, to: company, label: {en: Partners, zh: 合作伙伴}}
          owner: {type: user, label: {en: Owner, zh: 负责人}}
        rules:
          - name: revenue_not_negative
            check: revenue == null || revenue >= 0
            message: {en: Revenue cannot be negative, zh: 营业额不能为负}
        assignment:
          - name: leads
            when: {kind: lead}
            team: inside
            method: round_robin
        """,
    "roles/roles.yaml": """
        role: importer
        label: {en: Importer}
        permissions:
          customer: {operations: [read, create, update, delete, import], scope: all}
          company: {operations: [read], scope: all}
        ---
        role: clerk
        label: {en: Clerk}
        permissions:
          customer: {operations: [read, create, update, delete], scope: all}
          company: {operations: [read], scope: all}
        ---
        role: seller
        label: {en: Seller}
        permissions:
          customer: {operations: [read], scope: all}
        """,
}


@pytest.fixture
def crm(make_client, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "crm", BUNDLE))
    platform = client.application.extensions["metacrm"]
    # Imports here run in-process even where CI configures Redis: no worker serves
    # the test's queue. test_rq_job.py opts into the queue with a worker of its own.
    monkeypatch.setattr(platform, "settings", replace(platform.settings, redis_url=None))
    from metacrm.base.context import Context
    from metacrm.runtime.payload import read_payload
    from metacrm.runtime.writes import create_records

    ctx = Context.system()
    model = platform.compiled.models["company"]
    with platform.writing() as conn:
        create_records(conn, platform.compiled, model, ctx, [
            read_payload(model, ctx, {"code": "C-001", "name": "华为技术有限公司"},
                         creating=True),
            read_payload(model, ctx, {"code": "C-002", "name": "星河贸易"}, creating=True)])
    return client


class Importer:
    """Runs imports through the engine as a given user (or the platform)."""

    def __init__(self, crm: Any, username: str | None = "imp", roles: tuple[str, ...] = (
            "importer",)):
        self.crm = crm
        self.platform = crm.application.extensions["metacrm"]
        self.token = token_for(crm.application, username, roles=roles) if username else None
        self.username = username

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def context(self) -> Any:
        from metacrm.base.context import Context
        from metacrm.identity.principals import principal_of
        from metacrm.identity.users import find_user

        if self.username is None:
            return Context.system()
        with self.platform.reading() as conn:
            user = find_user(conn, self.platform.compiled.metadata, self.username)
            assert user is not None
            principal = principal_of(conn, self.platform.compiled.metadata, user.id)
        assert principal is not None
        return Context(principal)

    def start(self, path: Path, entity: str = "customer", mapping: Any = None,
              **options: Any) -> int:
        from metacrm.imports.jobs import prepare_import
        from metacrm.imports.store import ImportOptions

        opts = ImportOptions(as_platform=self.username is None, **options)
        return prepare_import(self.platform, self.context(), entity, path, path.name, opts,
                              mapping).import_id

    def run(self, path: Path, entity: str = "customer", mapping: Any = None,
            batch_size: int = 500, **options: Any) -> dict[str, Any]:
        from metacrm.imports.run import run_import

        import_id = self.start(path, entity, mapping, **options)
        return run_import(self.platform, import_id, batch_size=batch_size)

    def log(self, import_id: int) -> list[dict[str, Any]]:
        from metacrm.imports.store import log_rows

        with self.platform.reading() as conn:
            return log_rows(conn, self.platform.compiled.tables, import_id, limit=10_000)


@pytest.fixture
def importer(crm) -> Importer:  # type: ignore[no-untyped-def]
    return Importer(crm)


def records(crm: Any, entity: str = "customer") -> list[dict[str, Any]]:
    """Every live record, by id, as the database holds it."""
    platform = crm.application.extensions["metacrm"]
    table = platform.compiled.models[entity].table
    with platform.reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).where(
            table.c.deleted_at.is_(None)).order_by(table.c.id)).mappings()]


def audit_count(crm: Any) -> int:
    platform = crm.application.extensions["metacrm"]
    with platform.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(
            platform.compiled.tables.audit)).scalar_one())


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
