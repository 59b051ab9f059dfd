"""Fixed statements (runtime/fixed_statements.py): sent to the driver directly (on
PostgreSQL and SQLite), through Core while someone listens to the statements; both
ways give the same rows, counts, ids and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.compile.system_tables import SystemTables, add_system_tables
from metacrm.db import make_engine
from metacrm.runtime.fixed_statements import (
    FixedStatement,
    insert_many,
    insert_together,
    runs_directly,
)
from metacrm.runtime.inserts import append_rows
from metacrm.runtime.shaped_statements import run_select

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def tables(db_url: str) -> Iterator[tuple[sa.Engine, SystemTables]]:
    metadata = sa.MetaData()
    add_system_tables(metadata)
    engine = make_engine(db_url)
    metadata.create_all(engine)
    yield engine, SystemTables.of(metadata)
    engine.dispose()


def _both(conn: sa.Connection, statement: FixedStatement, params: dict[str, Any]
          ) -> tuple[Any, Any]:
    """The statement's rows run as a fixed statement, then through Core."""
    fixed = statement.execute(conn, params)
    core = conn.execute(statement.statement, params)
    return fixed, core


def _people(conn: sa.Connection, tables: SystemTables) -> list[int]:
    return insert_many(conn, tables.users, [
        {"username": name, "name": name.title(), "language": language, "active": active,
         "created_at": NOW}
        for name, language, active in (("ann", "en", True), ("bo", "zh", False))])


def test_the_same_rows_both_ways(tables) -> None:
    engine, t = tables
    with engine.begin() as conn:
        ann, bo = _people(conn, t)
        chain = insert_many(conn, t.approvals, [{
            "approval": "deal_approval", "entity": "deal", "record_id": 7, "transition": None,
            "from_state": "draft", "state": "pending", "current": 0, "submitter_id": ann,
            "steps": [{"name": "boss", "decide": "any", "approvers": [bo]}],
            "submitted_at": NOW.astimezone(timezone(timedelta(hours=8)))}])[0]
        insert_many(conn, t.approval_tasks, [
            {"approval_id": chain, "step": "boss", "step_index": 0, "user_id": uid,
             "state": "pending", "created_at": NOW, "comment": comment}
            for uid, comment in ((bo, "好"), (ann, None))])
        amount = sa.cast(sa.literal("1234.50"), sa.Numeric(12, 2)).label("amount")
        statement = FixedStatement(sa.select(t.approvals, t.approval_tasks, t.users.c.active,
                                             amount)
                                   .join(t.approval_tasks,
                                         t.approval_tasks.c.approval_id == t.approvals.c.id)
                                   .join(t.users, t.users.c.id == t.approval_tasks.c.user_id)
                                   .where(t.approvals.c.id == sa.bindparam("chain"))
                                   .order_by(t.approval_tasks.c.id).with_for_update())
        fixed, core = _both(conn, statement, {"chain": chain})
        expected = [tuple(row) for row in core]
        assert list(fixed.rows) == expected
        assert fixed.keys == tuple(core.keys())
        first = fixed.mappings()[0]
        assert first["steps"] == [{"name": "boss", "decide": "any", "approvers": [bo]}]
        assert first["submitted_at"] == NOW and first["submitted_at"].tzinfo is not None
        assert [row["comment"] for row in fixed.mappings()] == ["好", None]
        assert [row["active"] for row in fixed.mappings()] == [False, True]
        assert first["amount"] == Decimal("1234.50")


def test_the_same_counts_and_literals_both_ways(tables) -> None:
    engine, t = tables
    with engine.begin() as conn:
        ann, _ = _people(conn, t)
        exclaim = FixedStatement(t.users.update().where(
            t.users.c.language == sa.bindparam("spoken")).values(
            name=t.users.c.name + "!",
            created_at=sa.bindparam("when", type_=t.users.c.created_at.type)))
        fixed, core = _both(conn, exclaim, {"spoken": "en", "when": NOW})
        assert fixed.rowcount == core.rowcount == 1
        assert fixed.rows == []
        assert conn.execute(sa.select(t.users.c.name).where(t.users.c.id == ann)
                            ).scalar_one() == "Ann!!"


def test_new_ids_in_the_rows_order(tables) -> None:
    engine, t = tables
    with engine.begin() as conn:
        ids = _people(conn, t)
        names = conn.execute(sa.select(t.users.c.id, t.users.c.username)).all()
    assert ids == sorted(ids) and dict(names) == dict(zip(ids, ["ann", "bo"], strict=True))


def test_a_database_error_is_core_s(tables) -> None:
    engine, t = tables
    with engine.connect() as conn:
        _people(conn, t)
        with pytest.raises(sa.exc.IntegrityError):
            _people(conn, t)  # the same usernames again
        conn.rollback()
        assert conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar_one() == 0


def test_the_driver_path_and_core_while_listened_to(tables) -> None:
    engine, t = tables
    seen: list[str] = []
    with engine.connect() as conn:
        assert runs_directly(conn)
        sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        assert not runs_directly(conn)
        _people(conn, t)
    assert [s.split(" (")[0] for s in seen if s != "BEGIN"] == ["INSERT INTO mc_users"]


def test_rows_of_several_tables_at_once(tables) -> None:
    engine, t = tables
    with engine.begin() as conn:
        ann, bo = _people(conn, t)
        chain = insert_many(conn, t.approvals, [{
            "approval": "a", "entity": "deal", "record_id": 7, "state": "pending",
            "current": 0, "submitter_id": ann, "steps": [], "submitted_at": NOW}])[0]
        events = [{"approval_id": chain, "user_id": ann, "kind": kind, "step": None,
                   "comment": comment, "at": NOW} for kind, comment in (("approve", "好"),
                                                                        ("done", None))]
        audit = [{"entity": "deal", "record_id": 7, "action": "approve", "user_id": ann,
                  "at": NOW, "changes": {"status": ["pending", "approved"]}, "note": None}]
        notices = [{"user_id": uid, "kind": "approval_approved", "title": "✓",
                    "approval_id": chain, "created_at": NOW} for uid in (bo, ann)]
        event_ids, none, audit_ids, notice_ids = insert_together(conn, [
            (t.approval_events, events), (t.approval_tasks, []),
            (t.audit, audit), (t.notifications, notices)])
        assert none == [] and len(audit_ids) == 1
        assert conn.execute(sa.select(t.approval_events.c.id, t.approval_events.c.kind,
                                      t.approval_events.c.comment)
                            .order_by(t.approval_events.c.id)).all() == [
            (event_ids[0], "approve", "好"), (event_ids[1], "done", None)]
        assert conn.execute(sa.select(t.audit.c.changes, t.audit.c.at)).one() == (
            {"status": ["pending", "approved"]}, NOW)
        assert conn.execute(sa.select(t.notifications.c.id, t.notifications.c.user_id)
                            .order_by(t.notifications.c.id)).all() == list(
            zip(notice_ids, [bo, ann], strict=True))


def test_many_rows_into_a_table_named_by_a_keyword(db_url: str) -> None:
    # More rows than one fixed INSERT takes: on PostgreSQL they go as one JSON text read
    # as the table's row type, which must be quoted even where the table's name is not.
    metadata = sa.MetaData()
    table = sa.Table("row", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("n", sa.Integer), sa.Column("word", sa.Text))
    engine = make_engine(db_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            ids = insert_many(conn, table, [{"n": n, "word": f"好 \"{n}\"\\"}
                                            for n in range(40)])
            stored = conn.execute(sa.select(table.c.id, table.c.n, table.c.word)
                                  .order_by(table.c.id)).all()
        assert [tuple(row) for row in stored] == [
            (new_id, n, f"好 \"{n}\"\\") for n, new_id in enumerate(ids)]
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_many_rows_with_their_ids_and_appended_rows_the_same_both_ways(tables) -> None:
    # On PostgreSQL, run directly, many rows that carry their ids (or whose ids nobody
    # reads) go as one COPY (runtime/copy_rows.py); listened to, as one INSERT: the
    # same rows either way, JSON, moments in another zone, NULL and text
    # that COPY's text format escapes.
    engine, t = tables
    east = timezone(timedelta(hours=8))

    def rows(first: int) -> list[dict[str, Any]]:
        return [{"id": first + n, "entity": "deal", "record_id": n, "action": "create",
                 "user_id": None, "at": (NOW + timedelta(seconds=n)).astimezone(east),
                 "changes": {"amount": [None, 12.5], "name": ["\t\\N", f"好{n}"],
                             "tags": [1, 2]},
                 "note": None if n % 2 else f"a\nb\\c\t{n}"} for n in range(40)]

    def stored(conn: sa.Connection, low: int, high: int) -> list[tuple[Any, ...]]:
        return [tuple(row)[2:] for row in conn.execute(
            sa.select(t.audit).where(t.audit.c.id.between(low, high)).order_by(t.audit.c.id))]

    seen: list[str] = []
    with engine.begin() as conn:
        append_rows(conn, t.audit, [{k: v for k, v in r.items() if k != "id"}
                                    for r in rows(0)])
        assert insert_many(conn, t.audit, rows(1000)) == list(range(1000, 1040))
        sa.event.listen(conn, "before_cursor_execute", lambda *a: seen.append(a[2]))
        assert insert_many(conn, t.audit, rows(2000)) == list(range(2000, 2040))
        direct, listened = stored(conn, 1000, 1039), stored(conn, 2000, 2039)
        appended = conn.execute(sa.select(t.audit.c.changes, t.audit.c.note).where(
            t.audit.c.id < 1000).order_by(t.audit.c.id)).all()
    assert direct == listened and len(direct) == 40
    assert direct[0][3] == NOW and direct[0][4] == {"amount": [None, 12.5],
                                                  "name": ["\t\\N", "好0"], "tags": [1, 2]}
    assert [tuple(row) for row in appended] == [(r[4], r[5]) for r in direct]
    assert seen and not any(s.startswith("COPY") for s in seen)


def test_a_unique_value_taken_twice_by_many_rows_is_core_s_error(tables) -> None:
    engine, t = tables
    many = [{"id": 500 + n, "username": f"u{n % 20}", "name": "x", "language": "en",
             "active": True, "created_at": NOW} for n in range(40)]
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        insert_many(conn, t.users, many)


def test_a_select_built_anew_each_run_gives_cores_rows_with_its_own_values(tables) -> None:
    """run_select (runtime/shaped_statements.py): statements of one shape with other
    values (anonymous parameters, as a report's period and scope are) are compiled
    once and each answers with its own values, the rows Core gives."""
    engine, t = tables
    users = t.users
    with engine.begin() as conn:
        ann, bo = _people(conn, t)

        def built(since: datetime, name: str) -> sa.Select:
            return (sa.select(users.c.username, sa.func.count().label("n"),
                              sa.func.max(users.c.created_at).label("last"))
                    .where(users.c.created_at >= since, users.c.username != name)
                    .group_by(users.c.username).order_by(users.c.username))

        for since, name in ((NOW - timedelta(days=1), "zed"), (NOW, "ann"),
                            (NOW + timedelta(days=1), "bo")):
            statement = built(since, name)
            found = run_select(conn, statement)
            core = conn.execute(statement)
            assert found.keys == tuple(core.keys())
            assert [tuple(row) for row in found.rows] == [tuple(row) for row in core.all()]
        assert [row[0] for row in run_select(conn, built(NOW, "ann")).rows] == ["bo"]
        # an IN list is rendered with its values: Core runs it, with the same answer
        listed = sa.select(users.c.id).where(users.c.id.in_([ann, bo])).order_by(users.c.id)
        assert [row[0] for row in run_select(conn, listed).rows] == [ann, bo]


def test_a_parameter_written_twice_is_converted_once(tables) -> None:
    """One named parameter used twice in a statement is one value: converted once on
    the driver path (a money value scaled twice matched nothing), as Core does."""
    from metacrm.fieldtypes.storage import ExactNumeric

    engine, _ = tables
    def amount() -> sa.BindParameter:  # (two objects of one name, as built apart)
        return sa.bindparam("amount", type_=ExactNumeric(12, 2))

    statement = FixedStatement(sa.select(sa.literal(1)).where(
        amount() == sa.literal(Decimal("2.50"), ExactNumeric(12, 2)), amount() > 0))
    with engine.begin() as conn:
        assert runs_directly(conn)
        fixed, core = _both(conn, statement, {"amount": Decimal("2.50")})
        assert list(fixed.rows) == [tuple(r) for r in core] == [(1,)]


def test_parameter_names_the_driver_needs_escaped_are_escaped(tables) -> None:
    engine, t = tables
    with engine.begin() as conn:
        _people(conn, t)
        statement = sa.select(t.users.c.username).where(
            t.users.c.username == sa.bindparam("who.name", "ann"))
        assert [tuple(r) for r in run_select(conn, statement).rows] == [("ann",)]
