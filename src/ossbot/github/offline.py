"""The reader used when there is no token (a dry run only): it reads nothing and says so."""

from __future__ import annotations

from typing import Any

from ossbot.events import Comment, Label


class OfflineReader:
    """Same read methods as the Gateway; `None` means 'not known' rather than 'none'."""

    online = False
    total_requests = 0

    def repo_labels(self, repo: str) -> list[Label] | None:
        return None

    def issue_comments(self, repo: str, number: int) -> list[Comment]:
        return []

    def directory(self, repo: str, path: str) -> dict[str, tuple[str, str]] | None:
        return None

    def recent_issues(self, repo: str, *, since: str | None, limit: int) -> list[dict[str, Any]]:
        return []

    def issues_by(self, repo: str, login: str, limit: int = 100) -> list[dict[str, Any]] | None:
        return None

    def open_issues_labelled(self, repo: str, label: str, limit: int) -> list[dict[str, Any]]:
        return []

    def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        return []

    def label_suggestions(self, repo: str, number: int) -> list[dict[str, Any]] | None:
        return None

    def close(self) -> None:
        return None
