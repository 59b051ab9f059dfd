"""Demo opportunities and follow-up activities, consistent with each customer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .accounts import Customer
from .source import Gen, money
from .vocabulary import (
    ACTIVITY_TYPES,
    COMPETITORS,
    DEAL_FORMS,
    DEAL_THEMES,
    ENGLISH_REACTIONS,
    ENGLISH_SUBJECTS,
    ENGLISH_TOPICS,
    HISTORY_DAYS,
    LOSS_CATEGORIES,
    LOST_REASONS,
    NEEDS,
    NEXT_STEPS,
    OPEN_STAGES,
    OUTCOMES,
    REACTIONS,
    SOURCE_WEIGHTS,
    SOURCES,
    SUBJECTS,
    TOPICS,
)


def make_opportunities(
    g: Gen, n: int, customers: list[Customer]
) -> tuple[list[dict[str, Any]], list[tuple[Customer, date, str]], list[date]]:
    """Won deals belong to signed customers, open ones to customers in negotiation; the
    third list says when each came in: after its customer, a sales cycle before a
    closed one's close, within the last half year for an open one."""
    first = [c for c in customers if c.lifecycle in ("customer", "opportunity")]
    g.rng.shuffle(first)
    plan: list[tuple[Customer, str]] = []
    for c in first[:n]:
        plan.append((c, "won" if c.lifecycle == "customer" else "open"))
    extra_pool = (
        [(c, 6) for c in customers if c.lifecycle == "customer"]
        + [(c, 4) for c in customers if c.lifecycle == "opportunity"]
        + [(c, 1) for c in customers if c.lifecycle == "public_pool"]
    )
    if not extra_pool:  # a tiny scale without any deal-stage customer
        extra_pool = [(c, 1) for c in customers]
    while len(plan) < n:
        c = g.weighted(extra_pool)
        kinds = {
            "customer": [("won", 5), ("lost", 2), ("open", 3)],
            "opportunity": [("open", 1), ("lost", 1)],
        }.get(c.lifecycle, [("lost", 1)])
        plan.append((c, g.weighted(kinds)))
    plan.sort(key=lambda p: p[0].pos)
    rows: list[dict[str, Any]] = []
    owners: list[tuple[Customer, date, str]] = []
    came_in: list[date] = []
    for c, kind in plan:
        theme, en_theme = g.pick(DEAL_THEMES)
        if kind == "open":
            stage, probability = _open_stage(g, c)
            # from tomorrow: the engine's `today` is the UTC date, which may be ahead of ours
            close = g.today + timedelta(days=g.rng.randint(1, 180))
        else:
            stage, probability = kind, (100 if kind == "won" else 0)
            close = g.days_ago(1, HISTORY_DAYS)
            # not before its customer came in (and a sales cycle after, where there is room)
            close = max(close, min(c.since + timedelta(days=30), g.today - timedelta(days=1)))
        year = close.year
        name = (
            f"{c.short} {en_theme} {year}"
            if c.english
            else c.short + g.pick(DEAL_FORMS).format(t=theme, y=year)
        )
        grade_factor = {"A": 4.0, "B": 2.0, "C": 1.0, "D": 0.5}.get(c.row.get("grade", ""), 1.0)
        amount = round(g.lognormal(80_000 * grade_factor, 1.1, 2_000, 30_000_000), -2)
        row: dict[str, Any] = {
            "name": name[:200],
            "customer": c.id,
            "amount": money(amount),
            "stage": stage,
            "probability": money(probability),
            "expected_close": close.isoformat(),
            "source": c.row["source"]
            if g.chance(0.8)
            else g.rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
        }
        owner = c.owner if c.owner is not None else g.user()
        if owner is not None:
            row["owner"] = owner
        if c.contacts and g.chance(0.85):
            row["contact"] = c.contacts[0] if g.chance(0.6) else g.pick(c.contacts)
        if g.chance(0.4):
            row["competitor"] = g.pick(COMPETITORS)
        # a deal reaches the proposal stage with its needs recorded (the workflow's
        # `propose` transition requires them)
        if g.chance(0.7) or stage in ("proposal", "negotiation", "won"):
            row["needs"] = g.pick(NEEDS).format(
                t=theme, e=en_theme, y=year, n=g.pick([10, 20, 50, 80, 120, 300])
            )
        elif amount >= 1_000_000:
            # and so does a large one (the layout's required_if); picked without the
            # random stream, so the rest of the demo data stays as it was
            row["needs"] = NEEDS[len(rows) % len(NEEDS)].format(
                t=theme, e=en_theme, y=year, n=120)
        if stage == "lost":
            row["lost_reason"] = g.pick(LOST_REASONS)
            row["loss_category"] = LOSS_CATEGORIES[row["lost_reason"]]
        rows.append(row)
        owners.append((c, close, stage))
        opened = (close - timedelta(days=g.history.randint(14, 150)) if kind != "open"
                  else g.came_in(1, 180))
        came_in.append(max(opened, c.since))
    return rows, owners, came_in


def _open_stage(g: Gen, c: Customer) -> tuple[str, int]:
    by_customer_stage = {
        "needs_confirmed": ["qualify", "needs_analysis"],
        "proposal": ["proposal"],
        "negotiation": ["negotiation"],
    }
    choices = by_customer_stage.get(c.row.get("stage", ""), [s for s, _ in OPEN_STAGES])
    stage = g.pick(choices)
    probability = dict(OPEN_STAGES)[stage]
    return stage, min(95, max(5, probability + g.pick([-10, -5, 0, 0, 0, 5, 10])))


# --- activities ---------------------------------------------------------------------------


def make_activities(g: Gen, n: int, customers: list[Customer]) -> list[dict[str, Any]]:
    weight = {"customer": 30, "opportunity": 40, "lead": 20, "public_pool": 7, "potential": 2}
    picked = g.rng.choices(customers, [weight[c.lifecycle] for c in customers], k=n)
    picked.sort(key=lambda c: c.pos)
    rows = []
    for c in picked:
        kind = g.weighted(ACTIVITY_TYPES)
        row: dict[str, Any] = {"customer": c.id, "type": kind}
        opp = g.pick(c.opportunities) if c.opportunities and g.chance(0.5) else None
        if opp is not None:
            oid, close, stage = opp
            row["opportunity"] = oid
            if stage in ("won", "lost"):  # talked about before it closed
                day = close - timedelta(days=g.rng.randint(0, 90))
            else:
                day = g.days_ago(1, 90)
        elif c.lifecycle == "public_pool":  # back in the pool: nobody followed it up lately
            day = g.days_ago(90, HISTORY_DAYS)
        else:
            day = g.days_ago(1, HISTORY_DAYS)
        day = max(day, g.today - timedelta(days=HISTORY_DAYS), c.since)
        row["occurred_at"] = g.work_time(day)
        outcome = g.weighted(OUTCOMES)
        if opp is not None and opp[2] == "won" and g.chance(0.3):
            outcome = "deal_closed"
        row["outcome"] = outcome
        if c.english:
            row["subject"] = ENGLISH_SUBJECTS[kind].format(x=g.pick(ENGLISH_TOPICS))
        else:
            row["subject"] = SUBJECTS[kind].format(x=g.pick(TOPICS))
        if c.contacts and g.chance(0.8):
            row["contact"] = g.pick(c.contacts)
        row["content"] = (
            f"{row['subject']}. {ENGLISH_REACTIONS[outcome]}"
            if c.english
            else f"{row['subject']}。{REACTIONS[outcome]}"
        )
        owner = c.owner if c.owner is not None else g.user()
        if owner is not None:
            row["owner"] = owner
        if outcome in ("interested", "needs_followup") and g.chance(0.7):
            row["next_step"] = g.pick(NEXT_STEPS)
            row["next_followup_date"] = (day + timedelta(days=g.rng.randint(2, 14))).isoformat()
        rows.append(row)
    _followed_up_lately(g, picked, rows)
    return rows


def _followed_up_lately(g: Gen, customers: list[Customer], rows: list[dict[str, Any]]) -> None:
    """A customer someone holds and is still working on was followed up within the
    pool's 30 idle days (else the pool would take it back): its latest follow-up is
    moved into the last three weeks where it is older."""
    latest: dict[int, int] = {}
    for index, (c, row) in enumerate(zip(customers, rows, strict=True)):
        if c.owner is None or c.lifecycle not in ("lead", "opportunity"):
            continue
        closed = {oid for oid, _close, stage in c.opportunities if stage in ("won", "lost")}
        if row.get("opportunity") in closed:  # talked about before it closed: stays so
            continue
        if c.pos not in latest or row["occurred_at"] > rows[latest[c.pos]]["occurred_at"]:
            latest[c.pos] = index
    recent = g.today - timedelta(days=21)
    for index in latest.values():
        row = rows[index]
        day = datetime.fromisoformat(row["occurred_at"]).date()
        if day < recent:
            day = g.came_in(1, 21)
            row["occurred_at"] = g.work_time(day)
            if "next_followup_date" in row:
                row["next_followup_date"] = (day + timedelta(days=7)).isoformat()
