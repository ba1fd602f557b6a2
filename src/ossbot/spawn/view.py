"""What a spawn run's comment on the parent says, and what its marker keeps (state, plan hash,
the plan itself when it fits, the issues created), for every state of the run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ossbot.context import Context
from ossbot.spawn.run import RunPlan, encode_plan
from ossbot.text import safe_inline

PLAN_BLOB_MAX = 40_000  # characters of the encoded plan kept in the comment's marker
BODY_START = 100  # characters of each task's body a preview shows


def embeds(plan: RunPlan) -> str | None:
    blob = encode_plan(plan)
    return blob if len(blob) <= PLAN_BLOB_MAX else None


def run_marker_attrs(plan: RunPlan, state: str, created: list[int]) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "s": state,
        "ph": plan.plan_hash,
        "t0": plan.created_at,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if created:
        attrs["c"] = [str(n) for n in sorted(created)]
    blob = embeds(plan)
    if blob is not None:
        attrs["p"] = blob
    return attrs


def run_comment(ctx: Context, plan: RunPlan, **values: Any) -> str:
    return ctx.templates.render(
        "spawn-run.md.j2", **run_values(ctx.config.bot.handle, plan, **values)
    )


def run_values(
    handle: str,
    plan: RunPlan,
    *,
    state: str,
    created: dict[int, dict[str, Any]],
    errors: list[str] | None = None,
    notes: list[str] | None = None,
    by: str | None = None,
    took: float | None = None,
    closed: int | None = None,
) -> dict[str, Any]:
    """The values of the run's comment (spawn-run.md.j2). `created`: task index ->
    {number, url}."""
    tasks = [
        {
            "index": t.index,
            "title": safe_inline(t.title, 80),
            "labels": [safe_inline(label, 50) for label in t.labels],
            "depends_on": t.depends_on,
            "blocked_by": t.blocked_by,
            "start": safe_inline(t.body, BODY_START) if t.body.strip() else "",
            "number": (created.get(t.index) or {}).get("number"),
        }
        for t in plan.tasks
    ]
    skipped = [
        {
            "title": safe_inline(s.title, 80),
            "task": s.same_as_task,
            "issue": s.same_as_issue,
        }
        for s in plan.skipped
    ]
    hits = [
        {
            "keyword": safe_inline(h.keyword, 50),
            "where": h.where,
            "excerpt": safe_inline(h.excerpt, 120),
        }
        for h in plan.hits
    ]
    return dict(
        state=state,
        run=plan.run,
        plan_hash=plan.plan_hash,
        engine=plan.engine,
        tasks=tasks,
        planned=len(plan.tasks),
        done=len(created),
        skipped=skipped,
        hits=hits,
        reasons=plan.reasons,
        notes=[safe_inline(n, 300) for n in [*plan.notes, *(notes or [])]],
        errors=[safe_inline(e, 300) for e in errors or []],
        handle=handle,
        by=safe_inline("@" + by, 60) if by else None,
        took=_duration(took),
        closed=closed,
        embedded=embeds(plan) is not None,
        sub_issues=plan.sub_issues,
        rate=plan.rate_per_minute,
    )


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
