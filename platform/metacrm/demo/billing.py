"""Demo records of collection and invoicing (回款、开票): the payment plans of approved
contracts, the payments that settled them, invoices and reissue requests.

States agree with the figures the workflows' guards check: an instalment is
``received`` only when its confirmed payments cover it, ``overdue`` only past its
due date; a ``completed`` contract is fully collected; a voided (``reissued``)
invoice has a finished reissue request naming its replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .accounts import Customer
from .chain import cents, in_past
from .chain_words import (
    BANKS,
    PAYMENT_METHODS,
    PAYMENT_REJECTIONS,
    REISSUE_DETAILS,
    REISSUE_REASONS,
)
from .contracts import SIGNED, Contract
from .source import Gen, money


@dataclass
class Plan:
    contract: Contract
    row: dict[str, Any]
    amount: Decimal
    due: date
    paid: list[tuple[Decimal, date]]  # confirmed payments: amount, day
    id: int = 0

    @property
    def status(self) -> str:
        return str(self.row["status"])


# --- payment plans and payments -------------------------------------------------------


def make_plans(g: Gen, contracts: list[Contract]) -> list[Plan]:
    """The instalments of every approved contract, with the payments that settled them."""
    plans = []
    for contract in contracts:
        if contract.status not in SIGNED:
            continue
        span = max(60, (contract.end - contract.start).days)
        count = len(contract.schedule)
        given = Decimal(0)
        for i, (name, percent) in enumerate(contract.schedule):
            due = contract.start + timedelta(days=30 + round(i * (span - 30) / count))
            amount = (
                contract.amount - given
                if i == count - 1
                else cents(contract.amount * percent / 100)
            )
            given += amount
            plan = Plan(
                contract,
                {
                    "contract": contract.id,
                    "instalment": i + 1,
                    "name": name,
                    "due_date": due.isoformat(),
                    "planned_amount": money(float(amount)),
                },
                amount,
                due,
                [],
            )
            _collect(g, plan, i)
            plans.append(plan)
    return plans


def _collect(g: Gen, plan: Plan, index: int) -> None:
    """Choose how much of the instalment was received, when, and its status."""
    contract, due, today = plan.contract, plan.due, g.today
    if contract.status == "completed":
        outcome = "full"
    elif contract.status == "terminated":
        outcome = "full" if index == 0 or due < today - timedelta(days=30) else "cancelled"
    elif due < today:
        outcome = g.weighted([("full", 75), ("part", 10), ("none", 15)])
    else:
        outcome = g.weighted([("full", 8), ("part", 4), ("none", 88)])
    earliest = contract.start
    if outcome == "full":
        if g.chance(0.15) and plan.amount > 100:
            first = cents(plan.amount * Decimal(g.rng.randint(40, 60)) / 100)
            day1 = _pay_day(g, due, earliest)
            day2 = max(day1, _pay_day(g, due + timedelta(days=g.rng.randint(5, 40)), earliest))
            plan.paid = [(first, day1), (plan.amount - first, day2)]
        else:
            plan.paid = [(plan.amount, _pay_day(g, due, earliest))]
        plan.row["status"] = "received"
        plan.row["settled_on"] = max(day for _, day in plan.paid).isoformat()
    elif outcome == "part":
        part = cents(plan.amount * Decimal(g.rng.randint(30, 70)) / 100)
        plan.paid = [(part, _pay_day(g, min(due, today), earliest))]
        plan.row["status"] = "overdue" if due < today else "partially_received"
    elif outcome == "cancelled":
        plan.row["status"] = "cancelled"
        plan.row["notes"] = "合同提前终止，本期不再收取"
    else:
        plan.row["status"] = "overdue" if due < today else "planned"


def _pay_day(g: Gen, around: date, earliest: date) -> date:
    day = around + timedelta(days=g.rng.randint(-15, 20))
    return in_past(g, max(day, earliest))


def make_payments(g: Gen, plans: list[Plan]) -> list[dict[str, Any]]:
    """Confirmed payments for what the plans received, plus a few recorded but not yet
    submitted to finance, or sent back by it."""
    rows = []
    for plan in plans:
        contract = plan.contract
        for amount, day in plan.paid:
            row = _payment(g, plan, amount, day, "confirmed")
            confirmed = max(day, in_past(g, day + timedelta(days=g.rng.randint(0, 2))))
            row["confirmed_at"] = g.work_time(confirmed)
            rows.append(row)
        if (
            contract.status == "active"
            and plan.status in ("planned", "overdue", "partially_received")
            and plan.due < g.today + timedelta(days=30)
            and g.chance(0.15)
        ):
            outstanding = plan.amount - sum((a for a, _ in plan.paid), Decimal(0))
            status = g.weighted([("draft", 7), ("rejected", 3)])
            day = max(contract.start, g.today - timedelta(days=g.rng.randint(1, 6)))
            row = _payment(g, plan, outstanding, min(day, g.today), status)
            if status == "rejected":
                row["notes"] = g.pick(PAYMENT_REJECTIONS)
            rows.append(row)
    return rows


def _payment(g: Gen, plan: Plan, amount: Decimal, day: date, status: str) -> dict[str, Any]:
    customer = plan.contract.deal.customer
    method = g.weighted(PAYMENT_METHODS)
    row: dict[str, Any] = {
        "contract": plan.contract.id,
        "plan": plan.id,
        "amount": money(float(amount)),
        "received_on": day.isoformat(),
        "method": method,
        "payer": str(customer.row["name"])[:200],
        "status": status,
    }
    if method == "bank_transfer" and g.chance(0.8):
        row["bank_reference"] = "".join(g.rng.choices("0123456789", k=g.rng.randint(16, 20)))
    if method == "acceptance_bill":
        row["bill_due_on"] = (day + timedelta(days=180)).isoformat()
    return row


# --- invoices and reissues --------------------------------------------------------------


@dataclass
class Invoice:
    contract: Contract
    row: dict[str, Any]
    id: int = 0


@dataclass
class Reissue:
    original: Invoice
    row: dict[str, Any]
    replacement: Invoice | None = None


def make_invoices(g: Gen, plans: list[Plan]) -> list[Invoice]:
    """An invoice for most received instalments (款到开票), and a few issued or requested
    before the customer pays (先票后款)."""
    invoices = []
    for plan in plans:
        settled = plan.row.get("settled_on")
        if plan.status == "received" and settled and g.chance(0.85):
            paid = date.fromisoformat(settled)
            recent = paid > g.today - timedelta(days=20)
            status = (
                g.weighted([("issued", 50), ("approved", 25), ("draft", 20), ("rejected", 5)])
                if recent
                else "issued"
            )
            invoices.append(_invoice(g, plan, status, paid, before_payment=False))
        elif (
            plan.status in ("planned", "overdue", "partially_received")
            and abs((plan.due - g.today).days) <= 30
            and g.chance(0.12)
        ):
            status = g.weighted([("issued", 5), ("draft", 3), ("rejected", 2)])
            day = plan.due - timedelta(days=g.rng.randint(0, 10))
            invoices.append(_invoice(g, plan, status, day, before_payment=True))
    return invoices


def _invoice(g: Gen, plan: Plan, status: str, around: date, *, before_payment: bool) -> Invoice:
    contract = plan.contract
    c = contract.deal.customer
    special = c.row.get("industry") != "government" and g.chance(0.7)
    electronic = g.chance(0.8)
    row: dict[str, Any] = {
        "contract": contract.id,
        "customer": c.id,
        "title": str(c.row["name"])[:200],
        "invoice_type": "vat_special" if special else "vat_normal",
        "amount": money(float(plan.amount)),
        "tax_rate": money(13 if contract.kind in ("sales", "framework") else 6),
        "before_payment": before_payment,
        "delivery": "electronic" if electronic else "paper",
        "status": status,
    }
    if contract.deal.owner is not None:
        row["applicant"] = contract.deal.owner
    if special or g.chance(0.8):
        row["tax_number"] = tax_number(g)
    if special or g.chance(0.2):
        _buyer_details(g, c, row)
    if electronic:
        row["receiver_email"] = c.row.get("email") or f"finance@{c.domain}"
    if g.chance(0.3):
        row["notes"] = f"{plan.row['name']}（第{plan.row['instalment']}期）"
    if status == "issued":
        _issue(g, row, around)
    return Invoice(contract, row)


def _buyer_details(g: Gen, c: Customer, row: dict[str, Any]) -> None:
    phone = c.row.get("phone") or f"400-{g.rng.randint(100, 999)}-{g.rng.randint(1000, 9999)}"
    row["address_phone"] = f"{c.row['city']}{c.row['address']} {phone}"[:200]
    account = "".join(g.rng.choices("0123456789", k=19))
    row["bank_account"] = f"{g.pick(BANKS)}{c.row['city']}分行 {account}"[:200]


def _issue(g: Gen, row: dict[str, Any], around: date) -> None:
    day = in_past(g, around + timedelta(days=g.rng.randint(0, 7)))
    row["issued_on"] = day.isoformat()
    digits = 20 if row["delivery"] == "electronic" else 8
    row["invoice_number"] = "".join(g.rng.choices("0123456789", k=digits))


def tax_number(g: Gen) -> str:
    """A unified social credit code: 18 digits and capital letters."""
    return "91" + "".join(g.rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=16))


def make_reissues(g: Gen, n: int, invoices: list[Invoice]) -> list[Reissue]:
    """Reissue requests for issued invoices. A finished one voided its original
    (``reissued``) and names the replacement, appended to ``invoices``."""
    issued = [inv for inv in invoices if inv.row["status"] == "issued"]
    chosen = g.rng.sample(issued, min(n, len(issued)))
    chosen.sort(key=lambda inv: invoices.index(inv))
    reissues = []
    for original in chosen:
        reason = g.weighted(REISSUE_REASONS)
        if reason == "change_type" and original.row["invoice_type"] != "vat_normal":
            reason = "wrong_title"
        status = g.weighted([("done", 55), ("approved", 15), ("draft", 15), ("rejected", 15)])
        row: dict[str, Any] = {
            "reason": reason,
            "reason_detail": REISSUE_DETAILS[reason],
            "status": status,
        }
        if "applicant" in original.row:
            row["applicant"] = original.row["applicant"]
        correct = dict(original.row)
        _mistake(g, reason, original, correct, row)
        reissue = Reissue(original, row)
        if status == "done":
            original.row["status"] = "reissued"
            correct["status"] = "issued"
            _issue(
                g,
                correct,
                date.fromisoformat(original.row["issued_on"])
                + timedelta(days=g.rng.randint(3, 20)),
            )
            reissue.replacement = Invoice(original.contract, correct)
            invoices.append(reissue.replacement)
        reissues.append(reissue)
    return reissues


def _mistake(
    g: Gen, reason: str, original: Invoice, correct: dict[str, Any], request: dict[str, Any]
) -> None:
    """Make the original invoice wrong the way ``reason`` says; ``correct`` (the
    replacement) and the request get the right values."""
    wrong = original.row
    if reason == "wrong_title":
        title = str(correct["title"])
        wrong["title"] = (
            title.replace("有限公司", "公司", 1) if "有限公司" in title else f"{title} Ltd"
        )[:200]
        request["new_title"] = title
    elif reason == "wrong_tax_number":
        right = correct.get("tax_number") or tax_number(g)
        correct["tax_number"] = request["new_tax_number"] = right
        last = "0" if right[-1] != "0" else "1"  # one mistyped character
        wrong["tax_number"] = right[:-1] + last
    elif reason == "wrong_amount":
        share = Decimal(g.pick(["0.5", "0.6", "0.8"]))
        correct["amount"] = request["new_amount"] = money(
            float(cents(Decimal(str(wrong["amount"])) * share))
        )
    elif reason == "change_type":
        correct["invoice_type"] = request["new_invoice_type"] = "vat_special"
        correct.setdefault("tax_number", tax_number(g))
        if "address_phone" not in correct or "bank_account" not in correct:
            _buyer_details(g, original.contract.deal.customer, correct)
