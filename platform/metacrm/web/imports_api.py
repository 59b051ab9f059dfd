"""REST endpoints for imports (see docs/import.md): ``POST /api/<entity>/imports``
(a file and options) starts one as a job and answers its id; ``GET`` it for
progress and results, its rows, its failed rows as CSV; revert or resume it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from ..base.context import Context
from ..base.problems import Conflict, Forbidden, Invalid, NotFound, Problem
from ..imports.jobs import dispatch_import, prepare_import
from ..imports.mapping import ColumnMapping
from ..imports.reading import XLSX_SUFFIXES
from ..imports.revert import failed_rows_csv, revert_import
from ..imports.store import ACTIONS, MODES, ImportOptions, log_rows, read_import, shown
from ..platform import Platform
from .auth import current_context
from .requests import entity_model, platform

imports_api = Blueprint("metacrm_imports", __name__, url_prefix="/api")
FAILED_SHOWN = 100


def save_upload(plat: Platform, upload: Any) -> tuple[Path, str]:
    """Keep an uploaded file under the instance folder, where a worker (or a resumed
    run) finds it; its path and the name it was sent with."""
    name = Path(upload.filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    folder = Path(plat.settings.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    kept = suffix if suffix in (*XLSX_SUFFIXES, ".csv", ".txt", ".tsv") else ""
    path = folder / f"{uuid.uuid4().hex}{kept}"
    upload.save(path)
    return path, name


def options_of(form: Any, ctx: Context) -> tuple[ImportOptions, ColumnMapping | None]:
    """The form's ``mode``, ``match`` (comma-separated), ``dry_run`` and ``mapping``
    (JSON: ``{"columns": {...}, "defaults": {...}}``)."""
    mapping = None
    if form.get("mapping"):
        try:
            mapping = ColumnMapping.from_dict(json.loads(form["mapping"]))
        except ValueError as exc:  # BadMapping too
            raise Invalid({"mapping": [f"not a mapping: {exc}"]}) from None
    match = tuple(m.strip() for m in (form.get("match") or "").split(",") if m.strip())
    dry = form.get("dry_run", "false").lower()
    if dry not in ("true", "false"):
        raise Invalid({"dry_run": ["true or false"]})
    mode = form.get("mode", "create")
    if mode not in MODES:
        raise Invalid({"mode": [f"'{mode}' is not one of {', '.join(MODES)}"]})
    return ImportOptions(mode, match, dry == "true", ctx.locale), mapping


def start_import(entity: str, ctx: Context, upload: Any, form: Any) -> dict[str, Any]:
    plat = platform()
    entity_model(plat.compiled, entity, ctx)
    if upload is None or not upload.filename:
        raise Invalid({"file": ["Send the file as the multipart field 'file'."]})
    options, mapping = options_of(form, ctx)
    path, name = save_upload(plat, upload)
    try:
        prepared = prepare_import(plat, ctx, entity, path, name, options, mapping)
    except Problem:
        path.unlink(missing_ok=True)
        raise
    where = dispatch_import(plat, prepared.import_id)
    with plat.reading() as conn:
        job = read_import(conn, plat.compiled.tables, prepared.import_id) or {}
    return {**shown(job), "runs_in": where}


def own_import(entity: str, import_id: int, ctx: Context) -> dict[str, Any]:
    """The import, if the caller started it or is an administrator (to others, 404)."""
    plat = platform()
    entity_model(plat.compiled, entity, ctx)
    with plat.reading() as conn:
        job = read_import(conn, plat.compiled.tables, import_id, entity)
    principal = ctx.principal
    if job is None or not (principal.system or principal.admin
                           or job["user_id"] == principal.user_id):
        raise NotFound(f"no import #{import_id} of {entity}", key="id")
    return job


@imports_api.post("/<entity>/imports")
def create_import_job(entity: str) -> Any:
    ctx = current_context()
    found = start_import(entity, ctx, request.files.get("file"), request.form)
    response = jsonify(found)
    response.status_code = 202
    response.headers["Location"] = url_for(".get_import", entity=entity, import_id=found["id"])
    return response


@imports_api.get("/<entity>/imports/<int:import_id>")
def get_import(entity: str, import_id: int) -> Any:
    ctx = current_context()
    job = own_import(entity, import_id, ctx)
    plat = platform()
    with plat.reading() as conn:
        failed = log_rows(conn, plat.compiled.tables, import_id, action="failed",
                          limit=FAILED_SHOWN)
    return jsonify(shown(job, failed=failed))


@imports_api.get("/<entity>/imports/<int:import_id>/rows")
def import_rows(entity: str, import_id: int) -> Any:
    """The log, in file order: ``action`` filters, ``after`` (a row number) pages."""
    ctx = current_context()
    own_import(entity, import_id, ctx)
    action = request.args.get("action")
    if action is not None and action not in ACTIONS:
        raise Invalid({"action": [f"one of {', '.join(ACTIONS)}"]})
    try:
        after = int(request.args.get("after", 0))
        limit = min(1000, max(1, int(request.args.get("limit", 100))))
    except ValueError:
        raise Invalid({"after": ["a row number"]}) from None
    plat = platform()
    with plat.reading() as conn:
        rows = log_rows(conn, plat.compiled.tables, import_id, action=action, limit=limit,
                        after_row=after)
    return jsonify({"items": rows})


@imports_api.get("/<entity>/imports/<int:import_id>/failed.csv")
def failed_rows(entity: str, import_id: int) -> Any:
    ctx = current_context()
    job = own_import(entity, import_id, ctx)
    stem = Path(job["filename"]).stem
    response = Response(failed_rows_csv(platform(), import_id),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=failed-{import_id}.csv; filename*=UTF-8''"
        f"{_quoted(f'{stem}-failed-{import_id}.csv')}")
    return response


@imports_api.post("/<entity>/imports/<int:import_id>/revert")
def revert(entity: str, import_id: int) -> Any:
    ctx = current_context()
    own_import(entity, import_id, ctx)
    return jsonify(revert_import(platform(), ctx, import_id, entity))


@imports_api.post("/<entity>/imports/<int:import_id>/resume")
def resume(entity: str, import_id: int) -> Any:
    """Carry on with an import a killed worker left (after its last committed row)."""
    ctx = current_context()
    job = own_import(entity, import_id, ctx)
    if job["status"] in ("done", "reverted"):
        raise Conflict(f"import #{import_id} is {job['status']}")
    if job["user_id"] != ctx.user_id and not ctx.principal.admin:
        raise Forbidden("only who started the import resumes it")
    where = dispatch_import(platform(), import_id)
    response = jsonify({**shown(job), "runs_in": where})
    response.status_code = 202
    return response


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text)
