"""Hand-written Flask + psycopg app: the baseline of bench/approvals_pg.py.

The least a hand-written app does to approve a step of metacrm's two-step chains,
on the SAME tables (``mc_approvals``, ``mc_approval_tasks``, ``mc_audit`` and the
record's table, which ``metacrm migrate`` created and metacrm's submit filled):

    POST /api/approvals/<id>/approve   (Authorization: Bearer <token>)

in one transaction: lock the chain's row, settle the current step's pending tasks
(the caller's approved, the others skipped; 403 if the caller has no pending task
there, 409 if the chain is not pending), then either move the chain to its next
step and give that step's approvers their tasks, or finish the chain and set the
record's state (the workflow's field to ``BASELINE_APPROVED_STATE``, the transition's
``set: {approved_at: now}``, version, updated_at/by), and write one audit row.
No timeline events, no notifications, no delegations, no record title: what
metacrm does on top is listed in bench/README.md.

A token is looked up once by its SHA-256 digest in metacrm's token table and then
kept in memory. One psycopg connection per thread, fixed SQL text (psycopg prepares
it after a few uses), no ORM and no SQLAlchemy.

    BASELINE_DATABASE_URL=postgresql://... gunicorn -w 2 -k gthread --threads 4 \
        approvals_baseline_app:app
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime

import orjson
import psycopg
from flask import Flask, Response, request
from psycopg.types.json import Jsonb

URL = os.environ["BASELINE_DATABASE_URL"]
ENTITY = os.environ.get("BASELINE_ENTITY", "deal")
STATE_FIELD = os.environ.get("BASELINE_STATE_FIELD", "status")
APPROVED_STATE = os.environ.get("BASELINE_APPROVED_STATE", "approved")
STAMP_FIELD = os.environ.get("BASELINE_STAMP_FIELD", "approved_at")

KNOWN_TOKENS: dict[str, int] = {}
_local = threading.local()

TOKEN = ("SELECT t.user_id FROM mc_tokens t JOIN mc_users u ON u.id = t.user_id "
         "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.active")
LOCK = "SELECT state, current, steps, record_id FROM mc_approvals WHERE id = %s FOR UPDATE"
# The caller's pending task of the step and every other one settled in one statement;
# no row of the caller's among those returned: not their step (nothing changed).
SETTLE = ("UPDATE mc_approval_tasks SET decided_at = %(now)s, "
          "state = CASE WHEN user_id = %(me)s THEN 'approved' ELSE 'skipped' END "
          "WHERE approval_id = %(chain)s AND step_index = %(step)s AND state = 'pending' "
          "AND EXISTS (SELECT 1 FROM mc_approval_tasks m WHERE m.approval_id = %(chain)s "
          "AND m.step_index = %(step)s AND m.state = 'pending' AND m.user_id = %(me)s)")
NEXT = "UPDATE mc_approvals SET current = %s, version = version + 1 WHERE id = %s"
TASKS = ("INSERT INTO mc_approval_tasks (approval_id, step, step_index, user_id, state, "
         "created_at) SELECT %s, %s, %s, unnest(%s::bigint[]), 'pending', %s")
FINISH = ("UPDATE mc_approvals SET state = 'approved', finished_at = %s, "
          "version = version + 1 WHERE id = %s")
RECORD = (f'UPDATE "{ENTITY}" SET "{STATE_FIELD}" = %(state)s, "{STAMP_FIELD}" = %(now)s, '
          "version = version + 1, updated_at = %(now)s, updated_by = %(me)s "
          "WHERE id = %(id)s")
AUDIT = ("INSERT INTO mc_audit (entity, record_id, action, user_id, at, changes, note) "
         "VALUES (%s, %s, 'approve', %s, %s, %s, %s)")

app = Flask(__name__)


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(URL)
    return conn


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def _caller(conn: psycopg.Connection) -> int | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = KNOWN_TOKENS.get(token)
    if found is None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = conn.execute(TOKEN, (digest,)).fetchone()
        conn.rollback()
        if row is None:
            return None
        found = KNOWN_TOKENS[token] = row[0]
    return found


@app.post("/api/approvals/<int:chain>/approve")
def approve(chain: int) -> Response:
    conn = _connection()
    me = _caller(conn)
    if me is None:
        return _json({"error": "unauthorized"}, 401)
    now = datetime.now(UTC)
    with conn.transaction():
        row = conn.execute(LOCK, (chain,)).fetchone()
        if row is None:
            return _json({"error": "not found"}, 404)
        state, step, steps, record_id = row
        if state != "pending":
            return _json({"error": f"chain is {state}"}, 409)
        settled = conn.execute(SETTLE, {"now": now, "me": me, "chain": chain, "step": step})
        if not settled.rowcount:
            return _json({"error": "not your step"}, 403)
        following = step + 1
        if following < len(steps):
            conn.execute(NEXT, (following, chain))
            conn.execute(TASKS, (chain, steps[following]["name"], following,
                                 steps[following]["approvers"], now))
            answer = {"id": chain, "state": "pending", "current": following}
        else:
            conn.execute(FINISH, (now, chain))
            conn.execute(RECORD, {"state": APPROVED_STATE, "now": now, "me": me,
                                  "id": record_id})
            answer = {"id": chain, "state": "approved", "current": step}
        conn.execute(AUDIT, (ENTITY, record_id, me, now, Jsonb({}), steps[step]["name"]))
    return _json(answer)
