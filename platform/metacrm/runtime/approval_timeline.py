"""What an approval chain records and says as it runs: its timeline of events and the
names and titles notifications use."""

from __future__ import annotations

from ..compile.models import EntityModel
from ..i18n import MESSAGES
from .approval_state import Chain
from .operation import Operation
from .rows import Row
from .stored_rows import row_statement


def record_event(op: Operation, approval_id: int, kind: str, step: str | None,
                 comment: str | None) -> None:
    op.conn.execute(op.tables.approval_events.insert().values(
        approval_id=approval_id, user_id=op.ctx.user_id, kind=kind, step=step,
        comment=comment, at=op.ctx.now))


def record_title(model: EntityModel, record: Row) -> str:
    title = model.entity.title
    value = record.get(title) if title else None
    return str(value) if value not in (None, "") else f"{model.name} #{record['id']}"


def chain_title(op: Operation, chain: Chain) -> str:
    """The title of the chain's record as it is now."""
    entity, record_id = chain.row["entity"], chain.row["record_id"]
    model = op.compiled.models[entity]
    record = chain.record = op.conn.execute(row_statement(model), {"record_id": record_id}
                                            ).mappings().first()
    return record_title(model, record or {"id": record_id})


def user_name(op: Operation, user_id: int | None) -> str:
    return op.directory.name(user_id)


def texts(key: str) -> dict[str, str]:
    return MESSAGES[key]
