"""The spawn job: a spawn command in an issue's body (issues: opened, edited), and the
commands of a run's life in comments (spawn, confirm, cancel, rollback, status). The
feature is imported when used: start-up stays fast."""

from __future__ import annotations

from collections.abc import Callable

from ossbot.commands.job import CommandSpec, Planned
from ossbot.commands.parse import Command
from ossbot.context import Context
from ossbot.events import Event
from ossbot.plan import Plan
from ossbot.repo_config import RepoConfig

EVENTS = ("issues",)


def spawn_wanted(event: Event) -> bool:
    """An issue event is spawn's only when its body mentions spawn (or from a terminal)."""
    body = event.issue.body if event.issue is not None else ""
    return event.terminal or "spawn" in (body or "").lower()


def plan_spawn_job(ctx: Context, event: Event) -> Plan:
    from ossbot.spawn.feature import plan_spawn_issue

    plan = Plan(
        job="spawn", event=f"{event.name}.{event.action}", repo=event.repo, number=event.number
    )
    planned = plan_spawn_issue(ctx, event)
    if not planned.actions:
        return plan.with_(skipped="; ".join(planned.notes) or "no spawn command")
    return plan.with_(actions=planned.actions, notes=planned.notes, refused=planned.refused)


def _lazy(name: str) -> Callable[[Context, Event, Command], Planned]:
    def plan(ctx: Context, event: Event, command: Command) -> Planned:
        from ossbot.spawn import feature

        assert event.issue is not None
        if event.issue.is_pull_request:
            return Planned(notes=[f"{command.name} works on issues, not pull requests"])
        planned: Planned = getattr(feature, name)(ctx, event, command)
        return planned

    return plan


def _role(config: RepoConfig) -> str:
    return config.spawn.permission


COMMANDS = (
    CommandSpec(
        "spawn",
        "split the spec in this issue or comment into issues (previewed when large)",
        writes=True,
        plan=_lazy("spawn_command"),
        role=_role,
    ),
    CommandSpec(
        "confirm",
        "create the issues of a previewed spawn run, or finish a stopped one",
        writes=True,
        plan=_lazy("confirm_command"),
        usage="[RUN]",
        role=_role,
    ),
    CommandSpec(
        "cancel",
        "drop a previewed spawn run",
        writes=True,
        plan=_lazy("cancel_command"),
        usage="[RUN]",
        role=_role,
    ),
    CommandSpec(
        "rollback",
        "close the issues a spawn run created, as not planned",
        writes=True,
        plan=_lazy("rollback_command"),
        usage="[RUN|last]",
        role=_role,
    ),
    CommandSpec(
        "status",
        "list this issue's spawn runs",
        writes=False,
        plan=_lazy("status_command"),
    ),
)
