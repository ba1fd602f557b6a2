"""One invocation from event to outcomes: every job that handles the event, in order, each with
its own ledger entry (event, job) and its own outcome. A job that fails does not hide the
others' results; the exit code is the worst of them."""

from __future__ import annotations

import traceback
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from ossbot.context import Context, Session
from ossbot.errors import GitHubError, InputError, OssbotError, WriteFailed
from ossbot.events import Event, event_from_payload
from ossbot.executor import Executor
from ossbot.jobs import Job
from ossbot.plan import Plan, Result
from ossbot.state.reconcile import reconcile
from ossbot.text import neutralize_mentions, sanitize

ALREADY_PROCESSED = "this event was already processed"


@dataclass
class Outcome:
    job: str
    plan: Plan
    dry_run: bool
    results: list[Result] = field(default_factory=list)
    requests: int = 0
    llm: str | None = None  # what the model calls cost, when a model was used
    error: str | None = None
    exit_code: int = 0
    detail: str | None = None  # the traceback of an unexpected failure (shown with --debug)
    counted: bool = True  # a run for `ossbot report` (not a redelivery or ossbot's own event)


def run_jobs(session: Session, event: Event, jobs: list[Job]) -> list[Outcome]:
    # Jobs the event is not for are left out (when one job was asked for, it says why).
    jobs = [job for job in jobs if job.wants is None or job.wants(event)] or jobs[:1]
    if event.sender is not None and event.sender.is_bot:
        reason = f"the event was caused by a bot ({event.sender.login})"
        return [
            run_job(session, job, event)
            if job.bots
            else Outcome(job.name, _base(job, event).with_(skipped=reason), session.ctx.dry_run)
            for job in jobs
        ]
    return [run_job(session, job, event) for job in jobs]


def run_job(session: Session, job: Job, event: Event) -> Outcome:
    ctx = session.ctx
    base = _base(job, event)
    before = ctx.reader.total_requests
    spent = _llm_spent(ctx)
    try:
        outcome = _run(session, job, event, base)
    except OssbotError as exc:
        written = session.writer.written if session.writer is not None else []
        if written and not isinstance(exc, WriteFailed):  # an earlier job of this run wrote
            exc = WriteFailed(exc, written)
        outcome = Outcome(job.name, base, ctx.dry_run, error=str(exc), exit_code=exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not hide the others' results
        outcome = Outcome(
            job.name,
            base,
            ctx.dry_run,
            exit_code=1,
            detail=traceback.format_exc(),
            error=f"internal error: {type(exc).__name__}: {exc}",
        )
    outcome.requests = ctx.reader.total_requests - before
    outcome.llm = ctx.llm_usage()
    # A redelivered event, or ossbot's own, is no run of its own (and leaves the state alone).
    if not ctx.dry_run and outcome.counted:
        _record_run(ctx, job, event, outcome, spent)
    return outcome


def _llm_spent(ctx: Context) -> tuple[int, int, int, int]:
    """(calls, prompt tokens, completion tokens, models seen) the run's model client spent so
    far."""
    client = ctx.__dict__.get("llm")
    usage = client.usage if client is not None and client.enabled else None
    if usage is None:
        return (0, 0, 0, 0)
    return (usage.calls, usage.prompt_tokens, usage.completion_tokens, len(usage.models))


def outcome_kind(outcome: Outcome) -> str:
    """done, nothing (skipped, or no action), refused (a command or its options turned down),
    failed: how `ossbot report` counts a job run."""
    if outcome.plan.refused:
        return "refused"
    if outcome.error is not None:
        return "failed"
    if outcome.plan.skipped or not outcome.plan.actions:
        return "nothing"
    return "done"


def _record_run(
    ctx: Context, job: Job, event: Event, outcome: Outcome, spent: tuple[int, int, int, int]
) -> None:
    now = _llm_spent(ctx)
    calls, prompt, completion = (a - b for a, b in zip(now[:3], spent[:3], strict=True))
    client = ctx.__dict__.get("llm")
    models: list[str] = []
    if client is not None and client.enabled and calls:
        seen = client.usage.models
        models = seen[spent[3] :] or seen[-1:]  # the models this job used (first seen, or last)
    with suppress(Exception):  # the record is for reports: it never fails the run it describes
        ctx.store.record_job_run(
            {
                "repo": event.repo,
                "job": job.name,
                "event": f"{event.name}.{event.action}" if event.action else event.name,
                "event_key": event.key,
                "number": event.number,
                "outcome": outcome_kind(outcome),
                "requests": outcome.requests,
                "llm_calls": calls,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "models": ",".join(models),
            }
        )


def _run(session: Session, job: Job, event: Event, base: Plan) -> Outcome:
    ctx = session.ctx
    reconcile(ctx)
    done = ctx.store.processed(event.key, job.name)
    if done is not None:
        reason = f"{ALREADY_PROCESSED} at {done['processed_at']}"
        return Outcome(job.name, base.with_(skipped=reason), ctx.dry_run, counted=False)
    sender = event.sender.login if event.sender is not None else ""
    if sender.lower() == ctx.bot_login.lower() and not event.terminal:  # the loop guard
        reason = f"the event was caused by ossbot itself ({sender})"
        return Outcome(job.name, base.with_(skipped=reason), ctx.dry_run, counted=False)
    plan = job.plan(ctx, event)
    results: list[Result] = []
    if not ctx.dry_run:
        if plan.actions and not plan.skipped:
            assert session.writer is not None
            clean = _cleaner(ctx.secrets.redact)
            executor = Executor(
                session.writer,
                ctx.store,
                ctx.bot_login,
                job=job.name,
                event_key=event.key,
                clean=clean,
                render=ctx.templates.render,
                handle=ctx.config.bot.handle,
                pace_scale=ctx.settings.ossbot_pace_scale,
                progress=session.progress,
            )
            results = executor.apply(plan)
        outcome = plan.skipped or f"{len(results)} action(s)"
        ctx.store.record_event(
            event.key,
            job=job.name,
            name=event.name,
            action=event.action,
            repo=event.repo,
            number=event.number,
            outcome=outcome,
        )
    if plan.refused:  # answered on GitHub (the actions), and the run says so: exit 2
        return Outcome(job.name, plan, ctx.dry_run, results, error=plan.refused, exit_code=2)
    return Outcome(job.name, plan, ctx.dry_run, results)


def _base(job: Job, event: Event) -> Plan:
    return Plan(
        job=job.name, event=f"{event.name}.{event.action}", repo=event.repo, number=event.number
    )


def _cleaner(redact: Any) -> Any:
    """What every text written goes through: no control characters or terminal escapes, no
    mention that notifies anyone, no secret."""
    return lambda text: redact(neutralize_mentions(sanitize(text)))


def live_event(session: Session, repo: str, number: int, *, pull: bool) -> Event:
    """An `opened` event built from the live issue or pull request (local use: --repo with
    --issue or --pr)."""
    reader = session.ctx.reader
    if pull:
        data = reader.pull_payload(repo, number)
        if data is None:
            raise InputError(f"{repo} has no pull request #{number} (or the token cannot see it)")
        payload = {
            "action": "opened",
            "number": number,
            "pull_request": data,
            "repository": {"full_name": repo},
            "sender": data.get("user"),
        }
        return event_from_payload(payload, "pull_request", source=f"{repo}#{number}")
    data = _issue_data(session, repo, number)
    if data.get("pull_request"):
        raise InputError(f"{repo}#{number} is a pull request: use --pr {number}")
    payload = {
        "action": "opened",
        "issue": data,
        "repository": {"full_name": repo},
        "sender": data.get("user"),
    }
    return event_from_payload(payload, "issues", source=f"{repo}#{number}")


def command_event(
    session: Session, repo: str, number: int, name: str, args: tuple[str, ...]
) -> Event:
    """An `issue_comment.created` event carrying the command, by the token's user, on the live
    issue or pull request (a terminal command). Its comment id is made unique per invocation."""
    import time

    ctx = session.ctx
    data = _issue_data(session, repo, number)
    try:
        actor = ctx.reader.authenticated_login() if ctx.online else None
    except (GitHubError, InputError):  # an installation token is nobody's: GET /user is refused
        actor = None
    if actor is None:
        raise InputError(
            "a command from a terminal acts as the token's user: use a personal token "
            "(GITHUB_TOKEN or --token; an app's installation token is nobody's)"
        )
    body = " ".join([ctx.config.bot.handle, name, *args])
    comment = {"id": time.time_ns() // 1000, "body": body, "user": {"login": actor, "type": "User"}}
    payload = {
        "action": "created",
        "issue": data,
        "comment": comment,
        "repository": {"full_name": repo},
        "sender": comment["user"],
    }
    event = event_from_payload(payload, "issue_comment", source=f"{repo}#{number}")
    return event.model_copy(update={"terminal": True})


def _issue_data(session: Session, repo: str, number: int) -> dict[str, Any]:
    data = session.ctx.reader.issue_payload(repo, number)
    if data is None:
        raise InputError(f"{repo}#{number} was not found (or the token cannot see it)")
    return data
