"""REST endpoint for export: ``GET /api/<entity>/export`` streams every record a list
query matches as CSV, JSON lines or XLSX (see docs/transfer-and-export.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request

from ..compile.compiled import Compiled
from ..identity.security_events import export_event, record_event
from ..runtime.access import Viewer
from ..runtime.export import (
    FORMATS,
    encode,
    export_batches,
    export_format,
    export_language,
    filename,
    hold_snapshot,
    prepare_export,
)
from ..runtime.export_xlsx import xlsx_export
from .auth import current_context
from .downloads import attachment, file_name
from .requests import entity_model, platform, refuse_nul_values, with_fresh_schema
from .security_api import request_actor

export_api = Blueprint("metacrm_export", __name__, url_prefix="/api")
export_api.before_request(refuse_nul_values)


@export_api.get("/<entity>/export")
def export(entity: str) -> Any:
    ctx = current_context()
    args = request.args.to_dict(flat=False)
    fmt = export_format(request.args.get("format"), ctx)
    lang = export_language(request.args.get("lang"), ctx)
    plat = platform()  # the body is written after this view returns, outside its context

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        viewer = Viewer(compiled, ctx.principal)
        return viewer, prepare_export(viewer, model, args, ctx)

    # Everything that can fail with a clear error is checked before the first byte.
    viewer, prepared = with_fresh_schema(run)
    with plat.writing() as conn:
        record_event(conn, plat.compiled.metadata, "export", request_actor(ctx), ctx.now,
                     details=export_event(entity, fmt, args))

    def body() -> Iterator[bytes]:
        # Closing the response (also when the client goes away) closes this
        # generator, and with it the connection.
        with plat.reading() as conn:
            hold_snapshot(conn)
            batches = export_batches(conn, prepared)
            if fmt == "xlsx":
                yield from xlsx_export(conn, viewer, prepared, batches, lang, title)
            else:
                yield from encode(prepared, batches, fmt)

    title = prepared.model.entity.plural.get(lang)
    response = Response(body(), content_type=FORMATS[fmt][0])
    response.headers["Content-Disposition"] = attachment(
        file_name(title, ctx.now.date(), FORMATS[fmt][1]), filename(prepared.model, fmt, ctx))
    response.headers["Cache-Control"] = "no-store"
    return response
