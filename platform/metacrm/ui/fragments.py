"""Parts of a page that are the same for everyone with the same roles in the same
language (a list's filter builder, its quick-create controls, its buttons and bulk
actions): rendered once per
compiled program and kept on it (``Compiled.memo``), so that a page renders only
what is its own. A recompiled program (a customization) starts with none."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from ..compile.compiled import Compiled


def kept_fragment(compiled: Compiled, key: tuple[Hashable, ...], language: str,
         render: Callable[[], str]) -> Markup:
    """The fragment ``render`` makes, for ``key`` in ``language`` (and under this
    request's script root, since fragments hold links). Rendered again, and not kept,
    if the request's catalogue is not ``language``'s: a kept fragment serves everyone."""
    full = ("fragment", request.script_root, language, *key)
    found = compiled.memo.get(full)
    if isinstance(found, Markup):
        return found
    text = Markup(render())
    if str(get_locale()) == language:
        compiled.memo[full] = text
    return text


def kept_template(compiled: Compiled, template: str, key: tuple[Hashable, ...],
                  language: str, **context: Any) -> Markup:
    """``template`` rendered with ``context``, kept per ``key``: the key must name all
    that the context holds for this template (the rest of a program is fixed)."""
    return kept_fragment(compiled, (template, *key), language,
                         lambda: render_template(template, language=language, **context))
