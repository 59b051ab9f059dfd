"""The demo data generator emits only rows the shipped definitions accept.

The entity, option-set and workflow YAML files are read directly (yaml.safe_load),
so the test keeps working whatever the state of the engine's loader, and any change
to a definition that the generator no longer respects fails here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from metacrm.demo import fill_demo
from metacrm.demo.vocabulary import BASE_COUNTS, BATCH_SIZE

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 3, 1)
USERS = [3, 5, 8, 13]
ENGINEERS = [21, 34]
ACCOUNTS = ["tag", "product", "customer", "contact", "opportunity", "activity"]
ORDER = ACCOUNTS + [
    "requirement",
    "quote",
    "quote_line",
    "contract",
    "payment_plan",
    "payment",
    "invoice",
    "invoice_reissue",
    "service_booking",
    "delivery",
    "onsite_service",
    "ticket",
]
# user fields that name who does the service work: engineers, not salespeople
SERVICE_PEOPLE = {
    ("service_booking", "engineer"),
    ("delivery", "engineer"),
    ("onsite_service", "engineer"),
    ("ticket", "assignee"),
}
SYSTEM = {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at"}
RESERVED = {"sort", "limit", "cursor", "q", "fields", "expand", "count", "deleted"}

MONEY = re.compile(r"^-?\d+\.\d{2}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _load_definitions() -> tuple[
    dict[str, dict[str, Any]], dict[str, list[str]], dict[str, dict[str, Any]]
]:
    entities: dict[str, dict[str, Any]] = {}
    optionsets: dict[str, list[str]] = {}
    workflows: dict[str, dict[str, Any]] = {}  # by entity
    for folder in ("entities", "workflows"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if not doc:
                    continue
                if "workflow" in doc:
                    workflows[doc["entity"]] = doc
                elif "entity" in doc and "approval" not in doc:
                    entities[doc["entity"]] = doc
                elif "optionset" in doc:
                    optionsets[doc["optionset"]] = [str(o["value"]) for o in doc["options"]]
    return entities, optionsets, workflows


ENTITIES, OPTIONSETS, WORKFLOWS = _load_definitions()


def _stamps(entity: str) -> set[str]:
    """Read-only fields a demo row may still set: those the entity's transitions set
    (a record created straight into a later state carries them) and who-asked fields
    that default to the current user (the platform creates the demo, not its users)."""
    fields = ENTITIES[entity]["fields"]
    found = {name for name, spec in fields.items() if spec.get("default") == "$user"}
    for transition in WORKFLOWS.get(entity, {}).get("transitions", []):
        for action in transition.get("actions", []):
            found |= set(action.get("set", {}))
    return found


class Recorder:
    """A fake ``create_many``: records every call and hands out sequential ids."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ids: dict[str, list[int]] = defaultdict(list)
        self.known: dict[str, set[int]] = defaultdict(set)
        self.next_id = 1000
        self.created: dict[str, list[datetime | None]] = defaultdict(list)

    def __call__(self, entity: str, rows: list[dict[str, Any]],
                 created: list[datetime] | None = None) -> list[int]:
        assert entity in ENTITIES, f"unknown entity {entity!r}"
        assert 0 < len(rows) <= BATCH_SIZE
        assert created is None or len(created) == len(rows)
        self.created[entity].extend(created if created is not None else [None] * len(rows))
        self._check_references(entity, rows)
        ids = list(range(self.next_id, self.next_id + len(rows)))
        self.next_id += len(rows) + 7  # ids of different entities never line up
        self.calls.append((entity, [dict(r) for r in rows]))
        self.rows[entity].extend(rows)
        self.ids[entity].extend(ids)
        self.known[entity].update(ids)
        return ids

    def _check_references(self, entity: str, rows: list[dict[str, Any]]) -> None:
        """References must name ids already returned for the target entity."""
        fields = ENTITIES[entity]["fields"]
        for row in rows:
            for name, value in row.items():
                spec = fields.get(name, {})
                if spec.get("type") == "reference":
                    assert value in self.known[spec["to"]], (entity, name, value)
                elif spec.get("type") == "multi_reference":
                    assert isinstance(value, list) and len(set(value)) == len(value)
                    assert set(value) <= self.known[spec["to"]], (entity, name, value)


@pytest.fixture(scope="module")
def demo() -> tuple[Recorder, dict[str, int]]:
    recorder = Recorder()
    counts = fill_demo(recorder, users=USERS, engineers=ENGINEERS, today=TODAY)
    return recorder, counts


def test_counts_match_the_scale_and_the_rows(demo):
    recorder, counts = demo
    assert counts == {name: len(recorder.rows[name]) for name in ORDER}
    for name, base in BASE_COUNTS.items():
        assert counts[name] == base
    # what follows from quotes and contracts: a few per parent
    assert counts["quote"] <= counts["quote_line"] <= 4 * counts["quote"]
    assert counts["contract"] <= counts["payment_plan"] <= 4 * counts["contract"]
    assert counts["payment_plan"] // 2 <= counts["payment"] <= 2 * counts["payment_plan"]
    assert counts["payment_plan"] // 2 <= counts["invoice"] <= counts["payment_plan"] + 20


def test_entities_are_created_in_dependency_order(demo):
    recorder, _ = demo
    first_call = {}
    for i, (entity, _) in enumerate(recorder.calls):
        first_call.setdefault(entity, i)
    assert sorted(first_call, key=first_call.get) == ORDER
    # an entity's batches are consecutive
    seen = [e for i, (e, _) in enumerate(recorder.calls) if i == 0 or recorder.calls[i - 1][0] != e]
    assert seen == ORDER


def test_same_seed_same_rows_other_seed_other_rows():
    def run(seed: int) -> list[tuple[str, list[dict[str, Any]]]]:
        recorder = Recorder()
        fill_demo(recorder, users=USERS, scale=0.2, seed=seed, today=TODAY)
        return recorder.calls

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize("scale", [0.001, 0.05, 2.0])
def test_tiny_and_large_scales_stay_valid(scale):
    recorder = Recorder()
    counts = fill_demo(recorder, users=[1], scale=scale, seed=1, today=TODAY)
    # a tiny demo may have no deal to quote or contract; a small one has some of each
    assert all(counts[name] >= 1 for name in (ACCOUNTS if scale < 0.01 else ORDER))
    for entity in ORDER:
        for row in recorder.rows[entity]:
            _check_row(entity, row, [1], [1])
        _check_unique(entity, recorder.rows[entity])


def test_without_users_no_owner_is_set():
    recorder = Recorder()
    fill_demo(recorder, users=[], scale=0.05, today=TODAY)
    assert all(row.get("owner") is None for rows in recorder.rows.values() for row in rows)
    for entity, rows in recorder.rows.items():
        people = [n for n, spec in ENTITIES[entity]["fields"].items() if spec["type"] == "user"]
        assert all(row.get(name) is None for row in rows for name in people), entity
    # without anyone to do it, no service work was done
    assert {r["status"] for r in recorder.rows["ticket"]} == {"open"}
    assert not recorder.rows["onsite_service"]


def test_every_value_matches_its_definition(demo):
    recorder, _ = demo
    for entity in ORDER:
        for row in recorder.rows[entity]:
            _check_row(entity, row, USERS, ENGINEERS)
        _check_unique(entity, recorder.rows[entity])


def test_validation_rules_of_the_definitions_hold(demo):
    cel = pytest.importorskip("cel")
    recorder, _ = demo
    now_today = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    for entity in ORDER:
        definition = ENTITIES[entity]
        for rule in definition.get("rules", []):
            check = cel.compile(rule["check"])
            when = cel.compile(rule["when"]) if rule.get("when") else None
            for row in recorder.rows[entity]:
                context = _cel_context(definition, row)
                context.update(today=now_today, now=now_today, user=USERS[0])
                if when is not None and not when.execute(context):
                    continue
                assert check.execute(context) is True, (entity, rule["name"], row)


def test_the_data_tells_a_consistent_story(demo):
    recorder, _ = demo
    customers = dict(zip(recorder.ids["customer"], recorder.rows["customer"], strict=True))
    contact_of = dict(
        zip(recorder.ids["contact"], (r["customer"] for r in recorder.rows["contact"]), strict=True)
    )
    opps = dict(zip(recorder.ids["opportunity"], recorder.rows["opportunity"], strict=True))

    assert len({c["name"] for c in customers.values()}) == len(customers)
    for c in customers.values():
        if c["lifecycle"] in ("potential", "public_pool"):
            assert c.get("owner") is None
        if c["lifecycle"] == "customer":
            assert c.get("stage") == "signed"
    primaries = defaultdict(int)
    for row in recorder.rows["contact"]:
        primaries[row["customer"]] += row["is_primary"]
        if "mobile" in row:
            assert MOBILE.match(row["mobile"]), row["mobile"]
    assert set(primaries.values()) == {1}
    assert set(primaries) == set(customers)  # every customer has a contact

    for row in opps.values():
        close = date.fromisoformat(row["expected_close"])
        if row["stage"] == "won":
            assert close < TODAY and Decimal(row["probability"]) == 100
        elif row["stage"] == "lost":
            assert close < TODAY and Decimal(row["probability"]) == 0
        else:
            assert close > TODAY and 0 < Decimal(row["probability"]) < 100
        if "contact" in row:
            assert contact_of[row["contact"]] == row["customer"]
    won_customers = {r["customer"] for r in opps.values() if r["stage"] == "won"}
    assert all(customers[c]["lifecycle"] == "customer" for c in won_customers)

    horizon = datetime(TODAY.year - 2, TODAY.month, TODAY.day, tzinfo=UTC)
    end = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    for row in recorder.rows["activity"]:
        assert horizon <= datetime.fromisoformat(row["occurred_at"]) < end
        if "contact" in row:
            assert contact_of[row["contact"]] == row["customer"]
        if "opportunity" in row:
            assert opps[row["opportunity"]]["customer"] == row["customer"]

    amounts = sorted(Decimal(r["amount"]) for r in opps.values())
    median = amounts[len(amounts) // 2]
    assert amounts[-1] > 10 * median  # a long tail, as real deal sizes have


def test_records_come_in_over_two_years_after_their_customer(demo):
    """Customers, contacts, opportunities and follow-ups come in over the history (so
    "new business by month" has months), never in the future, nothing before its
    customer, a follow-up when it happened."""
    recorder, _ = demo
    start = datetime(TODAY.year - 2, TODAY.month, TODAY.day, tzinfo=UTC)
    end = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    came_in = {e: dict(zip(recorder.ids[e], recorder.created[e], strict=True))
               for e in ("customer", "contact", "opportunity", "activity")}
    for moments in came_in.values():
        assert all(m is not None and start <= m < end for m in moments.values())
    months = {(m.year, m.month) for m in came_in["customer"].values()}
    assert len(months) >= 20
    for entity in ("contact", "opportunity", "activity"):
        for row, moment in zip(recorder.rows[entity], recorder.created[entity], strict=True):
            assert moment >= came_in["customer"][row["customer"]], (entity, row)
    for row, moment in zip(recorder.rows["activity"], recorder.created["activity"],
                           strict=True):
        assert moment.date() == datetime.fromisoformat(row["occurred_at"]).date()
    for row, moment in zip(recorder.rows["opportunity"], recorder.created["opportunity"],
                           strict=True):
        if row["stage"] in ("won", "lost"):
            assert moment.date() <= date.fromisoformat(row["expected_close"])
    # the sales chain and service records come in today (no moment given)
    assert set(recorder.created["ticket"]) == {None}


def test_customers_someone_works_on_were_followed_up_lately(demo):
    """The pool takes back a held lead or opportunity-stage customer idle for 30 days;
    the demo's held ones with follow-ups had one in the last three weeks."""
    recorder, _ = demo
    customers = dict(zip(recorder.ids["customer"], recorder.rows["customer"], strict=True))
    latest: dict[int, datetime] = {}
    for row in recorder.rows["activity"]:
        when = datetime.fromisoformat(row["occurred_at"])
        latest[row["customer"]] = max(when, latest.get(row["customer"], when))
    worked_on = [cid for cid, c in customers.items() if c.get("owner") is not None
                 and c["lifecycle"] in ("lead", "opportunity") and cid in latest]
    assert worked_on
    lately = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC) - timedelta(days=22)
    stale = [cid for cid in worked_on if latest[cid] < lately]
    assert len(stale) <= len(worked_on) // 20, stale  # only those whose talk was of a closed deal


def test_workflow_states_are_settled_and_reached_properly(demo):
    """No record sits in an approval's pending state (it would have no running chain),
    and a record in a state has what a transition into it requires."""
    recorder, _ = demo
    for entity, workflow in WORKFLOWS.items():
        transitions = workflow["transitions"]
        pending = {t["pending"] for t in transitions if "pending" in t}
        field = workflow["field"]
        initial = workflow.get("initial")
        seen = set()
        for row in recorder.rows[entity]:
            state = row.get(field, initial)
            seen.add(state)
            assert state not in pending, (entity, row)
            if state == initial:
                continue
            into = [t for t in transitions if state in (t["to"], t.get("rejected"))]
            assert into, (entity, state)
            assert any(
                all(row.get(name) not in (None, "", []) for name in t.get("requires", []))
                for t in into
            ), (entity, state, row)
        assert len(seen) >= 3, (entity, seen)  # the demo shows records along the way


def test_the_sales_chain_adds_up(demo):
    recorder, _ = demo
    rows = {e: dict(zip(recorder.ids[e], recorder.rows[e], strict=True)) for e in ORDER}
    opps, quotes, contracts = rows["opportunity"], rows["quote"], rows["contract"]

    for row in rows["requirement"].values():
        assert opps[row["opportunity"]]["customer"] == row["customer"]
        assert ("approved_at" in row) == (row["status"] == "approved")

    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in rows["quote_line"].values():
        gross = Decimal(line["quantity"]) * Decimal(line["unit_price"])
        totals[line["quote"]] += gross - gross * Decimal(line["discount"]) / 100
    for qid, row in quotes.items():
        assert totals[qid] > 0, row  # every quote has priced lines
        assert opps[row["opportunity"]]["customer"] == row["customer"]
        if row["status"] in ("approved", "sent"):
            assert date.fromisoformat(row["valid_until"]) >= TODAY
            assert opps[row["opportunity"]]["stage"] in ("proposal", "negotiation")
        if row["status"] == "accepted":
            assert opps[row["opportunity"]]["stage"] == "won"
    assert sum(1 for q in quotes.values() if q["status"] == "accepted") == len(
        {q["opportunity"] for q in quotes.values() if q["status"] == "accepted"}
    )

    confirmed: dict[int, Decimal] = defaultdict(Decimal)
    per_contract: dict[int, Decimal] = defaultdict(Decimal)
    for pay in rows["payment"].values():
        assert rows["payment_plan"][pay["plan"]]["contract"] == pay["contract"]
        assert date.fromisoformat(pay["received_on"]) <= TODAY
        if pay["status"] == "confirmed":
            confirmed[pay["plan"]] += Decimal(pay["amount"])
            per_contract[pay["contract"]] += Decimal(pay["amount"])
    planned: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for pid, plan in rows["payment_plan"].items():
        planned[plan["contract"]].append(plan)
        due, got, amount = (
            date.fromisoformat(plan["due_date"]),
            confirmed[pid],
            Decimal(plan["planned_amount"]),
        )
        status = plan["status"]
        if status == "received":
            assert got >= amount and plan["settled_on"]
        elif status == "overdue":
            assert due < TODAY and got < amount
        elif status in ("planned", "partially_received"):
            assert due >= TODAY and got < amount and (got > 0) == (status != "planned")

    for kid, row in contracts.items():
        assert opps[row["opportunity"]]["customer"] == row["customer"]
        if "quote" in row:
            assert Decimal(row["amount"]) == totals[row["quote"]].quantize(Decimal("0.01"))
        if row["status"] in ("active", "completed", "terminated"):
            plans = sorted(planned[kid], key=lambda p: p["instalment"])
            assert sum(Decimal(p["planned_amount"]) for p in plans) == Decimal(row["amount"])
            # the first instalment is the one the workflow plans on approval
            first, start = plans[0], date.fromisoformat(row["start_date"])
            assert date.fromisoformat(first["due_date"]) == start + timedelta(days=30)
            share = Decimal(row["amount"]) * Decimal(row["down_payment_rate"]) / 100
            assert abs(Decimal(first["planned_amount"]) - share) <= Decimal("0.01")
        else:
            assert not planned[kid]
        if row["status"] == "completed":
            assert per_contract[kid] >= Decimal(row["amount"])  # the `complete` guard

    invoices = rows["invoice"]
    reissues = rows["invoice_reissue"]
    for row in invoices.values():
        assert contracts[row["contract"]]["customer"] == row["customer"]
        assert (row["status"] in ("issued", "reissued")) == ("invoice_number" in row)
    replaced = {r["original_invoice"]: r for r in reissues.values() if r["status"] == "done"}
    assert {i for i, r in invoices.items() if r["status"] == "reissued"} == set(replaced)
    for original, request in replaced.items():
        new = invoices[request["new_invoice"]]
        assert new["status"] == "issued" and new["contract"] == invoices[original]["contract"]
        if request["reason"] == "wrong_title":
            assert new["title"] == request["new_title"] != invoices[original]["title"]
    assert {r["reason"] for r in reissues.values()} >= {"wrong_title", "wrong_tax_number"}


def test_service_follows_deals_and_contracts(demo):
    recorder, _ = demo
    rows = {e: dict(zip(recorder.ids[e], recorder.rows[e], strict=True)) for e in ORDER}
    contracts, opps = rows["contract"], rows["opportunity"]
    end = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    for row in rows["service_booking"].values():
        if row["booking_type"] == "deployment":
            assert contracts[row["contract"]]["customer"] == row["customer"]
            assert contracts[row["contract"]]["status"] in ("active", "completed")
        else:
            assert opps[row["opportunity"]]["customer"] == row["customer"]
        assert ("engineer" in row) == (row["status"] in ("confirmed", "done"))
        upcoming = datetime.fromisoformat(row["scheduled_at"]) >= end
        assert upcoming == (row["status"] in ("requested", "confirmed")), row
    for row in rows["delivery"].values():
        assert contracts[row["contract"]]["status"] in ("active", "completed", "terminated")
        if row["status"] == "accepted":
            assert row["delivered_on"] <= row["accepted_on"] < TODAY.isoformat()
    for row in rows["onsite_service"].values():
        assert contracts[row["contract"]]["customer"] == row["customer"]
    for row in rows["ticket"].values():
        assert ("assignee" in row) == (row["status"] != "open")
        if row["status"] in ("resolved", "closed"):
            resolved = datetime.fromisoformat(row["resolved_at"])
            assert datetime.fromisoformat(row["reported_at"]) < resolved < end
        if row["status"] == "closed":
            assert (
                datetime.fromisoformat(row["resolved_at"])
                < datetime.fromisoformat(row["closed_at"])
                < end
            )
        if "contract" in row:
            assert contracts[row["contract"]]["customer"] == row["customer"]


# --- helpers ---------------------------------------------------------------------------


def _check_row(entity: str, row: dict[str, Any], users: list[int], engineers: list[int]) -> None:
    fields = ENTITIES[entity]["fields"]
    stamps = _stamps(entity)
    for name in row:
        assert name in fields, f"{entity}.{name} is not declared"
        assert name not in SYSTEM | RESERVED
        spec = fields[name]
        assert spec["type"] not in ("autonumber", "formula", "rollup"), (
            f"{entity}.{name} is computed"
        )
        assert not spec.get("readonly") or name in stamps, f"{entity}.{name} is readonly"
    for name, spec in fields.items():
        if (
            spec.get("required")
            and "default" not in spec
            and spec["type"] not in ("autonumber", "formula")
        ):
            assert row.get(name) not in (None, ""), f"{entity}.{name} is required: {row}"
    for name, value in row.items():
        people = engineers if (entity, name) in SERVICE_PEOPLE else users
        _check_value(f"{entity}.{name}", fields[name], value, people)


def _check_unique(entity: str, rows: list[dict[str, Any]]) -> None:
    fields = ENTITIES[entity]["fields"]
    for name in [n for n, spec in fields.items() if spec.get("unique")]:
        values = [row[name] for row in rows if name in row]
        assert len(values) == len(set(values)), f"{entity}.{name} repeats a unique value"
    for index in ENTITIES[entity].get("indexes", []):
        if index.get("unique"):
            keys = [tuple(row.get(f) for f in index["fields"]) for row in rows]
            assert len(keys) == len(set(keys)), f"{entity} repeats {index['fields']}"


def _check_value(where: str, spec: dict[str, Any], value: Any, users: list[int]) -> None:
    kind = spec["type"]
    if kind == "user" and value is None:  # unowned on purpose: the pool, potential customers
        return
    assert value is not None, where
    if kind in ("string", "text", "email", "phone", "url"):
        assert isinstance(value, str) and value == value.strip() and value, (where, value)
        limit = spec.get("max_length", 255 if kind != "text" else None)
        if limit:
            assert len(value) <= limit, (where, value)
        if "pattern" in spec:
            assert re.fullmatch(spec["pattern"], value), (where, value)
        regex = {"email": EMAIL, "phone": PHONE, "url": URL}.get(kind)
        if regex:
            assert regex.match(value), (where, value)
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), (where, value)
        _check_bounds(where, spec, value)
    elif kind in ("money", "percent", "decimal"):
        assert isinstance(value, str) and (MONEY if kind == "money" else DECIMAL).match(value)
        number = Decimal(value)
        _check_bounds(where, spec, number)
        if kind == "percent":
            assert 0 <= number <= 100, (where, value)
    elif kind == "boolean":
        assert isinstance(value, bool), (where, value)
    elif kind == "date":
        assert date.fromisoformat(value).isoformat() == value, (where, value)
        if "min" in spec:
            assert value >= str(spec["min"]), (where, value)
    elif kind == "datetime":
        assert datetime.fromisoformat(value).tzinfo is not None, (where, value)
    elif kind == "choice":
        assert value in _options(spec), (where, value)
    elif kind == "multi_choice":
        assert isinstance(value, list) and set(value) <= set(_options(spec)), (where, value)
    elif kind == "user":
        assert value in users, (where, value)
    elif kind in ("reference", "multi_reference"):
        pass  # checked against the returned ids when the row was created
    else:
        pytest.fail(f"{where}: no check for type {kind!r}")


def _check_bounds(where: str, spec: dict[str, Any], number: Any) -> None:
    if "min" in spec:
        assert number >= Decimal(str(spec["min"])), (where, number)
    if "max" in spec:
        assert number <= Decimal(str(spec["max"])), (where, number)


def _options(spec: dict[str, Any]) -> list[str]:
    options = spec["options"]
    if isinstance(options, str):
        return OPTIONSETS[options]
    return [str(o["value"]) if isinstance(o, dict) else str(o) for o in options]


def _cel_context(definition: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The row as docs/definitions.md says expressions see it: numbers as doubles,
    dates as timestamps, empty fields as null."""
    context: dict[str, Any] = {}
    for name, spec in definition["fields"].items():
        value = row.get(name)
        kind = spec["type"]
        if value is None:
            pass
        elif kind in ("money", "percent", "decimal", "integer"):
            value = float(value)
        elif kind == "date":
            d = date.fromisoformat(value)
            value = datetime(d.year, d.month, d.day, tzinfo=UTC)
        elif kind == "datetime":
            value = datetime.fromisoformat(value)
        context[name] = value
    return context
