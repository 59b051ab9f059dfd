"""``metacrm security events``: read the security record from the command line."""

from __future__ import annotations

import json
from typing import Any

import click

from ..jobs.tasks import parse_time
from ..runtime.query import MAX_LIMIT
from .cli_support import transaction
from .security_events import KINDS, list_events


@click.group("security")
def security_command() -> None:
    """The security record: sign-ins, rights, tokens, exports, refused requests."""


@security_command.command("events")
@click.option("--kind", default=None,
              help="A kind (signin.failed, admin.granted…) or a family (signin, token…).")
@click.option("--user", default=None, help="Who acted, or whom it concerns (a username).")
@click.option("--since", default=None, help="Not before this ISO 8601 date-time (UTC if no "
                                             "offset).")
@click.option("--limit", default=50, show_default=True,
              type=click.IntRange(1, MAX_LIMIT), help="How many, newest first.")
def events_command(kind: str | None, user: str | None, since: str | None, limit: int) -> None:
    """The latest security events, newest first, one a line."""
    families = {k.split(".")[0] for k in KINDS}
    if kind is not None and kind not in KINDS and kind not in families:
        raise click.ClickException(f"unknown kind '{kind}': one of {', '.join(KINDS)}, or a "
                                   f"family: {', '.join(sorted(families))}")
    try:
        when = parse_time(since) if since else None
    except (ValueError, OverflowError):
        raise click.ClickException(f"--since: '{since}' is not a date-time (ISO 8601)") from None
    with transaction() as (conn, metadata):
        found, _ = list_events(conn, metadata, kind=kind, user=user, since=when, limit=limit)
    for event in found:
        click.echo(event_line(event))
    if not found:
        click.echo("no events", err=True)


def event_line(event: dict[str, Any]) -> str:
    """``when  kind  who -> whom  from where  ×count  details``."""
    who = event["username"] or (f"user #{event['user_id']}" if event["user_id"] else "-")
    details = {k: v for k, v in event["details"].items() if k != "via"}
    via = event["details"].get("via")
    repeats = f"  ×{event['count']} until {event['last_at'][11:19]}" if event["count"] > 1 else ""
    return (f"{event['at'][:19].replace('T', ' ')}  {event['kind']:<17} {who}"
            + (f" -> {event['target']}" if event["target"] else "")
            + f"  from {event['address']}" + (f" ({via})" if via else "") + repeats
            + (f"  {json.dumps(details, ensure_ascii=False)}" if details else ""))
