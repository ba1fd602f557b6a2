"""A spawn run: the plan of issues to create from one version of one spec, its id, its states,
and how it travels.

A run's id is derived from where the spec is (the issue, or the comment) and the spec's hash,
so the same event run again finds the same run and finishes it instead of starting another.
The plan is kept in the state database and, compressed, in a marker of ossbot's run comment on
the parent issue, so that a confirm or a rollback still works when the state was lost. A plan
read back from a comment is trusted only on ossbot's own comment and only when its hash checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

RUN_KIND = "spawn-run-"  # + the run id: ossbot's one comment per run on the parent
TASK_KIND = "spawn-task"  # on each issue a run created: r (run), t (task), h (its hash)
STATUS_KIND = "spawn-status"
REPLY_KIND = "spawn-reply-"  # + the comment answered
ROLLBACK_KIND = "spawn-rollback"  # the note left on an issue a rollback closed
FOOTER_START = "\n\n---\n<sub>Spawned from #"

State = Literal["pending", "running", "partial", "completed", "failed", "cancelled", "rolled_back"]
STATES: tuple[str, ...] = State.__args__  # type: ignore[attr-defined]
# A run whose comment said "running" and was not touched for this long has stopped.
STALE_AFTER_S = 5 * 60


class PlannedTask(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=1, description="1-based, in creation order.")
    title: str
    body: str
    labels: list[str] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list, description="Earlier tasks' indexes.")
    blocked_by: list[int] = Field(default_factory=list, description="Existing issues' numbers.")
    key: str = Field(description="Its hash: what a duplicate would share.")


class SkippedTask(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    same_as_task: int | None = None
    same_as_issue: int | None = None


class Hit(BaseModel):
    model_config = ConfigDict(frozen=True)

    keyword: str
    where: str
    excerpt: str


class RunPlan(BaseModel):
    """Everything a later invocation needs to create exactly these issues."""

    model_config = ConfigDict(frozen=True)

    run: str
    repo: str
    parent: int
    source: Literal["issue", "comment"]
    comment_id: int | None = None
    spec_hash: str
    requested_by: str
    created_at: str
    since: str = Field(
        "", description="GitHub's time of the spec's issue or comment: the run's issues are newer."
    )
    engine: str = Field(description="How the tasks were made: a split of the spec, a model, ...")
    tasks: list[PlannedTask]
    skipped: list[SkippedTask] = Field(default_factory=list)
    hits: list[Hit] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list, description="Why it was previewed.")
    notes: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    milestone: int | None = None
    sub_issues: bool = True
    rate_per_minute: int = 20

    @property
    def plan_hash(self) -> str:
        """What is created: the same hash means the same issues, linked the same way."""
        material = self.model_dump(
            mode="json", include={"repo", "parent", "tasks", "assignees", "milestone", "sub_issues"}
        )
        return _hash(json.dumps(material, sort_keys=True))[:12]


def run_row(plan: RunPlan, state: str, event_key: str, **more: Any) -> dict[str, Any]:
    """The run's row in the state database (spawn_runs)."""
    return {
        "repo": plan.repo,
        "run": plan.run,
        "parent": plan.parent,
        "state": state,
        "plan": plan.model_dump_json(),
        "plan_hash": plan.plan_hash,
        "spec_hash": plan.spec_hash,
        "planned": len(plan.tasks),
        "skipped": len(plan.skipped),
        "requested_by": plan.requested_by,
        "event_key": event_key,
        "started_at": plan.created_at,
        **more,
    }


def spec_hash(text: str) -> str:
    """Of the spec's source as a person wrote it (line endings and outer space forgiven)."""
    return _hash("\n".join(line.rstrip() for line in (text or "").splitlines()).strip())[:16]


def run_id(repo: str, parent: int, source: str, source_id: int, spec: str) -> str:
    return _hash(f"{repo.lower()}#{parent}:{source}:{source_id}:{spec}")[:10]


def encode_plan(plan: RunPlan) -> str:
    """The plan as a marker value: compressed JSON in unpadded URL-safe base64 (no character a
    marker would encode)."""
    raw = zlib.compress(plan.model_dump_json().encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_plan(value: str | None, expected_hash: str | None) -> RunPlan | None:
    """The plan a marker carries, or None when it is absent, damaged or not the one its hash
    names."""
    if not value:
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        plan = RunPlan.model_validate_json(raw)
    except (ValueError, zlib.error, ValidationError):
        return None
    if expected_hash is not None and plan.plan_hash != expected_hash:
        return None
    return plan


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
