"""The gateway: the one way ossbot talks to GitHub within an invocation.

PyGithub underneath (its retries, pagination, auth and error mapping run for real); reads are
memoized for the invocation; every request is counted. Constructing a Gateway does no I/O.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ossbot import __version__
from ossbot.errors import GitHubError, InputError
from ossbot.events import Comment, Label

if TYPE_CHECKING:
    from github import Github

PER_PAGE = 100


class _RequestCounter(logging.Handler):
    """Counts the requests PyGithub makes, from its per-request debug record."""

    def __init__(self, counter: Counter[str]) -> None:
        super().__init__(logging.DEBUG)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("%s %s://") and record.args:
            self.counter[str(record.args[0])] += 1


class Gateway:
    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        retries: int = 5,
        backoff: float = 1.0,
        write_interval: float = 1.0,
        max_rate_limit_wait: float = 600.0,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.requests: Counter[str] = Counter()
        self._options = dict(
            retries=retries,
            backoff=backoff,
            write_interval=write_interval,
            max_rate_limit_wait=max_rate_limit_wait,
            timeout=timeout,
        )
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._counter: _RequestCounter | None = None

    # -- plumbing ---------------------------------------------------------------------------

    @cached_property
    def _github(self) -> Github:
        from github import Auth, Github

        opts = self._options
        _quiet_pygithub()
        logger = logging.getLogger("github.Requester")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # its per-request records (with bodies) feed the counter only
        self._counter = _RequestCounter(self.requests)
        logger.addHandler(self._counter)
        return Github(
            auth=Auth.Token(self.token) if self.token else None,
            base_url=self.base_url,
            timeout=int(opts["timeout"]),
            user_agent=f"ossbot/{__version__}",
            per_page=PER_PAGE,
            retry=_make_retry(opts),
            seconds_between_requests=0,
            seconds_between_writes=opts["write_interval"] or None,
            lazy=True,
        )

    def close(self) -> None:
        if self._counter is not None:
            logging.getLogger("github.Requester").removeHandler(self._counter)
            self._counter = None
        if "_github" in self.__dict__:
            self._github.close()

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def _call(
        self, verb: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        with _translated(verb, path):
            _, data = self._github.requester.requestJsonAndCheck(
                verb, path, parameters=params, input=body
            )
        return data

    def _paginate(
        self, path: str, params: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every item (or the first `limit`: later pages are then not requested)."""
        from github.PaginatedList import PaginatedList

        with _translated("GET", path):
            pages = PaginatedList(_raw_class(), self._github.requester, path, dict(params or {}))
            items = []
            for item in pages:
                if limit is not None and len(items) >= limit:
                    break
                items.append(item.data)
            return items

    def _memoized(self, key: tuple[Any, ...], fetch: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    def forget(self, *key: Any) -> None:
        self._memo.pop(key, None)

    # -- reads ------------------------------------------------------------------------------

    def authenticated_login(self) -> str:
        return self._memoized(("user",), lambda: self._call("GET", "/user")["login"])

    def issue_payload(self, repo: str, number: int) -> dict[str, Any]:
        """The issue as the API gives it (the shape webhook payloads carry too)."""
        try:
            return self._call("GET", f"/repos/{repo}/issues/{number}")
        except GitHubError as exc:
            if exc.status == 404:
                raise InputError(
                    f"{repo}#{number} was not found (or the token cannot see it)"
                ) from exc
            raise

    def repo_labels(self, repo: str) -> list[Label]:
        return self._memoized(
            ("labels", repo),
            lambda: [
                Label.model_validate(item) for item in self._paginate(f"/repos/{repo}/labels")
            ],
        )

    def recent_issues(self, repo: str, *, since: str | None, limit: int) -> list[dict[str, Any]]:
        """Issues and pull requests (as the API lists both), most recently updated first."""
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "desc"}
        if since:
            params["since"] = since
        return self._paginate(f"/repos/{repo}/issues", params, limit=limit)

    def issues_by(self, repo: str, login: str, limit: int = PER_PAGE) -> list[dict[str, Any]]:
        """Issues and pull requests opened by `login` (one page is plenty to tell a newcomer)."""
        params = {"creator": login, "state": "all", "sort": "created", "direction": "asc"}
        return self._paginate(f"/repos/{repo}/issues", params, limit=limit)

    def open_issues_labelled(self, repo: str, label: str, limit: int) -> list[dict[str, Any]]:
        params = {"state": "open", "labels": label, "sort": "created", "direction": "desc"}
        return self._paginate(f"/repos/{repo}/issues", params, limit=limit)

    def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self._memoized(
            ("timeline", repo, number),
            lambda: self._paginate(f"/repos/{repo}/issues/{number}/timeline"),
        )

    def label_suggestions(self, repo: str, number: int) -> list[dict[str, Any]] | None:
        """Every label suggestion on the issue, or None when the repository does not have
        GitHub's issue suggestions (the endpoint exists only while the feature is on)."""
        try:
            return self._paginate(
                f"/repos/{repo}/issues/{number}/suggestions",
                {"state": "all", "action": "add_label"},
            )
        except GitHubError as exc:
            if exc.status in (403, 404, 410, 422):
                return None
            raise

    def issue_comments(self, repo: str, number: int) -> list[Comment]:
        return self._memoized(
            ("comments", repo, number),
            lambda: [
                Comment.model_validate(item)
                for item in self._paginate(f"/repos/{repo}/issues/{number}/comments")
            ],
        )

    def directory(self, repo: str, path: str) -> dict[str, tuple[str, str]] | None:
        """{name: (type, sha)} of a folder on the default branch ("" for the root), or None
        when it is absent."""

        def fetch() -> dict[str, tuple[str, str]] | None:
            where = f"/contents/{quote(path)}" if path else "/contents"
            data = self._optional("GET", f"/repos/{repo}{where}")
            if not isinstance(data, list):
                return None
            return {entry["name"]: (entry["type"], entry["sha"]) for entry in data}

        return self._memoized(("dir", repo, path), fetch)

    def file_text(self, repo: str, path: str) -> str | None:
        data = self._optional("GET", f"/repos/{repo}/contents/{quote(path)}")
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") != "base64":
            raise GitHubError(f"{path} in {repo} is too large to read through the contents API")
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    def tree(self, repo: str, sha: str) -> dict[str, str]:
        """{path: blob sha} of every file below a tree, recursively."""
        data = self._call("GET", f"/repos/{repo}/git/trees/{sha}", params={"recursive": "1"})
        return {e["path"]: e["sha"] for e in data.get("tree", []) if e.get("type") == "blob"}

    def blob_text(self, repo: str, sha: str) -> str:
        data = self._call("GET", f"/repos/{repo}/git/blobs/{sha}")
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    def _optional(self, verb: str, path: str) -> Any:
        try:
            return self._call(verb, path)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    # -- writes -----------------------------------------------------------------------------

    def create_comment(self, repo: str, number: int, body: str) -> Comment:
        data = self._call("POST", f"/repos/{repo}/issues/{number}/comments", body={"body": body})
        self.forget("comments", repo, number)
        return Comment.model_validate(data)

    def edit_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        data = self._call(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", body={"body": body}
        )
        return Comment.model_validate(data)

    def add_labels(
        self, repo: str, number: int, labels: list[str] | list[dict[str, Any]]
    ) -> list[str]:
        """Plain names are applied; objects with `suggest: true` become pending suggestions
        (GitHub's issue suggestions) with their rationale and confidence."""
        data = self._call("POST", f"/repos/{repo}/issues/{number}/labels", body={"labels": labels})
        return [item["name"] for item in data]

    def create_label(self, repo: str, name: str, color: str, description: str | None) -> Label:
        body = {"name": name, "color": color, "description": description or ""}
        data = self._call("POST", f"/repos/{repo}/labels", body=body)
        self.forget("labels", repo)
        return Label.model_validate(data)


class _translated:
    """Turns PyGithub and transport exceptions into ossbot's typed errors, with one-line causes."""

    def __init__(self, verb: str, path: str) -> None:
        self.what = f"{verb} {path}"

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, (GitHubError, InputError)):
            return False
        from github import GithubException

        if isinstance(exc, GithubException):
            raise _from_status(exc.status, _message(exc.data), self.what) from exc
        if isinstance(exc, OSError) or exc.__class__.__module__.startswith(("requests", "urllib3")):
            raise GitHubError(
                f"could not reach GitHub for {self.what}: {_first_line(exc)}"
            ) from exc
        return False


def _from_status(status: int, message: str, what: str) -> GitHubError | InputError:
    if status == 401:
        return InputError(
            f"GitHub rejected the token (401 {message}): check GITHUB_TOKEN or --token"
        )
    error = GitHubError(f"GitHub answered {status} {message} to {what}")
    error.status = status
    return error


def _message(data: Any) -> str:
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"]).splitlines()[0]
    return _first_line(data) if data else "(no message)"


def _first_line(value: Any) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else value.__class__.__name__


def _quiet_pygithub() -> None:
    """PyGithub attaches a stderr handler at INFO to its logger on import; ossbot reports
    through its own output instead (warnings still reach stderr through logging's last resort)."""
    logger = logging.getLogger("github")
    for handler in list(logger.handlers):
        if type(handler) is logging.StreamHandler:
            logger.removeHandler(handler)
    logger.setLevel(logging.WARNING)


def _make_retry(opts: dict[str, Any]) -> Any:
    from github import GithubRetry

    class Retry(GithubRetry):
        """GithubRetry, except that a POST answered 5xx is not sent again: GitHub may have
        carried it out, and a second POST would create a duplicate comment or issue."""

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if method == "POST" and status_code >= 500:
                return False
            return super().is_retry(method, status_code, has_retry_after)

    return Retry(
        total=opts["retries"],
        backoff_factor=opts["backoff"],
        status_forcelist=[429, *range(500, 600)],
        max_rate_limit_wait=opts["max_rate_limit_wait"],
        secondary_rate_wait=60,
    )


def _raw_class() -> type:
    from github.GithubObject import NonCompletableGithubObject

    class Raw(NonCompletableGithubObject):
        """A list item kept as the JSON it came as (PyGithub's models would re-fetch on access)."""

        def _initAttributes(self) -> None:
            self.data: dict[str, Any] = {}

        def _useAttributes(self, attributes: dict[str, Any]) -> None:
            self.data = attributes

    return Raw
