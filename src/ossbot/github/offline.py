"""The reader used when there is no token (a dry run only): it reads nothing and says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ossbot.events import Comment, Label
from ossbot.github.http import PER_PAGE


class OfflineReader:
    """The methods of GitHubReader; `None` means 'not known' rather than 'none'."""

    online = False

    @property
    def total_requests(self) -> int:
        return 0

    def issue_payload(self, repo: str, number: int) -> dict[str, Any] | None:
        return None

    def pull_payload(self, repo: str, number: int) -> dict[str, Any] | None:
        return None

    def repo_labels(self, repo: str) -> list[Label] | None:
        return None

    def recent_issues(
        self,
        repo: str,
        *,
        since: str | None,
        limit: int,
        progress: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        return []

    def issues_by(
        self, repo: str, login: str, limit: int = PER_PAGE
    ) -> list[dict[str, Any]] | None:
        return None

    def open_issues_labelled(self, repo: str, label: str, limit: int) -> list[dict[str, Any]]:
        return []

    def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        return []

    def label_suggestions(self, repo: str, number: int) -> list[dict[str, Any]] | None:
        return None

    def issue_comments(self, repo: str, number: int, *, fresh: bool = False) -> list[Comment]:
        return []

    def comment(self, repo: str, comment_id: int) -> Comment | None:
        return None

    def milestones(self, repo: str) -> list[dict[str, Any]] | None:
        return None

    def recent_comments(self, repo: str, limit: int) -> list[dict[str, Any]]:
        return []

    def issue_events(
        self, repo: str, *, since: str, pages: int
    ) -> tuple[list[dict[str, Any]], bool]:
        return [], False

    def pull_files(self, repo: str, number: int, limit: int) -> list[dict[str, Any]] | None:
        return None

    def compare(self, repo: str, base: str, head: str) -> dict[str, Any] | None:
        return None

    def review_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return []

    def directory(
        self, repo: str, path: str, ref: str | None = None
    ) -> dict[str, tuple[str, str]] | None:
        return None

    def file_text(self, repo: str, path: str, ref: str | None = None) -> str | None:
        return None

    def tree(self, repo: str, sha: str) -> dict[str, str]:
        return {}

    def blob_text(self, repo: str, sha: str) -> str:
        return ""

    def collaborator_role(self, repo: str, login: str) -> str | None:
        return None

    def authenticated_login(self) -> str | None:
        return None

    def viewer_login(self) -> str | None:
        return None


class DiffReader:
    """Another reader, except that the pull request's files come from a local diff (`ossbot
    review --diff`): a preview of the review of changes not pushed, offline."""

    def __init__(self, inner: Any, files: list[dict[str, Any]]) -> None:
        self._inner = inner
        self._files = files

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def pull_files(self, repo: str, number: int, limit: int) -> list[dict[str, Any]] | None:
        return self._files[:limit]

    def compare(self, repo: str, base: str, head: str) -> dict[str, Any] | None:
        return None  # the diff is all there is: reviewed whole
