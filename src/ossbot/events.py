"""Webhook events as small models holding only what ossbot uses, and their loaders."""

from __future__ import annotations

import hashlib
import json
import re
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


REPO_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$")


def check_repo(value: str, source: str = "--repo") -> str:
    """`owner/name` as GitHub allows them: nothing that could become another path."""
    if not isinstance(value, str) or not REPO_NAME.match(value):
        raise InputError(f"{source}: {value!r} is not a repository name (owner/name)")
    return value


def _repo_name(value: Any) -> Any:
    if isinstance(value, str) and not REPO_NAME.match(value):
        raise ValueError("must be owner/name as GitHub allows them")
    return value


class Repository(_Model):
    full_name: Annotated[str, BeforeValidator(_repo_name)]
    default_branch: str | None = None
    private: bool = False
    html_url: str | None = None


class Issue(_Model):
    number: int = Field(gt=0)
    title: str
    body: Body = ""
    user: User
    labels: list[Label] = Field(default_factory=list)
    state: str = "open"
    html_url: str | None = None
    comments: int = 0
    assignees: list[User] = Field(default_factory=list)
    author_association: str | None = None
    created_at: str | None = None
    is_pull_request: bool = False

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]


class Comment(_Model):
    id: int = Field(gt=0)
    body: Body = ""
    user: User
    html_url: str | None = None
    author_association: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Ref(_Model):
    ref: str
    sha: str


class PullRequest(_Model):
    number: int = Field(gt=0)
    title: str
    body: Body = ""
    user: User
    html_url: str | None = None
    head: Ref
    base: Ref
    draft: bool = False
    state: str = "open"
    comments: int | None = None  # issue comments, when the payload says (webhooks do)
    commits: int | None = None
    changed_files: int | None = None
    additions: int | None = None
    deletions: int | None = None
    updated_at: str | None = None


class Event(_Model):
    """One event, from a webhook payload or built from a live object."""

    name: str
    action: str | None = None
    repository: Repository
    sender: User | None = None
    issue: Issue | None = None
    comment: Comment | None = None
    pull_request: PullRequest | None = None
    changes: dict[str, Any] | None = None  # what an `edited` event changed (its old values)
    key: str = Field(description="Identity for the ledger: the same event always has the same key.")
    terminal: bool = Field(
        False, description="Typed in a terminal by the token's user, not a webhook."
    )

    @property
    def repo(self) -> str:
        return self.repository.full_name

    @property
    def number(self) -> int | None:
        item = self.issue or self.pull_request
        return item.number if item else None


def event_from_payload(payload: Any, name: str | None = None, source: str = "event") -> Event:
    """Validate a webhook payload; the event name is inferred from its shape when not given."""
    name = event_name(payload, name, source)  # pull_request_target: same payload, base token
    if name in ("issues", "issue_comment") and isinstance(payload.get("issue"), dict):
        payload = {
            **payload,
            "issue": {
                **payload["issue"],
                "is_pull_request": bool(payload["issue"].get("pull_request")),
            },
        }
    try:
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    except (RecursionError, ValueError, TypeError) as exc:
        raise InputError(f"{source}: the payload cannot be read ({type(exc).__name__})") from None
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
    return event_from_payload(read_payload(path), name, source=f"event file {path}")


def read_payload(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"event file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read event file {path}: {exc.__class__.__name__}: {exc}"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"event file {path} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise InputError(
            f"event file {path} is nested too deeply to be a webhook payload"
        ) from None


def event_name(payload: Any, name: str | None, source: str = "event") -> str:
    """The event's type: as given (GITHUB_EVENT_NAME, --event-name), else from its shape."""
    if not isinstance(payload, dict):
        raise InputError(f"{source}: a webhook payload must be a JSON object")
    name = name or _infer_name(payload, source)
    return "pull_request" if name == "pull_request_target" else name


def _infer_name(payload: dict[str, Any], source: str) -> str:
    if "zen" in payload and "hook_id" in payload:
        return "ping"
    if "installation" in payload and "repositories" in payload and "repository" not in payload:
        return "installation"
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
