"""The review job: pull request events (pull_request and pull_request_target: opened,
synchronize, reopened, ready_for_review), and the `review` command on a pull request."""

from __future__ import annotations

from ossbot.commands.job import CommandSpec, Planned
from ossbot.commands.parse import Command
from ossbot.context import Context
from ossbot.events import Event, PullRequest
from ossbot.plan import Plan
from ossbot.review.feature import plan_review

EVENTS = ("pull_request",)


def plan_review_job(ctx: Context, event: Event) -> Plan:
    return plan_review(ctx, event)


def allows_bots(ctx: Context) -> bool:
    return ctx.config.review.bots


def _review_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot review`: a full review of the pull request as it is now."""
    assert event.issue is not None
    if not event.issue.is_pull_request:
        return Planned(notes=["review works on pull requests; this is an issue"])
    data = ctx.reader.pull_payload(ctx.repo, event.issue.number)
    if data is None:
        if not ctx.online:
            return Planned(
                notes=["no token: the pull request cannot be read, so it is not reviewed"]
            )
        return Planned(notes=["the pull request cannot be read (or it is gone)"])
    pull = PullRequest.model_validate(data)
    again = event.model_copy(
        update={"name": "pull_request", "action": "synchronize", "pull_request": pull}
    )
    plan = plan_review(ctx, again, forced=True)
    return Planned(plan.actions, plan.notes + ([plan.skipped] if plan.skipped else []))


COMMANDS = (
    CommandSpec(
        "review",
        "review this pull request again, in full",
        writes=True,
        plan=_review_command,
    ),
)
