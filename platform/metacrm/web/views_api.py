"""Saved list views of an entity (runtime/saved_views.py): the caller's own and those
shared with their roles; saved by anyone who may read the entity, shared with roles
by administrators, removed by their owner or an administrator."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..runtime.access import Viewer
from ..runtime.saved_views import delete_view, list_views, save_view
from .auth import current_context, is_admin
from .requests import body_object, entity_model, platform

views_api = Blueprint("metacrm_views", __name__, url_prefix="/api")
VIEW_ID = "<int(max=9223372036854775807):view_id>"


@views_api.get("/<entity>/views")
def views(entity: str) -> Any:
    ctx = current_context()
    plat = platform()
    model = entity_model(plat.compiled, entity, ctx)
    Viewer(plat.compiled, ctx.principal).of(model).require("read", ctx)
    with plat.reading() as conn:
        return jsonify({"items": list_views(conn, plat.compiled, ctx, entity)})


@views_api.post("/<entity>/views")
def save(entity: str) -> Any:
    ctx = current_context()
    plat = platform()
    model = entity_model(plat.compiled, entity, ctx)
    Viewer(plat.compiled, ctx.principal).of(model).require("read", ctx)
    body = body_object(ctx, ("name", "query", "roles"))
    with plat.writing() as conn:
        made = save_view(conn, plat.compiled, ctx, model, body, admin=is_admin(ctx))
    response = jsonify(made)
    response.status_code = 201
    return response


@views_api.delete(f"/<entity>/views/{VIEW_ID}")
def remove(entity: str, view_id: int) -> Any:
    ctx = current_context()
    plat = platform()
    entity_model(plat.compiled, entity, ctx)
    with plat.writing() as conn:
        delete_view(conn, plat.compiled, ctx, entity, view_id, admin=is_admin(ctx))
    return Response(status=204)
