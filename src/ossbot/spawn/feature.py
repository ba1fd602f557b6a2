"""Planning spawn runs: from a spec in an issue or comment to a run's plan, and the plans of
its commands (confirm, cancel, rollback, status). Nothing here writes: the executor creates the
issues (`SpawnBatch`), rolls them back (`RollbackRun`) and keeps the run's row (`RecordRun`).

Where a run's facts come from: its row in the state database when there is one, else ossbot's
own run comment on the parent (its marker holds the state, the plan's hash, the plan itself and
the issues created), so every command still works after the state was lost."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ossbot.commands.job import Planned
from ossbot.commands.parse import Command, parse_commands
from ossbot.context import Context
from ossbot.errors import InputError
from ossbot.events import Event, Issue
from ossbot.github.markers import find_marker, marker_kinds
from ossbot.github.own import own_comments
from ossbot.markdown import command_lines
from ossbot.plan import RecordRun, RollbackRun, SpawnBatch, UpsertComment
from ossbot.spawn.dedupe import dedupe, key_of
from ossbot.spawn.filter import ContentFilter
from ossbot.spawn.options import SpawnOptions, SpawnOptionsError, parse_options
from ossbot.spawn.run import (
    FOOTER_START,
    REPLY_KIND,
    RUN_KIND,
    STALE_AFTER_S,
    STATUS_KIND,
    Hit,
    PlannedTask,
    RunPlan,
    SkippedTask,
    decode_plan,
    run_id,
    run_row,
    spec_hash,
)
from ossbot.spawn.split import Task, expand_template, split_spec
from ossbot.spawn.view import run_comment, run_marker_attrs
from ossbot.text import clip, neutralize_mentions

_NEWLINE = re.compile(r"\r\n?|\n")
_PROBE = "ossbotprobe7f3a"
_RUN_ARG = re.compile(r"[0-9a-f]{6,10}")


# -- where the spec is ------------------------------------------------------------------------


def find_spawn(text: str, *, handle: str, slash: bool) -> tuple[str, str] | None:
    """The text before and after the first `spawn` command line (outside code, quotes and
    HTML), or None when there is none."""
    found = parse_commands(text, handle=handle, slash=slash, names=("spawn",))
    if not found:
        return None
    line = found[0].line
    lines = _NEWLINE.split(text)
    for at, raw in enumerate(lines):
        if line not in raw:
            continue
        probe = [*lines[:at], raw.replace(line, f"{line} {_PROBE}", 1), *lines[at + 1 :]]
        if any(_PROBE in shown for shown in command_lines("\n".join(probe))):
            return "\n".join(lines[:at]), "\n".join(lines[at + 1 :])
    return None


@dataclass(frozen=True)
class Source:
    """Where the spec was written: the issue's body, or a comment."""

    kind: str  # "issue" or "comment"
    id: int  # the issue's number, or the comment's id
    text: str


def spec_of(ctx: Context, issue: Issue, source: Source) -> tuple[SpawnOptions, str]:
    """The options and the spec of a spawn command in `source`; a comment holding only the
    command (and options) takes the issue's body as its spec."""
    cfg, handle = ctx.config.spawn, ctx.config.bot.handle
    parts = find_spawn(source.text, handle=handle, slash=ctx.config.commands.slash)
    before, after = parts if parts is not None else ("", source.text)
    options, rest = parse_options(after, max_issues=cfg.max_issues, max_rate=cfg.max_rate)
    spec = "\n\n".join(part for part in (before.strip(), rest.strip()) if part)
    if not spec and source.kind == "comment":
        body = issue.body or ""
        found = find_spawn(body, handle=handle, slash=ctx.config.commands.slash)
        if found is not None:
            _, tail = found
            spec = "\n\n".join(
                p
                for p in (
                    found[0].strip(),
                    parse_options(tail, max_issues=cfg.max_issues, max_rate=cfg.max_rate)[1],
                )
                if p.strip()
            )
        else:
            spec = body.strip()
    return options, spec


# -- the runs an issue has --------------------------------------------------------------------


@dataclass
class KnownRun:
    run: str
    state: str
    plan: RunPlan | None
    plan_hash: str | None
    created: list[int]
    started_at: str | None
    updated_at: str | None
    comment_url: str | None = None
    comment_id: int | None = None
    event_key: str | None = None

    @property
    def stale(self) -> bool:
        """A run that says "running" but has not moved for a while has stopped."""
        if self.state != "running" or not self.updated_at:
            return self.state == "running"
        try:
            at = datetime.fromisoformat(self.updated_at.replace("Z", "+00:00"))
        except ValueError:
            return True
        return (datetime.now(UTC) - at).total_seconds() > STALE_AFTER_S


def known_runs(ctx: Context, parent: int) -> list[KnownRun]:
    """This issue's runs, newest first: the state database's rows, and the run comments on the
    issue for runs it lacks (or knows less well)."""
    runs: dict[str, KnownRun] = {}
    for row in ctx.store.runs(ctx.repo, parent):
        plan = RunPlan.model_validate_json(row["plan"]) if row.get("plan") else None
        runs[row["run"]] = KnownRun(
            row["run"],
            row["state"],
            plan,
            row.get("plan_hash"),
            [int(n) for n in _json_list(row.get("created"))],
            row.get("started_at"),
            row.get("updated_at"),
            event_key=row.get("event_key"),
        )
    if ctx.online:
        for comment in own_comments(ctx.reader, ctx.repo, parent, ctx.bot_login, prefix=RUN_KIND):
            kind = next(k for k in marker_kinds(comment.body) if k.startswith(RUN_KIND))
            marker = find_marker(comment.body, kind)
            if marker is None:
                continue
            run = kind.removeprefix(RUN_KIND)
            known = runs.get(run)
            said = KnownRun(
                run,
                marker.get("s") or "pending",
                decode_plan(marker.get("p"), marker.get("ph")),
                marker.get("ph"),
                [int(n) for n in marker.get_list("c") if n.isdigit()],
                marker.get("t0") or comment.created_at,
                marker.get("at") or comment.updated_at,
                comment.html_url,
                comment.id,
                marker.get("e"),
            )
            if known is None:
                runs[run] = said
                continue
            known.comment_url, known.comment_id = comment.html_url, comment.id
            known.plan = known.plan or said.plan
            known.created = sorted(set(known.created) | set(said.created))
            if (said.updated_at or "") > (known.updated_at or ""):  # a later run moved it on
                known.state, known.updated_at = said.state, said.updated_at
    return sorted(runs.values(), key=lambda r: (r.started_at or "", r.run), reverse=True)


def _json_list(value: Any) -> list[Any]:
    if not value:
        return []
    try:
        found = json.loads(value)
    except ValueError:
        return []
    return [item["number"] if isinstance(item, dict) else item for item in found or []]


def pick_run(runs: list[KnownRun], arg: str | None, wanted: tuple[str, ...]) -> KnownRun | None:
    """The run named (an id, or a prefix of one), or the newest in one of the `wanted`
    states; `last` is the newest run that created issues."""
    if arg and arg.lower() != "last":
        chosen = [r for r in runs if r.run.startswith(arg.lower())]
        return chosen[0] if len(chosen) == 1 else None
    return next((r for r in runs if r.state in wanted), None)


# -- a new run ----------------------------------------------------------------------------------


def plan_spawn(
    ctx: Context, event: Event, source: Source, *, requested_by: str, edited: bool = False
) -> Planned:
    """The run a spawn command asks for: created at once when small, previewed otherwise. A
    run for this very spec that exists already is resumed when it stopped half-way, and left
    alone otherwise."""
    issue = event.issue
    assert issue is not None
    cfg = ctx.config.spawn
    reply_to = source.id if source.kind == "comment" else None
    try:
        options, spec = spec_of(ctx, issue, source)
    except SpawnOptionsError as exc:
        return _refused(ctx, issue.number, reply_to, str(exc), kind="options")
    if not spec.strip() and not options.template:
        return _refused(
            ctx, issue.number, reply_to, "spawn: there is no spec to split", kind="options"
        )
    hashed = spec_hash(source.text)
    run = run_id(ctx.repo, issue.number, source.kind, source.id, hashed)
    runs = known_runs(ctx, issue.number)
    existing = next((r for r in runs if r.run == run), None)
    if existing is not None:
        if edited:
            return Planned(notes=[f"spawn run {run} exists for this spec ({existing.state})"])
        return _again(ctx, event, existing)
    try:
        labels = _option_labels(ctx, options)
        milestone = _milestone(ctx, options)
    except SpawnOptionsError as exc:
        return _refused(ctx, issue.number, reply_to, str(exc), kind="options")
    tasks, engine, notes, truncated = _tasks(ctx, issue.number, spec, options)
    hits = ContentFilter(cfg.prohibited).scan_tasks(spec, [(t.title, t.body) for t in tasks])
    existing_issues = _existing(ctx, issue.number)
    deduped = dedupe(tasks, existing_issues, options.unique_by)
    planned, skipped = _planned(tasks, deduped, labels, options)
    reasons = []
    if options.dry_run:
        reasons.append("the spec asked for a preview (dry_run: true)")
    if len(planned) > cfg.confirm_threshold:
        reasons.append(
            f"{len(planned)} issues are more than spawn.confirm_threshold ({cfg.confirm_threshold})"
        )
    if hits:
        reasons.append(
            f"the content filter found {len(hits)} prohibited word(s) (spawn.prohibited)"
        )
    if truncated:
        reasons.append(truncated)
    plan = RunPlan(
        run=run,
        repo=ctx.repo,
        parent=issue.number,
        source=source.kind,
        comment_id=source.id if source.kind == "comment" else None,
        spec_hash=hashed,
        requested_by=requested_by,
        created_at=_now(),
        since=_github_time(event, source),
        engine=engine,
        tasks=planned,
        skipped=skipped,
        hits=[Hit(keyword=h.keyword, where=h.where, excerpt=h.excerpt) for h in hits],
        reasons=reasons,
        notes=notes,
        assignees=list(options.assignees),
        milestone=milestone,
        sub_issues=options.sub_issues,
        rate_per_minute=min(
            options.rate_limit_per_minute or cfg.rate_limit_per_minute, cfg.max_rate
        ),
    )
    notes = [*notes, *options.notes]
    if not planned:
        body = run_comment(ctx, plan, state="completed", created={})
        return Planned(
            [_run_comment(ctx, plan, "completed", body)],
            notes=[*notes, "every task duplicates an existing issue: nothing to create"],
        )
    if reasons:
        body = run_comment(ctx, plan, state="pending", created={})
        return Planned(
            [
                RecordRun(
                    repo=ctx.repo, number=issue.number, row=run_row(plan, "pending", event.key)
                ),
                _run_comment(ctx, plan, "pending", body),
            ],
            notes=[*notes, f"previewed: {'; '.join(reasons)}"],
        )
    return Planned([_batch(ctx, plan, event, confirmed_by=None)], notes=notes)


def _again(ctx: Context, event: Event, run: KnownRun) -> Planned:
    """The same spec asked again: a run that stopped is finished, others are left alone."""
    if run.state in ("partial", "failed") or (
        run.state == "running" and (run.stale or run.event_key == event.key)
    ):
        if run.plan is None:
            return Planned(notes=[f"spawn run {run.run} stopped, but its plan is lost"])
        return Planned(
            [_batch(ctx, run.plan, event, confirmed_by=None)],
            notes=[f"spawn run {run.run} had stopped ({run.state}): it is finished now"],
        )
    return Planned(notes=[f"spawn run {run.run} exists for this spec: it is {run.state}"])


def _tasks(
    ctx: Context, parent: int, spec: str, options: SpawnOptions
) -> tuple[list[Task], str, list[str], str | None]:
    """The tasks, how they were made, notes, and why the batch was cut (when it was)."""
    cfg = ctx.config.spawn
    limit = options.count or cfg.max_issues
    notes: list[str] = []
    if options.template is not None:
        tasks = expand_template(
            options.template, options.components_list, parent_issue=parent, count=options.count
        )
        return tasks, "template", notes, None
    if ctx.llm.enabled:
        from ossbot.llm.client import AllProvidersFailed
        from ossbot.spawn.generate import decide_count, generate_tasks

        count = options.count
        try:
            if count is None:
                count = decide_count(
                    ctx.llm, ctx.prompts, ctx.repo, parent, spec, max_issues=cfg.max_issues
                )
        except AllProvidersFailed as failure:
            notes.append(f"the model was unavailable, so the spec was split offline: {failure}")
        else:
            labels = [label.name for label in _model_labels(ctx)]
            tasks, more = generate_tasks(
                ctx.llm, ctx.prompts, ctx.repo, parent, spec, count=count, labels=labels
            )
            engine = "model" if tasks and tasks[0].source == "model" else "split"
            return tasks, engine, notes + more, None
    found = split_spec(spec, max_tasks=limit + 1)
    truncated = None
    if len(found) > limit:
        found = split_spec(spec, max_tasks=cfg.max_issues * 5 + 1)
        why = "count" if options.count else "spawn.max_issues"
        truncated = f"the spec holds {len(found)} tasks or more: only the first {limit} ({why})"
        found = found[:limit]
    engine = f"split ({found[0].source})" if found else "split"
    return found, engine, notes, truncated


def _model_labels(ctx: Context) -> list[Any]:
    from ossbot.triage.labelling import permitted_labels

    return permitted_labels(ctx) or []


def _option_labels(ctx: Context, options: SpawnOptions) -> list[str]:
    """The labels every issue gets: they must exist in the repository (ossbot creates none)."""
    wanted = [*ctx.config.spawn.labels, *options.labels]
    if not wanted:
        return []
    available = ctx.reader.repo_labels(ctx.repo)
    if available is None:  # no token: cannot be checked
        return wanted
    names = {label.name.lower(): label.name for label in available}
    missing = [name for name in wanted if name.lower() not in names]
    if missing:
        import difflib

        close = difflib.get_close_matches(missing[0], list(names.values()), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpawnOptionsError(
            f"spawn option 'labels': {', '.join(repr(m) for m in missing)} is not a label of "
            f"{ctx.repo}{hint}; ossbot uses only existing labels"
        )
    return list(dict.fromkeys(names[name.lower()] for name in wanted))


def _milestone(ctx: Context, options: SpawnOptions) -> int | None:
    wanted = options.milestone
    if wanted is None:
        return None
    found = ctx.reader.milestones(ctx.repo)
    if found is None:
        return wanted if isinstance(wanted, int) else None
    for item in found:
        if (isinstance(wanted, int) and item["number"] == wanted) or (
            str(item.get("title", "")).strip().lower() == str(wanted).strip().lower()
        ):
            return int(item["number"])
    raise SpawnOptionsError(
        f"spawn option 'milestone': {wanted!r} is not an open milestone of {ctx.repo}"
    )


def _existing(ctx: Context, parent: int) -> list[dict[str, Any]]:
    """The repository's issues (open and closed, as far as the history reaches), with the
    footer ossbot adds to a spawned issue taken off (so it compares as the task it was)."""
    if not ctx.online:
        return []
    from ossbot.triage.history import history

    issues = []
    for past in history(ctx).issues:
        if past.number == parent:
            continue
        issues.append({"number": past.number, "title": past.title, "body": task_text(past.body)})
    return issues


def task_text(body: str) -> str:
    """A spawned issue's body without ossbot's footer and marker."""
    from ossbot.github.markers import strip_markers

    at = (body or "").rfind(FOOTER_START)
    return strip_markers(body[:at] if at >= 0 else body or "").strip()


def _planned(
    tasks: list[Task], deduped: Any, labels: list[str], options: SpawnOptions
) -> tuple[list[PlannedTask], list[SkippedTask]]:
    index_of = {old: new for new, old in enumerate(deduped.kept, 1)}
    planned = []
    for old in deduped.kept:
        task = tasks[old]
        on_tasks, on_issues = deduped.depends_on.get(old, ((), ()))
        planned.append(
            PlannedTask(
                index=index_of[old],
                title=task.title,
                body=task.body,
                labels=list(dict.fromkeys([*labels, *task.labels])),
                depends_on=sorted(index_of[d] for d in on_tasks if d in index_of),
                blocked_by=sorted(on_issues),
                key=key_of(task.title, task.body, "hash")[:12],
            )
        )
    skipped = [
        SkippedTask(
            title=s.task.title,
            same_as_task=index_of.get(s.same_as_task) if s.same_as_task is not None else None,
            same_as_issue=s.same_as_issue,
        )
        for s in deduped.skipped
    ]
    return planned, skipped


# -- rows and comments --------------------------------------------------------------------------


def _run_comment(
    ctx: Context, plan: RunPlan, state: str, body: str, created: list[int] | None = None
) -> UpsertComment:
    return UpsertComment(
        repo=ctx.repo,
        number=plan.parent,
        marker=f"{RUN_KIND}{plan.run}",
        attrs=run_marker_attrs(plan, state, created or []),
        body=body,
        fresh=True,
    )


def _batch(ctx: Context, plan: RunPlan, event: Event, *, confirmed_by: str | None) -> SpawnBatch:
    return SpawnBatch(
        repo=ctx.repo,
        number=plan.parent,
        plan=plan,
        body=run_comment(ctx, plan, state="planned", created={}),
        confirmed_by=confirmed_by,
        event_key=event.key,
    )


def _reply(ctx: Context, number: int, to: int | None, text: str, *, kind: str) -> UpsertComment:
    """A short answer to a command (one per command comment, or per issue event kind)."""
    body = ctx.templates.render("spawn-reply.md.j2", text=text, handle=ctx.config.bot.handle)
    return UpsertComment(
        repo=ctx.repo,
        number=number,
        marker=f"{REPLY_KIND}{to if to is not None else kind}",
        body=body,
        fresh=True,
    )


def _refused(ctx: Context, number: int, to: int | None, text: str, *, kind: str) -> Planned:
    return Planned([_reply(ctx, number, to, text, kind=kind)], refused=text)


def _github_time(event: Event, source: Source) -> str:
    """When GitHub says the spec was written (its clock, not ours: the run's issues are
    looked for by GitHub's `created_at`)."""
    if source.kind == "comment" and event.comment is not None and event.comment.created_at:
        return event.comment.created_at
    return (event.issue.created_at if event.issue is not None else None) or ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- the commands -------------------------------------------------------------------------------


def _command_comment(event: Event) -> tuple[Issue, int, str]:
    assert event.issue is not None and event.comment is not None
    return event.issue, event.comment.id, event.comment.user.login


def spawn_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot spawn` in a comment (its permission was checked by the commands job)."""
    _, comment_id, login = _command_comment(event)
    if not ctx.config.spawn.enabled:
        return Planned(notes=["spawn is turned off (spawn.enabled: false)"])
    assert event.comment is not None
    source = Source("comment", comment_id, event.comment.body or "")
    return plan_spawn(ctx, event, source, requested_by=login)


def confirm_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot confirm [RUN]`: create exactly the previewed plan (or finish a stopped run)."""
    issue, comment_id, login = _command_comment(event)
    runs = known_runs(ctx, issue.number)
    arg = command.args[0] if command.args else None
    run = pick_run(runs, arg, ("pending", "partial", "failed"))
    if run is None:
        return _no_run(ctx, issue.number, comment_id, arg, "to confirm")
    say = lambda text: _refused(ctx, issue.number, comment_id, text, kind="confirm")  # noqa: E731
    if run.state in ("completed", "cancelled", "rolled_back"):
        return say(f"spawn run `{run.run}` is {run.state.replace('_', ' ')}: nothing to confirm")
    # A run that says "running" may have died (a killed job): the same event run again, a
    # terminal's --resume, or a confirm once it has not moved for a while, finish it.
    if run.state == "running" and not (run.stale or event.terminal or run.event_key == event.key):
        return say(
            f"spawn run `{run.run}` is running: wait for it to finish (if its job died, confirm "
            f"again once it has not moved for {STALE_AFTER_S // 60} minutes)"
        )
    if run.plan is None:
        return say(
            f"the plan of spawn run `{run.run}` is lost (no state, no readable preview): "
            f"ask `{ctx.config.bot.handle} spawn` again"
        )
    plan = run.plan
    changed = _spec_changed(ctx, issue, plan)
    if changed:
        return say(changed)
    cap = ctx.config.spawn.max_issues
    if len(plan.tasks) > cap:
        return say(
            f"spawn run `{run.run}` plans {len(plan.tasks)} issues, more than spawn.max_issues "
            f"({cap}) allows now"
        )
    return Planned([_batch(ctx, plan, event, confirmed_by=login)])


def _spec_changed(ctx: Context, issue: Issue, plan: RunPlan) -> str | None:
    """Why the plan no longer matches its spec (edited or deleted since), or None."""
    if plan.source == "issue":
        now = issue.body or ""
    else:
        assert plan.comment_id is not None
        found = ctx.reader.comment(ctx.repo, plan.comment_id)
        if found is None:
            if not ctx.online:
                return None
            return f"the comment that held the spec of run `{plan.run}` was deleted: nothing was created"
        now = found.body or ""
    if spec_hash(now) != plan.spec_hash:
        where = "issue" if plan.source == "issue" else "comment"
        return (
            f"the spec of run `{plan.run}` was edited since it was previewed (the {where} "
            f"changed): nothing was created; ask `{ctx.config.bot.handle} spawn` again for "
            "a preview of the new spec"
        )
    return None


def cancel_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot cancel [RUN]`: a pending run will not be created."""
    issue, comment_id, login = _command_comment(event)
    runs = known_runs(ctx, issue.number)
    arg = command.args[0] if command.args else None
    run = pick_run(runs, arg, ("pending",))
    if run is None:
        return _no_run(ctx, issue.number, comment_id, arg, "to cancel")
    if run.state != "pending":
        return _refused(
            ctx,
            issue.number,
            comment_id,
            f"spawn run `{run.run}` is {run.state.replace('_', ' ')}: only a pending run can be "
            "cancelled"
            + (
                f" (roll it back with `{ctx.config.bot.handle} rollback {run.run}`)"
                if run.created
                else ""
            ),
            kind="cancel",
        )
    actions: list[Any] = []
    if run.plan is not None:
        row = run_row(run.plan, "cancelled", event.key, finished_at=_now())
        actions.append(RecordRun(repo=ctx.repo, number=issue.number, row=row))
        body = run_comment(ctx, run.plan, state="cancelled", created={}, by=login)
        actions.append(_run_comment(ctx, run.plan, "cancelled", body))
    text = f"Cancelled spawn run `{run.run}`: none of its issues will be created."
    actions.append(_reply(ctx, issue.number, comment_id, text, kind="cancel"))
    return Planned(actions)


def rollback_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot rollback [RUN|last]`: close what the run created, as not planned."""
    issue, comment_id, login = _command_comment(event)
    runs = known_runs(ctx, issue.number)
    arg = command.args[0] if command.args else None
    run = pick_run(runs, arg, ("completed", "partial", "failed", "running"))
    if run is None:
        return _no_run(ctx, issue.number, comment_id, arg, "to roll back")
    say = lambda text: _refused(ctx, issue.number, comment_id, text, kind="rollback")  # noqa: E731
    if run.state == "running" and not run.stale:
        return say(f"spawn run `{run.run}` is still running: roll it back once it has stopped")
    if run.state in ("pending", "cancelled"):
        return say(f"spawn run `{run.run}` is {run.state}: it created nothing")
    since = (run.plan.since or run.plan.created_at) if run.plan is not None else ""
    note = ctx.templates.render(
        "spawn-rollback.md.j2",
        run=run.run,
        parent=issue.number,
        by=neutralize_mentions("@" + login),
    )
    return Planned(
        [
            RollbackRun(
                repo=ctx.repo,
                number=issue.number,
                run=run.run,
                plan=run.plan,
                since=since,
                known=run.created,
                requested_by=login,
                note=note,
            )
        ]
    )


def status_command(ctx: Context, event: Event, command: Command) -> Planned:
    """`@ossbot status`: this issue's runs, in one comment kept up to date."""
    assert event.issue is not None
    runs = known_runs(ctx, event.issue.number)
    body = ctx.templates.render(
        "spawn-status.md.j2", runs=[status_row(r) for r in runs], handle=ctx.config.bot.handle
    )
    return Planned(
        [UpsertComment(repo=ctx.repo, number=event.issue.number, marker=STATUS_KIND, body=body)]
    )


def status_row(run: KnownRun) -> dict[str, Any]:
    planned = len(run.plan.tasks) if run.plan is not None else None
    return {
        "run": run.run,
        "state": run.state,
        "created": len(run.created),
        "planned": planned,
        "started": (run.started_at or "")[:16].replace("T", " "),
        "url": run.comment_url,
        "stale": run.stale,
    }


def _no_run(ctx: Context, number: int, to: int, arg: str | None, what: str) -> Planned:
    if arg and arg.lower() != "last" and not _RUN_ARG.fullmatch(arg.lower()):
        text = f"`{clip(arg, 40)}` is not a spawn run id (runs have ids such as `3f9a2c1d0e`)"
    elif arg and arg.lower() != "last":
        text = f"this issue has no spawn run `{clip(arg, 20)}`"
    else:
        text = f"this issue has no spawn run {what}"
    return _refused(ctx, number, to, text, kind="none")


def plan_spawn_issue(ctx: Context, event: Event) -> Planned:
    """A spawn command in an issue's body: on opened, and on edited when the body changed."""
    issue = event.issue
    assert issue is not None
    if event.action not in ("opened", "edited"):
        return Planned(
            notes=[f"spawn reads issue bodies when opened or edited, not {event.action}"]
        )
    if not ctx.config.spawn.enabled:
        return Planned(notes=["spawn is turned off (spawn.enabled: false)"])
    if issue.is_pull_request:
        return Planned(notes=["spawn works on issues"])
    commanded = find_spawn(
        issue.body or "", handle=ctx.config.bot.handle, slash=ctx.config.commands.slash
    )
    if commanded is None and not event.terminal:  # from a terminal, the whole body is the spec
        return Planned(notes=[f"the issue holds no {ctx.config.bot.handle} spawn command"])
    edited = event.action == "edited"
    if edited and "body" not in (event.changes or {}):
        return Planned(notes=["the issue was edited, but not its body"])
    login = (event.sender or issue.user).login
    needed = ctx.config.commands.permissions.get("spawn", ctx.config.spawn.permission)
    if ctx.online and not event.terminal:
        allowed, role = ctx.may(login, needed)
        if not allowed:
            text = (
                f"`{ctx.config.bot.handle} spawn` needs the **{needed}** role in {ctx.repo} "
                f"(or higher), and {neutralize_mentions('@' + login)} has **{role or 'none'}**, "
                "so nothing was created. A maintainer can run it instead."
            )
            return Planned([_reply(ctx, issue.number, None, text, kind="refused")])
    source = Source("issue", issue.number, issue.body or "")
    return plan_spawn(ctx, event, source, requested_by=login, edited=edited)


def check_run_arg(arg: str) -> str:
    if arg.lower() != "last" and not _RUN_ARG.fullmatch(arg.lower()):
        raise InputError(f"'{arg}' is not a spawn run id (a run id is 6 to 10 hex digits, or last)")
    return arg.lower()
