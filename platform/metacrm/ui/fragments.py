"""Parts of a page that are the same for everyone with the same roles in the same
language (the navigation; a list's filter builder, quick-create controls, buttons
and bulk actions; the templates' links): rendered once per compiled program and
kept on it (``Compiled.memo``), so that a page renders only what is its own. A
recompiled program (a customization) starts with none."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import has_request_context, render_template, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from ..compile.compiled import Compiled
from ..web.requests import platform


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


# Marks where a kept fragment takes a value of its own per request: a character of
# Unicode's private use area, never in a template's own text (a value filled in is
# never split: only the kept render is).
_SLOT = "\ue000"


def slot(name: str) -> Markup:
    """What a template writes, in a render to keep (``kept_slotted``), where the value
    ``name`` goes."""
    return Markup(f"{_SLOT}{name}{_SLOT}")


def kept_slotted(compiled: Compiled, key: tuple[Hashable, ...], language: str,
                 render: Callable[[], str], values: Mapping[str, object]) -> Markup:
    """A fragment the same for a set of readers but for a few values (a name, a count,
    a token): ``render`` makes it with ``slot(name)`` in their places, once per ``key``
    and ``language`` (as ``kept_fragment``); each request fills them with ``values``,
    escaped as Jinja escapes them."""
    full = ("slotted", request.script_root, language, *key)
    parts = compiled.memo.get(full)
    if not isinstance(parts, tuple):
        parts = tuple(str(render()).split(_SLOT))  # text, name, text, name, ..., text
        if str(get_locale()) == language:
            compiled.memo[full] = parts
    out = list(parts)
    for index in range(1, len(out), 2):
        out[index] = escape(values[out[index]])
    return Markup("".join(out))


def kept_word(compiled: Compiled, msgid: str, language: str) -> str:
    """``gettext(msgid)`` in ``language``, kept per program: a catalogue look-up costs
    more than the cell it labels, and some words are written on every page."""
    key = ("word", language, msgid)
    found = compiled.memo.get(key)
    if isinstance(found, str):
        return found
    text = gettext(msgid)
    if str(get_locale()) == language:
        compiled.memo[key] = text
    return text


_KEPT_VALUES = frozenset(("entity", "filename"))


def kept_url_for(endpoint: str, **values: Any) -> str:
    """Flask's ``url_for`` for templates, each link kept per program and script root
    once built: a page asks for a dozen or more that never change (its assets, the
    frame's links, the list's actions), at a routing-map build each. Only links named
    by an entity or a static file are kept (a program has few); those with a record's
    id, a search text or url_for's own options are built every time."""
    if (not has_request_context() or endpoint.startswith(".")  # relative: per blueprint
            or not set(values) <= _KEPT_VALUES
            or not all(isinstance(value, str) for value in values.values())):
        return url_for(endpoint, **values)
    memo = platform().compiled.memo
    key = ("url", request.script_root, endpoint, *sorted(values.items()))
    found = memo.get(key)
    if not isinstance(found, str):
        found = memo[key] = url_for(endpoint, **values)
    return found


def kept_record_link(entity: str) -> str:
    """The link to a record of ``entity`` but for its id (``/customer/``), kept per
    program and script root: a list links every row with it."""
    memo = platform().compiled.memo
    key = ("record link", request.script_root, entity)
    found = memo.get(key)
    if not isinstance(found, str):
        found = memo[key] = url_for("metacrm_pages.record_page", entity=entity,
                                    record_id=0)[:-1]
    return found
