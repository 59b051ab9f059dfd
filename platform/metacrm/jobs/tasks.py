"""The periodic tasks a compiled program asks for, and running one of them.

Each return rule of an entity's pool is a task named ``<entity>.<rule>`` that
runs every ``every_seconds``; the platform adds its own: ``housekeeping`` (ended
web sessions, old sign-in failures and security events past their retention
are deleted), ``approvals.deadlines``
(reminders and escalations, when an approval step has a deadline) and
``notifications.mail`` and ``reports.schedules`` (when SMTP is configured: the
reports' own ``schedule:`` and the subscriptions people made); each pull-style intake source is
a task ``intake.<source>`` (intake/pull.py). ``run_task`` is the entry
point RQ calls by its dotted path (``metacrm.jobs.tasks.run_task``): a worker
rebuilds everything it needs from the environment, as any other metacrm
process does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..base.context import utcnow
from ..compile.compiled import Compiled
from ..config import Settings
from ..definitions import Label, ReturnRuleDef
from ..errors import did_you_mean
from ..identity.security_events import purge_events
from ..identity.sessions import purge_sessions
from ..identity.throttle import purge_failures
from ..intake.pull import TASK_PREFIX as INTAKE_TASK_PREFIX
from ..intake.pull import pull_source, read_cursor
from ..platform import Platform
from ..runtime.customize import undo_unfinished
from ..runtime.deadlines import count_due, job_context, run_deadlines
from ..runtime.operation import Operation
from ..runtime.pool_returns import return_idle
from ..values import parse_definition_text
from .mail import count_due as count_mail
from .mail import parse_smtp_url, send_notifications
from .report_delivery import Outbox
from .report_mail import send_due_reports
from .slots import ensure_slots, record_run, slots_table
from .subscription_mail import send_due_subscriptions


@dataclass(frozen=True)
class Task:
    name: str
    every_seconds: int
    label: Label
    # A pool return rule's task names its entity and rule; the platform's own have none.
    entity: str | None = None
    rule: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a run did: ``result`` is kept in the task's slot, ``summary`` is for people."""

    result: dict[str, Any]
    summary: str


HOUSEKEEPING = Task("housekeeping", 6 * 3600, Label.of(
    {"en": "Delete ended web sessions, old sign-in failures and security events past "
           "their retention; undo customizations left unfinished",
     "zh": "清理已结束的会话、过期的登录失败记录和超过保留期的安全事件；撤销未完成的定制"}))
DEADLINES = Task("approvals.deadlines", 300, Label.of(
    {"en": "Remind approvers of waiting tasks and escalate overdue ones",
     "zh": "催办待审批任务并升级超时任务"}))
MAIL = Task("notifications.mail", 60, Label.of(
    {"en": "E-mail notifications (retried, at most 5 attempts)",
     "zh": "以电子邮件发送通知（失败重试，最多 5 次）"}))

REPORTS = Task("reports.schedules", 60, Label.of(
    {"en": "E-mail the scheduled and subscribed reports that are due, each run as its "
           "recipient (XLSX)",
     "zh": "按计划和订阅以电子邮件发送到期的报表，按每位收件人的权限运行（XLSX 附件）"}))


class UnknownTask(LookupError):
    """A task name that the definitions do not produce."""


def compile_tasks(compiled: Compiled, settings: Settings | None = None) -> dict[str, Task]:
    """Every periodic task of the program, by name (pure: reads the catalog, and the
    settings for whether SMTP is configured)."""
    tasks = {HOUSEKEEPING.name: HOUSEKEEPING}
    if any(step.remind_after or step.escalate_after for approval in compiled.approvals.values()
           for step in approval.definition.steps):
        tasks[DEADLINES.name] = DEADLINES
    if settings is not None and settings.smtp_url:
        tasks[MAIL.name] = MAIL
        # Always: besides the reports' own schedules, people subscribe to any report.
        tasks[REPORTS.name] = REPORTS
    for entity in compiled.catalog.entities.values():
        for rule in entity.pool.return_rules if entity.pool else ():
            name = f"{entity.name}.{rule.name}"
            tasks[name] = Task(name, rule.every_seconds, rule.label, entity.name, rule.name)
    for source in compiled.catalog.intakes.values():
        if source.pull is not None:  # pull-style intake sources (intake/pull.py)
            name = INTAKE_TASK_PREFIX + source.name
            tasks[name] = Task(name, source.pull.every_seconds, source.label)
    return tasks


def find_task(compiled: Compiled, name: str, settings: Settings | None = None) -> Task:
    tasks = compile_tasks(compiled, settings)
    if name not in tasks:
        known = ", ".join(sorted(tasks)) or "none"
        raise UnknownTask(f"no task '{name}'{did_you_mean(name, tasks)} (the tasks: {known})")
    return tasks[name]


def perform(platform: Platform, task: Task, now: datetime, *, dry_run: bool = False
            ) -> Outcome:
    """Do what ``task`` does at ``now``, in one transaction (with ``dry_run``: say what
    it would do and change nothing)."""
    if task.entity is None and task.name.startswith(INTAKE_TASK_PREFIX):
        return _pull(platform, task.name.removeprefix(INTAKE_TASK_PREFIX), now, dry_run)
    if task.entity is None:  # one of the platform's own
        return _PLATFORM_WORK[task.name](platform, now, dry_run)
    compiled = platform.compiled
    model = compiled.models[task.entity]
    rule = _rule(model.entity.pool.return_rules if model.entity.pool else (), task)
    with platform.writing() as conn:
        ids = return_idle(conn, compiled, model, rule, now, dry_run=dry_run)
    listed = f": {', '.join(map(str, ids))}" if ids else ""
    verb = "would return" if dry_run else "returned"
    return Outcome({"returned": len(ids)},
                   f"{verb} {len(ids)} {task.entity} record(s) to the pool{listed}")


def run_and_record(platform: Platform, task: Task, now: datetime) -> Outcome:
    """Perform ``task`` and keep its result (or its error) in the task's slot."""
    started = time.monotonic()
    try:
        outcome = perform(platform, task, now)
    except Exception as exc:
        _record(platform, task, now, started, {"error": f"{type(exc).__name__}: {exc}"})
        raise
    _record(platform, task, now, started, outcome.result)
    return outcome


def _housekeeping(platform: Platform, now: datetime, dry_run: bool) -> Outcome:
    metadata = platform.compiled.metadata
    with platform.writing() as conn:
        sessions = purge_sessions(conn, metadata, now, timedelta(
            minutes=platform.settings.session_idle_minutes), dry_run=dry_run)
        failures = purge_failures(conn, metadata, now, dry_run=dry_run)
        events = purge_events(conn, metadata, now, platform.settings.security_events_days,
                              dry_run=dry_run)
    undone = undo_unfinished(platform, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    result = {"sessions": sessions, "sign_in_failures": failures, "security_events": events}
    summary = (f"{verb} {sessions} ended session(s), {failures} old sign-in failure(s) and "
               f"{events} security event(s) older than "
               f"{platform.settings.security_events_days} days")
    if undone:  # only after a process died during a runtime customization
        result["unfinished_customizations"] = len(undone)
        summary += (f"; {'would undo' if dry_run else 'undid'} unfinished customization(s) "
                    f"{', '.join(f'#{i}' for i in undone)}")
    return Outcome(result, summary)


def _deadlines(platform: Platform, now: datetime, dry_run: bool) -> Outcome:
    compiled = platform.compiled
    if dry_run:
        with platform.reading() as conn:
            due = count_due(Operation(conn, compiled, job_context(now)))
        return Outcome(due, f"would send {due['reminders']} reminder(s) and make "
                            f"{due['escalations']} escalation(s)")
    run = run_deadlines(platform.writing, compiled, now)
    return Outcome(run.as_dict(), f"sent {run.reminded} reminder(s), escalated "
                                  f"{run.escalated} task(s)" + (
                                      f", {run.unescalated} with nobody to escalate to"
                                      if run.unescalated else ""))


def _mail(platform: Platform, now: datetime, dry_run: bool) -> Outcome:
    settings = platform.settings
    if not settings.smtp_url:
        return Outcome({"sent": 0}, "SMTP is not configured (METACRM_SMTP_URL)")
    if dry_run:
        with platform.reading() as conn:
            due = count_mail(conn, platform.compiled, now)
        return Outcome({"due": due}, f"would e-mail {due} notification(s)")
    run = send_notifications(platform.writing, platform.compiled, settings.smtp_url,
                             settings.mail_from, now)
    errors = f" (last error: {run.errors[-1]})" if run.errors else ""
    return Outcome(run.as_dict(), f"e-mailed {run.sent} notification(s), {run.failed} failed "
                                  f"(to retry), {run.gave_up} given up{errors}")


def _pull(platform: Platform, name: str, now: datetime, dry_run: bool) -> Outcome:
    source = platform.compiled.catalog.intakes[name]
    if dry_run:
        with platform.reading() as conn:
            cursor = read_cursor(conn, platform.compiled.metadata, name)
        hook = source.pull.hook if source.pull else "?"
        return Outcome({"cursor": cursor}, f"would ask {hook} for leads since {cursor!r}")
    run = pull_source(platform, source, now)
    return Outcome(run.as_dict(), run.summary)


def _reports(platform: Platform, now: datetime, dry_run: bool) -> Outcome:
    if dry_run:
        run = send_due_reports(platform, now, None)
        send_due_subscriptions(platform, now, run, None)
        return Outcome(run.as_dict(), run.summary("would e-mail"))
    if not platform.settings.smtp_url:
        return Outcome({"sent": {}}, "SMTP is not configured (METACRM_SMTP_URL)")
    # One SMTP connection for every mail of the run, the schedules' and the subscriptions'.
    with Outbox(parse_smtp_url(platform.settings.smtp_url)) as outbox:
        run = send_due_reports(platform, now, outbox)
        send_due_subscriptions(platform, now, run, outbox)
    return Outcome(run.as_dict(), run.summary("e-mailed"))


# What each of the platform's own tasks does (pool return rules are the others).
_PLATFORM_WORK: dict[str, Callable[[Platform, datetime, bool], Outcome]] = {
    HOUSEKEEPING.name: _housekeeping, DEADLINES.name: _deadlines, MAIL.name: _mail,
    REPORTS.name: _reports}


def run_task(name: str, now: str | None = None) -> dict[str, Any]:
    """The RQ job: run task ``name`` as of ``now`` (ISO 8601; default: this moment)."""
    platform = Platform.build(Settings.from_env())
    try:
        task = find_task(platform.compiled, name, platform.settings)
        return run_and_record(platform, task, parse_time(now) if now else utcnow()).result
    finally:
        platform.engine.dispose()


def parse_time(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is taken as UTC. ValueError says
    why not."""
    return parse_definition_text("datetime", text)


def _rule(rules: tuple[ReturnRuleDef, ...], task: Task) -> ReturnRuleDef:
    for rule in rules:
        if rule.name == task.rule:
            return rule
    raise UnknownTask(f"'{task.entity}' has no return rule '{task.rule}' any more")


def _record(platform: Platform, task: Task, now: datetime, started: float,
            result: Mapping[str, Any]) -> None:
    # Finished "now plus the time it took": a run at a simulated time stays consistent.
    finished = now + timedelta(seconds=time.monotonic() - started)
    table = slots_table(platform.compiled.metadata)
    with platform.writing() as conn:
        ensure_slots(conn, table, [task.name], now)  # a run by hand before any tick
        record_run(conn, table, task.name, now, finished, result)
