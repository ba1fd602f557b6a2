"""The jobs `ossbot run` knows, in the order it runs them on an event: commands first (a
command may change what the others see), then triage, then review, then spawn. A job is its name, the events it
handles, the feature that plans it, and the commands it takes (see README, "Adding a job")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from ossbot.commands.job import CommandSpec, help_spec, plan_commands
from ossbot.context import Context
from ossbot.events import Event
from ossbot.plan import Plan
from ossbot.review.job import COMMANDS as REVIEW_COMMANDS
from ossbot.review.job import EVENTS as REVIEW_EVENTS
from ossbot.review.job import plan_review_job
from ossbot.spawn.job import COMMANDS as SPAWN_COMMANDS
from ossbot.spawn.job import EVENTS as SPAWN_EVENTS
from ossbot.spawn.job import plan_spawn_job, spawn_wanted
from ossbot.triage.job import COMMANDS as TRIAGE_COMMANDS
from ossbot.triage.job import EVENTS as TRIAGE_EVENTS
from ossbot.triage.job import plan_triage

Feature = Callable[[Context, Event], Plan]


@dataclass(frozen=True)
class Job:
    name: str
    events: tuple[str, ...]
    plan: Feature
    commands: tuple[CommandSpec, ...] = ()
    # Whether it runs on events bots caused: review does (a bot's push to a person's pull
    # request); whose pull requests it reviews is review.bots' business.
    bots: bool = False
    # Whether the event is for it at all (cheap, from the payload); a job it is not for is not
    # run, recorded or shown. None: every event of its types is.
    wants: Callable[[Event], bool] | None = None


def _plan_commands(ctx: Context, event: Event) -> Plan:
    return plan_commands(ctx, event, command_specs())


JOBS: tuple[Job, ...] = (
    Job("commands", ("issue_comment",), _plan_commands),
    Job("triage", TRIAGE_EVENTS, plan_triage, TRIAGE_COMMANDS),
    Job("review", REVIEW_EVENTS, plan_review_job, REVIEW_COMMANDS, bots=True),
    Job("spawn", SPAWN_EVENTS, plan_spawn_job, SPAWN_COMMANDS, wants=spawn_wanted),
)


@cache
def command_specs() -> dict[str, CommandSpec]:
    specs = {spec.name: spec for job in JOBS for spec in job.commands}
    specs["help"] = help_spec(command_specs)
    return specs


def jobs_for(event_name: str) -> list[Job]:
    """The jobs that handle this event, in order ([] when none does)."""
    return [job for job in JOBS if event_name in job.events]


def job_named(name: str) -> Job:
    return next(job for job in JOBS if job.name == name)
