"""Errors an operation reports to its caller, each with an HTTP status.

The body always has the shape ``{"errors": {"<field or _request>": [messages]}}``.
It lists at most ``MAX_REPORTED_ERRORS`` keys; how many more have errors is said
under ``_more``, so that a body of a million wrong keys is answered in a few
kilobytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from ..i18n import message, suggestion

MAX_REPORTED_ERRORS = 50
# Unknown keys of one request that get a spelling hint (difflib over the known names
# is the costly part of an error).
MAX_HINTED_KEYS = 5
MORE_ERRORS = "_more"


class Problem(Exception):
    status = 400

    def __init__(self, errors: dict[str, list[str]] | str, key: str = "_request", *,
                 names_unknown: bool = False, more: int = 0):
        errors = errors if isinstance(errors, dict) else {key: [errors]}
        if len(errors) > MAX_REPORTED_ERRORS:
            more += len(errors) - MAX_REPORTED_ERRORS
            errors = dict(islice(errors.items(), MAX_REPORTED_ERRORS))
        self.errors = errors
        # Keys with errors that are not listed: over MAX_REPORTED_ERRORS.
        self.more = more
        # True when the request names an entity or field this process does not
        # know: another process may have just added it (see web.requests).
        self.names_unknown = names_unknown
        # Members of the answer's body beside "errors" (a 409's duplicate candidates).
        self.extra: dict[str, Any] = {}
        super().__init__(str(self.errors))

    def listed(self, lang: str) -> dict[str, list[str]]:
        """The errors as an answer lists them, in ``lang``."""
        if not self.more:
            return self.errors
        return {**self.errors, MORE_ERRORS: [message("more_errors", lang, count=self.more,
                                                     max=MAX_REPORTED_ERRORS)]}


def unknown_keys(keys: Iterable[Any], known: Iterable[str], lang: str, *,
                 template: str = "unknown_field", hints: int = MAX_HINTED_KEYS
                 ) -> tuple[dict[str, list[str]], int]:
    """An error for each of ``keys`` not in ``known`` (``template`` with a spelling
    hint for the first ``hints`` of them), at most MAX_REPORTED_ERRORS; and how
    many more there are."""
    choices = list(known)
    names = set(choices)
    errors: dict[str, list[str]] = {}
    more = 0
    for key in keys:
        if key in names:
            continue
        if len(errors) >= MAX_REPORTED_ERRORS:
            more += 1
            continue
        hint = suggestion(str(key), choices, lang) if len(errors) < hints else ""
        errors[str(key)] = [message(template, lang, hint=hint)]
    return errors, more


class BadQuery(Problem):
    status = 400


class Unauthorized(Problem):
    status = 401


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


class PreconditionFailed(Problem):
    status = 412


class TooLarge(Problem):
    status = 413


class Invalid(Problem):
    status = 422


class Forbidden(Problem):
    status = 403


class TooManyRequests(Problem):
    status = 429

    def __init__(self, errors: dict[str, list[str]] | str, retry_after: int, **kwargs: object):
        super().__init__(errors, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
