"""The commands job: the first job on a new comment. It finds the commands in it, checks once
per run that the commenter's repository role is enough for each command that writes
(`GET /repos/{o}/{r}/collaborators/{u}/permission`, its `role_name` against
`commands.permission`), answers a refused command with one short comment (and writes nothing
else for it), and asks each allowed command's job for its actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ossbot.commands.parse import Command, parse_commands
from ossbot.context import Context
from ossbot.events import Event
from ossbot.github.own import own_comments
from ossbot.plan import Action, Plan, UpsertComment
from ossbot.repo_config import RepoConfig
from ossbot.text import neutralize_mentions

REFUSED = "refused-"
ANSWERS = "mention-"  # the kinds of answers ossbot gives when asked, counted together
HELP = f"{ANSWERS}help-"  # help is an answer too (mentions.max_per_issue)


@dataclass
class Planned:
    """What a command adds to the plan."""

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: str | None = None  # the command's input could not be used (exit 2)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str
    writes: bool  # whether it needs `commands.permission`
    plan: Callable[[Context, Event, Command], Planned]
    usage: str = ""
    # The role it needs when not commands.permission (say, spawn.permission).
    role: Callable[[RepoConfig], str] | None = None


def plan_commands(ctx: Context, event: Event, specs: Mapping[str, CommandSpec]) -> Plan:
    issue, comment = event.issue, event.comment
    assert issue is not None and comment is not None
    plan = Plan(
        job="commands", event=f"{event.name}.{event.action}", repo=event.repo, number=issue.number
    )
    if event.action != "created":
        return plan.with_(
            skipped=f"commands are read when a comment is created, not {event.action}"
        )
    if comment.user.is_bot:
        return plan.with_(skipped=f"the comment is by a bot ({comment.user.login})")
    cfg, handle = ctx.config.commands, ctx.config.bot.handle
    if not cfg.enabled:
        return plan.with_(skipped="commands are turned off (commands.enabled: false)")
    found = parse_commands(comment.body, handle=handle, slash=cfg.slash, names=specs)
    if not found:
        return plan.with_(skipped=f"the comment holds no {handle} command")
    actions: list[Action] = []
    notes: list[str] = []
    failure: str | None = None
    refused: list[tuple[Command, str, str | None]] = []
    login = comment.user.login
    for command in found:
        spec = specs[command.name]
        if spec.writes:
            needed = needed_role(ctx.config, spec)
            allowed, role = ctx.may(login, needed)
            if not ctx.online:
                notes.append(
                    f"no token: whether {login} may run {handle} {command.name} "
                    f"(needs {needed}) was not checked; a real run refuses it otherwise"
                )
            elif not allowed:
                refused.append((command, needed, role))
                continue
        planned = spec.plan(ctx, event, command)
        actions += planned.actions
        notes += planned.notes
        failure = failure or planned.refused
    if refused:
        actions.append(_refusal(ctx, event, refused))
    return plan.with_(actions=actions, notes=notes, refused=failure)


def needed_role(config: RepoConfig, spec: CommandSpec) -> str:
    """commands.permissions' override for the command, else its own (spawn.permission), else
    commands.permission."""
    cfg = config.commands
    if spec.name in cfg.permissions:
        return cfg.permissions[spec.name]
    return spec.role(config) if spec.role is not None else cfg.permission


def _refusal(
    ctx: Context, event: Event, refused: list[tuple[Command, str, str | None]]
) -> UpsertComment:
    comment = event.comment
    assert comment is not None and event.issue is not None
    handle = ctx.config.bot.handle
    body = ctx.templates.render(
        "command-refused.md.j2",
        commenter=neutralize_mentions("@" + comment.user.login),
        commands=[{"text": c.shown(handle), "needs": needed} for c, needed, _ in refused],
        role=refused[0][2] or "none",
        repo=ctx.repo,
    )
    return UpsertComment(
        repo=ctx.repo, number=event.issue.number, marker=f"{REFUSED}{comment.id}", body=body
    )


def help_spec(specs: Callable[[], Mapping[str, CommandSpec]]) -> CommandSpec:
    """`@ossbot help`: the commands and who may run them (anyone may ask)."""

    def plan(ctx: Context, event: Event, command: Command) -> Planned:
        assert event.issue is not None and event.comment is not None
        cfg, handle = ctx.config.commands, ctx.config.bot.handle
        cap = ctx.config.mentions.max_per_issue
        given = own_comments(
            ctx.reader, ctx.repo, event.issue.number, ctx.bot_login, prefix=ANSWERS
        )
        if len(given) >= cap:
            return Planned(
                notes=[
                    f"{len(given)} answers were given on this issue already "
                    "(mentions.max_per_issue): no help is posted"
                ]
            )
        rows = [
            {
                "usage": f"{handle} {spec.name}{' ' + spec.usage if spec.usage else ''}",
                "summary": spec.summary,
                "who": needed_role(ctx.config, spec) if spec.writes else "anyone",
            }
            for spec in sorted(specs().values(), key=lambda s: s.name)
        ]
        body = ctx.templates.render(
            "command-help.md.j2", commands=rows, handle=handle, slash=cfg.slash
        )
        kind = f"{HELP}{event.comment.id}"
        return Planned(
            [
                UpsertComment(
                    repo=ctx.repo,
                    number=event.issue.number,
                    marker=kind,
                    body=body,
                    family=ANSWERS,
                    family_max=ctx.config.mentions.max_per_issue,
                )
            ]
        )

    return CommandSpec("help", "list the commands and who may run them", writes=False, plan=plan)
