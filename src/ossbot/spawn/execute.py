"""The executor's part of spawn: creating a run's issues, and rolling them back. Called by the
executor only (executor.py), with its writer, store and helpers.

Creating is serial and paced: one issue every 60/rate s (slower after a secondary-limit
answer). Before anything is created, the issues this run already has on GitHub are looked for
by their markers (the run's id and the task's index), so a run that stopped half-way (a crash,
a job timeout, the hourly limit) is finished without a duplicate, state or no state. Each
create goes through the executor's outbox (an intent first; an ambiguous answer is looked for
before anything is sent again). At the end the run's issues are read again: two overlapping
runs that created the same task keep the oldest issue and close the other as a duplicate."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ossbot.errors import GitHubError, OssbotError
from ossbot.github.markers import find_marker
from ossbot.plan import CreateIssue, Result, RollbackRun, SpawnBatch, UpsertComment
from ossbot.spawn.run import FOOTER_START, ROLLBACK_KIND, RUN_KIND, TASK_KIND, RunPlan, run_row
from ossbot.spawn.view import run_marker_attrs

if TYPE_CHECKING:
    from ossbot.executor import Executor

MAX_SUB_ISSUES = 100  # GitHub's limit per parent
PROGRESS_EVERY = 10  # issues between updates of the run's comment
SLOWER = 2.0  # the interval grows by this after a secondary-limit answer
MAX_INTERVAL = 60.0


def footer(plan: RunPlan, index: int) -> str:
    return (
        f"{FOOTER_START}{plan.parent} by ossbot (run `{plan.run}`, task {index} of "
        f"{len(plan.tasks)}).</sub>"
    )


def task_marker(plan: RunPlan, index: int, key: str) -> dict[str, str]:
    return {"r": plan.run, "t": str(index), "h": key}


def run_issues(ex: Executor, repo: str, run: str, since: str) -> dict[int, list[dict[str, Any]]]:
    """This run's issues on GitHub by task index, oldest first: ossbot's issues created since
    the run was planned whose marker names the run."""
    found: dict[int, list[dict[str, Any]]] = {}
    for issue in ex.writer.issues_since(repo, since):
        if issue.get("pull_request"):
            continue
        if str((issue.get("user") or {}).get("login", "")).lower() != ex.bot_login.lower():
            continue
        marker = find_marker(issue.get("body") or "", TASK_KIND)
        if marker is None or marker.get("r") != run:
            continue
        index = marker.get("t") or ""
        if index.isdigit():
            found.setdefault(int(index), []).append(issue)
    for issues in found.values():
        issues.sort(key=lambda issue: issue["number"])
    return found


class _Pace:
    """One create every `interval` seconds; slower after each secondary-limit answer."""

    def __init__(self, ex: Executor, plan: RunPlan) -> None:
        self.http = ex.writer.http
        self.scale = ex.pace_scale
        self.interval = 60.0 / max(plan.rate_per_minute, 1)
        self.last: float | None = None
        self.limited = getattr(self.http, "limited", 0)

    def wait(self) -> None:
        limited = getattr(self.http, "limited", 0)
        if limited > self.limited:
            self.interval = min(self.interval * SLOWER, MAX_INTERVAL)
            self.limited = limited
        if self.last is not None and self.scale > 0:
            left = self.last + self.interval * self.scale - time.monotonic()
            if left > 0:
                time.sleep(left)

    def sent(self) -> None:
        """The interval counts from the create's answer (a create that waited out a limit
        must not let the next one go at once)."""
        self.last = time.monotonic()


def run_batch(ex: Executor, action: SpawnBatch) -> Result:
    plan = action.plan
    repo, parent = plan.repo, plan.parent
    started = time.monotonic()
    row = run_row(plan, "running", action.event_key or ex.event_key)
    ex.store.save_run(row)
    kind = f"{RUN_KIND}{plan.run}"
    have = run_issues(ex, repo, plan.run, plan.since or plan.created_at)
    created: dict[int, dict[str, Any]] = {
        index: _brief(issues[0]) for index, issues in have.items()
    }
    comment_id = _comment(ex, action, kind, "running", created, [])
    errors: list[str] = []
    notes: list[str] = []
    children: set[int] = set()
    room = MAX_SUB_ISSUES
    if plan.sub_issues:
        listed = ex.writer.sub_issues(repo, parent)
        children = {item["id"] for item in listed}
        room = MAX_SUB_ISSUES - len(listed)
    pace = _Pace(ex, plan)
    unlinked = 0
    since_update = 0
    total = len(plan.tasks)
    state = "completed"
    try:
        for task in plan.tasks:
            if task.index not in created:
                pace.wait()
                result = ex._create_issue(
                    CreateIssue(
                        repo=repo,
                        marker=TASK_KIND,
                        attrs=task_marker(plan, task.index, task.key),
                        title=task.title,
                        body=task.body + footer(plan, task.index),
                        labels=task.labels,
                        assignees=plan.assignees,
                        milestone=plan.milestone,
                    )
                )
                pace.sent()
                created[task.index] = {
                    "number": result.number,
                    "id": result.id,
                    "url": result.url,
                    "blocked": 0,
                }
                since_update += 1
            done = created[task.index]
            if plan.sub_issues and done["id"] not in children:
                if room > 0 and _link(ex, repo, parent, done["id"]):
                    room -= 1
                else:
                    room = 0
                    unlinked += 1
                children.add(done["id"])
            _block(ex, plan, task, done, created)
            if since_update >= PROGRESS_EVERY:
                since_update = 0
                ex.store.save_run({**row, "created": _created_json(created)})
                _edit(ex, action, kind, comment_id, "running", created, [])
            if ex.progress is not None:
                ex.progress(f"spawn {plan.run}", len(created), total)
    except OssbotError as exc:
        state = "partial"
        errors.append(f"stopped after {len(created)} of {total}: {exc}")
        failure: OssbotError | None = exc
    else:
        failure = None
        _converge(ex, plan, created, notes)
    if unlinked:
        notes.append(
            f"{unlinked} issue(s) were not linked as sub-issues: GitHub allows "
            f"{MAX_SUB_ISSUES} per issue, and #{parent} has that many"
        )
    ex.store.save_run(
        {
            **row,
            "state": state,
            "created": _created_json(created),
            "errors": _json(errors),
            "finished_at": _now() if state == "completed" else None,
        }
    )
    took = time.monotonic() - started
    try:
        _edit(ex, action, kind, comment_id, state, created, errors, notes=notes, took=took)
    except OssbotError:
        if failure is None:
            raise
    if failure is not None:  # what was created is in the outcome's error (WriteFailed)
        raise failure
    return Result(
        type=action.type,
        result="completed",
        number=parent,
        url=None,
        id=comment_id,
        numbers=[created[i]["number"] for i in sorted(created) if created[i].get("number")],
        note=f"{len(created)} issue(s) of run {plan.run}"
        + (f"; {len(plan.skipped)} duplicate(s) skipped" if plan.skipped else "")
        + (f"; {'; '.join(notes)}" if notes else ""),
    )


def _link(ex: Executor, repo: str, parent: int, child_id: int) -> bool:
    """Link under the parent; False when GitHub says the parent is full."""
    try:
        ex.writer.add_sub_issue(repo, parent, child_id)
    except GitHubError as exc:
        if exc.status == 422 and "100" in str(exc):
            return False
        raise
    return True


def _block(
    ex: Executor, plan: RunPlan, task: Any, done: dict[str, Any], created: dict[int, Any]
) -> None:
    """Blocked by the tasks it depends on (and by existing issues a skipped duplicate meant).
    An issue found from an earlier attempt is asked which links it has already."""
    wanted = [created[d]["id"] for d in task.depends_on if d in created and created[d].get("id")]
    for number in task.blocked_by:
        found = ex.reader.issue_payload(plan.repo, number)
        if found is not None:
            wanted.append(found["id"])
    known = done.get("blocked") or 0
    if not wanted or known >= len(wanted):
        return
    have = ex.writer.blocked_by_ids(plan.repo, done["number"]) if known else set()
    for blocker in wanted:
        if blocker not in have:
            ex.writer.add_blocked_by(plan.repo, done["number"], blocker)
    done["blocked"] = len(wanted)


def _converge(
    ex: Executor, plan: RunPlan, created: dict[int, dict[str, Any]], notes: list[str]
) -> None:
    """Two runs that created the same task (they overlapped): keep the oldest issue, close the
    others as duplicates."""
    again = run_issues(ex, plan.repo, plan.run, plan.since or plan.created_at)
    closed = 0
    for index, issues in again.items():
        keep = issues[0]
        if index in created and created[index]["number"] != keep["number"]:
            created[index] = _brief(keep)
        for extra in issues[1:]:
            if extra.get("state") == "closed":
                continue
            if plan.sub_issues:
                ex.writer.remove_sub_issue(plan.repo, plan.parent, extra["id"])
            ex.writer.close_issue(plan.repo, extra["number"], "duplicate")
            closed += 1
    if closed:
        notes.append(
            f"{closed} issue(s) an overlapping run created twice were closed as duplicates"
        )


def _brief(issue: dict[str, Any]) -> dict[str, Any]:
    summary = issue.get("issue_dependencies_summary") or {}
    return {
        "number": issue["number"],
        "id": issue["id"],
        "url": issue.get("html_url"),
        "blocked": None if summary.get("total_blocked_by") is None else summary["total_blocked_by"],
    }


def _comment(
    ex: Executor,
    action: SpawnBatch,
    kind: str,
    state: str,
    created: dict[int, dict[str, Any]],
    errors: list[str],
) -> int | None:
    plan = action.plan
    body = _render(ex, plan, state, created, errors)
    upsert = UpsertComment(
        repo=plan.repo,
        number=plan.parent,
        marker=kind,
        attrs=run_marker_attrs(plan, state, [c["number"] for c in created.values()]),
        body=body,
        fresh=True,
        optional=True,
    )
    result = ex._upsert_comment(upsert)
    return result.id


def _edit(
    ex: Executor,
    action: SpawnBatch,
    kind: str,
    comment_id: int | None,
    state: str,
    created: dict[int, dict[str, Any]],
    errors: list[str],
    *,
    notes: list[str] | None = None,
    took: float | None = None,
) -> None:
    plan = action.plan
    if comment_id is None:
        return
    attrs = run_marker_attrs(plan, state, [c["number"] for c in created.values()])
    attrs = {**attrs, "e": action.event_key or ex.event_key, "j": ex.job}
    body = ex._body(_render(ex, plan, state, created, errors, notes=notes, took=took), kind, attrs)
    try:
        ex.writer.edit_comment(plan.repo, plan.parent, comment_id, body)
    except GitHubError as exc:
        if exc.status not in (403, 404):  # a comment someone deleted is no failure of the run
            raise


def _render(
    ex: Executor,
    plan: RunPlan,
    state: str,
    created: dict[int, dict[str, Any]],
    errors: list[str],
    *,
    notes: list[str] | None = None,
    took: float | None = None,
) -> str:
    from ossbot.spawn.view import run_values

    assert ex.render is not None, "spawn needs the executor's templates"
    values = run_values(
        ex.handle, plan, state=state, created=created, errors=errors, notes=notes, took=took
    )
    return ex.render("spawn-run.md.j2", **values)


# -- rollback -------------------------------------------------------------------------------------


def rollback(ex: Executor, action: RollbackRun) -> Result:
    repo, parent = action.repo, action.number
    numbers = set(action.known)
    ids: dict[int, int] = {}
    plan = action.plan
    issues: dict[int, dict[str, Any]] = {}
    if action.since:
        for found in run_issues(ex, repo, action.run, action.since).values():
            for issue in found:
                issues[issue["number"]] = issue
    for child in ex.writer.sub_issues(repo, parent):
        marker = find_marker(child.get("body") or "", TASK_KIND)
        user = str((child.get("user") or {}).get("login", "")).lower()
        if marker is not None and marker.get("r") == action.run and user == ex.bot_login.lower():
            issues[child["number"]] = child
            ids[child["number"]] = child["id"]
    for number in numbers - set(issues):
        found_issue = ex.reader.issue_payload(repo, number)
        if found_issue is not None:
            marker = find_marker(found_issue.get("body") or "", TASK_KIND)
            if marker is not None and marker.get("r") == action.run:
                issues[number] = found_issue
    closed = 0
    total = len(issues)
    for done, (number, issue) in enumerate(sorted(issues.items()), 1):
        if number in ids:
            ex.writer.remove_sub_issue(repo, parent, ids[number])
        if issue.get("state") != "closed":
            ex._upsert_comment(
                UpsertComment(
                    repo=repo,
                    number=number,
                    marker=ROLLBACK_KIND,
                    attrs={"r": action.run},
                    body=action.note,
                )
            )
            ex.writer.close_issue(repo, number, "not_planned")
            closed += 1
        if ex.progress is not None:
            ex.progress(f"rollback {action.run}", done, total)
    if plan is not None:
        created = {
            int(find_marker(i.get("body") or "", TASK_KIND).get("t") or 0): _brief(i)  # type: ignore[union-attr]
            for i in issues.values()
        }
        row = run_row(
            plan,
            "rolled_back",
            ex.event_key,
            created=_created_json(created),
            finished_at=_now(),
        )
        ex.store.save_run(row)
        from ossbot.spawn.view import run_values

        kind = f"{RUN_KIND}{action.run}"
        values = run_values(
            ex.handle,
            plan,
            state="rolled_back",
            created=created,
            errors=[],
            by=action.requested_by,
            closed=len(issues),
        )
        assert ex.render is not None
        ex._upsert_comment(
            UpsertComment(
                repo=repo,
                number=parent,
                marker=kind,
                attrs=run_marker_attrs(plan, "rolled_back", sorted(issues)),
                body=ex.render("spawn-run.md.j2", **values),
                fresh=True,
            )
        )
    return Result(
        type=action.type,
        result="rolled back",
        number=parent,
        note=f"{closed} issue(s) closed, {len(issues) - closed} closed already",
    )


def _created_json(created: dict[int, dict[str, Any]]) -> str:
    return _json([{"task": k, **v} for k, v in sorted(created.items())])


def _json(value: Any) -> str:
    return json.dumps(value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
