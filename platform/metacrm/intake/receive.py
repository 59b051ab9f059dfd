"""Store leads a source delivers: map the sender's keys to fields, add the source's
fixed values, and create each lead through the engine's write path (payload checks,
rules, audit, assignment of ownerless records) as the source's service principal.

Each lead is written in its own transaction, so that one bad lead does not keep the
others out. A lead with an external id is recorded in ``mc_intake_receipts`` in the
transaction that creates it: a retried delivery finds the receipt and answers with
the record made the first time; two deliveries of one lead racing each other meet
at the receipt's unique key, and the loser's transaction (record included) is rolled
back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, Principal
from ..base.problems import MAX_HINTED_KEYS, Invalid, Problem
from ..compile.compiled import Compiled
from ..definitions.intake import IntakeDef
from ..i18n import suggestion
from ..runtime.duplicates import check_new_record
from ..runtime.holdings import owner_column
from ..runtime.operation import Operation
from ..runtime.payload import read_payload
from ..runtime.writes import create_records
from .messages import say
from .tables import MAX_EXTERNAL_ID, receipts_table

CREATED, EXISTING = "created", "existing"
Transaction = Callable[[], AbstractContextManager[sa.Connection]]


@dataclass(frozen=True)
class LeadOutcome:
    """What became of one lead: ``created`` or ``existing`` (a retry; ``id`` is the
    record made the first time), else ``status`` is the HTTP status of its refusal
    (422 invalid, 409 a conflict such as a duplicate) with ``errors`` keyed by the
    sender's own keys."""

    index: int
    result: str
    status: int
    id: int | None = None
    external_id: str | None = None
    errors: Mapping[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"index": self.index, "result": self.result}
        if self.id is not None:
            shown["id"] = self.id
        if self.external_id is not None:
            shown["external_id"] = self.external_id
        if self.errors:
            shown["errors"] = dict(self.errors)
        return shown

    @property
    def stored(self) -> bool:
        return self.result in (CREATED, EXISTING)


def source_context(user_id: int | None, locale: str = "en") -> Context:
    """The service principal of a source: the platform acting, audited as the source's
    user. Its definition is what bounds it: only mapped keys and set values are written."""
    return Context(Principal(user_id, system=True), locale)


def receive_leads(transaction: Transaction, compiled: Compiled, source: IntakeDef,
                  leads: list[Any], ctx: Context) -> list[LeadOutcome]:
    """Store each of ``leads`` (as sent); the outcome of each, in order."""
    return [receive_lead(transaction, compiled, source, index, lead, ctx)
            for index, lead in enumerate(leads)]


def receive_lead(transaction: Transaction, compiled: Compiled, source: IntakeDef, index: int,
                 lead: Any, ctx: Context) -> LeadOutcome:
    external, errors = _external_id(source, lead, ctx.locale)
    model = compiled.models[source.entity]
    try:
        if "_lead" in errors:
            raise _Refused(errors)
        payload, unknown = _payload(source, lead, ctx.locale)
        errors.update(unknown)
        owner = owner_column(model)
        if owner is not None and owner not in payload:
            # Nobody holds a lead yet: the assignment rules give it to a team member
            # (the owner's default, the creating user, would be the service user).
            payload[owner] = None
        try:
            values = read_payload(model, ctx, payload, creating=True)
        except Invalid as invalid:  # reported with the lead's other errors
            errors.update(_senders_keys(source, invalid.errors))
        if errors:
            raise _Refused(errors)
        with transaction() as conn:
            if external is not None:
                found = _receipt(conn, compiled, source, external)
                if found is not None:
                    return LeadOutcome(index, EXISTING, 200, found, external)
            # A blocking duplicate rule refuses the lead (409, the rule named, no data of
            # the record there is: the sender is outside); warnings are for the
            # duplicates list, inside.
            check_new_record(Operation(conn, compiled, ctx), model, values)
            (record,) = create_records(conn, compiled, model, ctx, [values])
            if external is not None:
                conn.execute(receipts_table(compiled.metadata).insert().values(
                    source=source.name, external_id=external, entity=source.entity,
                    record_id=record["id"], received_at=ctx.now))
        return LeadOutcome(index, CREATED, 201, int(record["id"]), external)
    except _Refused as refused:
        return LeadOutcome(index, "invalid", 422, None, external, refused.errors)
    except Problem as problem:
        return LeadOutcome(index, "invalid" if problem.status == 422 else "refused",
                           problem.status, None, external, _senders_keys(source, problem.errors))
    except sa.exc.IntegrityError:
        if external is None:
            raise
        # Another delivery of the same lead committed first: its record is the lead's.
        with transaction() as conn:
            found = _receipt(conn, compiled, source, external)
        if found is None:
            raise
        return LeadOutcome(index, EXISTING, 200, found, external)


class _Refused(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _external_id(source: IntakeDef, lead: Any, lang: str
                 ) -> tuple[str | None, dict[str, list[str]]]:
    if not isinstance(lead, dict):
        return None, {"_lead": [say("not_object", lang)]}
    key = source.external_id
    if key is None or lead.get(key) is None:
        return None, {}
    value = lead[key]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip() \
            or len(str(value)) > MAX_EXTERNAL_ID:
        return None, {key: [say("external_id", lang, max=MAX_EXTERNAL_ID)]}
    return str(value).strip(), {}


def _payload(source: IntakeDef, lead: dict[str, Any], lang: str
             ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The lead's values by field name, with the source's fixed values; and an error for
    each unknown key (a misspelt key would lose its value without a word)."""
    known = list(source.fields) + ([source.external_id] if source.external_id else [])
    unknown = [key for key in lead if key not in known and key not in source.ignore]
    listing = ", ".join(known)
    errors = {str(key): [say("unknown_key", lang, keys=listing,
                             hint=suggestion(str(key), known, lang))]
              for key in unknown[:MAX_HINTED_KEYS]}
    if len(unknown) > MAX_HINTED_KEYS:
        errors["_lead"] = [say("more_unknown", lang, count=len(unknown) - MAX_HINTED_KEYS)]
    payload = {source.fields[key]: value for key, value in lead.items() if key in source.fields}
    payload.update(source.set)
    return payload, errors


def _senders_keys(source: IntakeDef, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Errors keyed by the sender's keys where a field is mapped from one (a fixed value's
    field, or a field nobody sends, keeps its own name)."""
    return {(source.incoming_key(key) or key): list(texts) for key, texts in errors.items()}


def _receipt(conn: sa.Connection, compiled: Compiled, source: IntakeDef, external: str
             ) -> int | None:
    receipts = receipts_table(compiled.metadata)
    found = conn.execute(sa.select(receipts.c.record_id).where(
        receipts.c.source == source.name, receipts.c.external_id == external)).scalar()
    return int(found) if found is not None else None


def outcomes_status(outcomes: list[LeadOutcome]) -> int:
    """One status for a delivery: 201 when every lead is stored (200 if none was new),
    the leads' own status when none is, 207 when some are and some are not."""
    stored = [o for o in outcomes if o.stored]
    if len(stored) == len(outcomes):
        return 201 if any(o.result == CREATED for o in outcomes) else 200
    if not stored:
        statuses = {o.status for o in outcomes}
        return statuses.pop() if len(statuses) == 1 else 422
    return 207


def refusals(outcomes: list[LeadOutcome], batch: bool) -> Iterator[tuple[str, list[str]]]:
    """Every lead's errors, keyed ``leads[i].<key>`` in a batch."""
    for outcome in outcomes:
        for key, texts in outcome.errors.items():
            yield (f"leads[{outcome.index}].{key}" if batch else key), list(texts)
