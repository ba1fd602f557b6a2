"""One invocation from event to outcome: guards, context, feature, then executor (or preview)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ossbot.context import Context, build_context
from ossbot.errors import UnsupportedEvent
from ossbot.events import Event, event_from_payload
from ossbot.plan import Executor, Plan, Result
from ossbot.settings import Settings
from ossbot.triage.job import EVENTS as TRIAGE_EVENTS
from ossbot.triage.job import plan_triage

Feature = Callable[[Context, Event], Plan]

# job → (the events it handles, the feature that plans it)
JOBS: dict[str, tuple[tuple[str, ...], Feature]] = {
    "triage": (TRIAGE_EVENTS, plan_triage),
}


@dataclass
class Outcome:
    plan: Plan
    dry_run: bool
    results: list[Result] = field(default_factory=list)
    requests: int = 0
    llm: str | None = None  # what the model calls cost, when a model was used


def job_for(event_name: str) -> str | None:
    """The job `ossbot run` dispatches an event to, or None when no job handles it."""
    return next((job for job, (events, _) in JOBS.items() if event_name in events), None)


def run_job(
    job: str,
    settings: Settings,
    event: Event,
    *,
    dry_run: bool,
    config_path: Path | None = None,
    state_path: Path | None = None,
    ctx: Context | None = None,
) -> Outcome:
    events, feature = JOBS[job]
    if event.name not in events:
        raise UnsupportedEvent(f"'{job}' handles {' and '.join(events)} events, not '{event.name}'")
    base = Plan(job=job, event=f"{event.name}.{event.action}", repo=event.repo, number=event.number)
    if event.sender is not None and event.sender.is_bot:
        reason = f"the event was caused by a bot ({event.sender.login})"
        return Outcome(base.model_copy(update={"skipped": reason}), dry_run)
    ctx = ctx or build_context(
        settings, event.repo, dry_run=dry_run, config_path=config_path, state_path=state_path
    )
    try:
        return _run(ctx, feature, event, base)
    finally:
        ctx.close()


def _run(ctx: Context, feature: Feature, event: Event, base: Plan) -> Outcome:
    done = ctx.store.processed(event.key)
    if done is not None:
        reason = f"this event was already processed at {done['processed_at']}"
        return Outcome(base.model_copy(update={"skipped": reason}), ctx.dry_run)
    if event.sender is not None and event.sender.login.lower() == ctx.bot_login.lower():
        reason = f"the event was caused by ossbot itself ({event.sender.login})"
        return Outcome(
            base.model_copy(update={"skipped": reason}), ctx.dry_run, requests=_requests(ctx)
        )
    plan = feature(ctx, event)
    results: list[Result] = []
    if not ctx.dry_run:
        if plan.actions and not plan.skipped:
            assert ctx.gateway is not None
            results = Executor(ctx.gateway, ctx.store, ctx.bot_login).apply(plan, event.key)
        outcome = plan.skipped or f"{len(results)} action(s)"
        ctx.store.record_event(
            event.key,
            name=event.name,
            action=event.action,
            repo=event.repo,
            number=event.number,
            job=plan.job,
            outcome=outcome,
        )
    return Outcome(plan, ctx.dry_run, results, _requests(ctx), ctx.llm_usage())


def _requests(ctx: Context) -> int:
    return ctx.reader.total_requests


def live_issue_event(ctx: Context, number: int) -> Event:
    """An `issues.opened` event built from the live issue (local use: --repo/--issue)."""
    assert ctx.gateway is not None
    data = ctx.gateway.issue_payload(ctx.repo, number)
    payload = {
        "action": "opened",
        "issue": data,
        "repository": {"full_name": ctx.repo},
        "sender": data.get("user"),
    }
    return event_from_payload(payload, "issues", source=f"{ctx.repo}#{number}")
