"""Demo tags, products, customers and their contacts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .source import LIFECYCLE_AGES, Gen, money
from .vocabulary import (
    BRAND_WORDS,
    BUILDINGS,
    CATEGORY_BLURBS,
    CITIES,
    CONTACT_NOTES,
    CUSTOMER_NOTES,
    ENGLISH_GIVEN,
    ENGLISH_WORDS,
    GOVERNMENT_UNITS,
    INDUSTRIES,
    LEGAL_FORMS,
    LIFECYCLES,
    POSITIONS,
    PRODUCTS,
    SHORT_PARTS,
    SOURCE_WEIGHTS,
    SOURCES,
    STREETS,
    TAG_COLORS,
    TAGS,
)


def make_tags(g: Gen, n: int) -> list[dict[str, Any]]:
    names = g.rng.sample(TAGS, n)
    return [{"name": name, "color": g.pick(TAG_COLORS)} for name in names]


def make_products(g: Gen, n: int) -> list[dict[str, Any]]:
    chosen = sorted(g.rng.sample(range(len(PRODUCTS)), min(n, len(PRODUCTS))))
    entries = [PRODUCTS[i] for i in chosen]
    generation = 2
    while len(entries) < n:  # beyond the catalogue: newer generations of the same products
        for name, code, price, unit, cat, spec in PRODUCTS[: n - len(entries)]:
            entries.append(
                (
                    f"{name}（第{generation}代）",
                    f"{code}-G{generation}",
                    round(price * 1.1 ** (generation - 1)),
                    unit,
                    cat,
                    spec,
                )
            )
        generation += 1
    rows = []
    for name, code, price, unit, category, spec in entries:
        row: dict[str, Any] = {
            "name": name,
            "code": code,
            "price": money(price),
            "unit": unit,
            "category": category,
            "specification": spec,
            "description": CATEGORY_BLURBS[category],
            "active": not g.chance(0.08),
        }
        rows.append(row)
    return rows


# --- customers -----------------------------------------------------------------------


class Customer:
    """A generated customer, with what later entities need to stay consistent."""

    def __init__(self, row: dict[str, Any], english: bool, domain: str, short: str) -> None:
        self.row = row
        self.english = english
        self.domain = domain
        self.short = short
        self.id = 0
        self.pos = 0  # index in the customer list, to keep a customer's rows together
        self.since = date.min  # when the customer came in: nothing of theirs is older
        self.contacts: list[int] = []
        self.opportunities: list[tuple[int, date, str]] = []

    @property
    def lifecycle(self) -> str:
        return str(self.row["lifecycle"])

    @property
    def owner(self) -> int | None:
        return self.row.get("owner")


def _company(
    g: Gen, industry: str, city: tuple[Any, ...], taken: set[str]
) -> tuple[str, str, str, bool]:
    """(name, short name, domain, is English) — a company name not yet taken."""
    _province, cname, cpy, _area, districts, _w = city
    _weight, parts, en_suffix = INDUSTRIES[industry]
    for attempt in range(60):
        if industry == "government":
            unit, upy = g.pick(GOVERNMENT_UNITS)
            name, short, domain, english = (
                f"{cname}{unit}",
                f"{cname}{unit[1:]}",
                f"{cpy}{upy}.gov.cn",
                False,
            )
        elif g.chance(0.12):
            word = g.pick(ENGLISH_WORDS)
            legal = g.pick(["Co., Ltd.", f"({cpy.capitalize()}) Co., Ltd.", "China Co., Ltd."])
            name, short, english = f"{word} {en_suffix} {legal}", word, True
            domain = f"{word.lower()}-{en_suffix.lower()}.com"
        else:
            word, wpy = g.pick(BRAND_WORDS)
            part, ppy = g.pick(parts)
            legal = g.weighted(LEGAL_FORMS)
            if g.chance(0.15):
                name = f"{word}{part}（{cname}）{legal}"
            else:
                name = f"{cname}{word}{part}{legal}"
            short = word + SHORT_PARTS.get(part, part[:2])
            domain = g.pick([f"{wpy}{ppy}.com", f"{wpy}-{ppy}.com.cn", f"{cpy}{wpy}.cn"])
            english = False
        if attempt > 40:  # crowded name space (large scales): a branch of the company
            name = f"{name}{g.pick(districts)}分公司"
        if name not in taken:
            taken.add(name)
            return name, short, domain, english
    raise RuntimeError("could not invent a new company name")  # pragma: no cover


def make_customers(g: Gen, n: int, tag_ids: list[int]) -> list[Customer]:
    taken: set[str] = set()
    industries = [(k, v[0]) for k, v in INDUSTRIES.items()]
    out = []
    for _ in range(n):
        city = g.weighted([(c, c[5]) for c in CITIES])
        province, cname, _cpy, area, districts, _w = city
        industry = g.weighted(industries)
        name, short, domain, english = _company(g, industry, city, taken)
        lifecycle = g.weighted(LIFECYCLES)
        revenue = round(g.lognormal(20_000_000, 1.4, 300_000, 50_000_000_000), -4)
        per_head = g.lognormal(600_000, 0.5, 150_000, 5_000_000)
        row: dict[str, Any] = {
            "name": name,
            "short_name": short,
            "industry": industry,
            "lifecycle": lifecycle,
            "province": province,
            "city": cname,
            "address": f"{g.pick(districts)}{g.pick(STREETS)}{g.rng.randint(1, 2000)}号"
            + (f"{g.pick(BUILDINGS)}{g.rng.randint(1, 30)}层" if g.chance(0.6) else ""),
            "annual_revenue": money(revenue),
            "employees": max(3, int(revenue / per_head)),
        }
        if lifecycle != "potential" or g.chance(0.4):
            grade = (
                "A" if revenue > 300e6 else "B" if revenue > 60e6 else "C" if revenue > 8e6 else "D"
            )
            if g.chance(0.15):  # salespeople grade by potential, not only by size
                grade = g.pick(["A", "B", "C", "D"])
            row["grade"] = grade
        stages: dict[str, list[tuple[str | None, int]]] = {
            "potential": [("initial_contact", 3), (None, 7)],
            "lead": [("initial_contact", 6), ("needs_confirmed", 4)],
            "opportunity": [("needs_confirmed", 2), ("proposal", 4), ("negotiation", 4)],
            "customer": [("signed", 1)],
            "public_pool": [("initial_contact", 3), ("needs_confirmed", 2), ("dormant", 5)],
        }
        chosen = g.weighted(stages[lifecycle])
        if chosen:
            row["stage"] = chosen
        row["source"] = (
            "api_import"
            if lifecycle == "potential" and g.chance(0.6)
            else g.rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        )
        # Potential and pool customers have no owner (the field's default would make the
        # demo's creator hold them).
        row["owner"] = g.user() if lifecycle not in ("potential", "public_pool") else None
        if lifecycle == "customer" or g.chance(0.75):
            row["phone"] = (
                f"{area}-{g.rng.randint(2, 8)}{g.rng.randrange(10**7):07d}"
                if g.chance(0.7)
                else g.mobile()
            )
        if g.chance(0.6):
            row["email"] = f"{g.pick(['info', 'sales', 'contact', 'service', 'hr'])}@{domain}"
        if g.chance(0.55):
            row["website"] = f"https://www.{domain}"
        if tag_ids and g.chance(0.55):
            row["tags"] = sorted(g.rng.sample(tag_ids, min(len(tag_ids), g.rng.randint(1, 3))))
        if lifecycle in ("lead", "opportunity", "customer") and g.chance(0.7):
            row["next_followup_date"] = (g.today + timedelta(days=g.rng.randint(1, 30))).isoformat()
        if g.chance(0.25):
            row["description"] = g.pick(CUSTOMER_NOTES)
        out.append(Customer(row, english, domain, short))
        out[-1].pos = len(out) - 1
        out[-1].since = g.came_in(*LIFECYCLE_AGES[lifecycle])
    return out


# --- contacts --------------------------------------------------------------------------


def make_contacts(
    g: Gen, n: int, customers: list[Customer]
) -> tuple[list[dict[str, Any]], list[Customer]]:
    """Rows and, for each row, its customer: every customer gets one first, bigger ones more.
    A contact comes in with its customer or within a month of it."""
    order = customers[:]
    g.rng.shuffle(order)
    owners = order[: min(n, len(order))]
    weights = [{"A": 4, "B": 3, "C": 2}.get(c.row.get("grade", ""), 1) for c in customers]
    owners += g.rng.choices(customers, weights, k=n - len(owners))
    owners.sort(key=lambda c: c.pos)  # a customer's contacts are created together
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for c in owners:
        idx = seen[id(c)] = seen.get(id(c), 0) + 1
        name, spy, gpy = g.person()
        department = g.pick(list(POSITIONS))
        row: dict[str, Any] = {
            "customer": c.id,
            "name": name,
            "department": department,
            "position": g.pick(POSITIONS[department]),
            "is_primary": idx == 1,
        }
        if c.english and g.chance(0.5):
            row["name"] = f"{g.pick(ENGLISH_GIVEN)} {spy.capitalize()}"
        if g.chance(0.9):
            row["mobile"] = g.mobile()
        if g.chance(0.3) and c.row.get("phone", "").count("-") == 1:
            row["phone"] = c.row["phone"]
        if g.chance(0.7):
            local = g.pick([f"{gpy}.{spy}", f"{spy}{gpy}", f"{spy}.{gpy[:1]}", f"{gpy}{spy[:1]}"])
            row["email"] = (
                f"{local}@{c.domain}"
                if g.chance(0.75)
                else f"{spy}{gpy}{g.rng.randint(1, 999)}@{g.pick(['163.com', 'qq.com', '126.com'])}"
            )
        if g.chance(0.6):
            row["wechat"] = (
                f"wxid_{''.join(g.rng.choices('abcdefghijkmnpqrstuvwxyz0123456789', k=14))}"
                if g.chance(0.4)
                else f"{spy}{gpy}_{g.rng.randint(1970, 2002)}"
            )
        if g.chance(0.35):
            row["birthday"] = (
                g.today - timedelta(days=g.rng.randint(25 * 365, 60 * 365))
            ).isoformat()
        if g.chance(0.2):
            row["notes"] = g.pick(CONTACT_NOTES)
        rows.append(row)
    return rows, owners


# --- opportunities -----------------------------------------------------------------------


