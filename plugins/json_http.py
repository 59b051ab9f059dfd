"""A pull-style intake source: leads from any system that lists them as JSON over HTTP
(a marketing platform, a partner's portal, an exhibition's badge scans).

Load it with ``METACRM_PLUGINS=plugins.json_http:plugin`` and name its hook in an
intake source (docs/intake.md)::

    intake: partner_feed
    entity: customer
    fields: {company: name, tel: phone}
    external_id: id
    ignore: [updated_at]
    pull:
      hook: json_http.pull_leads
      every: 10m
      options:
        url: https://partner.example.com/api/leads
        items: data            # where the list is in the answer (none: the answer is it)
        cursor_param: since    # the query parameter that carries the cursor
        cursor_key: updated_at # each lead's key whose value is the cursor after it
        token_env: PARTNER_TOKEN  # sent as "Authorization: Bearer ..." when set

Each run asks ``url?since=<cursor>`` and, while a page is full of new leads, the next
page from the last lead's cursor (at most ``max_pages`` pages). A page that cannot be
fetched or read raises: the run stops and the job keeps the cursor of the last lead
stored, so the next run starts from there.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from metacrm.intake.pull import Pulled, PullRequest

MAX_BYTES = 10 * 1024 * 1024  # one page of leads; a larger answer is refused
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_PAGES = 20


class FeedError(Exception):
    """The feed's answer is not what the options describe."""


def pull_leads(request: PullRequest) -> Iterator[Pulled]:
    options = request.options
    url = options.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise FeedError(f"intake {request.source}: options.url must be an http(s) URL, "
                        f"got {url!r}")
    cursor = request.cursor
    cursor_key = options.get("cursor_key")
    for _ in range(int(options.get("max_pages", DEFAULT_MAX_PAGES))):
        leads = _items(_fetch(url, options, cursor), options.get("items"), request.source)
        moved = False
        for lead in leads:
            if not isinstance(lead, Mapping):
                yield Pulled(lead)  # refused by the intake as "not an object", and logged
                continue
            after = lead.get(cursor_key) if cursor_key else None
            if after is not None and str(after) != cursor:
                cursor, moved = str(after), True
            yield Pulled(lead, cursor)
        if not leads or not moved or not cursor_key:
            return


def _fetch(url: str, options: Mapping[str, Any], cursor: str | None) -> Any:
    if cursor is not None:
        param = str(options.get("cursor_param", "since"))
        joiner = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{joiner}{urllib.parse.urlencode({param: cursor})}"
    headers = {"Accept": "application/json", **{str(k): str(v) for k, v in
                                                 (options.get("headers") or {}).items()}}
    token = os.environ.get(str(options["token_env"])) if options.get("token_env") else None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),  # noqa: S310
                                timeout=float(options.get("timeout", DEFAULT_TIMEOUT))) as answer:
        raw = answer.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise FeedError(f"{url}: the answer is larger than {MAX_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise FeedError(f"{url}: the answer is not JSON ({exc})") from None


def _items(answer: Any, key: Any, source: str) -> list[Any]:
    found = answer.get(key) if key and isinstance(answer, Mapping) else answer
    if not isinstance(found, list):
        where = f"'{key}' of the answer" if key else "the answer"
        raise FeedError(f"intake {source}: expected a list of leads in {where}, got "
                        f"{type(found).__name__}")
    return found


class JsonHttpPlugin:
    """The plugin: one hook, for intake sources' ``pull``."""

    name = "json_http"
    hooks: ClassVar[dict[str, Any]] = {"pull_leads": pull_leads}


plugin = JsonHttpPlugin()
