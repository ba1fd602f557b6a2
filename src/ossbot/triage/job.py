"""The triage job: which plan an event gets. Issues are triaged (and their authors welcomed),
comments on issues may get an onboarding reply or an answer, and a new pull request may get a
welcome."""

from __future__ import annotations

from ossbot.commands.job import CommandSpec, Planned
from ossbot.commands.parse import Command
from ossbot.context import Context
from ossbot.events import Event
from ossbot.plan import Plan
from ossbot.triage.comments import plan_comment
from ossbot.triage.feature import plan_issue
from ossbot.triage.welcome import plan_welcome

EVENTS = ("issues", "issue_comment", "pull_request")


def _triage_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot triage`: triage the issue again, as it reads now (labels a human removed stay
    removed)."""
    assert event.issue is not None
    if event.issue.is_pull_request:
        return Planned(notes=["triage works on issues; this is a pull request"])
    again = event.model_copy(update={"name": "issues", "action": "edited", "comment": None})
    plan = plan_issue(ctx, again, forced=True)
    return Planned(plan.actions, plan.notes + ([plan.skipped] if plan.skipped else []))


COMMANDS = (
    CommandSpec(
        "triage", "triage this issue again: summary and labels", writes=True, plan=_triage_command
    ),
)


def plan_triage(ctx: Context, event: Event) -> Plan:
    if event.name == "issue_comment":
        return plan_comment(ctx, event)
    if event.name == "pull_request":
        return _plan_pull_request(ctx, event)
    return plan_issue(ctx, event)


def _plan_pull_request(ctx: Context, event: Event) -> Plan:
    pull = event.pull_request
    assert pull is not None
    plan = Plan(
        job="triage", event=f"{event.name}.{event.action}", repo=event.repo, number=pull.number
    )
    actions = plan_welcome(ctx, event, pull.user.login, is_pull_request=True)
    if actions:
        return plan.with_(actions=actions)
    if not ctx.config.welcome.enabled:
        return plan.with_(skipped="welcome is off (welcome.enabled: false)")
    if not ctx.online:
        return plan.with_(
            skipped="without a token ossbot cannot tell whether this is "
            "the author's first pull request"
        )
    return plan.with_(
        skipped="no welcome is due (not a new pull request, or not the author's first)"
    )
