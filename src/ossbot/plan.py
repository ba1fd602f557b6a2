"""Plans: what a job intends to do, as pure data. Only the executor (executor.py) writes.

An action targets an issue or pull request (`number`) or the repository itself (a label, a
check run, a new issue). An action may name itself (`key`) so that a later action of the same
plan can use what it produces: `Ref(action="task-1", field="id")` is the id of the issue that
action created. Bodies never carry ossbot's hidden marker: the action names its kind and
attributes, and the executor adds the marker itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ossbot.spawn.run import RunPlan


class Ref(BaseModel):
    """A value produced by an earlier action of the plan."""

    model_config = ConfigDict(frozen=True)

    action: str = Field(description="The `key` of the earlier action.")
    field: Literal["number", "id"] = "number"

    def __str__(self) -> str:
        return f"<{self.field} of {self.action}>"


Number = int | Ref
Attrs = dict[str, str | list[str]]


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str
    key: str | None = Field(None, description="A name later actions of the plan refer to.")

    @property
    def target(self) -> str:
        number = getattr(self, "number", None)
        return f"{self.repo}#{number}" if number is not None else self.repo

    def describe(self) -> str:
        raise NotImplementedError


class UpsertComment(_Action):
    """ossbot's one comment of this marker kind on the issue: created, or updated in place.

    Overlapping runs converge: after creating, the comments are read again and only the oldest
    of this kind is kept. `version` (when the content was read, e.g. the issue's updated_at)
    keeps an older run from overwriting what a newer one wrote. With `family`, comments whose
    kinds start with it are counted together and at most `family_max` are kept."""

    type: Literal["upsert_comment"] = "upsert_comment"
    number: Number
    marker: str = Field(description="Marker kind, e.g. 'triage-summary'.")
    suggests: dict[str, float] = Field(
        default_factory=dict,
        description="Labels the comment suggests, with their confidence: logged once written, "
        "so that a report can tell whether a person added them.",
    )
    attrs: Attrs = Field(default_factory=dict, description="The marker's attributes.")
    body: str = Field(description="The comment, without its marker.")
    new: bool = Field(
        False,
        description="The issue had no comment at all when read during this run: create without "
        "listing the comments first.",
    )
    fresh: bool = Field(
        False,
        description="List the comments when writing, not from what planning read (planning "
        "took long, or did not read them).",
    )
    reread: bool = Field(
        True,
        description="Read the comment again just before editing it (off when the listing was "
        "made just before, or `fresh`).",
    )
    optional: bool = Field(
        False,
        description="A token that may not write comments is no failure: the result says so "
        "(the job summary still shows the body).",
    )
    version: str | None = Field(None, description="When the content was read (ISO time).")
    family: str | None = None
    family_max: int | None = Field(None, ge=1)

    def describe(self) -> str:
        return f"comment ({self.marker}) on {self.target}"


class AddLabels(_Action):
    """Add labels. With `limit`, labels ossbot added (`applied_before`, still on the issue) and
    labels added by overlapping runs count too: what exceeds it of this action's own is removed."""

    type: Literal["add_labels"] = "add_labels"
    number: Number
    labels: list[str]
    limit: int | None = None
    present: list[str] = Field(default_factory=list, description="Labels on the issue when read.")
    applied_before: list[str] = Field(default_factory=list)
    confidence: dict[str, float] = Field(
        default_factory=dict, description="label → confidence, for the label log."
    )
    source: dict[str, str] = Field(
        default_factory=dict, description="label → what chose it, for the label log."
    )

    def describe(self) -> str:
        return f"add labels {', '.join(self.labels)} to {self.target}"


class LabelSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: Literal["high", "medium", "low"]
    rationale: str


class SuggestLabels(_Action):
    """Propose labels through GitHub's issue suggestions, for a maintainer to approve."""

    type: Literal["suggest_labels"] = "suggest_labels"
    number: Number
    labels: list[LabelSuggestion]

    def describe(self) -> str:
        names = ", ".join(s.name for s in self.labels)
        return f"suggest labels {names} on {self.target} (for a maintainer to approve)"


class CreateLabel(_Action):
    type: Literal["create_label"] = "create_label"
    name: str
    color: str = "ededed"
    description: str = ""

    def describe(self) -> str:
        return f"create label {self.name} in {self.repo}"


class CreateIssue(_Action):
    """A new issue carrying a marker. The intent is recorded before it is sent; a create that
    answered ambiguously, or an intent left by a run that died, is looked for by its marker
    before anything is sent again."""

    type: Literal["create_issue"] = "create_issue"
    marker: str
    attrs: Attrs = Field(default_factory=dict)
    title: str
    body: str
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    milestone: int | None = None

    def describe(self) -> str:
        return f"create issue '{self.title}' in {self.repo}"


class AddSubIssue(_Action):
    """Link `child` (an issue's id, not its number) under `parent`."""

    type: Literal["add_sub_issue"] = "add_sub_issue"
    parent: Number
    child: Number

    def describe(self) -> str:
        return f"link issue {self.child} under {self.repo}#{self.parent}"


Severity = Literal["low", "medium", "high"]


class Finding(BaseModel):
    """One thing a review found. `file` and `line` (a line of the new file inside the diff)
    when it is about a place; `key` is stable across pushes (inline comments are never
    repeated)."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: str = Field(description="secret, conflict-marker, debug-leftover, todo, tests, ...")
    title: str
    details: str = ""
    severity: Severity
    file: str | None = None
    line: int | None = None
    source: str = Field("offline", description="offline, or the model that found it")


class Annotation(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    start_line: int
    end_line: int
    annotation_level: Literal["notice", "warning", "failure"]
    title: str
    message: str


class UpsertCheckRun(_Action):
    """The check run of this name on the commit: created, or updated in place. Annotations are
    sent 50 a request (GitHub's limit). `optional`: a token without `checks: write` is not a
    failure; the result says which permission would add it."""

    type: Literal["upsert_check_run"] = "upsert_check_run"
    head_sha: str
    name: str
    status: Literal["queued", "in_progress", "completed"] = "completed"
    conclusion: (
        Literal[
            "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"
        ]
        | None
    ) = None
    title: str
    summary: str
    text: str | None = None
    annotations: list[Annotation] = Field(default_factory=list)
    optional: bool = False
    new_commit: str | None = Field(
        None,
        description="The commit is new (announced by this very event): no run can be on it, so "
        "none is looked for, unless this plan's comment of the marker kind named here turns out "
        "to have been written for this commit already (a run of the event that died).",
    )

    def describe(self) -> str:
        return f"check run '{self.name}' on {self.repo}@{self.head_sha[:7]}"


class InlineComment(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(description="The finding's key: carried by the comment's marker.")
    path: str
    line: int
    body: str


class PostReview(_Action):
    """One pull request review (event COMMENT: GitHub Actions may not approve) holding the
    inline comments whose keys no earlier comment of ossbot's on the pull request carries."""

    type: Literal["post_review"] = "post_review"
    number: int
    commit_id: str
    body: str
    comments: list[InlineComment] = Field(description="Candidates, most important first.")
    limit: int = Field(10, ge=1, description="Most comments posted, counted after de-duplication.")
    marker: str = "review-inline"
    optional: bool = Field(True, description="A token that may not write them is no failure.")

    def describe(self) -> str:
        return f"review with {len(self.comments)} inline comment(s) on {self.target}"


class RecordReview(_Action):
    """Keep the review run in the state database (nothing is written to GitHub)."""

    type: Literal["record_review"] = "record_review"
    number: int
    row: dict[str, Any]

    def describe(self) -> str:
        return f"record the review of {self.target} at {str(self.row.get('head_sha'))[:7]}"


class SpawnBatch(_Action):
    """Create a spawn run's issues, one by one at the run's pace, each with its marker (run,
    task, hash): linked under the parent and blocked by the tasks it depends on. Issues an
    earlier attempt created (found by their markers on GitHub, or in the outbox) are not
    created again. The run's comment on the parent shows the progress, then the summary; the
    run's row in the state database follows."""

    type: Literal["spawn_batch"] = "spawn_batch"
    number: int = Field(description="The parent issue.")
    plan: RunPlan
    body: str = Field(description="The run's comment as it starts (what a preview shows).")
    confirmed_by: str | None = None
    event_key: str | None = Field(None, description="The event that asked for the run.")

    def describe(self) -> str:
        return (
            f"create {len(self.plan.tasks)} issue(s) from {self.target} (spawn run {self.plan.run})"
        )


class RollbackRun(_Action):
    """Close every issue of a spawn run as not planned, with a short note, unlinked from the
    parent; issues found by the run's markers on GitHub count as well as those known. Issues
    closed already are left alone (running it twice does nothing more)."""

    type: Literal["rollback_run"] = "rollback_run"
    number: int = Field(description="The parent issue.")
    run: str
    plan: RunPlan | None = None
    since: str = Field(description="When the run was planned: its issues are newer.")
    known: list[int] = Field(default_factory=list, description="Issue numbers it created.")
    requested_by: str
    note: str = Field(description="The note left on each issue.")

    def describe(self) -> str:
        return f"roll back spawn run {self.run} of {self.target}"


class RecordRun(_Action):
    """Keep a spawn run's row in the state database (nothing is written to GitHub)."""

    type: Literal["record_run"] = "record_run"
    number: int
    row: dict[str, Any]

    def describe(self) -> str:
        return f"record spawn run {self.row.get('run')} as {self.row.get('state')}"


class UpsertIssue(_Action):
    """ossbot's one open issue of this marker kind in the repository (the report): created, or
    its body edited in place. Found by marker and author among the bot's open issues; a create
    that answered ambiguously is looked for again before anything is sent twice; overlapping
    runs converge to the oldest, closing the others as duplicates. `pin`: pinned once created
    (a failure to pin is a note, not an error)."""

    type: Literal["upsert_issue"] = "upsert_issue"
    marker: str
    title: str
    body: str
    pin: bool = False

    def describe(self) -> str:
        return f"issue '{self.title}' ({self.marker}) in {self.repo} · create or update"


Action = Annotated[
    UpsertComment
    | UpsertIssue
    | AddLabels
    | SuggestLabels
    | CreateLabel
    | CreateIssue
    | AddSubIssue
    | UpsertCheckRun
    | PostReview
    | RecordReview
    | SpawnBatch
    | RollbackRun
    | RecordRun,
    Field(discriminator="type"),
]


class Plan(BaseModel):
    """What one job intends to do for one event, and why nothing else is done."""

    job: str
    event: str
    repo: str
    number: int | None = None
    actions: list[Action] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Facts for the reader of a preview.")
    skipped: str | None = Field(None, description="Why there is nothing to do, when there is not.")
    refused: str | None = Field(
        None,
        description="The input could not be used (say, invalid spawn options): the actions "
        "answer it, and the run exits 2.",
    )

    @model_validator(mode="after")
    def _refs_point_back(self) -> Plan:
        """A Ref must name an earlier action of the plan, and keys must be unique."""
        keys: set[str] = set()
        for action in self.actions:
            for value in action.__dict__.values():
                if isinstance(value, Ref) and value.action not in keys:
                    raise ValueError(
                        f"{action.describe()} refers to '{value.action}', "
                        "which no earlier action of the plan names"
                    )
            if action.key is not None:
                if action.key in keys:
                    raise ValueError(f"two actions of the plan are named '{action.key}'")
                keys.add(action.key)
        return self

    def with_(self, **update: Any) -> Plan:
        return self.model_copy(update=update)


class Result(BaseModel):
    type: str
    result: Literal[
        "created",
        "updated",
        "unchanged",
        "added",
        "suggested",
        "linked",
        "merged",
        "withdrawn",
        "exists",
        "recorded",
        "completed",
        "partial",
        "rolled back",
        "not permitted",
        "rejected",
    ]
    url: str | None = None
    number: int | None = Field(None, description="Of the object created or found.")
    id: int | None = None
    key: str | None = None
    note: str | None = None
    numbers: list[int] = Field(
        default_factory=list, description="Of the issues a spawn run created (for outputs)."
    )
