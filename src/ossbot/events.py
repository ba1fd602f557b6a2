"""Webhook events as small models holding only what ossbot uses, and their loaders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ossbot.errors import InputError

SUPPORTED_EVENTS = ("issues", "issue_comment", "pull_request")


# GitHub sends `"body": null` for an empty body.
Body = Annotated[str, BeforeValidator(lambda value: value or "")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    login: str
    id: int | None = None
    type: str = "User"

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot" or self.login.endswith("[bot]")


class Label(_Model):
    name: str
    id: int | None = None
    color: str | None = None
    description: str | None = None


class Repository(_Model):
    full_name: str
    default_branch: str | None = None
    private: bool = False
    html_url: str | None = None


class Issue(_Model):
    number: int
    title: str
    body: Body = ""
    user: User
    labels: list[Label] = Field(default_factory=list)
    state: str = "open"
    html_url: str | None = None
    comments: int = 0
    assignees: list[User] = Field(default_factory=list)
    author_association: str | None = None
    is_pull_request: bool = False

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]


class Comment(_Model):
    id: int
    body: Body = ""
    user: User
    html_url: str | None = None
    author_association: str | None = None


class Ref(_Model):
    ref: str
    sha: str


class PullRequest(_Model):
    number: int
    title: str
    body: Body = ""
    user: User
    html_url: str | None = None
    head: Ref
    base: Ref
    draft: bool = False


class Event(_Model):
    """One event, from a webhook payload or built from a live object."""

    name: str
    action: str | None = None
    repository: Repository
    sender: User | None = None
    issue: Issue | None = None
    comment: Comment | None = None
    pull_request: PullRequest | None = None
    key: str = Field(description="Identity for the ledger: the same event always has the same key.")

    @property
    def repo(self) -> str:
        return self.repository.full_name

    @property
    def number(self) -> int | None:
        item = self.issue or self.pull_request
        return item.number if item else None


def event_from_payload(payload: Any, name: str | None = None, source: str = "event") -> Event:
    """Validate a webhook payload; the event name is inferred from its shape when not given."""
    if not isinstance(payload, dict):
        raise InputError(f"{source}: a webhook payload must be a JSON object")
    name = name or _infer_name(payload, source)
    if name == "pull_request_target":  # the same payload, run with the base repository's token
        name = "pull_request"
    if name in ("issues", "issue_comment") and isinstance(payload.get("issue"), dict):
        payload = {
            **payload,
            "issue": {
                **payload["issue"],
                "is_pull_request": bool(payload["issue"].get("pull_request")),
            },
        }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    try:
        event = Event.model_validate({**payload, "name": name, "key": f"{name}:{digest}"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{source}: field '{where}': {first['msg']}") from exc
    _require_subject(event, source)
    return event


def load_event(path: Path, name: str | None = None) -> Event:
    """Read GITHUB_EVENT_PATH (or --event); every problem is one InputError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"event file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read event file {path}: {exc.__class__.__name__}: {exc}"
        ) from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"event file {path} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    return event_from_payload(payload, name, source=f"event file {path}")


def _infer_name(payload: dict[str, Any], source: str) -> str:
    if "comment" in payload and "issue" in payload:
        return "issue_comment"
    if "pull_request" in payload and "number" in payload:
        return "pull_request"
    if "issue" in payload:
        return "issues"
    raise InputError(
        f"{source}: cannot tell the event type; set GITHUB_EVENT_NAME or pass --event-name"
    )


def _require_subject(event: Event, source: str) -> None:
    needs = {"issues": "issue", "issue_comment": "comment", "pull_request": "pull_request"}
    field = needs.get(event.name)
    if field and getattr(event, field) is None:
        raise InputError(f"{source}: a '{event.name}' event must carry '{field}'")
    if event.name == "issue_comment" and event.issue is None:
        raise InputError(f"{source}: an 'issue_comment' event must carry 'issue'")
