"""The review job: pull request events (pull_request and pull_request_target: opened,
synchronize, reopened, ready_for_review), and the `review` command on a pull request."""

from __future__ import annotations

from dataclasses import replace

from ossbot.commands.job import CommandSpec, Planned
from ossbot.commands.parse import Command
from ossbot.context import Context
from ossbot.events import Event, PullRequest
from ossbot.plan import Plan

EVENTS = ("pull_request",)


def plan_review_job(ctx: Context, event: Event) -> Plan:
    from ossbot.review.feature import plan_review  # imported when reviewing: start-up stays fast

    return plan_review(ctx, event)


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
    from ossbot.review.feature import plan_review

    pull = PullRequest.model_validate(data)
    again = event.model_copy(
        update={"name": "pull_request", "action": "synchronize", "pull_request": pull}
    )
    # The review's config is the pull request's base commit's, as on a pull_request event.
    at_base = replace(ctx, commit=pull.base.sha, config_ref=pull.base.sha)
    plan = plan_review(at_base, again, forced=True)
    if "llm" in at_base.__dict__ and "llm" not in ctx.__dict__:  # its usage is this run's
        ctx.__dict__["llm"] = at_base.__dict__["llm"]
    return Planned(plan.actions, plan.notes + ([plan.skipped] if plan.skipped else []))


COMMANDS = (
    CommandSpec(
        "review",
        "review this pull request again, in full",
        writes=True,
        plan=_review_command,
    ),
)
