"""Plans and the executor: features compute a Plan (pure data); only the executor writes.

The executor applies a plan idempotently: a comment is found again by its marker and the bot's
login, across all pages, and edited only when its text changed; labels already on the issue are
not added again. Each effect is recorded in the ledger as it happens.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ossbot.github.gateway import Gateway
from ossbot.github.markers import find_marker
from ossbot.state.store import StateStore


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True)

    repo: str
    number: int

    def describe(self) -> str:
        raise NotImplementedError


class UpsertComment(_Action):
    """Create ossbot's comment of this marker kind on the issue, or update it in place."""

    type: Literal["upsert_comment"] = "upsert_comment"
    marker: str = Field(description="Marker kind, e.g. 'triage-summary'.")
    body: str = Field(description="The full comment, its hidden marker included.")
    new: bool = Field(
        False,
        description="The issue had no comment at all when read during this "
        "run, so there is none to find: create without listing the comments.",
    )

    def describe(self) -> str:
        return f"comment ({self.marker}) on {self.repo}#{self.number}"


class AddLabels(_Action):
    type: Literal["add_labels"] = "add_labels"
    labels: list[str]

    def describe(self) -> str:
        return f"add labels {', '.join(self.labels)} to {self.repo}#{self.number}"


class LabelSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: Literal["high", "medium", "low"]
    rationale: str


class SuggestLabels(_Action):
    """Propose labels through GitHub's issue suggestions, for a maintainer to approve."""

    type: Literal["suggest_labels"] = "suggest_labels"
    labels: list[LabelSuggestion]

    def describe(self) -> str:
        names = ", ".join(s.name for s in self.labels)
        return f"suggest labels {names} on {self.repo}#{self.number} (for a maintainer to approve)"


class CreateLabel(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["create_label"] = "create_label"
    repo: str
    number: int | None = None
    name: str
    color: str = "ededed"
    description: str = ""

    def describe(self) -> str:
        return f"create label {self.name} in {self.repo}"


Action = Annotated[
    UpsertComment | AddLabels | SuggestLabels | CreateLabel, Field(discriminator="type")
]


class Plan(BaseModel):
    """What one invocation intends to do, and why nothing else is done."""

    job: str
    event: str
    repo: str
    number: int | None = None
    actions: list[Action] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Facts for the reader of a preview.")
    skipped: str | None = Field(None, description="Why there is nothing to do, when there is not.")


class Result(BaseModel):
    type: str
    result: Literal["created", "updated", "unchanged", "added", "suggested"]
    url: str | None = None


class Executor:
    """Applies plans. `bot_login` is whose comments count as ossbot's own."""

    def __init__(self, gateway: Gateway, store: StateStore, bot_login: str) -> None:
        self.gateway = gateway
        self.store = store
        self.bot_login = bot_login

    def apply(self, plan: Plan, event_key: str) -> list[Result]:
        results = []
        for action in plan.actions:
            result = self._apply_one(action)
            self.store.record_effect(
                event_key,
                action=action.type,
                repo=action.repo,
                number=action.number,
                result=result.result,
                url=result.url,
            )
            results.append(result)
        return results

    def _apply_one(self, action: Any) -> Result:
        if isinstance(action, UpsertComment):
            return self._upsert(action)
        if isinstance(action, AddLabels):
            self.gateway.add_labels(action.repo, action.number, action.labels)
            return Result(type=action.type, result="added")
        if isinstance(action, SuggestLabels):
            items = [
                {
                    "name": s.name,
                    "suggest": True,
                    "confidence": s.confidence,
                    "rationale": s.rationale,
                }
                for s in action.labels
            ]
            self.gateway.add_labels(action.repo, action.number, items)
            return Result(type=action.type, result="suggested")
        self.gateway.create_label(action.repo, action.name, action.color, action.description)
        return Result(type=action.type, result="created")

    def _upsert(self, action: UpsertComment) -> Result:
        existing = (
            None
            if action.new
            else find_own_comment(
                self.gateway, action.repo, action.number, action.marker, self.bot_login
            )
        )
        if existing is None:
            created = self.gateway.create_comment(action.repo, action.number, action.body)
            return Result(type=action.type, result="created", url=created.html_url)
        if existing.body.strip() == action.body.strip():
            return Result(type=action.type, result="unchanged", url=existing.html_url)
        edited = self.gateway.edit_comment(action.repo, existing.id, action.body)
        return Result(type=action.type, result="updated", url=edited.html_url)


def find_own_comment(reader: Any, repo: str, number: int, kind: str, bot_login: str) -> Any:
    """ossbot's comment of this marker kind: written by the bot's login and carrying the marker.
    A marker pasted by anyone else is ignored."""
    for comment in reader.issue_comments(repo, number):
        if comment.user.login.lower() == bot_login.lower() and find_marker(comment.body, kind):
            return comment
    return None
