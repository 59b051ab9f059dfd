"""The landing page: who is signed in, the entities they may read (with the
records within their reach) and where the API lives."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from ..i18n import negotiate_language
from ..identity.users import get_user
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..runtime.access import Viewer
from ..runtime.reads import count_records
from .auth import optional_context, session_csrf
from .requests import platform

home = Blueprint("metacrm_home", __name__, template_folder="templates")

TEXTS = {
    "en": {"entity": "Entity", "api": "REST API", "records": "Records",
           "definitions": "Definitions", "signed_in_as": "Signed in as",
           "sign_out": "Sign out", "no_roles": "no role yet",
           "nothing": "Your roles do not let you read any entity yet; ask an administrator.",
           "customizations": "{n} runtime customization(s)"},
    "zh": {"entity": "实体", "api": "REST 接口", "records": "记录数", "definitions": "定义",
           "signed_in_as": "当前用户", "sign_out": "退出登录", "no_roles": "尚未分配角色",
           "nothing": "您的角色暂时不能查看任何实体，请联系管理员。",
           "customizations": "{n} 项运行时自定义"},
}


@home.get("/")
def index() -> Any:
    ctx = optional_context()
    if ctx is None:
        return redirect(url_for("metacrm_login.form", next=request.full_path.rstrip("?")))
    lang = request.args.get("lang") or negotiate_language(request.headers.get("Accept-Language"))
    lang = lang if lang in TEXTS else "en"
    compiled = platform().compiled
    rows = []
    with platform().reading() as conn:
        viewer = Viewer(compiled, ctx.principal, conn)
        for name, model in compiled.models.items():
            if viewer.can_read(model):  # what the caller may read, not what the table holds
                rows.append({"name": name, "label": model.entity.plural.get(lang),
                             "count": count_records(conn, viewer, model)})
        user = get_user(conn, compiled.metadata, ctx.user_id) if ctx.user_id else None
    roles = compiled.catalog.roles
    bundles = compiled.catalog.bundles
    # The customizations are one more bundle whose "version" is a placeholder: what a
    # reader wants to know is how many there are.
    shown = [TEXTS[lang]["customizations"].format(n=b.version)
             if b.name == CUSTOMIZATIONS_BUNDLE else f"{b.label.get(lang)} {b.version}"
             for b in bundles]
    return render_template(
        "home.html", lang=lang, rows=rows, texts=TEXTS[lang],
        user_name=user.name if user else "", username=user.username if user else "",
        roles=[roles[r].label.get(lang) if r in roles else r for r in sorted(ctx.principal.roles)],
        # A token-authenticated visit has no session to end: no sign-out form.
        csrf_token=session_csrf(),
        title=bundles[0].label.get(lang) if bundles else "metacrm",
        bundles=" · ".join(shown))
