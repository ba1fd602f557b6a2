"""Reading GitHub: the interface jobs see, and its live implementation.

Jobs read through `GitHubReader` and never hold the writer. The live reader and the offline one
(no token: github/offline.py) implement the same methods with the same signatures (a test
checks it); the offline one answers `None` for "not known" where that differs from "none".
Reads are memoized for the invocation; the writer forgets what it changes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from ossbot.errors import GitHubError
from ossbot.events import Comment, Label
from ossbot.github.http import PER_PAGE, GitHubHTTP

T = TypeVar("T")


class GitHubReader(Protocol):
    online: bool

    @property
    def total_requests(self) -> int: ...

    def issue_payload(self, repo: str, number: int) -> dict[str, Any] | None: ...

    def pull_payload(self, repo: str, number: int) -> dict[str, Any] | None: ...

    def repo_labels(self, repo: str) -> list[Label] | None: ...

    def recent_issues(
        self,
        repo: str,
        *,
        since: str | None,
        limit: int,
        progress: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]: ...

    def issues_by(
        self, repo: str, login: str, limit: int = PER_PAGE
    ) -> list[dict[str, Any]] | None: ...

    def open_issues_labelled(self, repo: str, label: str, limit: int) -> list[dict[str, Any]]: ...

    def timeline(self, repo: str, number: int) -> list[dict[str, Any]]: ...

    def label_suggestions(self, repo: str, number: int) -> list[dict[str, Any]] | None: ...

    def issue_comments(self, repo: str, number: int, *, fresh: bool = False) -> list[Comment]: ...

    def recent_comments(self, repo: str, limit: int) -> list[dict[str, Any]]: ...

    def issue_events(
        self, repo: str, *, since: str, pages: int
    ) -> tuple[list[dict[str, Any]], bool]: ...

    def comment(self, repo: str, comment_id: int) -> Comment | None: ...

    def milestones(self, repo: str) -> list[dict[str, Any]] | None: ...

    def pull_files(self, repo: str, number: int, limit: int) -> list[dict[str, Any]] | None: ...

    def compare(self, repo: str, base: str, head: str) -> dict[str, Any] | None: ...

    def review_comments(self, repo: str, number: int) -> list[dict[str, Any]]: ...

    def directory(
        self, repo: str, path: str, ref: str | None = None
    ) -> dict[str, tuple[str, str]] | None: ...

    def file_text(self, repo: str, path: str, ref: str | None = None) -> str | None: ...

    def tree(self, repo: str, sha: str) -> dict[str, str]: ...

    def blob_text(self, repo: str, sha: str) -> str: ...

    def collaborator_role(self, repo: str, login: str) -> str | None: ...

    def authenticated_login(self) -> str | None: ...

    def viewer_login(self) -> str | None: ...


class LiveReader:
    online = True

    def __init__(self, http: GitHubHTTP) -> None:
        self._http = http
        self._memo: dict[tuple[Any, ...], Any] = {}

    @property
    def total_requests(self) -> int:
        return self._http.total_requests

    def _memoized(self, key: tuple[Any, ...], fetch: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    def forget(self, *key: Any) -> None:
        self._memo.pop(key, None)

    def _optional(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self._http.call("GET", path, params=params)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def _list(
        self, path: str, params: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return list(self._http.pages(path, params, limit=limit))

    # -- issues and pull requests -----------------------------------------------------------

    def issue_payload(self, repo: str, number: int) -> dict[str, Any] | None:
        """The issue as the API gives it (the shape webhook payloads carry too); None when it
        does not exist (any more) or the token cannot see it."""
        return self._optional(f"/repos/{repo}/issues/{number}")

    def pull_payload(self, repo: str, number: int) -> dict[str, Any] | None:
        return self._optional(f"/repos/{repo}/pulls/{number}")

    def recent_issues(
        self,
        repo: str,
        *,
        since: str | None,
        limit: int,
        progress: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Issues and pull requests (as the API lists both), most recently updated first;
        `progress` is told how many were read, page by page."""
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "desc"}
        if since:
            params["since"] = since
        found: list[dict[str, Any]] = []
        for item in self._http.pages(f"/repos/{repo}/issues", params, limit=limit):
            found.append(item)
            if progress is not None and len(found) % PER_PAGE == 0:
                progress(len(found))
        return found

    def issue_events(
        self, repo: str, *, since: str, pages: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """The repository's issue events (labeled, unlabeled, ...) newest first, back to `since`
        (ISO time) or `pages` pages; and whether they reach back to `since`."""
        found: list[dict[str, Any]] = []
        limit = pages * PER_PAGE
        for event in self._http.pages(f"/repos/{repo}/issues/events", limit=limit):
            if str(event.get("created_at") or "") < since:
                return found, True
            found.append(event)
        return found, len(found) < limit  # a full last page: older events may remain

    def issues_by(
        self, repo: str, login: str, limit: int = PER_PAGE
    ) -> list[dict[str, Any]] | None:
        """Issues and pull requests opened by `login`, oldest first."""
        params = {"creator": login, "state": "all", "sort": "created", "direction": "asc"}
        return self._list(f"/repos/{repo}/issues", params, limit=limit)

    def open_issues_labelled(self, repo: str, label: str, limit: int) -> list[dict[str, Any]]:
        params = {"state": "open", "labels": label, "sort": "created", "direction": "desc"}
        return self._list(f"/repos/{repo}/issues", params, limit=limit)

    def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self._memoized(
            ("timeline", repo, number),
            lambda: self._list(f"/repos/{repo}/issues/{number}/timeline"),
        )

    def issue_comments(self, repo: str, number: int, *, fresh: bool = False) -> list[Comment]:
        """Every comment, across all pages; `fresh` reads again what this run may have changed."""
        if fresh:
            self.forget("comments", repo, number)
        return self._memoized(
            ("comments", repo, number),
            lambda: [
                Comment.model_validate(item)
                for item in self._list(f"/repos/{repo}/issues/{number}/comments")
            ],
        )

    def comment(self, repo: str, comment_id: int) -> Comment | None:
        """One comment as it is now (not memoized), or None when it was deleted."""
        data = self._optional(f"/repos/{repo}/issues/comments/{comment_id}")
        return Comment.model_validate(data) if data is not None else None

    def milestones(self, repo: str) -> list[dict[str, Any]] | None:
        """The open milestones."""
        return self._memoized(
            ("milestones", repo),
            lambda: list(self._list(f"/repos/{repo}/milestones", {"state": "open"})),
        )

    def recent_comments(self, repo: str, limit: int) -> list[dict[str, Any]]:
        """The repository's most recently updated comments, newest first (raw: `issue_url`
        says whose)."""
        return self._memoized(
            ("recent_comments", repo, limit),
            lambda: list(
                self._http.pages(
                    f"/repos/{repo}/issues/comments",
                    {"sort": "updated", "direction": "desc", "per_page": min(limit, PER_PAGE)},
                    limit=limit,
                )
            ),
        )

    def pull_files(self, repo: str, number: int, limit: int) -> list[dict[str, Any]] | None:
        """The pull request's changed files with their patches, 100 a page (GitHub lists at
        most 3,000); None when the pull request is not visible."""
        try:
            return self._list(f"/repos/{repo}/pulls/{number}/files", limit=limit)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def compare(self, repo: str, base: str, head: str) -> dict[str, Any] | None:
        """`base...head` (status, commits, files), or None when either commit is unknown (a
        force push left `base` behind, and GitHub forgot it)."""
        path = f"/repos/{repo}/compare/{quote(base, safe='')}...{quote(head, safe='')}"
        try:
            return self._optional(path, {"per_page": PER_PAGE})
        except GitHubError as exc:
            if exc.status == 422:  # "No common ancestor"
                return None
            raise

    def review_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """Every inline review comment of the pull request, oldest first."""
        return self._list(f"/repos/{repo}/pulls/{number}/comments")

    # -- labels -------------------------------------------------------------------------------

    def repo_labels(self, repo: str) -> list[Label] | None:
        return self._memoized(
            ("labels", repo),
            lambda: [Label.model_validate(item) for item in self._list(f"/repos/{repo}/labels")],
        )

    def label_suggestions(self, repo: str, number: int) -> list[dict[str, Any]] | None:
        """Every label suggestion on the issue, or None when the repository does not have
        GitHub's issue suggestions (the endpoint exists only while the feature is on)."""
        try:
            return self._list(
                f"/repos/{repo}/issues/{number}/suggestions",
                {"state": "all", "action": "add_label"},
            )
        except GitHubError as exc:
            if exc.status in (403, 404, 410, 422):
                return None
            raise

    # -- files on the default branch ------------------------------------------------------------

    def directory(
        self, repo: str, path: str, ref: str | None = None
    ) -> dict[str, tuple[str, str]] | None:
        """{name: (type, sha)} of a folder on the default branch, or at `ref` ("" for the
        root), or None when it is absent."""

        def fetch() -> dict[str, tuple[str, str]] | None:
            where = f"/contents/{quote(path)}" if path else "/contents"
            data = self._optional(f"/repos/{repo}{where}", {"ref": ref} if ref else None)
            if not isinstance(data, list):
                return None
            return {entry["name"]: (entry["type"], entry["sha"]) for entry in data}

        return self._memoized(("dir", repo, path, ref), fetch)

    def file_text(self, repo: str, path: str, ref: str | None = None) -> str | None:
        data = self._optional(
            f"/repos/{repo}/contents/{quote(path)}", {"ref": ref} if ref else None
        )
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") != "base64":
            raise GitHubError(f"{path} in {repo} is too large to read through the contents API")
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    def tree(self, repo: str, sha: str) -> dict[str, str]:
        """{path: blob sha} of every file below a tree, recursively."""
        data = self._http.call("GET", f"/repos/{repo}/git/trees/{sha}", params={"recursive": "1"})
        return {e["path"]: e["sha"] for e in data.get("tree", []) if e.get("type") == "blob"}

    def blob_text(self, repo: str, sha: str) -> str:
        data = self._http.call("GET", f"/repos/{repo}/git/blobs/{sha}")
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    # -- people -----------------------------------------------------------------------------------

    def collaborator_role(self, repo: str, login: str) -> str | None:
        """The user's role in the repository (`role_name`: read, triage, write, maintain, admin,
        or a custom role's name, then ranked by the legacy `permission`), None for no access."""

        def fetch() -> str | None:
            data = self._optional(f"/repos/{repo}/collaborators/{quote(login)}/permission")
            if not isinstance(data, dict):
                return None
            role = str(data.get("role_name") or "")
            if role in ROLE_RANK:
                return role
            legacy = str(data.get("permission") or "none")
            return legacy if legacy in ROLE_RANK else None

        return self._memoized(("role", repo, login.lower()), fetch)

    def authenticated_login(self) -> str | None:
        return self._memoized(("user",), lambda: str(self._http.call("GET", "/user")["login"]))

    def viewer_login(self) -> str | None:
        """Whom the token acts as, for any kind of token (an installation's: "slug[bot]")."""

        def ask() -> str | None:
            viewer = self._http.graphql("query { viewer { login } }").get("viewer") or {}
            return str(viewer["login"]) if viewer.get("login") else None

        return self._memoized(("viewer",), ask)


ROLE_RANK = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}


def has_role(role: str | None, minimum: str) -> bool:
    return ROLE_RANK.get(role or "none", 0) >= ROLE_RANK[minimum]
