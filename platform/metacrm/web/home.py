"""The landing page: what this CRM holds and where its API lives."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from ..i18n import negotiate_language
from .requests import platform

home = Blueprint("metacrm_home", __name__, template_folder="templates")

TEXTS = {
    "en": {"entity": "Entity", "api": "REST API", "records": "Records",
           "definitions": "Definitions"},
    "zh": {"entity": "实体", "api": "REST 接口", "records": "记录数", "definitions": "定义"},
}


@home.get("/")
def index() -> Any:
    lang = request.args.get("lang") or negotiate_language(request.headers.get("Accept-Language"))
    lang = lang if lang in TEXTS else "en"
    compiled = platform().compiled
    rows = []
    with platform().reading() as conn:
        for name, model in compiled.models.items():
            count = conn.execute(sa.select(sa.func.count()).select_from(model.table)
                                 .where(model.table.c.deleted_at.is_(None))).scalar_one()
            rows.append({"name": name, "label": model.entity.plural.get(lang), "count": count})
    bundles = compiled.catalog.bundles
    return render_template(
        "home.html", lang=lang, rows=rows, texts=TEXTS[lang],
        title=bundles[0].label.get(lang) if bundles else "metacrm",
        bundles=" · ".join(f"{b.label.get(lang)} {b.version}" for b in bundles))
