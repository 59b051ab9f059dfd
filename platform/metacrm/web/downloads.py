"""How a download is named: ``Content-Disposition`` with an ASCII ``filename`` every
client reads and, when the real name is not plain ASCII (a Chinese report title), the
RFC 5987 ``filename*`` that browsers prefer (``UTF-8''%E6%88%90…``)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

# What a file name may not hold on common systems, and what would break the header.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;,]+')
_ASCII_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def file_name(title: str, day: date, extension: str) -> str:
    """``<title>-<day>.<extension>``, the title cleaned of what a file name may not hold."""
    cleaned = " ".join(_UNSAFE.sub(" ", title).split())[:100] or "export"
    return f"{cleaned}-{day:%Y-%m-%d}.{extension}"


def attachment(name: str, fallback: str) -> str:
    """The header value: ``fallback`` (ASCII: letters, digits, ``._-``) as ``filename``,
    and ``name`` as ``filename*`` when it differs."""
    if not _ASCII_SAFE.fullmatch(fallback):
        fallback = "export" + fallback[fallback.rfind("."):] if "." in fallback else "export"
    if name == fallback:
        return f"attachment; filename={fallback}"
    return f"attachment; filename={fallback}; filename*=UTF-8''{quote(name, safe='')}"
