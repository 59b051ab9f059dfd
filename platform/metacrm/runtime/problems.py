"""Errors an operation reports to its caller, each with an HTTP status.

The body always has the shape ``{"errors": {"<field or _request>": [messages]}}``.
"""

from __future__ import annotations


class Problem(Exception):
    status = 400

    def __init__(self, errors: dict[str, list[str]] | str, key: str = "_request", *,
                 names_unknown: bool = False):
        self.errors = errors if isinstance(errors, dict) else {key: [errors]}
        # True when the request names an entity or field this process does not
        # know: another process may have just added it (see web.requests).
        self.names_unknown = names_unknown
        super().__init__(str(self.errors))


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


class Invalid(Problem):
    status = 422


class Forbidden(Problem):
    status = 403


class TooManyRequests(Problem):
    status = 429

    def __init__(self, errors: dict[str, list[str]] | str, retry_after: int, **kwargs: object):
        super().__init__(errors, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after
