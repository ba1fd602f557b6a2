"""The one HTTP path to GitHub: PyGithub's requester (auth, headers, write pacing) making single
attempts, and ossbot's retry policy around them.

The policy is ossbot's own because it depends on what a request does, which urllib3's retries
cannot see:

- A request that never reached GitHub (connection refused, connect timeout) is retried.
- Rate limits are waited out: primary (`x-ratelimit-remaining: 0`) until the reset, secondary
  (403 or 429 naming it, and 422 "was submitted too quickly") for `retry-after`, else at least
  `secondary_wait` seconds, doubling, with jitter. GitHub did not act, so even a create is safe
  to send again.
- A 5xx, a read timeout or a dropped connection is retried only for idempotent requests (GET,
  PUT, PATCH, DELETE, and POSTs such as adding labels). For a create the outcome is unknown:
  `AmbiguousWrite` is raised, and the executor looks for the object's marker before anything is
  sent again.
- When retries run out, the error says what GitHub last answered.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ossbot import __version__
from ossbot.errors import (
    AmbiguousWrite,
    GitHubError,
    InputError,
    TokenPermission,
    TokenRejected,
)

if TYPE_CHECKING:
    from github import Github

PER_PAGE = 100
MAX_PAGES = 1000
# POSTs that may be sent twice with the same effect.
IDEMPOTENT_POSTS = re.compile(r"/issues/\d+/labels$|/git/(blobs|trees|commits)$")
# What a 403 "Resource not accessible by integration" lacks, by the path written.
PERMISSION_OF = (
    (re.compile(r"/check-runs|/check-suites"), "checks"),
    (re.compile(r"/pulls"), "pull-requests"),
    (re.compile(r"/contents/|/git/"), "contents"),
    (re.compile(r"/issues|/labels|/milestones"), "issues"),
)


@dataclass(frozen=True)
class Policy:
    retries: int = 5
    backoff: float = 1.0
    secondary_wait: float = 60.0
    max_wait: float = 600.0
    timeout: float = 30.0
    write_interval: float = 1.0


class GitHubHTTP:
    """Construction does no I/O. `sleep` is how it waits (tests record the waits)."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        policy: Policy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        auth: Any = None,
    ) -> None:
        """`auth`: a PyGithub `Auth` used instead of the token (a GitHub App's JWT)."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.auth = auth
        self.policy = policy or Policy()
        self.sleep = sleep
        self.requests: Counter[str] = Counter()
        self.waited = 0.0
        self.limited = 0  # secondary-limit answers met (a batch slows down when it grows)
        self._lock = threading.Lock()

    @cached_property
    def _github(self) -> Github:
        from github import Auth, Github

        _quiet_pygithub()
        return Github(
            auth=self.auth or (Auth.Token(self.token) if self.token else None),
            base_url=self.base_url,
            timeout=max(1, round(self.policy.timeout)),  # PyGithub takes whole seconds
            user_agent=f"ossbot/{__version__}",
            per_page=PER_PAGE,
            retry=0,  # one attempt per call: the policy above decides what is sent again
            seconds_between_requests=0,
            seconds_between_writes=self.policy.write_interval or None,
        )

    def close(self) -> None:
        if "_github" in self.__dict__:
            self._github.close()

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    # -- requests ---------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a GraphQL query (sent again like a GET). GraphQL answers its errors,
        rate limits included, as 200 with `errors`: a RATE_LIMITED one is waited out as a
        secondary limit is."""
        url = self._github.requester.graphql_url
        body = {"query": query, "variables": variables or {}}
        for times in range(1, max(self.policy.retries, 1) + 2):
            answer = self.call("POST", url, body=body, idempotent=True)
            errors = answer.get("errors") if isinstance(answer, dict) else None
            if not errors and isinstance(answer, dict):
                return dict(answer.get("data") or {})
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            message = str(first.get("message") or answer)[:200]
            if first.get("type") != "RATE_LIMITED" or times > self.policy.retries:
                raise GitHubError(f"GitHub's GraphQL API answered an error: {message}")
            wait = self.policy.secondary_wait * 2 ** (times - 1)
            if wait > self.policy.max_wait:
                raise GitHubError(f"GitHub's GraphQL rate limit: {message}")
            self.limited += 1
            self._wait(wait)
        raise GitHubError("GitHub's GraphQL API stayed rate limited")  # pragma: no cover

    def call(self, verb: str, path: str, **options: Any) -> Any:
        """The data of one request (see `request`)."""
        return self.request(verb, path, **options)[1]

    def request(
        self,
        verb: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> tuple[dict[str, Any], Any]:
        """(headers, data) of one request, retried by the policy."""
        what = f"{verb} {_shown(path)}"
        safe = _idempotent(verb, path) if idempotent is None else idempotent
        limited: Counter[str] = Counter()
        attempt = 0
        while True:
            with self._lock:
                self.requests[verb] += 1
            try:
                return self._github.requester.requestJsonAndCheck(
                    verb, path, parameters=params, input=body
                )
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised typed
                failure = _classify(exc, what, safe)
            if failure.wait_kind is not None:  # GitHub did not act: wait, then send it again
                limited[failure.wait_kind] += 1
                if failure.wait_kind == "secondary":
                    self.limited += 1
                self._wait(self._limit_wait(failure, limited[failure.wait_kind]))
                continue
            if failure.retry and attempt < self.policy.retries:
                attempt += 1
                self._wait(self.policy.backoff * 2 ** (attempt - 1), jitter=True)
                continue
            if failure.retry and attempt:
                raise type(failure.error)(
                    f"{failure.error} (after {attempt + 1} attempts)", failure.status
                ) from failure.cause
            raise failure.error from failure.cause

    def _limit_wait(self, failure: _Failure, times: int) -> float:
        """How long to wait out a rate limit met `times` times in a row; raises when waiting
        would be too long or has not helped."""
        if failure.wait_kind == "primary":
            wait = (failure.retry_after or 0.0) + 1.0
            if times > 2:
                why = "the rate limit was still exhausted after waiting for its reset"
            elif wait > self.policy.max_wait:
                why = (
                    f"the limit resets in {wait:.0f} s, longer than OSSBOT_MAX_RATE_LIMIT_WAIT "
                    f"({self.policy.max_wait:.0f} s)"
                )
            else:
                return wait
        else:
            given = failure.retry_after
            wait = given if given is not None else self.policy.secondary_wait * 2 ** (times - 1)
            if times <= max(self.policy.retries, 1) and wait <= self.policy.max_wait:
                return wait
            why = f"still limited after waiting {self.waited:.0f} s"
        raise GitHubError(f"{failure.message}; {why}", failure.status)

    def _wait(self, seconds: float, *, jitter: bool = False) -> None:
        if seconds <= 0:
            return
        if jitter:
            seconds = random.uniform(seconds / 2, seconds)
        else:  # a server-given wait: never shorter, a little longer so that runs spread out
            seconds += random.uniform(0, min(seconds * 0.1, 5.0))
        self.waited += seconds
        self.sleep(seconds)

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """The items of a listing, page by page, following GitHub's `Link: rel="next"`; later
        pages are not requested once `limit` items were given."""
        query: dict[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
        url: str | None = path
        given = 0
        for _ in range(MAX_PAGES):
            if url is None:
                return
            headers, data = self.request("GET", url, params=query)
            items = data.get("items", []) if isinstance(data, dict) else data or []
            for item in items:
                if limit is not None and given >= limit:
                    return
                given += 1
                yield item
            if limit is not None and given >= limit:  # the next page would not be used
                return
            url, query = _next_link(headers.get("link", "")), None
        raise GitHubError(f"GET {_shown(path)}: more than {MAX_PAGES} pages; stopped")


@dataclass
class _Failure:
    error: GitHubError | InputError
    cause: Exception
    retry: bool = False
    wait_kind: str | None = None  # "primary" or "secondary"
    retry_after: float | None = None

    @property
    def message(self) -> str:
        return str(self.error)

    @property
    def status(self) -> int | None:
        return getattr(self.error, "status", None)


def _classify(exc: Exception, what: str, safe: bool) -> _Failure:
    from github import GithubException

    if isinstance(exc, GithubException):
        return _classify_answer(exc, what, safe)
    if _never_sent(exc):
        return _Failure(
            GitHubError(f"could not reach GitHub for {what}: {_first_line(exc)}"), exc, retry=True
        )
    if isinstance(exc, OSError) or type(exc).__module__.startswith(("requests", "urllib3", "http")):
        cause = _first_line(exc)
        if safe:
            return _Failure(
                GitHubError(f"no answer from GitHub to {what}: {cause}"), exc, retry=True
            )
        return _Failure(
            AmbiguousWrite(
                f"no answer from GitHub to {what} ({cause}): it may have been carried out"
            ),
            exc,
        )
    raise exc


def _classify_answer(exc: Any, what: str, safe: bool) -> _Failure:
    status, headers = exc.status, {k.lower(): v for k, v in (exc.headers or {}).items()}
    message = _message(exc.data)
    answered = f"GitHub answered {status} {message} to {what}"
    if status == 401:
        return _Failure(
            TokenRejected(
                f"GitHub rejected the token (401 {message}): check GITHUB_TOKEN or --token"
            ),
            exc,
        )
    if (
        status in (403, 429)
        and headers.get("x-ratelimit-remaining") == "0"
        and "secondary" not in (message.lower())
    ):
        reset = _number(headers.get("x-ratelimit-reset"))
        wait = max(reset - time.time(), 0.0) if reset is not None else None
        return _Failure(GitHubError(answered, status), exc, wait_kind="primary", retry_after=wait)
    if _secondary_limit(status, message, exc.data, headers):
        return _Failure(
            GitHubError(f"GitHub's secondary rate limit: {answered}", status),
            exc,
            wait_kind="secondary",
            retry_after=_number(headers.get("retry-after")),
        )
    if status == 403 and "not accessible by integration" in message.lower():
        permission = _permission(headers, what)
        return _Failure(
            TokenPermission(
                f"the token may not do {what} ({status} {message}): grant `{permission}` in the "
                "workflow's `permissions:` (or use a token that has it)",
                permission,
            ),
            exc,
        )
    if status >= 500:
        if safe:
            return _Failure(GitHubError(answered, status), exc, retry=True)
        return _Failure(AmbiguousWrite(f"{answered}: it may have been carried out", status), exc)
    codes = tuple(str(e.get("code")) for e in _errors(exc.data))
    return _Failure(GitHubError(answered, status, codes), exc)


def _errors(data: Any) -> list[dict[str, Any]]:
    found = data.get("errors") if isinstance(data, dict) else None
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _secondary_limit(status: int, message: str, data: Any, headers: dict[str, str]) -> bool:
    lowered = message.lower()
    if status in (403, 429) and ("secondary rate limit" in lowered or "retry-after" in headers):
        return True
    if status == 429:
        return True
    if status == 422 and isinstance(data, dict):  # GitHub's limit on creating content quickly
        details = " ".join(str(e.get("message", "")) for e in _errors(data))
        return "submitted too quickly" in f"{lowered} {details.lower()}"
    return False


def _permission(headers: dict[str, str], what: str) -> str:
    accepted = headers.get("x-accepted-github-permissions", "")
    pairs = [p.strip() for p in re.split(r"[;,]", accepted) if "=" in p]
    if pairs:
        name, _, level = pairs[0].partition("=")
        return f"{name.replace('_', '-')}: {level}"
    for pattern, name in PERMISSION_OF:
        if pattern.search(what):
            return f"{name}: {'read' if what.startswith('GET') else 'write'}"
    return "the permission this endpoint needs"


def _never_sent(exc: Exception) -> bool:
    """A connection that could not be made: the request did not reach GitHub."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return type(inner).__name__ in ("NewConnectionError", "NameResolutionError") or isinstance(
            inner, ConnectionRefusedError
        )
    return isinstance(exc, ConnectionRefusedError)


def _idempotent(verb: str, path: str) -> bool:
    if verb in ("GET", "HEAD", "PUT", "PATCH", "DELETE"):
        return True
    return bool(IDEMPOTENT_POSTS.search(path.split("?")[0]))


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        url, _, rest = part.partition(";")
        if re.search(r'rel="?next"?', rest):
            return url.strip().strip("<>")
    return None


def _shown(path: str) -> str:
    """A path as messages show it: relative to the API, without the query."""
    path = re.sub(r"^https?://[^/]+", "", path)
    return path.split("?")[0]


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _message(data: Any) -> str:
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"]).splitlines()[0]
    return _first_line(data) if data else "(no message)"


def _first_line(value: Any) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__


def _quiet_pygithub() -> None:
    """PyGithub attaches a stderr handler at INFO to its logger on import; ossbot reports
    through its own output instead (warnings still reach stderr through logging's last resort)."""
    logger = logging.getLogger("github")
    for handler in list(logger.handlers):
        if type(handler) is logging.StreamHandler:
            logger.removeHandler(handler)
    logger.setLevel(logging.WARNING)
