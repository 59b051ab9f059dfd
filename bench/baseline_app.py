"""Hand-written Flask + SQLAlchemy Core app: the baseline of bench/api_vs_flask.py.

It serves the same four operations as metacrm's generated API, on the SAME
tables (the ``customer`` table that ``metacrm migrate`` created; its columns are
reflected so that the record keeps up with the definitions), returning the same
JSON representation (every column, decimals as strings, ISO datetimes, the
``tags`` ids): GET /customer/<id>, GET /customer?stage=&grade= (50 per page,
-annual_revenue then -id, keyset cursor), POST /customer, PATCH /customer/<id>
(version bump). Input is validated minimally; no audit trail, no autonumber.
Every request must carry an API token of an active user (``Authorization:
Bearer``), looked up by its SHA-256 digest in metacrm's own token table, as a
hand-written app with token authentication would.

With BASELINE_MINIMAL=1 it does the least a hand-written app can: a token, once
found, is kept in memory (no query per request), and a read asked for
``fields=`` without ``tags`` is one SELECT of those columns.

    BASELINE_DATABASE_URL=sqlite:///x.sqlite gunicorn -w 2 baseline_app:app
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import orjson
import sqlalchemy as sa
from flask import Flask, Response, request

URL = os.environ["BASELINE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
# With BASELINE_GAPFREE_CODE=1 the baseline also gives each customer its gap-free
# code (CUS-000042) from the same counter table, in the inserting transaction,
# as the CRM's definition requires: the same work as metacrm's create, less its
# audit trail.
GAPFREE_CODE = os.environ.get("BASELINE_GAPFREE_CODE") == "1"
MINIMAL = os.environ.get("BASELINE_MINIMAL") == "1"
KNOWN_TOKENS: dict[str, int] = {}
NEXT_CODE = sa.text("INSERT INTO mc_sequences (name, value) VALUES ('customer.code', 1) "
                    "ON CONFLICT (name) DO UPDATE SET value = mc_sequences.value + 1 "
                    "RETURNING value")
GRADES = {"A", "B", "C", "D"}
STAGES = {"initial_contact", "needs_confirmed", "proposal", "negotiation", "signed"}
LIFECYCLES = {"potential", "lead", "opportunity", "customer", "public_pool"}
WRITABLE = {"name": str, "short_name": str, "phone": str, "email": str, "city": str,
            "province": str, "address": str, "stage": STAGES, "grade": GRADES,
            "lifecycle": LIFECYCLES, "annual_revenue": Decimal, "employees": int}

md = sa.MetaData()
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)
tag = sa.Table("tag", md, sa.Column("id", ID, primary_key=True), sa.Column("deleted_at", TZ))
tags = sa.Table("customer__tags", md, sa.Column("source_id", ID), sa.Column("target_id", ID))

if URL.startswith("sqlite"):
    engine = sa.create_engine(URL, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi, _record):
        dbapi.isolation_level = None
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            dbapi.execute(f"PRAGMA {pragma}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write")
                             else "BEGIN")
else:
    engine = sa.create_engine(URL)
writer = engine.execution_options(write=True)
# The columns are read from the database (they follow the YAML definitions,
# which other people change), so the record has the same fields as metacrm's.
class Cents(sa.types.TypeDecorator):
    """SQLite keeps exact amounts as whole minor units (metacrm's MINOR_UNITS columns)."""

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value, dialect):
        return None if value is None else int(Decimal(value).scaleb(self.scale))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).scaleb(-self.scale)


def _minor_unit_columns() -> list[sa.Column]:
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        declared = conn.exec_driver_sql("PRAGMA table_info(customer)").all()
    return [sa.Column(row[1], Cents(int(row[2].split(",")[1].strip(" )"))))
            for row in declared if str(row[2]).startswith("MINOR_UNITS")]


customer = sa.Table("customer", md, *_minor_unit_columns(), autoload_with=engine)
COLUMNS = [c for c in customer.c if c.name != "deleted_at"]
QUANTUM = {c.name: Decimal(1).scaleb(-(getattr(c.type, "scale", 0) or 0)) for c in COLUMNS
           if isinstance(c.type, (sa.Numeric, Cents)) and not isinstance(c.type, sa.Float)}
app = Flask("baseline")
tokens = sa.Table("mc_tokens", md, autoload_with=engine)
users = sa.Table("mc_users", md, autoload_with=engine)
TOKEN_USER = (sa.select(users.c.id).join(tokens, tokens.c.user_id == users.c.id)
              .where(tokens.c.digest == sa.bindparam("digest"), tokens.c.revoked_at.is_(None),
                     users.c.active.is_(True)))


@app.before_request
def authenticate():
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if MINIMAL and token in KNOWN_TOKENS:
            return None
        with engine.connect() as conn:
            found = conn.execute(TOKEN_USER, {
                "digest": hashlib.sha256(token.encode()).hexdigest()}).first()
        if found is not None:
            KNOWN_TOKENS[token] = found[0]
            return None
    return reply({"errors": {"Authorization": ["Not signed in."]}}, 401)


def selected() -> tuple[list, bool]:
    """The columns a read answers (``fields=``, id always) and whether tags are among them."""
    if "fields" not in request.args:
        return COLUMNS, True
    names = set(request.args["fields"].split(",")) | {"id"}
    return [c for c in COLUMNS if c.name in names], "tags" in names


def as_json(row) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)
                     ).astimezone(UTC).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value.quantize(QUANTUM[key]))
        out[str(key)] = value
    return out


def with_tags(conn, records: list[dict]) -> list[dict]:
    ids = [r["id"] for r in records]
    found: dict[int, list[int]] = {}
    if ids:
        for source, target in conn.execute(
                sa.select(tags.c.source_id, tags.c.target_id)
                .join(tag, tag.c.id == tags.c.target_id)
                .where(tags.c.source_id.in_(ids), tag.c.deleted_at.is_(None))
                .order_by(tags.c.source_id, tags.c.target_id)):
            found.setdefault(source, []).append(target)
    for record in records:
        record["tags"] = found.get(record["id"], [])
    return records


def reply(body, status=200) -> Response:
    response = Response(orjson.dumps(body), status=status, mimetype="application/json")
    if status < 300 and "version" in body:
        response.headers["ETag"] = f'"{body["version"]}"'
    return response


def read_body(creating: bool) -> tuple[dict, dict]:
    try:
        body = orjson.loads(request.get_data())
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return {}, {"_request": ["Expected a JSON object."]}
    values, errors = {}, {}
    for key, value in body.items():
        kind = WRITABLE.get(key)
        if kind is None:
            errors[key] = ["Unknown field."]
        elif value is None:
            values[key] = None
        elif isinstance(kind, set):
            if value in kind:
                values[key] = value
            else:
                errors[key] = [f"Must be one of: {', '.join(sorted(kind))}."]
        elif kind is Decimal:
            try:
                number = Decimal(str(value))
                if not number.is_finite() or number < 0:
                    raise InvalidOperation
                values[key] = number
            except InvalidOperation:
                errors[key] = ["Not a valid amount."]
        elif isinstance(value, kind) and not isinstance(value, bool):
            values[key] = value
        else:
            errors[key] = [f"Not a valid {kind.__name__}."]
    if isinstance(values.get("name"), str) and len(values["name"]) > 200:
        errors["name"] = ["Longer than 200 characters."]
    if (creating and not values.get("name")) or ("name" in values and not values["name"]):
        errors["name"] = ["Missing data for required field."]
    return values, errors


@app.get("/customer/<int:record_id>")
def get_customer(record_id: int):
    columns, tagged = selected()
    with engine.connect() as conn:
        row = conn.execute(sa.select(*columns).where(
            customer.c.id == record_id, customer.c.deleted_at.is_(None))).mappings().first()
        if row is None:
            return reply({"errors": {"id": ["Not found."]}}, 404)
        record = as_json(row)
        return reply(with_tags(conn, [record])[0] if tagged else record)


@app.get("/customer")
def list_customers():
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
    except ValueError:
        return reply({"errors": {"limit": ["Not a number."]}}, 400)
    columns, tagged = selected()
    query = sa.select(*columns).where(customer.c.deleted_at.is_(None))
    for name, allowed in (("stage", STAGES), ("grade", GRADES)):
        if name in request.args:
            if request.args[name] not in allowed:
                return reply({"errors": {name: ["Unknown value."]}}, 400)
            query = query.where(customer.c[name] == request.args[name])
    if "cursor" in request.args:
        revenue, last_id = orjson.loads(base64.urlsafe_b64decode(request.args["cursor"]))
        query = query.where(sa.or_(customer.c.annual_revenue < Decimal(revenue), sa.and_(
            customer.c.annual_revenue == Decimal(revenue), customer.c.id < last_id)))
    query = query.order_by(customer.c.annual_revenue.desc().nulls_first(),
                           customer.c.id.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = [as_json(r) for r in conn.execute(query).mappings()]
        items = with_tags(conn, rows[:limit]) if tagged else rows[:limit]
    cursor = None
    if len(rows) > limit:
        cursor = base64.urlsafe_b64encode(orjson.dumps(
            [items[-1]["annual_revenue"], items[-1]["id"]])).decode()
    return reply({"items": items, "next_cursor": cursor})


@app.post("/customer")
def create_customer():
    values, errors = read_body(creating=True)
    if errors:
        return reply({"errors": errors}, 422)
    now = datetime.now(UTC)
    values.setdefault("lifecycle", "potential")
    values.update(version=1, created_at=now, updated_at=now, created_by=1, updated_by=1)
    with writer.begin() as conn:
        if GAPFREE_CODE:
            values["code"] = f"CUS-{conn.execute(NEXT_CODE).scalar_one():06d}"
        row = conn.execute(customer.insert().values(**values).returning(*COLUMNS)
                           ).mappings().one()
        return reply(with_tags(conn, [as_json(row)])[0], 201)


@app.patch("/customer/<int:record_id>")
def update_customer(record_id: int):
    values, errors = read_body(creating=False)
    if errors:
        return reply({"errors": errors}, 422)
    values.update(version=customer.c.version + 1, updated_at=datetime.now(UTC),
                  updated_by=1)
    with writer.begin() as conn:
        row = conn.execute(customer.update().where(
            customer.c.id == record_id, customer.c.deleted_at.is_(None)
        ).values(**values).returning(*COLUMNS)).mappings().first()
        if row is None:
            return reply({"errors": {"id": ["Not found."]}}, 404)
        return reply(with_tags(conn, [as_json(row)])[0])
