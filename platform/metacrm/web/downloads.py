"""How a download is named: ``Content-Disposition`` with an ASCII ``filename`` every
client reads and, when the real name is not plain ASCII (a Chinese report title), the
RFC 5987 ``filename*`` that browsers prefer (``UTF-8''%E6%88%90…``)."""

from __future__ import annotations

import re
from urllib.parse import quote

from ..runtime.spreadsheet import file_name

__all__ = ["attachment", "file_name"]

_ASCII_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def attachment(name: str, fallback: str) -> str:
    """The header value: ``fallback`` (ASCII: letters, digits, ``._-``) as ``filename``,
    and ``name`` as ``filename*`` when it differs."""
    if not _ASCII_SAFE.fullmatch(fallback):
        fallback = "export" + fallback[fallback.rfind("."):] if "." in fallback else "export"
    if name == fallback:
        return f"attachment; filename={fallback}"
    return f"attachment; filename={fallback}; filename*=UTF-8''{quote(name, safe='')}"
