"""A stateful fake of the GitHub REST API, served over HTTP on loopback.

Tests point unmodified clients (PyGithub, or ossbot itself through GITHUB_API_URL) at
``FakeGitHub().url`` and meet GitHub's behaviour for the endpoints ossbot uses: token
authentication, rate-limit headers, Link pagination, GitHub's error bodies, and state
that follows the writes (labels created on demand, comment counts, advancing timestamps).
Tests seed state with the ``add_*`` methods (``add_pull(..., state="merged")`` for a closed or
merged pull request) and ``put_file``, read what was asked from ``requests`` and ``calls()`` and
the state from ``issue()``, ``issues()``, ``comments()``, ``labels()``, ``milestones()``,
``timeline()``, ``suggestions()``, ``sub_issues()``, ``check_runs()``, ``annotations()``,
``reviews()``, ``review_comments()``, ``files()``, ``branch()`` and ``commit()``.

Tokens: ``add_token(token, login, kind="user"|"installation", permissions=None)``. An installation
token (a GitHub App's, as GITHUB_TOKEN is) sees every repository; ``permissions`` limits a token as
fine-grained permissions do ({"issues": "read", "contents": "read"}; a permission left out is
"none", metadata is always readable, None means all of them at write). A write the permissions do
not allow answers 403 "Resource not accessible by integration" ("... by personal access token" for
a user token) with an ``x-accepted-github-permissions`` header such as ``issues=write`` (sets that
would do, "; "-separated: ``issues=write; pull_requests=write``); so does a read of a private
repository without the read permission. The permission of each endpoint is in its ``@route``:
issues (issues, comments, labels, sub-issues, dependencies, suggestions; pull_requests also serves
for comments, labels and issue updates), contents (contents and git data), checks, pull_requests.

Faults, each for the next TIMES requests whose method is METHOD and whose path matches the regex
PATH (``re.search``), consumed in the order they were added:

- ``fail(method, path, status, *, times=1, headers=None, body=None)``: answered with STATUS
  (GitHub's error body unless BODY) instead of being carried out.
- ``secondary_rate_limit(method, path, *, times=1, retry_after=0)``: 403 with GitHub's
  secondary-rate-limit message and ``Retry-After`` (none when None), not carried out;
  ``too_many_requests(...)`` is the same limit as a 429.
- ``submitted_too_quickly(method, path, *, times=1)``: 422 Validation Failed with the error
  {"resource": "Issue", "code": "unprocessable", "field": "data", "message": "was submitted too
  quickly"}, GitHub's limit on creating issues and comments fast; not carried out.
- ``slow_after(method, path, seconds, *, times=1)``: carried out (the state changes), then the
  answer is held SECONDS before it is written: a client with a shorter timeout sees a read timeout.
- ``drop_after(method, path, *, times=1)``: carried out, then the connection is closed without
  any answer: the client sees RemoteDisconnected (requests: ConnectionError).
- ``fail_after(method, path, status, *, times=1)``: carried out, then answered STATUS (502, ...)
  with GitHub's error body.

The log tells them apart: a ``Request``'s ``status`` is what went on the wire (None when dropped),
``served`` the status of carrying it out (None when ``fail()`` answered instead), ``fault`` the kind.
For overlapping clients, ``gate(method, path, count, *, timeout=2.0)`` holds matching requests until
COUNT have arrived (or TIMEOUT seconds after the first), then lets them through together and
returns a ``Gate`` (``arrived``, ``released_by`` "count" or "timeout"); ``before(method, path,
callback, *, times=1)`` calls CALLBACK() just before a matching request is carried out. Both run
before the request takes the fake's lock, so held requests do not stop the others (a callback may
itself call the fake over HTTP); an answer held by ``slow_after`` holds no lock either.

Secondary limits, enforced rather than injected: ``enforce_limits(*, per_minute=80, per_hour=500,
min_interval=None, clock=None, retry_after=True, status=403)`` until ``relax_limits()``. The
content-creating requests are the POSTs to ``.../issues``, ``.../issues/{n}/comments``,
``.../pulls/{n}/reviews``, ``.../labels`` (a repository's or an issue's), ``.../sub_issues`` and
``.../dependencies/blocked_by`` (``CONTENT_CREATING``); PATCH edits and all else never count. Each
login has sliding windows of the ones carried out (answered 2xx): one that would make more than
PER_MINUTE within the last 60 s or PER_HOUR within the last 3600 s is answered as
``secondary_rate_limit`` answers (403, or 429 with ``status=429``) with ``retry-after`` the
seconds until a slot frees, rounded up (none when RETRY_AFTER is false), and not carried out.
With MIN_INTERVAL, an issue or comment created less than MIN_INTERVAL seconds after the login's
last carried-out issue or comment is answered as ``submitted_too_quickly`` answers (422, resource
"Issue"), not carried out. The windows are checked first; a refused request or an error answer
(404, 422 Validation Failed) is not counted. Injected faults come before the limits. CLOCK is a
callable answering seconds (``time.monotonic``): ``ManualClock()`` moves by ``.t`` or
``advance(s)``; ``ScaledClock(factor)`` runs FACTOR times as fast as real time (60: a real second
is a fake minute), and then ``retry-after`` is in fake seconds while the fake cannot shorten the
client's sleeps: configure the client's pacing and waits divided by FACTOR (``clock.real(s)``).
``limit_log`` lists every content-creating request as a ``LimitEvent(at, method, path, outcome)``
(AT on the limit clock; outcome "carried_out", "per_minute", "per_hour", "too_quickly" or "error"),
from which a benchmark reads the achieved rate in fake time; ``limit_refusals`` counts refusals
by kind (a Counter); ``requests`` logs refused ones with their 403/429/422 status and the kind
in ``fault``.

Issue timelines list the labeled/unlabeled, assigned/unassigned and closed/reopened events the
writes caused, the comments, and a ``cross-referenced`` event for every other issue, pull
request or comment of the repository that mentions the issue ("#12", "fixes #12"), computed
when asked. Issue suggestions (label suggestions a maintainer approves or dismisses) are off
until ``enable_suggestions(repo)``; while off (and on pull requests), add-labels ignores
``"suggest": true`` and applies the label: the worst case, which a client that does not check
for the feature first must be caught out by.

Sub-issues (``POST/GET .../issues/{n}/sub_issues``, ``DELETE .../issues/{n}/sub_issue``, ``GET
.../issues/{n}/parent``) name the child by its issue ``id``, not its number (a number is almost
never an id: 404); a child has one parent (422 "Sub issue may only have one parent" unless
``replace_parent``), a parent at most 100 children, no cycles. Dependencies (``POST/GET
.../dependencies/blocked_by``, ``DELETE .../dependencies/blocked_by/{issue_id}``, ``GET
.../dependencies/blocking``) likewise take ids. Issue JSON carries ``sub_issues_summary``,
``issue_dependencies_summary`` and ``parent_issue_url``.

GitHub Apps: ``add_app(slug, *, installed_on=(), permissions=None)`` answers a new private key
(PEM) of the app "SLUG", installed on the repositories INSTALLED_ON; ``app_id(slug)`` is its ID.
A request whose ``Authorization: Bearer`` is a JWT (RS256, ``iss`` the app's ID or Client ID,
``iat``/``exp`` current, at most 10 minutes apart) signed with that key is the app itself: it may
call only ``GET /app``, ``GET .../installation`` (404 when the app is not installed there) and
``POST /app/installations/{id}/access_tokens`` (an installation token of ``SLUG[bot]``, limited to
the ``repositories`` named, else to all of the installation's, and to PERMISSIONS); any other
endpoint, or a bad JWT, answers 401 "A JSON web token could not be decoded", as do these three
with another kind of token. ``POST /graphql`` answers ``{ viewer { login } }`` for every kind of
token (an installation's: its bot) and the ``pinIssue`` mutation (``$id`` an issue's node id; at
most 3 pinned, ``pinned(repo)``), errors as GraphQL gives them (200 with ``errors``), and nothing
else. ``GET .../issues/events`` lists the repository's issue events, newest first, each with its
``issue``. ``DELETE /installation/token`` revokes the installation token it is sent with.

Milestones: ``add_milestone(repo, title, *, state, description, due_on)`` (numbered 1, 2, ... per
repository); ``GET .../milestones`` (state open, closed or all; sort due_on, undated last, or
completeness; direction asc by default) and ``GET .../milestones/{n}`` (404 when absent) need issues
(read). An issue write's ``milestone`` (a number; null or "" removes it) must name one of them (else
422 Validation Failed, code "invalid", field "milestone", with the value given) and is silently
dropped for a caller without push access; issue JSON carries the milestone, whose open_issues and
closed_issues follow its issues and pull requests, and the timeline milestoned/demilestoned events.

Check runs (``POST .../check-runs``, ``GET``/``PATCH .../check-runs/{id}``, ``GET
.../commits/{ref}/check-runs`` with check_name, status, app_id and filter=latest|all) may be
written only with an installation token (else 403 "You must authenticate via a GitHub App.");
``app`` is the token's bot ("ossbot[bot]" is the app "ossbot"); a conclusion completes the run,
and "completed" without one is a 422. ``output.annotations`` holds at most 50 per request (422
"Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."), each with path,
start_line, end_line, annotation_level (notice, warning, failure) and message (else 422 '"path"
wasn't supplied.', a line per annotation; a wrong value: Validation Failed, field "annotations");
they are appended over the writes (``annotations_count``) and ``GET .../check-runs/{id}/annotations``
lists them.

Pull requests: ``add_pull(..., files=..., draft=False)`` starts a chain of one commit (``head.sha``,
whose parent is the base commit ``base.sha``) of FILES, the diff against the base (filename, status,
additions, deletions, patch); ``push_pull(repo, number, files, *, message, changed, force, gone)``
adds a commit and answers its sha (``force``: the chain becomes that one commit on the base;
``gone``: the old commits are forgotten as well). ``GET .../pulls/{n}/files`` lists the first 3,000
files and ``GET .../pulls/{n}/commits`` the first 250 commits, oldest first, as GitHub does.
``GET .../compare/{base}...{head}`` takes commits of a chain (a sha or a 7+ prefix; the base may be
the pull request's base branch, meaning its base commit) and answers status ahead, behind, diverged
or identical, the commits after the merge base and the three-dot diff's files (an unknown commit:
404 "Not Found"); it needs contents (read).

Reviews (``POST``/``GET .../pulls/{n}/reviews``, ``GET .../pulls/{n}/comments``, oldest first) are all
or nothing: any error stores nothing and answers 422 "Unprocessable Entity" with GitHub's one errors
string: "GitHub Actions is not permitted to approve pull requests." (an APPROVE by
github-actions[bot]; it may request changes), "Can not approve your own pull request", "Can not
request changes on your own pull request", "You need to leave a comment indicating the requested
changes." (REQUEST_CHANGES with no body and no comments), "" (COMMENT likewise), "The commitOID is
not part of the pull request", "User can only have one pending review per pull request"; for each
bad comment "Path could not be resolved" (a file not in the diff at COMMIT_ID) or "Line could not be
resolved" (a line outside the hunks of the file's patch on its side: RIGHT new-file lines, LEFT
old-file lines), joined as "a, b, and c". A review without an event is PENDING: no
``submitted_at``, seen with its comments by its author only. Comments carry line, side, start_line,
position and diff_hunk as computed from the patch.

Git data: every repository starts with an "Initial commit" on its default branch, and every
``put_file`` is a commit on its branch. Commits are ``{sha: files, tree, parents, message, author,
committer}`` with the shas git computes (blobs, trees with mode 100644, commits); refs map
"refs/heads/x" to a commit, and a branch's files (the contents API) are its head commit's, so a
ref that moves shows the new commit's files. Endpoints: ``GET .../git/ref/{ref}`` (404 when
absent), ``GET .../git/matching-refs/{ref}``, ``GET .../git/refs``, ``POST .../git/refs`` (422
"Reference already exists", "Object does not exist"), ``PATCH .../git/refs/{ref}`` (without
``force`` a move that is not a fast forward answers 422 "Update is not a fast forward": a
compare-and-swap), ``DELETE .../git/refs/{ref}``, ``POST .../git/blobs`` (utf-8 or base64),
``POST .../git/trees`` (base_tree; entries by blob or tree sha, inline content, or sha null to
remove), ``POST .../git/commits``, ``GET .../git/commits/{sha}``, ``GET .../git/trees/{sha}``
(also a commit or branch), ``GET .../git/blobs/{sha}``, ``PUT .../contents/{path}`` (the file's
blob sha is required to replace it: 409 when stale). Contents reads take ``ref`` as a branch, tag
or commit sha. Every ref move is logged, forced or not (``ref_log``).

Actions cache: ``add_actions_cache(repo, key)`` makes an entry as actions/cache/save does;
``GET .../actions/caches`` (key prefix, ref, sort, direction) and ``DELETE .../actions/caches/{id}``
need the ``actions`` permission; ``actions_caches(repo)`` shows what is left.

Response shapes follow GitHub's official REST examples (tests/test_conformance_rest.py
checks them). To add an endpoint, write one method on FakeGitHub (or a subclass)
decorated with ``@route(METHOD, PATTERN, permission=...)``: PATTERN is a regex matched against the
whole raw request path, its named groups arrive URL-decoded as keyword arguments, the method
returns a JSON value (answered with 200) or a ``Reply``, and raises ``HttpError`` for
error answers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import socket
import sys
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlencode

from .loopback import LoopbackHandler, LoopbackServer, Wire

DOCS = "https://docs.github.com/rest"
HTML = "https://github.com"
EPOCH = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
RATE_LIMIT = 5000
OTHER_RATE_LIMITS = {
    "search": 30,
    "graphql": 5000,
    "integration_manifest": 5000,
    "source_import": 100,
    "code_scanning_upload": 1000,
    "code_scanning_autofix": 10,
    "actions_runner_registration": 10000,
    "scim": 15000,
    "dependency_snapshots": 100,
    "code_search": 10,
}
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
REVIEW_DOCS = f"{DOCS}/pulls/reviews#create-a-review-for-a-pull-request"
SUBMITTED_TOO_QUICKLY_DOCS = {
    "comments": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    "issues": "https://docs.github.com/rest/issues/issues#create-an-issue",
}
NOT_ACCESSIBLE = {
    "installation": "Resource not accessible by integration",
    "user": "Resource not accessible by personal access token",
}
PERMISSION_RANK = {"none": 0, "read": 1, "write": 2, "admin": 3}
FULL_PERMISSIONS = {
    "metadata": "read",
    "issues": "write",
    "pull_requests": "write",
    "contents": "write",
    "checks": "write",
    "actions": "write",
}
MAX_SUB_ISSUES = 100
CHECK_STATUSES = ("queued", "in_progress", "completed")
CHECK_CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
TREE_MODES = ("100644", "100755", "120000", "040000", "160000")
ROLE_RANK = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}
LEGACY_PERMISSION = {
    "none": "none",
    "read": "read",
    "triage": "read",
    "write": "write",
    "maintain": "write",
    "admin": "admin",
}
ID_STARTS = {
    "ActionsCache": 1000,
    "account": 90_000_001,
    "Repository": 880_000_001,
    "Label": 8_900_000_001,
    "Issue": 3_600_000_001,
    "PullRequest": 2_100_000_001,
    "IssueComment": 3_500_000_001,
    "IssueEvent": 6_430_000_001,
    "IssueSuggestion": 4_100_001,
    "CheckRun": 39_000_000_001,
    "CheckSuite": 37_000_000_001,
    "Integration": 1_000_001,
    "PullRequestReview": 3_100_000_001,
    "PullRequestReviewComment": 2_500_000_001,
    "Milestone": 11_000_001,
    "Installation": 52_000_001,
}
REPO_LINKS = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
MILESTONE = REPO + r"/milestones/(?P<number>\d+)"
ISSUE = REPO + r"/issues/(?P<number>\d+)"
LABEL = r"/labels/(?P<label>.+)"
COMMENT = REPO + r"/issues/comments/(?P<comment_id>\d+)"
CHECK_RUN = REPO + r"/check-runs/(?P<run_id>\d+)"
PULL = REPO + r"/pulls/(?P<number>\d+)"
GIT = REPO + r"/git"
SUGGESTION = ISSUE + r"/suggestions/(?P<suggestion_id>\d+)"
# POSTs that count against the secondary limits on content creation (``enforce_limits``), and
# those of them that also meet its ``min_interval`` (GitHub's "was submitted too quickly").
CONTENT_CREATING = tuple(
    re.compile(pattern)
    for pattern in (
        REPO + r"/issues",
        ISSUE + r"/comments",
        PULL + r"/reviews",
        REPO + r"/labels",
        ISSUE + r"/labels",
        ISSUE + r"/sub_issues",
        ISSUE + r"/dependencies/blocked_by",
    )
)
PACED_CREATES = (re.compile(REPO + r"/issues"), re.compile(ISSUE + r"/comments"))
LIMIT_WINDOWS = (("per_minute", 60.0), ("per_hour", 3600.0))
REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
CONFIDENCES = ("low", "medium", "high")
SUGGESTION_STATES = ("pending", "applied", "approved", "dismissed", "replaced", "invalidated")
SUGGESTION_ACTIONS = ("set_type", "add_label", "add_field", "add_assignee", "close_issue")
MAX_PULL_FILES = 3000  # GET .../pulls/{n}/files lists no more
MAX_PULL_COMMITS = 250  # GET .../pulls/{n}/commits lists no more
MAX_COMPARE_COMMITS = 250  # an unpaginated compare shows the newest 250
MAX_COMPARE_FILES = 300
MAX_ANNOTATIONS = 50  # per check-run request
ANNOTATION_LEVELS = ("notice", "warning", "failure")
ANNOTATION_FIELDS = ("path", "start_line", "end_line", "annotation_level", "message")
REVIEW_STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
ACTIONS_BOT = "github-actions[bot]"
HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
EVENT_KINDS = {
    "labeled": "LabeledEvent",
    "unlabeled": "UnlabeledEvent",
    "assigned": "AssignedEvent",
    "unassigned": "UnassignedEvent",
    "closed": "ClosedEvent",
    "reopened": "ReopenedEvent",
    "milestoned": "MilestonedEvent",
    "demilestoned": "DemilestonedEvent",
}
MILESTONE_STATES = ("open", "closed")


# ---------------------------------------------------------------- small helpers


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id, e.g. "MDU6SXNzdWUx" for Issue 1."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def _git_sha(kind: str, data: bytes) -> str:
    """The sha1 git gives the object: "blob <len>\\0<data>" for a blob."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def _fake_sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def _wrap64(data: bytes) -> str:
    """Base64 as the contents API sends it: a newline after every 60 characters."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _children(files: dict[str, bytes], folder: str) -> dict[str, bytes | None]:
    """The entries directly inside FOLDER ("" is the root): bytes for a file, None for a folder."""
    prefix = f"{folder}/" if folder else ""
    entries: dict[str, bytes | None] = {}
    for path, data in files.items():
        if path.startswith(prefix):
            name, slash, _ = path[len(prefix) :].partition("/")
            entries[name] = None if slash else data
    return entries


def _tree_sha(files: dict[str, bytes], folder: str) -> str:
    """The git tree sha of FOLDER, computed as git does from its entries."""
    entries = _children(files, folder)
    body = b""
    for name in sorted(entries, key=lambda n: n.encode() + (b"/" if entries[n] is None else b"")):
        data = entries[name]
        path = f"{folder}/{name}" if folder else name
        mode, sha = (
            ("40000", _tree_sha(files, path))
            if data is None
            else ("100644", _git_sha("blob", data))
        )
        body += f"{mode} {name}\0".encode() + bytes.fromhex(sha)
    return _git_sha("tree", body)


def _folders(files: dict[str, bytes]) -> set[str]:
    """Every folder that holds a file, the root ("") included."""
    found = {""}
    for path in files:
        parts = path.split("/")[:-1]
        found.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


def _placed(files: dict[str, bytes], path: str, data: bytes | None) -> dict[str, bytes]:
    """A copy of FILES with DATA at PATH (None removes PATH, file or folder), replacing whatever was in
    the way: a file where PATH needs a folder, a folder where it puts a file."""
    out = {name: value for name, value in files.items() if not name.startswith(path + "/")}
    parts = path.split("/")
    for depth in range(1, len(parts)):
        out.pop("/".join(parts[:depth]), None)
    if data is None:
        out.pop(path, None)
    else:
        out[path] = data
    return out


def _git_person(given: Any, default: dict) -> dict:
    """A commit's author or committer: GIVEN's name, email and date (normalized to UTC), else DEFAULT's."""
    if not isinstance(given, dict):
        return dict(default)
    date = given.get("date")
    if date:
        try:
            date = _iso(_parse_time(str(date).replace("Z", "+00:00")))
        except ValueError:
            raise _invalid("Commit", "date", "invalid") from None
    return {
        "name": str(given.get("name") or default["name"]),
        "email": str(given.get("email") or default["email"]),
        "date": date or default["date"],
    }


def _int_param(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text), low), high)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _label_items(body: Any) -> list[dict]:
    """The labels of an issue or labels write: {"labels": [...]} or a bare list (or one name), each a
    name or an object {"name", "suggest", "rationale", "confidence"}; normalized to such objects."""
    items = body.get("labels", []) if isinstance(body, dict) else body or []
    if isinstance(items, str):
        items = [items]
    found = []
    for item in items:
        item = item if isinstance(item, dict) else {"name": str(item)}
        if not isinstance(item.get("name"), str) or not item["name"]:
            raise _invalid("Label", "name")
        if item.get("confidence") is not None and item["confidence"] not in CONFIDENCES:
            raise _invalid("Label", "confidence", "invalid")
        found.append(
            {
                "name": item["name"],
                "suggest": item.get("suggest") is True,
                "rationale": item.get("rationale"),
                "confidence": item.get("confidence"),
            }
        )
    return found


def _label_names(body: Any) -> list[str]:
    """Names from an add/set-labels body (see _label_items)."""
    return [item["name"] for item in _label_items(body)]


def _mentions(text: str | None, full_name: str) -> set[int]:
    """The issue numbers TEXT references in repository FULL_NAME: "#12", "fixes #12", "owner/repo#12"."""
    found = set()
    for match in re.finditer(r"(?<![\w#/])(?:([\w.-]+/[\w.-]+))?#(\d+)\b", text or ""):
        if match[1] is None or match[1].lower() == full_name.lower():
            found.add(int(match[2]))
    return found


def _assignee_matches(wanted: str, assigned: list[str]) -> bool:
    """The issues list's assignee filter: "" any, "*" assigned, "none" unassigned, else that login."""
    if wanted in ("", "*", "none"):
        return wanted == "" or (wanted == "*") == bool(assigned)
    return wanted in assigned


def _pull_file(spec: dict) -> dict:
    defaults = {"status": "modified", "additions": 0, "deletions": 0}
    file = {"filename": spec["filename"]} | {
        key: spec.get(key, value) for key, value in defaults.items()
    }
    if spec.get("patch") is not None:
        file["patch"] = spec["patch"]
    return file


def _changed_between(old: list[dict], new: list[dict]) -> list[dict]:
    """What changed from a pull request's file list OLD to NEW: the entries of NEW that differ from
    OLD's entry of that file, then OLD's files NEW lacks, as "removed"."""
    before = {file["filename"]: file for file in old}
    after = {file["filename"] for file in new}
    changed = [file for file in new if before.get(file["filename"]) != file]
    return changed + [
        {"filename": name, "status": "removed", "additions": 0, "deletions": 0}
        for name in before
        if name not in after
    ]


def _hunks(patch: str | None) -> list[dict]:
    """The hunks of a unified-diff PATCH as GitHub lists a file's: for each, its header line, the
    old-file (LEFT) and new-file (RIGHT) line ranges its header gives, its diff position (the first
    header is position 0, each line after it one more) and its rows as (position, text)."""
    hunks: list[dict] = []
    position = -1
    for row in (patch or "").rstrip("\n").split("\n"):
        header = HUNK_HEADER.match(row)
        if header is None and not hunks:
            continue
        position += 1
        if header is None:
            hunks[-1]["rows"].append((position, row))
            continue
        old, old_count, new, new_count = header.groups()
        hunks.append(
            {
                "header": row,
                "position": position,
                "LEFT": range(int(old), int(old) + int(1 if old_count is None else old_count)),
                "RIGHT": range(int(new), int(new) + int(1 if new_count is None else new_count)),
                "rows": [],
            }
        )
    return hunks


def _hunk_of(hunks: list[dict], line: Any, side: str) -> dict | None:
    """The hunk whose SIDE range holds LINE (RIGHT: context and added lines, LEFT: context and
    removed lines), or None: the line is not part of the diff."""
    if not isinstance(line, int) or isinstance(line, bool):
        return None
    return next((hunk for hunk in hunks if line in hunk[side]), None)


def _diff_place(hunk: dict, line: int, side: str) -> tuple[int, str]:
    """The diff position of LINE on SIDE in HUNK and its diff_hunk (the header down to that row)."""
    left, right = hunk["LEFT"].start, hunk["RIGHT"].start
    for position, row in hunk["rows"]:
        kind = row[:1]
        if kind == "\\":
            continue
        here = (kind != "-" and side == "RIGHT" and right == line) or (
            kind != "+" and side == "LEFT" and left == line
        )
        if here:
            shown = [text for at, text in hunk["rows"] if at <= position]
            return position, "\n".join([hunk["header"], *shown])
        left += kind != "+"
        right += kind != "-"
    # A patch of headers only: count down from the header.
    return hunk["position"] + 1 + line - hunk[side].start, hunk["header"]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _annotation_ok(item: Any) -> bool:
    """Whether a check-run annotation (its required keys present) holds values GitHub takes: lines
    from 1, start before end, a known level, and columns only within one line (as documented)."""
    if not isinstance(item, dict):
        return False
    start, end = item["start_line"], item["end_line"]
    columns = (item.get("start_column"), item.get("end_column"))
    return (
        isinstance(item["path"], str)
        and item["path"] != ""
        and _whole(start)
        and _whole(end)
        and 1 <= start <= end
        and item["annotation_level"] in ANNOTATION_LEVELS
        and isinstance(item["message"], str)
        and all(column is None or _whole(column) for column in columns)
        and (start == end or columns == (None, None))
    )


def _annotations(given: Any) -> list[dict]:
    """The annotations of a check-run write, checked as GitHub checks them (at most 50; path,
    start_line, end_line, annotation_level and message each required), with GitHub's defaults."""
    if given is None:
        return []
    if not isinstance(given, list):
        raise _invalid("CheckRun", "annotations", "invalid")
    if len(given) > MAX_ANNOTATIONS:
        raise HttpError(
            422,
            f"Invalid request.\n\nNo more than {MAX_ANNOTATIONS} items are allowed; "
            f"{len(given)} were supplied.",
        )
    missing = [
        sorted(k for k in ANNOTATION_FIELDS if k not in a) for a in given if isinstance(a, dict)
    ]
    if any(missing):
        raise _not_supplied_lines([names for names in missing if names])
    if not all(_annotation_ok(item) for item in given):
        raise _invalid("CheckRun", "annotations", "invalid")
    found = []
    for item in given:
        start, end, path = item["start_line"], item["end_line"], item["path"]
        title = f"{path}#L{start}" if start == end else f"{path}#L{start}-L{end}"
        found.append(
            {
                "path": path,
                "start_line": start,
                "end_line": end,
                "start_column": item.get("start_column"),
                "end_column": item.get("end_column"),
                "annotation_level": item["annotation_level"],
                "title": item.get("title") or title,
                "message": item["message"],
                "raw_details": item.get("raw_details"),
            }
        )
    return found


def _sentence(items: list[str]) -> str:
    """ITEMS joined as GitHub joins several validation messages: "a and b", "a, b, and c"."""
    if len(items) < 3:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _not_supplied_lines(missing: list[list[str]]) -> HttpError:
    """GitHub's schema answer for objects of a list that lack required keys: a line for each."""
    lines = [
        (
            f'"{names[0]}" wasn\'t'
            if len(names) == 1
            else ", ".join(f'"{n}"' for n in names) + " weren't"
        )
        + " supplied."
        for names in missing
    ]
    return HttpError(422, "Invalid request.\n\n" + "\n".join(lines))


# ---------------------------------------------------------------- requests, replies, errors, routes


@dataclass
class Request:
    """One request the fake received, as its log keeps it.

    ``status`` is what went back on the wire (None when the connection was dropped), ``served`` the
    status of carrying the request out (None when a ``fail()`` answered instead), ``fault`` the
    kind of fault that met it ("fail", "slow_after", "drop_after", "fail_after"), if any, or the
    limit that refused it under ``enforce_limits`` ("per_minute", "per_hour", "too_quickly")."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes = field(default=b"", repr=False)
    status: int | None = None
    login: str | None = None
    kind: str | None = None
    served: int | None = None
    fault: str | None = None
    permissions: dict[str, str] | None = field(default=None, repr=False)
    repos: set[str] | None = field(default=None, repr=False)  # an installation token's reach
    app: str | None = None  # the app's slug, for a request signed with its JWT

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Reply(NamedTuple):
    status: int
    body: Any
    headers: dict[str, str]


class HttpError(Exception):
    """An error answer with GitHub's body: message, errors, documentation_url, status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list | None = None,
        docs: str = DOCS,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        body: dict[str, Any] = {"message": message}
        if errors:
            body["errors"] = errors
        body |= {"documentation_url": docs, "status": str(status)}
        self.reply = Reply(status, body, dict(headers or {}))


def _invalid(resource: str, field_name: str, code: str = "missing_field") -> HttpError:
    error = {"resource": resource, "code": code, "field": field_name}
    return HttpError(422, "Validation Failed", errors=[error])


def _not_supplied(name: str) -> HttpError:
    """GitHub's answer when a required body field is absent (its JSON schema check)."""
    return HttpError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')


def _custom(resource: str, field_name: str, message: str) -> HttpError:
    error = {"resource": resource, "code": "custom", "field": field_name, "message": message}
    return HttpError(422, "Validation Failed", errors=[error])


def route(method: str, pattern: str, *, permission: str | None = None, jwt: bool = False):
    """Mark a FakeGitHub method as the handler of METHOD on paths fully matching PATTERN.

    PERMISSION is what a token limited by ``add_token(permissions=...)`` needs: a fine-grained
    permission ("issues", "contents", "checks", "pull_requests"), or several joined by "|" when any
    one will do; writes need it at "write", reads of a private repository at "read"."""

    def mark(handler):
        handler.route = (method, re.compile(pattern))
        handler.permission = permission
        handler.jwt = jwt  # only an app's JWT may call it, and it nothing else
        return handler

    return mark


def _secondary_rate_limit_reply(status: int, retry_after: int | None) -> Reply:
    """GitHub's secondary-rate-limit answer: 403 (its body has no "status") or 429."""
    body = {
        "message": SECONDARY_RATE_LIMIT_MESSAGE,
        "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
    }
    if status != 403:
        body["status"] = str(status)
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(status, body, headers)


def _too_quickly_reply(path: str, resource: str = "Issue") -> Reply:
    """GitHub's 422 for issues and comments created too fast (no Retry-After)."""
    docs = SUBMITTED_TOO_QUICKLY_DOCS["comments" if "comments" in path else "issues"]
    error = {
        "resource": resource,
        "code": "unprocessable",
        "field": "data",
        "message": "was submitted too quickly",
    }
    body = {
        "message": "Validation Failed",
        "errors": [error],
        "documentation_url": docs,
        "status": "422",
    }
    return Reply(422, body, {})


def _answered(reply: Reply) -> HttpError:
    """An HttpError that answers REPLY as it is."""
    error = HttpError(reply.status, str(reply.body.get("message", "")))
    error.reply = reply
    return error


@dataclass
class _Fault:
    method: str
    path: re.Pattern
    reply: Reply
    times: int
    kind: str = "fail"  # "fail" answers instead of serving; the others serve first
    seconds: float = 0.0


class ScaledClock:
    """Fake seconds that run FACTOR times as fast as real ones, from 0 at construction: with
    factor=60 a real second is a fake minute. Call it (or ``now()``) for the time; ``real(s)`` is
    how many real seconds S fake seconds take, what a client's waits must be scaled to."""

    def __init__(self, factor: float) -> None:
        if factor <= 0:
            raise ValueError(f"factor must be positive, not {factor!r}")
        self.factor = factor
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.factor

    __call__ = now

    def real(self, seconds: float) -> float:
        return seconds / self.factor


class ManualClock:
    """A clock that moves only when told: ``t`` (seconds) is the time; ``advance(s)`` adds S."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


class LimitEvent(NamedTuple):
    """One content-creating request as ``enforce_limits`` met it. ``outcome`` is "carried_out",
    "per_minute", "per_hour" or "too_quickly" (refused), or "error" (the endpoint answered an error
    of its own, e.g. 404 or 422 Validation Failed: not counted)."""

    at: float  # the limit clock's reading
    method: str
    path: str
    outcome: str


@dataclass
class _Limits:
    per_minute: int | None
    per_hour: int | None
    min_interval: float | None
    clock: Callable[[], float]
    retry_after: bool
    status: int
    windows: dict[str, list[float]] = field(default_factory=dict)  # login -> carried-out times
    last_paced: dict[str, float] = field(default_factory=dict)  # login -> last issue/comment


@dataclass
class Gate:
    """A rendezvous for matching requests (see ``FakeGitHub.gate``); what happened is kept here."""

    method: str
    path: re.Pattern
    count: int
    timeout: float
    arrived: int = 0
    released_by: str | None = None  # "count" or "timeout" once open
    deadline: float | None = None


@dataclass
class _Hook:
    method: str
    path: re.Pattern
    callback: Callable[[], Any]
    times: int


# ---------------------------------------------------------------- JSON views of the state


class _Views:
    """Renders the fake's records as GitHub's JSON objects."""

    url: str
    _users: dict[str, dict]
    _repos: dict[str, dict]
    _issue_ids: dict[int, tuple[dict, dict]]

    def _user_json(self, login: str) -> dict:
        user = self._users[login.lower()]
        api = f"{self.url}/users/{quote(user['login'])}"
        bot = user["type"] == "Bot"
        return {
            "login": user["login"],
            "id": user["id"],
            "node_id": user["node_id"],
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user['id']}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{HTML}/apps/{user['login'].removesuffix('[bot]')}"
            if bot
            else f"{HTML}/{user['login']}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user["type"],
            "user_view_type": "public",
            "site_admin": False,
        }

    def _profile_json(self, login: str, *, private: bool = False) -> dict:
        user = self._users[login.lower()]
        owned = [r for r in self._repos.values() if r["owner"].lower() == login.lower()]
        hidden = sum(r["private"] for r in owned)
        profile = self._user_json(login) | {
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": len(owned) - hidden,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": user["created_at"],
            "updated_at": user["created_at"],
        }
        if private:
            plan = {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000}
            profile |= {
                "private_gists": 0,
                "total_private_repos": hidden,
                "owned_private_repos": hidden,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
                "plan": plan,
            }
        return profile

    def _repo_api(self, repo: dict) -> str:
        return f"{self.url}/repos/{repo['full_name']}"

    def _repo_json(self, repo: dict, login: str | None = None) -> dict:
        api, html, full = self._repo_api(repo), f"{HTML}/{repo['full_name']}", repo["full_name"]
        open_count = sum(issue["state"] == "open" for issue in repo["issues"].values())
        owner = self._user_json(repo["owner"])
        out = {
            "id": repo["id"],
            "node_id": repo["node_id"],
            "name": repo["name"],
            "full_name": full,
            "private": repo["private"],
            "owner": owner,
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            **{key: api + suffix for key, suffix in REPO_LINKS.items()},
            "created_at": repo["created_at"],
            "updated_at": repo["created_at"],
            "pushed_at": repo["created_at"],
            "git_url": f"git://github.com/{full}.git",
            "ssh_url": f"git@github.com:{full}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo["private"] else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": repo["default_branch"],
            "temp_clone_token": "",
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_update_branch": False,
            "use_squash_pr_title_as_default": False,
            "network_count": 0,
            "subscribers_count": 0,
        }
        if owner["type"] == "Organization":
            out["organization"] = owner
        if login:
            rank = ROLE_RANK[self._role(repo, login)]
            out["permissions"] = {
                "admin": rank >= 5,
                "maintain": rank >= 4,
                "push": rank >= 3,
                "triage": rank >= 2,
                "pull": rank >= 1,
            }
        return out

    def _label_json(self, repo: dict, label: dict) -> dict:
        return {
            "id": label["id"],
            "node_id": label["node_id"],
            "url": f"{self._repo_api(repo)}/labels/{quote(label['name'])}",
            "name": label["name"],
            "description": label["description"],
            "color": label["color"],
            "default": False,
        }

    def _issue_html(self, repo: dict, issue: dict) -> str:
        kind = "pull" if issue["pull"] else "issues"
        return f"{HTML}/{repo['full_name']}/{kind}/{issue['number']}"

    def _comment_count(self, repo: dict, number: int) -> int:
        return sum(comment["issue"] == number for comment in repo["comments"].values())

    def _issue_json(self, repo: dict, issue: dict) -> dict:
        number, repo_api = issue["number"], self._repo_api(repo)
        api = f"{repo_api}/issues/{number}"
        assignees = [self._user_json(login) for login in issue["assignees"]]
        out = {
            "url": api,
            "repository_url": repo_api,
            "labels_url": api + "/labels{/name}",
            "comments_url": api + "/comments",
            "events_url": api + "/events",
            "html_url": self._issue_html(repo, issue),
            "id": issue["id"],
            "node_id": issue["node_id"],
            "number": number,
            "title": issue["title"],
            "user": self._user_json(issue["user"]),
            "labels": [self._label_json(repo, label) for label in issue["labels"]],
            "state": issue["state"],
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None
            if issue["milestone"] is None
            else self._milestone_json(repo, repo["milestones"][issue["milestone"]]),
            "comments": self._comment_count(repo, number),
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
            "author_association": self._association(repo, issue["user"]),
            "active_lock_reason": None,
            "body": issue["body"],
            "closed_by": issue["closed_by"] and self._user_json(issue["closed_by"]),
            "timeline_url": api + "/timeline",
            "performed_via_github_app": None,
            "state_reason": issue["state_reason"],
            "pinned_comment": None,
            "sub_issues_summary": self._sub_issues_summary(issue),
            "issue_dependencies_summary": self._dependencies_summary(issue),
            "parent_issue_url": None,
        }
        if issue["parent"] is not None:
            parent_repo, parent = self._issue_ids[issue["parent"]]
            out["parent_issue_url"] = f"{self._repo_api(parent_repo)}/issues/{parent['number']}"
        if issue["pull"]:
            html = self._issue_html(repo, issue)
            out["draft"] = issue["pull"]["draft"]
            out["pull_request"] = {
                "url": f"{repo_api}/pulls/{number}",
                "html_url": html,
                "diff_url": html + ".diff",
                "patch_url": html + ".patch",
                "merged_at": issue["pull"]["merged_at"],
            }
        return out

    def _milestone_counts(self, repo: dict, number: int) -> tuple[int, int]:
        """The open and closed issues (pull requests included) in milestone NUMBER."""
        states = [i["state"] for i in repo["issues"].values() if i["milestone"] == number]
        return states.count("open"), states.count("closed")

    def _milestone_json(self, repo: dict, milestone: dict) -> dict:
        number = milestone["number"]
        api = f"{self._repo_api(repo)}/milestones/{number}"
        open_issues, closed_issues = self._milestone_counts(repo, number)
        return {
            "url": api,
            "html_url": f"{HTML}/{repo['full_name']}/milestone/{number}",
            "labels_url": api + "/labels",
            "id": milestone["id"],
            "node_id": milestone["node_id"],
            "number": number,
            "state": milestone["state"],
            "title": milestone["title"],
            "description": milestone["description"],
            "creator": self._user_json(milestone["creator"]),
            "open_issues": open_issues,
            "closed_issues": closed_issues,
            "created_at": milestone["created_at"],
            "updated_at": milestone["updated_at"],
            "closed_at": milestone["closed_at"],
            "due_on": milestone["due_on"],
        }

    def _sub_issues_summary(self, issue: dict) -> dict:
        children = [self._issue_ids[child][1] for child in issue["sub_issues"]]
        done = sum(child["state"] == "closed" for child in children)
        percent = done * 100 // len(children) if children else 0
        return {"total": len(children), "completed": done, "percent_completed": percent}

    def _dependencies_summary(self, issue: dict) -> dict:
        def still_open(ids: list[int]) -> int:
            return sum(self._issue_ids[other][1]["state"] == "open" for other in ids)

        return {
            "blocked_by": still_open(issue["blocked_by"]),
            "blocking": still_open(issue["blocking"]),
            "total_blocked_by": len(issue["blocked_by"]),
            "total_blocking": len(issue["blocking"]),
        }

    def _branch_json(self, repo: dict, ref: str, sha: str) -> dict:
        return {
            "label": f"{repo['owner']}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self._user_json(repo["owner"]),
            "repo": self._repo_json(repo),
        }

    def _pull_json(self, repo: dict, issue: dict) -> dict:
        pull, shared, repo_api = issue["pull"], self._issue_json(repo, issue), self._repo_api(repo)
        merged = pull["merged_at"] is not None
        api, html = f"{repo_api}/pulls/{issue['number']}", self._issue_html(repo, issue)
        links = {
            "self": api,
            "html": html,
            "issue": shared["url"],
            "comments": shared["comments_url"],
            "review_comments": api + "/comments",
            "review_comment": repo_api + "/pulls/comments{/number}",
            "commits": api + "/commits",
            "statuses": f"{repo_api}/statuses/{pull['head_sha']}",
        }
        copied = (
            "number",
            "state",
            "locked",
            "title",
            "user",
            "body",
            "labels",
            "milestone",
            "active_lock_reason",
            "created_at",
            "updated_at",
            "closed_at",
            "assignee",
            "assignees",
        )
        return {
            "url": api,
            "id": pull["id"],
            "node_id": pull["node_id"],
            "html_url": html,
            "diff_url": html + ".diff",
            "patch_url": html + ".patch",
            "issue_url": shared["url"],
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            **{key: shared[key] for key in copied},
            "merged_at": pull["merged_at"],
            "requested_reviewers": [],
            "requested_teams": [],
            "merge_commit_sha": pull["merged_at"]
            and _fake_sha(repo["full_name"], "merge", str(issue["number"])),
            "head": self._branch_json(repo, pull["head"], pull["head_sha"]),
            "base": self._branch_json(repo, pull["base"], pull["base_sha"]),
            "_links": {key: {"href": href} for key, href in links.items()},
            "author_association": shared["author_association"],
            "auto_merge": None,
            "draft": pull["draft"],
            "merged": merged,
            "mergeable": None if merged else True,
            "rebaseable": None if merged else True,
            "mergeable_state": "unknown" if merged else "clean",
            "merged_by": self._user_json(issue["closed_by"]) if merged else None,
            "comments": shared["comments"],
            "review_comments": sum(
                c["pull"] == issue["number"] and repo["reviews"][c["review"]]["state"] != "PENDING"
                for c in repo["review_comments"].values()
            ),
            "maintainer_can_modify": False,
            "commits": len(pull["commits"]),
            "additions": sum(f["additions"] for f in pull["files"]),
            "deletions": sum(f["deletions"] for f in pull["files"]),
            "changed_files": len(pull["files"]),
        }

    def _pull_file_json(self, repo: dict, issue: dict, file: dict) -> dict:
        # As on GitHub, a removed file's urls name the merge base (where it still exists).
        pull = issue["pull"]
        at = pull["base_sha"] if file["status"] == "removed" else pull["head_sha"]
        return self._diff_entry_json(repo, at, file)

    def _diff_entry_json(self, repo: dict, sha: str, file: dict) -> dict:
        """A file of a pull request or a compare, as it is at commit SHA."""
        full, path = repo["full_name"], quote(file["filename"])
        out = {
            "sha": _fake_sha(full, sha, file["filename"]),
            "filename": file["filename"],
            "status": file["status"],
            "additions": file["additions"],
            "deletions": file["deletions"],
            "changes": file["additions"] + file["deletions"],
            "blob_url": f"{HTML}/{full}/blob/{sha}/{path}",
            "raw_url": f"{HTML}/{full}/raw/{sha}/{path}",
            "contents_url": f"{self._repo_api(repo)}/contents/{path}?ref={sha}",
        }
        if "patch" in file:
            out["patch"] = file["patch"]
        return out

    def _pull_commit_json(self, repo: dict, sha: str) -> dict:
        """A commit of a pull request's chain (or its base) as the commits and compare APIs show it."""
        record, api, html = (
            repo["pull_commits"][sha],
            self._repo_api(repo),
            f"{HTML}/{repo['full_name']}",
        )
        user = self._users[record["author"].lower()]
        person = {
            "name": user["login"],
            "email": f"{user['id']}+{user['login']}@users.noreply.github.com",
            "date": record["date"],
        }
        tree = _fake_sha(sha, "tree")
        return {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": base64.b64encode(f"06:Commit{repo['id']}:{sha}".encode()).decode(),
            "html_url": f"{html}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                "author": dict(person),
                "committer": dict(person),
                "message": record["message"],
                "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": self._user_json(record["author"]),
            "committer": self._user_json(record["author"]),
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/commit/{p}"}
                for p in record["parents"]
            ],
        }

    def _review_json(self, repo: dict, review: dict) -> dict:
        issue = repo["issues"][review["pull"]]
        api = f"{self._repo_api(repo)}/pulls/{issue['number']}"
        html = f"{self._issue_html(repo, issue)}#pullrequestreview-{review['id']}"
        out = {
            "id": review["id"],
            "node_id": review["node_id"],
            "user": self._user_json(review["user"]),
            "body": review["body"],
            "state": review["state"],
            "html_url": html,
            "pull_request_url": api,
            "author_association": self._association(repo, review["user"]),
            "_links": {"html": {"href": html}, "pull_request": {"href": api}},
            # GitHub answers null once the commit is gone (a force push, garbage collected).
            "commit_id": review["commit_id"]
            if review["commit_id"] in repo["pull_commits"]
            else None,
        }
        if review["submitted_at"] is not None:  # a pending review has none
            out["submitted_at"] = review["submitted_at"]
        return out

    def _review_comment_json(self, repo: dict, comment: dict) -> dict:
        issue = repo["issues"][comment["pull"]]
        pull_api = f"{self._repo_api(repo)}/pulls/{issue['number']}"
        api = f"{self._repo_api(repo)}/pulls/comments/{comment['id']}"
        html = f"{self._issue_html(repo, issue)}#discussion_r{comment['id']}"
        reactions = {"url": f"{api}/reactions", "total_count": 0} | dict.fromkeys(REACTIONS, 0)
        return {
            "url": api,
            "pull_request_review_id": comment["review"],
            "id": comment["id"],
            "node_id": comment["node_id"],
            "diff_hunk": comment["diff_hunk"],
            "path": comment["path"],
            "position": comment["position"],
            "original_position": comment["position"],
            "commit_id": comment["commit_id"],
            "original_commit_id": comment["commit_id"],
            "user": self._user_json(comment["user"]),
            "body": comment["body"],
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "html_url": html,
            "pull_request_url": pull_api,
            "author_association": self._association(repo, comment["user"]),
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "pull_request": {"href": pull_api},
            },
            "reactions": reactions,
            "start_line": comment["start_line"],
            "original_start_line": comment["start_line"],
            "start_side": comment["start_side"],
            "line": comment["line"],
            "original_line": comment["line"],
            "side": comment["side"],
            "subject_type": "line",
        }

    def _annotation_json(self, repo: dict, run: dict, annotation: dict) -> dict:
        return {
            "path": annotation["path"],
            "blob_href": f"{HTML}/{repo['full_name']}/blob/{run['head_sha']}/{annotation['path']}",
            **{
                key: annotation[key]
                for key in (
                    "start_line",
                    "start_column",
                    "end_line",
                    "end_column",
                    "annotation_level",
                    "title",
                    "message",
                    "raw_details",
                )
            },
        }

    def _comment_json(self, repo: dict, comment: dict) -> dict:
        issue = repo["issues"][comment["issue"]]
        return {
            "url": f"{self._repo_api(repo)}/issues/comments/{comment['id']}",
            "html_url": f"{self._issue_html(repo, issue)}#issuecomment-{comment['id']}",
            "issue_url": f"{self._repo_api(repo)}/issues/{issue['number']}",
            "id": comment["id"],
            "node_id": comment["node_id"],
            "user": self._user_json(comment["user"]),
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "author_association": self._association(repo, comment["user"]),
            "body": comment["body"],
            "performed_via_github_app": None,
            "pin": None,
            "minimized": None,
        }

    def _event_json(self, repo: dict, event: dict) -> dict:
        """An issue event (labeled, assigned, closed...) as the timeline lists it."""
        out = {
            "id": event["id"],
            "node_id": event["node_id"],
            "url": f"{self._repo_api(repo)}/issues/events/{event['id']}",
            "actor": self._user_json(event["actor"]),
            "event": event["event"],
            "commit_id": None,
            "commit_url": None,
            "created_at": event["created_at"],
            "performed_via_github_app": None,
        }
        if "label" in event:
            out["label"] = dict(event["label"])
        if "assignee" in event:
            out["assignee"] = self._user_json(event["assignee"])
        if "state_reason" in event:
            out["state_reason"] = event["state_reason"]
        if "milestone" in event:
            out["milestone"] = dict(event["milestone"])
        return out

    def _cross_reference_json(self, repo: dict, source: dict, actor: str, at: str) -> dict:
        """A cross-referenced timeline event: SOURCE (an issue or pull request) mentioned this issue."""
        issue = self._issue_json(repo, source) | {"repository": self._repo_json(repo)}
        return {
            "actor": self._user_json(actor),
            "created_at": at,
            "updated_at": at,
            "source": {"type": "issue", "issue": issue},
            "event": "cross-referenced",
        }

    def _timeline_json(self, repo: dict, issue: dict) -> list[dict]:
        """ISSUE's timeline, oldest first: its events and comments, and the issues, pull requests and
        comments elsewhere in the repository that mention it (computed now, dated when they were written)."""
        number, full = issue["number"], repo["full_name"]
        items = [
            self._event_json(repo, event) for event in repo["events"] if event["issue"] == number
        ]
        for comment in repo["comments"].values():
            if comment["issue"] == number:
                shown = self._comment_json(repo, comment)
                reactions = {"url": shown["url"] + "/reactions", "total_count": 0} | dict.fromkeys(
                    REACTIONS, 0
                )
                items.append(
                    shown | {"reactions": reactions, "event": "commented", "actor": shown["user"]}
                )
            elif number in _mentions(comment["body"], full):
                source = repo["issues"][comment["issue"]]
                items.append(
                    self._cross_reference_json(repo, source, comment["user"], comment["created_at"])
                )
        for other in repo["issues"].values():
            if other is not issue and number in _mentions(
                f"{other['title']}\n{other['body'] or ''}", full
            ):
                items.append(
                    self._cross_reference_json(repo, other, other["user"], other["created_at"])
                )
        return sorted(items, key=lambda item: _parse_time(item["created_at"]))

    def _suggestion_json(self, repo: dict, suggestion: dict) -> dict:
        fields = (
            "id",
            "action",
            "state",
            "target_id",
            "target_value",
            "rationale",
            "confidence",
            "actor_id",
            "issue_event_id",
            "resolved_by",
            "created_at",
            "updated_at",
        )
        issue_id = repo["issues"][suggestion["issue"]]["id"]
        return {
            "id": suggestion["id"],
            "issue_id": issue_id,
            **{key: suggestion[key] for key in fields[1:]},
        }

    def _entry_json(self, repo: dict, ref: str, files: dict[str, bytes], path: str) -> dict:
        """The contents entry of PATH in FILES (the tree at REF): a file when it holds data, else a folder."""
        data, full, repo_api = files.get(path), repo["full_name"], self._repo_api(repo)
        is_file = data is not None
        sha = _git_sha("blob", data) if data is not None else _tree_sha(files, path)
        api = f"{repo_api}/contents/{quote(path)}?ref={quote(ref)}"
        git = f"{repo_api}/git/{'blobs' if is_file else 'trees'}/{sha}"
        html = f"{HTML}/{full}/{'blob' if is_file else 'tree'}/{ref}/{path}"
        download = f"https://raw.githubusercontent.com/{full}/{ref}/{path}" if is_file else None
        return {
            "type": "file" if is_file else "dir",
            "size": len(data) if data is not None else 0,
            "name": path.rpartition("/")[2],
            "path": path,
            "sha": sha,
            "url": api,
            "git_url": git,
            "html_url": html,
            "download_url": download,
            "_links": {"self": api, "git": git, "html": html},
        }

    def _ref_json(self, repo: dict, ref: str) -> dict:
        sha, api = repo["refs"][ref], self._repo_api(repo)
        return {
            "ref": ref,
            "node_id": base64.b64encode(f"03:Ref{repo['id']}:{ref}".encode()).decode(),
            "url": f"{api}/git/{quote(ref)}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        }

    def _commit_json(self, repo: dict, sha: str) -> dict:
        commit, api, html = (
            repo["commits"][sha],
            self._repo_api(repo),
            f"{HTML}/{repo['full_name']}",
        )
        return {
            "sha": sha,
            "node_id": base64.b64encode(f"06:Commit{repo['id']}:{sha}".encode()).decode(),
            "url": f"{api}/git/commits/{sha}",
            "html_url": f"{html}/commit/{sha}",
            "author": dict(commit["author"]),
            "committer": dict(commit["committer"]),
            "tree": {"sha": commit["tree"], "url": f"{api}/git/trees/{commit['tree']}"},
            "message": commit["message"],
            "parents": [
                {"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{html}/commit/{p}"}
                for p in commit["parents"]
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def _app_json(self, repo: dict, run: dict) -> dict:
        """The GitHub App behind an installation token, as check runs name it."""
        slug = run["app_login"].removesuffix("[bot]")
        return {
            "id": run["app_id"],
            "slug": slug,
            "node_id": _node_id("Integration", run["app_id"]),
            "owner": self._user_json(repo["owner"]),
            "name": slug,
            "description": "",
            "external_url": f"{HTML}/apps/{slug}",
            "html_url": f"{HTML}/apps/{slug}",
            "created_at": _iso(EPOCH),
            "updated_at": _iso(EPOCH),
            "permissions": dict(run["app_permissions"]),
            "events": [],
        }

    def _check_run_json(self, repo: dict, run: dict) -> dict:
        api = f"{self._repo_api(repo)}/check-runs/{run['id']}"
        pulls = [
            issue
            for issue in repo["issues"].values()
            if issue["pull"]
            and issue["state"] == "open"
            and issue["pull"]["head_sha"] == run["head_sha"]
        ]
        return {
            "id": run["id"],
            "head_sha": run["head_sha"],
            "node_id": run["node_id"],
            "external_id": run["external_id"],
            "url": api,
            "html_url": f"{HTML}/{repo['full_name']}/runs/{run['id']}",
            "details_url": run["details_url"],
            "status": run["status"],
            "conclusion": run["conclusion"],
            "started_at": run["started_at"],
            "completed_at": run["completed_at"],
            "output": dict(run["output"]) | {"annotations_url": f"{api}/annotations"},
            "name": run["name"],
            "check_suite": {"id": run["suite_id"]},
            "app": self._app_json(repo, run),
            "pull_requests": [self._check_pull_json(repo, issue) for issue in pulls],
        }

    def _check_pull_json(self, repo: dict, issue: dict) -> dict:
        pull, short = (
            issue["pull"],
            {"id": repo["id"], "url": self._repo_api(repo), "name": repo["name"]},
        )
        return {
            "url": f"{self._repo_api(repo)}/pulls/{issue['number']}",
            "id": pull["id"],
            "number": issue["number"],
            "head": {"ref": pull["head"], "sha": pull["head_sha"], "repo": short},
            "base": {"ref": pull["base"], "sha": pull["base_sha"], "repo": short},
        }

    def _role(self, repo: dict, login: str | None) -> str:
        if login and login.lower() == repo["owner"].lower():
            return "admin"
        default = "none" if repo["private"] else "read"
        return repo["roles"].get((login or "").lower(), default)

    def _association(self, repo: dict, login: str) -> str:
        if login.lower() == repo["owner"].lower():
            return "OWNER"
        return "COLLABORATOR" if login.lower() in repo["roles"] else "NONE"


# ---------------------------------------------------------------- the fake


class FakeGitHub(_Views):
    """A GitHub REST API on 127.0.0.1 with in-memory state; see the module docstring.

    The port is bound at construction, so ``url`` (and the URLs inside what the ``add_*``
    methods return) is right before ``start()``; ``stop()`` releases it.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server = LoopbackServer(_Handler, self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        cls = type(self)
        self._routes = [
            (*getattr(cls, name).route, getattr(self, name))
            for name in dir(cls)
            if hasattr(getattr(cls, name, None), "route")
        ]
        self._users: dict[str, dict] = {}
        self._tokens: dict[str, tuple[str, str, dict[str, str] | None]] = {}
        self._repos: dict[str, dict] = {}
        self._issue_ids: dict[int, tuple[dict, dict]] = {}
        self._apps: dict[str, int] = {}
        self._app_keys: dict[str, dict] = {}  # slug -> key, installations (add_app)
        self._token_repos: dict[str, set[str]] = {}  # an installation token's repositories
        self._faults: list[_Fault] = []
        self._limits: _Limits | None = None
        self.limit_log: list[LimitEvent] = []
        self.limit_refusals: Counter[str] = Counter()
        # Gates and hooks run before a request takes self._lock, under a lock of their own.
        self._waiting = threading.Condition()
        self._gates: list[Gate] = []
        self._hooks: list[_Hook] = []
        self._stopped = threading.Event()
        self._ids = {kind: itertools.count(start) for kind, start in ID_STARTS.items()}
        self._ticks = itertools.count()
        self._last_now = _iso(EPOCH)
        self._used = 0
        self._request_numbers = itertools.count(1)
        self._reset = int(time.time()) + 3600
        self.requests: list[Request] = []

    # -- lifecycle

    def start(self) -> FakeGitHub:
        self._server.serve_in_background()
        return self

    def stop(self) -> None:
        self._stopped.set()  # wakes held replies and gated requests
        with self._waiting:
            self._waiting.notify_all()
        self._server.close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- seeding

    def add_user(self, login: str, *, type: str = "User") -> dict:
        with self._lock:
            user = self._user(login)
            user["type"], user["node_id"] = type, _node_id(type, user["id"])
            return self._user_json(login)

    def add_token(
        self,
        token: str,
        login: str,
        *,
        kind: str = "user",
        permissions: dict[str, str] | None = None,
    ) -> None:
        """A token of LOGIN: "user" (a personal token) or "installation" (a GitHub App's, as
        GITHUB_TOKEN is). PERMISSIONS limits it as fine-grained permissions do, e.g.
        {"issues": "read", "contents": "read"}: a permission left out is "none" (metadata is always
        readable). Without it the token may do everything its user's role allows."""
        if kind not in ("user", "installation"):
            raise ValueError(f"token kind must be 'user' or 'installation', not {kind!r}")
        for scope, level in (permissions or {}).items():
            if level not in PERMISSION_RANK:
                raise ValueError(f"permission {scope}={level!r}: use none, read, write or admin")
        with self._lock:
            limits = None if permissions is None else {"metadata": "read"} | dict(permissions)
            self._tokens[token] = (self._user(login)["login"], kind, limits)

    def add_app(
        self,
        slug: str,
        *,
        installed_on: tuple[str, ...] | list[str] = (),
        permissions: dict[str, str] | None = None,
    ) -> str:
        """A GitHub App SLUG installed on INSTALLED_ON (repository names): its new private key,
        as PEM text. Its installation tokens act as "SLUG[bot]" with PERMISSIONS (all: None)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        with self._lock:
            app_id = self._apps.setdefault(slug, next(self._ids["Integration"]))
            self._user(f"{slug}[bot]")["type"] = "Bot"
            self._app_keys[slug] = {
                "id": app_id,
                "client_id": f"Iv23li{app_id:014d}",
                "public_key": key.public_key(),
                "permissions": permissions,
                "installations": {
                    name.lower(): next(self._ids["Installation"]) for name in installed_on
                },
            }
        return pem

    def app_id(self, slug: str) -> int:
        return self._app_keys[slug]["id"]

    def add_repo(
        self, full_name: str, *, default_branch: str = "main", private: bool = False
    ) -> dict:
        owner, name = full_name.split("/")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"repository {full_name} exists")
            repo = {
                **self._ident("Repository"),
                "owner": self._user(owner)["login"],
                "name": name,
                "full_name": full_name,
                "private": private,
                "default_branch": default_branch,
                "created_at": self._now(),
                "roles": {},
                "labels": {},
                "milestones": {},  # number -> a milestone
                "issues": {},
                "comments": {},
                "trees": {},  # branch name -> its files (the head commit's), for the contents API
                "refs": {},  # "refs/heads/main" -> commit sha
                "commits": {},  # sha -> {files, tree, parents, message, author, committer}
                "blobs": {},  # sha -> bytes, every blob known
                "tree_objects": {},  # tree sha -> (files, folder): every tree known
                "events": [],
                "suggestions": {},
                "suggestions_enabled": False,
                "check_runs": {},
                "check_suites": {},
                "ref_log": [],  # every move of a ref: {ref, old, new, forced}
                "actions_caches": {},  # id -> an Actions cache entry
                # sha -> {pull, message, author, date, parents, files, changed}: the commits of the
                # pull requests' chains and their bases (not git objects: their files are diffs)
                "pull_commits": {},
                "reviews": {},  # id -> a pull request review
                "review_comments": {},  # id -> a review comment
            }
            first = self._new_commit(repo, {}, [], "Initial commit", repo["owner"], seeded=True)
            self._set_ref(repo, f"refs/heads/{default_branch}", first)
            self._repos[full_name.lower()] = repo
            return self._repo_json(repo)

    def set_permission(self, repo: str, login: str, permission: str) -> None:
        if permission not in ROLE_RANK or permission == "none":
            raise ValueError(f"unknown permission {permission!r}")
        with self._lock:
            self._seeded(repo)["roles"][self._user(login)["login"].lower()] = permission

    def add_label(
        self, repo: str, name: str, *, color: str = "ededed", description: str | None = None
    ) -> dict:
        with self._lock:
            record = self._seeded(repo)
            if name.lower() in record["labels"]:
                raise ValueError(f"label {name!r} exists in {repo}")
            return self._label_json(record, self._new_label(record, name, color, description))

    def add_milestone(
        self,
        repo: str,
        title: str,
        *,
        state: str = "open",
        description: str | None = "",
        due_on: datetime | str | None = None,
        user: str | None = None,
    ) -> dict:
        """A milestone of REPO (numbered 1, 2, ... there) made by USER (the owner unless given);
        an empty DESCRIPTION is null, as GitHub stores it; DUE_ON is a datetime or ISO 8601."""
        if state not in MILESTONE_STATES:
            raise ValueError(f"milestone state must be 'open' or 'closed', not {state!r}")
        with self._lock:
            record = self._seeded(repo)
            if any(m["title"] == title for m in record["milestones"].values()):
                raise ValueError(f"milestone {title!r} exists in {repo}")
            now = self._now()
            if isinstance(due_on, str):
                due_on = _parse_time(due_on.replace("Z", "+00:00"))
            elif isinstance(due_on, datetime) and due_on.tzinfo is None:
                due_on = due_on.replace(tzinfo=UTC)
            milestone = {
                **self._ident("Milestone"),
                "number": len(record["milestones"]) + 1,
                "title": title,
                "description": description or None,
                "creator": self._user(user or record["owner"])["login"],
                "state": state,
                "created_at": now,
                "updated_at": now,
                "closed_at": now if state == "closed" else None,
                "due_on": None if due_on is None else _iso(due_on),
            }
            record["milestones"][milestone["number"]] = milestone
            return self._milestone_json(record, milestone)

    def add_issue(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        user: str = "octocat",
        labels=(),
        state: str = "open",
        assignees=(),
        created_at: datetime | str | None = None,
        milestone: int | None = None,
    ) -> dict:
        with self._lock:
            record = self._seeded(repo)
            if milestone is not None and milestone not in record["milestones"]:
                raise ValueError(f"no milestone {milestone} in {repo}; call add_milestone first")
            issue = self._new_issue(
                record,
                title,
                body,
                user,
                labels=self._labels_from(record, labels),
                assignees=[self._user(a)["login"] for a in assignees],
                created_at=created_at,
            )
            self._set_milestone(record, issue, milestone, user, issue["created_at"])
            if state != "open":
                self._set_state(record, issue, state, None, user, issue["created_at"])
            return self._issue_json(record, issue)

    def add_pull(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        user: str = "octocat",
        head: str = "feature",
        base: str = "main",
        files=(),
        state: str = "open",
        created_at: datetime | str | None = None,
        draft: bool = False,
    ) -> dict:
        """A pull request (also issue number N) from branch HEAD into BASE; STATE is "open", "closed"
        or "merged" (closed and merged); DRAFT shows as ``draft``.

        FILES is its diff against the base, as GET .../pulls/{n}/files lists it: dicts with
        "filename" and optionally "status" ("modified"), "additions", "deletions" (0) and "patch"
        (the hunks review comments must fall in). It starts with one commit (``head.sha``, its
        message the title, by USER) of those files, whose parent is the base commit (``base.sha``);
        ``push_pull`` adds more."""
        if state not in ("open", "closed", "merged"):
            raise ValueError(f"pull request state must be open, closed or merged, not {state!r}")
        with self._lock:
            record = self._seeded(repo)
            number = str(len(record["issues"]) + 1)
            head_sha = _fake_sha(repo, head, number)
            # The base branch's head when the repository has that branch (its files are then
            # readable at base.sha), else a made-up commit.
            base_sha = record["refs"].get(f"refs/heads/{base}") or _fake_sha(repo, base, number)
            shown = [_pull_file(spec) for spec in files]
            pull = {
                **self._ident("PullRequest"),
                "head": head,
                "base": base,
                "head_sha": head_sha,
                "base_sha": base_sha,
                "files": shown,
                "merged_at": None,
                "draft": bool(draft),
                "commits": [head_sha],  # the chain, oldest first
                "pushes": 0,
            }
            issue = self._new_issue(
                record, title, body, user, labels=[], assignees=[], pull=pull, created_at=created_at
            )
            author, date = issue["user"], issue["created_at"]
            record["pull_commits"][base_sha] = {
                "pull": issue["number"],
                "message": f"Tip of {base}",
                "author": record["owner"],
                "date": date,
                "parents": [],
                "files": [],
                "changed": [],
            }
            record["pull_commits"][head_sha] = {
                "pull": issue["number"],
                "message": title,
                "author": author,
                "date": date,
                "parents": [base_sha],
                "files": shown,
                "changed": shown,
            }
            if state != "open":
                self._set_state(record, issue, "closed", None, user, issue["created_at"])
                pull["merged_at"] = issue["closed_at"] if state == "merged" else None
            return self._issue_json(record, issue)

    def push_pull(
        self,
        repo: str,
        number: int,
        files,
        *,
        message: str = "Update",
        changed=None,
        force: bool = False,
        gone: bool = False,
    ) -> str:
        """Push a commit to pull request NUMBER's branch; answers its sha, the new ``head.sha``.

        FILES is the pull request's whole new diff against its base (the format of add_pull's
        files); CHANGED the file specs that changed from the old head to the new one (by default
        the entries of FILES that differ from the old list, and the old list's files FILES lacks as
        "removed"): what a compare of the two commits lists. The new commit's parent is the old head;
        with FORCE the chain is replaced by this one commit, whose parent is the base (CHANGED is
        then moot): the old commits stay known but are no ancestors of the head (a compare with one
        is "diverged"), and with GONE as well they are forgotten (compare answers 404, reviews on
        them show ``commit_id`` null). Updates ``updated_at``, ``commits``, ``changed_files``,
        ``additions`` and ``deletions``."""
        if gone and not force:
            raise ValueError("gone=True needs force=True: only a force push drops commits")
        with self._lock:
            record = self._seeded(repo)
            issue = self._issue(record, number)
            pull = issue["pull"]
            if not pull:
                raise ValueError(f"#{number} of {repo} is an issue, not a pull request")
            if pull["merged_at"] is not None:
                raise ValueError(
                    f"pull request #{number} of {repo} is merged: its commits are fixed"
                )
            shown = [_pull_file(spec) for spec in files]
            if force:
                delta = shown
            elif changed is None:
                delta = _changed_between(pull["files"], shown)
            else:
                delta = [_pull_file(spec) for spec in changed]
            now, old = self._now(), pull["head_sha"]
            pull["pushes"] += 1
            sha = _fake_sha(repo, pull["head"], str(number), str(pull["pushes"]), message)
            record["pull_commits"][sha] = {
                "pull": issue["number"],
                "message": message,
                "author": issue["user"],
                "date": now,
                "parents": [pull["base_sha"] if force else old],
                "files": shown,
                "changed": delta,
            }
            if gone:  # every commit this pull request had, but the base
                for known, commit in list(record["pull_commits"].items()):
                    if commit["pull"] == issue["number"] and known not in (sha, pull["base_sha"]):
                        del record["pull_commits"][known]
            pull["commits"] = [sha] if force else [*pull["commits"], sha]
            pull["head_sha"], pull["files"], issue["updated_at"] = sha, shown, now
            return sha

    def add_comment(self, repo: str, number: int, body: str, *, user: str) -> dict:
        with self._lock:
            record = self._seeded(repo)
            return self._comment_json(
                record, self._new_comment(record, self._issue(record, number), body, user)
            )

    def enable_suggestions(self, repo: str, enabled: bool = True) -> None:
        """Turn on (or off) issue suggestions for REPO; like GitHub, the fake starts with them off."""
        with self._lock:
            self._seeded(repo)["suggestions_enabled"] = enabled

    def add_suggestion(
        self,
        repo: str,
        number: int,
        label: str,
        *,
        user: str = "octocat",
        rationale: str | None = None,
        confidence: str | None = None,
    ) -> dict:
        """A pending add_label suggestion on issue NUMBER (the label is created when missing)."""
        with self._lock:
            record = self._seeded(repo)
            issue, (target,) = self._issue(record, number), self._labels_from(record, [label])
            found = self._new_suggestion(record, issue, target, user, rationale, confidence)
            return self._suggestion_json(record, found)

    def put_file(
        self, repo: str, path: str, content: str | bytes, *, ref: str | None = None
    ) -> str:
        """Store a file as a new commit on branch REF (the default branch when None); a branch that
        does not exist yet starts from the default branch. Returns the commit's sha."""
        data = content.encode() if isinstance(content, str) else bytes(content)
        with self._lock:
            record = self._seeded(repo)
            branch = ref or record["default_branch"]
            head = (
                record["refs"].get(f"refs/heads/{branch}")
                or record["refs"][f"refs/heads/{record['default_branch']}"]
            )
            files = _placed(record["commits"][head]["files"], path.strip("/"), data)
            sha = self._new_commit(
                record, files, [head], f"Update {path.strip('/')}", record["owner"], seeded=True
            )
            self._set_ref(record, f"refs/heads/{branch}", sha)
            return sha

    def branch(self, repo: str, name: str) -> str | None:
        """The sha branch NAME points at, or None when there is no such branch."""
        with self._lock:
            return self._seeded(repo)["refs"].get(f"refs/heads/{name}")

    def files(self, repo: str, ref: str | None = None) -> dict[str, bytes]:
        """Every file at REF (a branch, tag or commit sha; the default branch when None)."""
        with self._lock:
            record = self._seeded(repo)
            found = self._files_at(record, ref or record["default_branch"])
            if found is None:
                raise KeyError(f"no ref {ref} in {repo}")
            return dict(found)

    def ref_log(self, repo: str, ref: str | None = None) -> list[dict]:
        """Every move of REF (all refs when None), oldest first: {ref, old, new, forced}."""
        with self._lock:
            log = self._seeded(repo)["ref_log"]
            return [dict(move) for move in log if ref is None or move["ref"] == ref]

    def add_actions_cache(
        self, repo: str, key: str, *, ref: str | None = None, size: int = 1024
    ) -> dict:
        """An Actions cache entry (as actions/cache/save makes one), newest last."""
        with self._lock:
            record = self._seeded(repo)
            entry = {
                **{k: v for k, v in self._ident("ActionsCache").items() if k == "id"},
                "ref": ref or f"refs/heads/{record['default_branch']}",
                "key": key,
                "version": hashlib.sha256(key.encode()).hexdigest(),
                "last_accessed_at": self._now(),
                "created_at": self._now(),
                "size_in_bytes": size,
            }
            record["actions_caches"][entry["id"]] = entry
            return dict(entry)

    def actions_caches(self, repo: str) -> list[dict]:
        """The repository's Actions cache entries, oldest first."""
        with self._lock:
            return [dict(e) for e in self._seeded(repo)["actions_caches"].values()]

    def commit(self, repo: str, sha: str) -> dict:
        """The git commit SHA as GET /git/commits/{sha} shows it."""
        with self._lock:
            return self._commit_json(self._seeded(repo), sha)

    def check_runs(self, repo: str) -> list[dict]:
        """Every check run in REPO, oldest first."""
        with self._lock:
            record = self._seeded(repo)
            return [self._check_run_json(record, run) for run in record["check_runs"].values()]

    def reviews(self, repo: str, number: int) -> list[dict]:
        """Every review of pull request NUMBER, pending ones included, oldest first."""
        with self._lock:
            record = self._seeded(repo)
            return [
                self._review_json(record, review)
                for review in record["reviews"].values()
                if review["pull"] == number
            ]

    def review_comments(self, repo: str, number: int) -> list[dict]:
        """Every review comment on pull request NUMBER, pending ones included, oldest first."""
        with self._lock:
            record = self._seeded(repo)
            return [
                self._review_comment_json(record, comment)
                for comment in record["review_comments"].values()
                if comment["pull"] == number
            ]

    def annotations(self, repo: str, run_id: int) -> list[dict]:
        """The annotations of check run RUN_ID, in the order they were added."""
        with self._lock:
            record = self._seeded(repo)
            run = record["check_runs"][run_id]
            return [self._annotation_json(record, run, a) for a in run["annotations"]]

    def sub_issues(self, repo: str, number: int) -> list[dict]:
        with self._lock:
            issue = self._issue(self._seeded(repo), number)
            return [self._issue_json(*self._issue_ids[child]) for child in issue["sub_issues"]]

    # -- inspection

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))
            ]

    def issue(self, repo: str, number: int) -> dict:
        with self._lock:
            record = self._seeded(repo)
            return self._issue_json(record, self._issue(record, number))

    def comments(self, repo: str, number: int) -> list[dict]:
        with self._lock:
            record = self._seeded(repo)
            return [
                self._comment_json(record, c)
                for c in record["comments"].values()
                if c["issue"] == number
            ]

    def milestones(self, repo: str) -> list[dict]:
        """Every milestone of REPO, open and closed, by number."""
        with self._lock:
            record = self._seeded(repo)
            return [self._milestone_json(record, m) for m in record["milestones"].values()]

    def labels(self, repo: str) -> list[dict]:
        with self._lock:
            record = self._seeded(repo)
            return [self._label_json(record, label) for label in record["labels"].values()]

    def issues(self, repo: str) -> list[dict]:
        with self._lock:
            record = self._seeded(repo)
            return [self._issue_json(record, issue) for issue in record["issues"].values()]

    def timeline(self, repo: str, number: int) -> list[dict]:
        with self._lock:
            record = self._seeded(repo)
            return self._timeline_json(record, self._issue(record, number))

    def suggestions(self, repo: str, number: int) -> list[dict]:
        """Every suggestion on issue NUMBER, whatever its state, oldest first."""
        with self._lock:
            record = self._seeded(repo)
            return [
                self._suggestion_json(record, s)
                for s in record["suggestions"].values()
                if s["issue"] == number
            ]

    # -- faults

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        if body is None:
            body = {
                "message": HTTPStatus(status).phrase,
                "documentation_url": DOCS,
                "status": str(status),
            }
        fault = _Fault(
            method.upper(), re.compile(path), Reply(status, body, dict(headers or {})), times
        )
        with self._lock:
            self._faults.append(fault)

    def secondary_rate_limit(
        self, method: str, path: str, *, times: int = 1, retry_after: int | None = 0
    ) -> None:
        """403 with GitHub's secondary-rate-limit message (and Retry-After unless None), not carried out."""
        reply = _secondary_rate_limit_reply(403, retry_after)
        self.fail(method, path, 403, times=times, headers=reply.headers, body=reply.body)

    def too_many_requests(
        self, method: str, path: str, *, times: int = 1, retry_after: int | None = 0
    ) -> None:
        """429 with GitHub's secondary-rate-limit body (and Retry-After unless None), not carried out."""
        reply = _secondary_rate_limit_reply(429, retry_after)
        self.fail(method, path, 429, times=times, headers=reply.headers, body=reply.body)

    def submitted_too_quickly(
        self, method: str, path: str, *, times: int = 1, resource: str = "Issue"
    ) -> None:
        """422 "was submitted too quickly", the secondary limit GitHub applies to creating issues and
        comments (no Retry-After), not carried out."""
        self.fail(method, path, 422, times=times, body=_too_quickly_reply(path, resource).body)

    def slow_after(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        """Carry the request out, then hold its answer SECONDS before writing it (a client with a
        shorter timeout sees a read timeout although the write happened)."""
        self._add_fault(method, path, Reply(0, None, {}), times, "slow_after", seconds)

    def drop_after(self, method: str, path: str, *, times: int = 1) -> None:
        """Carry the request out, then close the connection without any answer (the client sees
        the connection dropped: RemoteDisconnected / ConnectionError)."""
        self._add_fault(method, path, Reply(0, None, {}), times, "drop_after")

    def fail_after(self, method: str, path: str, status: int, *, times: int = 1) -> None:
        """Carry the request out, then answer STATUS (e.g. 502) with GitHub's error body instead."""
        body = {
            "message": HTTPStatus(status).phrase,
            "documentation_url": DOCS,
            "status": str(status),
        }
        self._add_fault(method, path, Reply(status, body, {}), times, "fail_after")

    def _add_fault(
        self, method: str, path: str, reply: Reply, times: int, kind: str, seconds: float = 0.0
    ) -> None:
        fault = _Fault(method.upper(), re.compile(path), reply, times, kind, seconds)
        with self._lock:
            self._faults.append(fault)

    def enforce_limits(
        self,
        *,
        per_minute: int | None = 80,
        per_hour: int | None = 500,
        min_interval: float | None = None,
        clock: Callable[[], float] | None = None,
        retry_after: bool = True,
        status: int = 403,
    ) -> None:
        """Enforce GitHub's secondary limits on content creation, per login, from now on (fresh
        windows; see the module docstring). A None limit is not enforced. CLOCK returns seconds
        (default ``time.monotonic``; a ``ScaledClock`` or ``ManualClock`` to scale or step time).
        STATUS is 403 or 429, the two answers GitHub gives."""
        if status not in (403, 429):
            raise ValueError(f"status must be 403 or 429, not {status!r}")
        with self._lock:
            self._limits = _Limits(
                per_minute, per_hour, min_interval, clock or time.monotonic, retry_after, status
            )

    def relax_limits(self) -> None:
        """Stop enforcing the limits (``limit_log`` and ``limit_refusals`` are kept)."""
        with self._lock:
            self._limits = None

    def gate(self, method: str, path: str, count: int, *, timeout: float = 2.0) -> Gate:
        """Hold matching requests until COUNT of them have arrived (or TIMEOUT seconds after the
        first arrived), then let them all through at once; later ones pass freely. The wait
        happens before a request takes the fake's lock, so the others are served meanwhile.
        The returned Gate tells what happened: ``arrived`` and ``released_by`` ("count" or "timeout")."""
        found = Gate(method.upper(), re.compile(path), count, timeout)
        with self._waiting:
            self._gates.append(found)
        return found

    def before(
        self, method: str, path: str, callback: Callable[[], Any], *, times: int = 1
    ) -> None:
        """Call CALLBACK() just before a matching request is carried out, outside the fake's lock
        (so it may itself call the fake over HTTP, or look at the client's state)."""
        with self._waiting:
            self._hooks.append(_Hook(method.upper(), re.compile(path), callback, times))

    # -- records (callers hold the lock)

    def _now(self) -> str:
        """The next moment of the fake's clock (each write advances it a minute)."""
        self._last_now = _iso(EPOCH + timedelta(minutes=next(self._ticks)))
        return self._last_now

    def _ident(self, kind: str, counter: str | None = None) -> dict:
        number = next(self._ids[counter or kind])
        return {"id": number, "node_id": _node_id(kind, number)}

    def _user(self, login: str) -> dict:
        """The user LOGIN, created on demand (a "...[bot]" login becomes a Bot)."""
        if login.lower() not in self._users:
            kind = "Bot" if login.endswith("[bot]") else "User"
            self._users[login.lower()] = {
                **self._ident(kind, "account"),
                "login": login,
                "type": kind,
                "created_at": self._now(),
            }
        return self._users[login.lower()]

    def _seeded(self, full_name: str) -> dict:
        try:
            return self._repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"no repository {full_name}; call add_repo first") from None

    def _issue(self, repo: dict, number: int | str) -> dict:
        issue = repo["issues"].get(int(number))
        if issue is None:
            raise HttpError(404, "Not Found")
        return issue

    def _new_label(
        self, repo: dict, name: str, color: str = "ededed", description: str | None = None
    ) -> dict:
        label = {
            **self._ident("Label"),
            "name": name,
            "color": color.lstrip("#"),
            "description": description,
        }
        repo["labels"][name.lower()] = label
        return label

    def _labels_from(self, repo: dict, names) -> list[dict]:
        """The labels called NAMES, without repeats, creating the missing ones as GitHub does."""
        labels: list[dict] = []
        for name in names:
            label = repo["labels"].get(name.lower()) or self._new_label(repo, name)
            if label not in labels:
                labels.append(label)
        return labels

    def _new_issue(
        self,
        repo: dict,
        title: str,
        body: str | None,
        user: str,
        *,
        labels: list[dict],
        assignees: list[str],
        created_at: datetime | str | None = None,
        pull: dict | None = None,
    ) -> dict:
        now = _iso(created_at) if created_at else self._now()
        issue = {
            **self._ident("Issue"),
            "number": len(repo["issues"]) + 1,
            "title": title,
            "body": body or None,
            "user": self._user(user)["login"],
            "state": "open",
            "state_reason": None,
            "labels": [],
            "assignees": [],
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "closed_by": None,
            "pull": pull,
            "milestone": None,  # the milestone's number
            "parent": None,  # the parent's issue id
            "sub_issues": [],  # the children's issue ids, in the order added
            "blocked_by": [],  # issue ids
            "blocking": [],  # issue ids
        }
        repo["issues"][issue["number"]] = issue
        self._issue_ids[issue["id"]] = (repo, issue)
        self._relabel(repo, issue, labels, user, now)
        self._reassign(repo, issue, assignees, user, now)
        return issue

    def _event(
        self, repo: dict, issue: dict, event: str, actor: str, now: str, **detail: Any
    ) -> dict:
        """Record an issue event (for the timeline) that ACTOR caused at NOW."""
        record = {
            **self._ident(EVENT_KINDS[event], "IssueEvent"),
            "issue": issue["number"],
            "event": event,
            "actor": self._user(actor)["login"],
            "created_at": now,
            **detail,
        }
        repo["events"].append(record)
        return record

    def _relabel(
        self, repo: dict, issue: dict, labels: list[dict], actor: str, now: str
    ) -> list[dict]:
        """Give ISSUE exactly LABELS, recording the labeled and unlabeled events; returns the events."""
        events = [
            self._event(
                repo,
                issue,
                kind,
                actor,
                now,
                label={"name": label["name"], "color": label["color"]},
            )
            for kind, gone, kept in (
                ("unlabeled", issue["labels"], labels),
                ("labeled", labels, issue["labels"]),
            )
            for label in gone
            if label not in kept
        ]
        issue["labels"] = labels
        return events

    def _reassign(self, repo: dict, issue: dict, logins: list[str], actor: str, now: str) -> None:
        """Give ISSUE exactly the assignees LOGINS, recording the assigned and unassigned events."""
        for kind, gone, kept in (
            ("unassigned", issue["assignees"], logins),
            ("assigned", logins, issue["assignees"]),
        ):
            for login in gone:
                if login not in kept:
                    self._event(repo, issue, kind, actor, now, assignee=login)
        issue["assignees"] = logins

    def _set_milestone(
        self, repo: dict, issue: dict, number: int | None, actor: str, now: str
    ) -> None:
        """Put ISSUE in milestone NUMBER (None: in none), recording the demilestoned event of the
        one it leaves and the milestoned event of the one it joins, each naming its title."""
        before = issue["milestone"]
        if number == before:
            return
        if before is not None:
            title = repo["milestones"][before]["title"]
            self._event(repo, issue, "demilestoned", actor, now, milestone={"title": title})
        if number is not None:
            title = repo["milestones"][number]["title"]
            self._event(repo, issue, "milestoned", actor, now, milestone={"title": title})
        issue["milestone"] = number

    def _new_suggestion(
        self,
        repo: dict,
        issue: dict,
        label: dict,
        actor: str,
        rationale: str | None,
        confidence: str | None,
    ) -> dict:
        now = self._now()
        suggestion = {
            "id": next(self._ids["IssueSuggestion"]),
            "issue": issue["number"],
            "action": "add_label",
            "state": "pending",
            "target_id": label["id"],
            "target_value": None,
            "rationale": rationale,
            "confidence": confidence and confidence.upper(),
            "actor_id": self._user(actor)["id"],
            "issue_event_id": None,
            "resolved_by": None,
            "created_at": now,
            "updated_at": now,
        }
        repo["suggestions"][suggestion["id"]] = suggestion
        return suggestion

    def _pending_label(self, repo: dict, issue: dict, label: dict) -> bool:
        return any(
            s["issue"] == issue["number"]
            and s["state"] == "pending"
            and s["action"] == "add_label"
            and s["target_id"] == label["id"]
            for s in repo["suggestions"].values()
        )

    def _label_or_suggest(
        self, repo: dict, issue: dict, keep: list[dict], items: list[dict], login: str, now: str
    ) -> None:
        """Label ISSUE with KEEP plus the label ITEMS; where the repository has suggestions on, an item
        marked "suggest" becomes a pending suggestion instead (unless the issue has the label or a
        pending suggestion for it). Without the feature, or on a pull request, GitHub ignores the flag."""
        suggesting = repo["suggestions_enabled"] and not issue["pull"]
        direct = [item["name"] for item in items if not (suggesting and item["suggest"])]
        labels = self._labels_from(repo, [*(label["name"] for label in keep), *direct])
        for item in items:
            if suggesting and item["suggest"]:
                (label,) = self._labels_from(repo, [item["name"]])
                if label not in labels and not self._pending_label(repo, issue, label):
                    self._new_suggestion(
                        repo, issue, label, login, item["rationale"], item["confidence"]
                    )
        self._relabel(repo, issue, labels, login, now)

    def _new_commit(
        self,
        repo: dict,
        files: dict[str, bytes],
        parents: list[str],
        message: str,
        login: str,
        *,
        author: Any = None,
        committer: Any = None,
        seeded: bool = False,
    ) -> str:
        """Store a commit of FILES (the whole tree) and answer its sha, computed as git does. The author
        and committer default to LOGIN (the committer to the author when only that is given); a
        SEEDED commit is dated now without advancing the clock."""
        files = dict(files)
        tree = _tree_sha(files, "")
        self._index_files(repo, files)
        user = self._user(login)
        date = self._last_now if seeded else self._now()
        email = f"{user['id']}+{user['login']}@users.noreply.github.com"
        default = {"name": user["login"], "email": email, "date": date}
        author_given = isinstance(author, dict)
        author = _git_person(author, default)
        committer = _git_person(committer, author if author_given else default)

        def line(role: str, person: dict) -> str:
            seconds = int(_parse_time(person["date"]).timestamp())
            return f"{role} {person['name']} <{person['email']}> {seconds} +0000\n"

        text = f"tree {tree}\n" + "".join(f"parent {parent}\n" for parent in parents)
        text += line("author", author) + line("committer", committer) + "\n" + message
        sha = _git_sha("commit", text.encode())
        repo["commits"][sha] = {
            "files": files,
            "tree": tree,
            "parents": list(parents),
            "message": message,
            "author": author,
            "committer": committer,
        }
        return sha

    def _index_files(self, repo: dict, files: dict[str, bytes]) -> None:
        """Know every blob and every (sub)tree of FILES by its sha, as git's object store would."""
        for data in files.values():
            repo["blobs"].setdefault(_git_sha("blob", data), data)
        for folder in _folders(files):
            repo["tree_objects"].setdefault(_tree_sha(files, folder), (files, folder))

    def _tree_files(self, repo: dict, sha: str) -> dict[str, bytes] | None:
        """The files of the tree SHA, with paths relative to it; None when no such tree is known."""
        found = repo["tree_objects"].get(sha)
        if found is None:
            return None
        files, folder = found
        prefix = f"{folder}/" if folder else ""
        return {
            path[len(prefix) :]: data for path, data in files.items() if path.startswith(prefix)
        }

    def _set_ref(self, repo: dict, ref: str, sha: str, *, forced: bool = False) -> None:
        """Point REF at commit SHA; a branch then shows that commit's files through the contents API.
        Every move is logged (``ref_log``), with whether it was a forced, non-fast-forward one."""
        repo["ref_log"].append(
            {"ref": ref, "old": repo["refs"].get(ref), "new": sha, "forced": forced}
        )
        repo["refs"][ref] = sha
        if ref.startswith("refs/heads/"):
            repo["trees"][ref.removeprefix("refs/heads/")] = repo["commits"][sha]["files"]

    def _files_at(self, repo: dict, ref: str) -> dict[str, bytes] | None:
        """The files at REF: a branch, a tag, a full ref ("refs/heads/x") or a commit sha (or prefix)."""
        if ref in repo["trees"]:
            return repo["trees"][ref]
        for full in (f"refs/tags/{ref}", ref if ref.startswith("refs/") else f"refs/{ref}"):
            if full in repo["refs"]:
                return repo["commits"][repo["refs"][full]]["files"]
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            found = [commit for sha, commit in repo["commits"].items() if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]["files"]
        return None

    def _is_ancestor(self, repo: dict, old: str, new: str) -> bool:
        """Whether commit OLD is NEW or one of its ancestors (a move OLD -> NEW is a fast forward)."""
        seen, todo = set(), [new]
        while todo:
            sha = todo.pop()
            if sha == old:
                return True
            if sha not in seen and sha in repo["commits"]:
                seen.add(sha)
                todo.extend(repo["commits"][sha]["parents"])
        return False

    def _new_comment(self, repo: dict, issue: dict, body: str, user: str) -> dict:
        now = self._now()
        comment = {
            **self._ident("IssueComment"),
            "issue": issue["number"],
            "body": body,
            "user": self._user(user)["login"],
            "created_at": now,
            "updated_at": now,
        }
        repo["comments"][comment["id"]] = comment
        issue["updated_at"] = now
        return comment

    def _set_state(
        self, repo: dict, issue: dict, state: str, reason: str | None, login: str, now: str
    ) -> None:
        resource = "PullRequest" if issue["pull"] else "Issue"
        if state not in ("open", "closed"):
            raise _invalid(resource, "state", "invalid")
        if reason not in (None, "completed", "not_planned", "duplicate", "reopened"):
            raise _invalid("Issue", "state_reason", "invalid")
        if state == "open" and issue["pull"] and issue["pull"]["merged_at"]:
            raise _invalid(resource, "state", "invalid")  # a merged pull request cannot be reopened
        before = issue["state"]
        if state == "closed" and before == "open":
            issue["closed_at"], issue["closed_by"] = now, self._user(login)["login"]
        if state == "open" and before == "closed":
            issue["closed_at"], issue["closed_by"] = None, None
            reason = reason or "reopened"
        issue["state"] = state
        issue["state_reason"] = reason or (
            "completed" if state == "closed" else issue["state_reason"]
        )
        if state != before:
            self._event(
                repo,
                issue,
                "closed" if state == "closed" else "reopened",
                login,
                now,
                state_reason=issue["state_reason"],
            )

    # -- request handling

    def _arrive(self, req: Request) -> Reply | None:
        """What happens before REQ takes the lock: gates hold it, hooks run. Answers a Reply only
        when a hook failed."""
        with self._waiting:
            gate = next((g for g in self._gates if _matches(g, req)), None)
            if gate is not None:
                gate.arrived += 1
                if gate.deadline is None:
                    gate.deadline = time.monotonic() + gate.timeout
                if gate.arrived >= gate.count:
                    self._open(gate, "count")
                while gate.released_by is None:
                    left = gate.deadline - time.monotonic()
                    if left <= 0 or self._stopped.is_set():
                        self._open(gate, "timeout")
                    else:
                        self._waiting.wait(left)
            hook = next((h for h in self._hooks if _matches(h, req)), None)
            if hook is not None:
                hook.times -= 1
                if hook.times <= 0:
                    self._hooks.remove(hook)
        if hook is not None:
            try:
                hook.callback()
            except Exception as error:  # noqa: BLE001 - the test's callback failed: say so to the client
                return HttpError(500, f"FakeGitHub before() callback failed: {error!r}").reply
        return None

    def _open(self, gate: Gate, why: str) -> None:
        """Release everything GATE holds (callers hold self._waiting)."""
        gate.released_by = why
        self._gates.remove(gate)
        self._waiting.notify_all()

    def _dispatch(self, req: Request) -> tuple[Reply, _Fault | None]:
        """Serve REQ under the lock: the reply to write and the after-fault (if any) that meets it."""
        with self._lock:
            fault = self._take_fault(req)
            req.fault = fault.kind if fault is not None else None
            try:
                if fault is not None and fault.kind == "fail":
                    reply = fault.reply
                else:
                    reply = self._serve(req)
                    req.served = reply.status
            except HttpError as error:
                reply = error.reply
                req.served = reply.status
            except Exception as error:  # noqa: BLE001 - a bug in the fake: answer it rather than hang the client
                reply = HttpError(500, f"FakeGitHub failed: {error!r}").reply
                req.served = reply.status
            if fault is not None and fault.kind == "fail_after":
                reply = fault.reply
            req.status = None if fault is not None and fault.kind == "drop_after" else reply.status
            self.requests.append(req)
            headers = self._headers(req) | {k.lower(): v for k, v in reply.headers.items()}
            return reply._replace(headers=headers), fault

    def _take_fault(self, req: Request) -> _Fault | None:
        for fault in self._faults:
            if _matches(fault, req):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _serve(self, req: Request) -> Reply:
        self._authenticate(req)
        handler, params = self._match(req)
        if (req.kind == "app") != getattr(handler, "jwt", False):
            raise HttpError(401, "A JSON web token could not be decoded")
        if req.method != "GET":
            self._login(req)
        self._authorize(req, handler.permission, params)
        if req.raw and req.body is None:
            raise HttpError(400, "Problems parsing JSON")
        at = self._admit(req)
        try:
            answer = handler(req, **params)
        except HttpError:
            if at is not None:
                self.limit_log.append(LimitEvent(at, req.method, req.path, "error"))
            raise
        reply = answer if isinstance(answer, Reply) else Reply(200, answer, {})
        if at is not None:
            self._count(req, at, reply.status)
        return reply

    def _admit(self, req: Request) -> float | None:
        """Under ``enforce_limits``: the clock's reading for a content-creating REQ the limits let
        through (None for any other request, or when they are off); raises their refusal."""
        limits = self._limits
        if (
            limits is None
            or req.method != "POST"
            or not any(p.fullmatch(req.path) for p in CONTENT_CREATING)
        ):
            return None
        now = limits.clock()
        times = limits.windows.setdefault(req.login or "", [])
        del times[: bisect_right(times, now - LIMIT_WINDOWS[-1][1])]  # older than the hour
        waits: dict[str, float] = {}
        for kind, span in LIMIT_WINDOWS:
            limit = getattr(limits, kind)
            recent = times[bisect_right(times, now - span) :]
            if limit is not None and len(recent) >= limit:
                waits[kind] = recent[len(recent) - limit] + span - now  # until a slot frees
        if waits:
            kind = max(waits, key=lambda k: waits[k])
            seconds = max(1, math.ceil(waits[kind])) if limits.retry_after else None
            self._refuse(req, now, kind, _secondary_rate_limit_reply(limits.status, seconds))
        last = limits.last_paced.get(req.login or "")
        if (
            limits.min_interval is not None
            and last is not None
            and now - last < limits.min_interval
            and any(p.fullmatch(req.path) for p in PACED_CREATES)
        ):
            self._refuse(req, now, "too_quickly", _too_quickly_reply(req.path))
        return now

    def _refuse(self, req: Request, at: float, kind: str, reply: Reply) -> None:
        req.fault = kind
        self.limit_refusals[kind] += 1
        self.limit_log.append(LimitEvent(at, req.method, req.path, kind))
        raise _answered(reply)

    def _count(self, req: Request, at: float, status: int) -> None:
        """Record a content-creating REQ admitted at AT: in the windows when it was carried out."""
        limits = self._limits
        if limits is None or status >= 400:
            self.limit_log.append(LimitEvent(at, req.method, req.path, "error"))
            return
        limits.windows.setdefault(req.login or "", []).append(at)
        if any(p.fullmatch(req.path) for p in PACED_CREATES):
            limits.last_paced[req.login or ""] = at
        self.limit_log.append(LimitEvent(at, req.method, req.path, "carried_out"))

    def _authenticate(self, req: Request) -> None:
        header = req.header("Authorization")
        if header is None:
            return
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token.count(".") == 2 and token not in self._tokens:
            req.app = self._app_of_jwt(token)
            req.login, req.kind = f"{req.app}[bot]", "app"
            return
        if scheme.lower() not in ("token", "bearer") or token not in self._tokens:
            raise HttpError(401, "Bad credentials")
        req.login, req.kind, req.permissions = self._tokens[token]
        req.repos = self._token_repos.get(token)

    def _app_of_jwt(self, token: str) -> str:
        """The slug of the app whose key signed TOKEN, as GitHub checks an app's JWT."""
        import jwt

        bad = HttpError(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise bad from None
        issuer = str(claims.get("iss", ""))
        for slug, app in self._app_keys.items():
            if issuer not in (str(app["id"]), app["client_id"]):
                continue
            try:
                checked = jwt.decode(
                    token,
                    app["public_key"],
                    algorithms=["RS256"],
                    options={"require": ["iat", "exp", "iss"]},
                )
            except jwt.PyJWTError:
                raise bad from None
            if int(checked["exp"]) - int(checked["iat"]) > 600:
                raise HttpError(
                    401,
                    "'Expiration time' claim ('exp') is too far in the future",
                )
            return slug
        raise bad

    def _authorize(self, req: Request, permission: str | None, params: dict[str, str]) -> None:
        """Refuse what a token limited by fine-grained permissions may not do, as GitHub does: 403
        "Resource not accessible by integration" naming the accepted permissions in a header. Reads
        need the permission only on private repositories."""
        if permission is None or req.permissions is None:
            return
        level = "read" if req.method == "GET" else "write"
        repo = self._repos.get(f"{params.get('owner')}/{params.get('name')}".lower())
        if level == "read" and (repo is None or not repo["private"]):
            return
        scopes = permission.split("|")
        rank = PERMISSION_RANK[level]
        if any(PERMISSION_RANK[req.permissions.get(scope, "none")] >= rank for scope in scopes):
            return
        accepted = "; ".join(f"{scope}={level}" for scope in scopes)
        raise HttpError(
            403,
            NOT_ACCESSIBLE[req.kind or "user"],
            headers={"X-Accepted-GitHub-Permissions": accepted},
        )

    def _login(self, req: Request) -> str:
        if req.login is None:
            raise HttpError(401, "Requires authentication")
        return req.login

    def _match(self, req: Request) -> tuple[Any, dict[str, str]]:
        for method, pattern, handler in self._routes:
            found = pattern.fullmatch(req.path)
            if found and method == req.method:
                return handler, {
                    key: unquote(value) for key, value in found.groupdict(default="").items()
                }
        raise HttpError(404, "Not Found")

    def _headers(self, req: Request) -> dict[str, str]:
        if req.path != "/rate_limit":
            self._used += 1
        n = next(self._request_numbers)
        return {
            "content-type": "application/json; charset=utf-8",
            "x-github-api-version-selected": "2022-11-28",
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(self._remaining()),
            "x-ratelimit-reset": str(self._reset),
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": f"{n:04X}:{n * 7:05X}:{n * 7919:07X}:{n * 104729:07X}:{self._reset:08X}",
        }

    def _remaining(self) -> int:
        return max(RATE_LIMIT - self._used, 0)

    def _repo(self, req: Request, owner: str, name: str) -> dict:
        """The repository, or 404 when it is missing or hidden from the caller as GitHub hides it."""
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None or not (
            req.kind == "installation" or self._role(repo, req.login) != "none"
        ):
            raise HttpError(404, "Not Found")
        outside = req.repos is not None and repo["full_name"].lower() not in req.repos
        if outside and (repo["private"] or req.method != "GET"):
            raise HttpError(404, "Not Found")  # an installation token of other repositories
        return repo

    def _paginate(self, req: Request, items: list, render) -> Reply:
        per_page = _int_param(req.query.get("per_page"), 30, 1, 100)
        page = _int_param(req.query.get("page"), 1, 1, sys.maxsize)
        last = max(1, -(-len(items) // per_page))
        rels = {}
        if page > 1:
            rels["prev"] = min(page - 1, last)
        if page < last:
            rels |= {"next": page + 1, "last": last}
        if page > 1:
            rels["first"] = 1
        links = [
            f'<{self.url}{req.path}?{urlencode(req.query | {"page": n})}>; rel="{rel}"'
            for rel, n in rels.items()
        ]
        headers = {"Link": ", ".join(links)} if last > 1 else {}
        shown = items[(page - 1) * per_page : page * per_page]
        return Reply(200, [render(item) for item in shown], headers)

    def _created(self, body: dict) -> Reply:
        return Reply(201, body, {"Location": body["url"]})

    def _body(self, req: Request) -> dict:
        if req.body is None:
            return {}
        if not isinstance(req.body, dict):
            raise HttpError(400, "Problems parsing JSON")
        return req.body

    def _label(self, repo: dict, name: str) -> dict:
        label = repo["labels"].get(name.lower())
        if label is None:
            raise HttpError(404, "Not Found")
        return label

    def _api_assignees(self, body: dict) -> list[str]:
        """Assignees of an issue write ("assignees" and the older "assignee"); they must exist."""
        logins = ([body["assignee"]] if body.get("assignee") else []) + list(
            body.get("assignees") or []
        )
        for login in logins:
            if login.lower() not in self._users:
                error = {
                    "resource": "Issue",
                    "code": "invalid",
                    "field": "assignees",
                    "value": login,
                }
                raise HttpError(422, "Validation Failed", errors=[error])
        return list(dict.fromkeys(self._users[login.lower()]["login"] for login in logins))

    def _api_milestone(self, req: Request, repo: dict, body: dict) -> tuple[bool, int | None]:
        """The milestone of an issue write: (False, None) when it sets none, as when the caller
        lacks push access (GitHub drops it silently), else (True, its number or None to remove
        it; "" as well, which PyGithub sends for that). The number (an integer or a string of
        digits) must be one of the repository's."""
        pushes = (
            req.kind == "installation"
            or ROLE_RANK[self._role(repo, req.login)] >= ROLE_RANK["write"]
        )
        if "milestone" not in body or not pushes:
            return False, None
        given = body["milestone"]
        if given is None or given == "":
            return True, None
        number = (
            given
            if _whole(given)
            else int(given)
            if isinstance(given, str) and given.isascii() and given.isdigit()
            else None
        )
        if number not in repo["milestones"]:
            error = {"value": given, "resource": "Issue", "field": "milestone", "code": "invalid"}
            raise HttpError(422, "Validation Failed", errors=[error])
        return True, number

    def _issue_filter(self, query: dict[str, str]):
        state, labels = query.get("state", "open"), query.get("labels", "")
        wanted = {name.strip().lower() for name in labels.split(",") if name.strip()}
        since = _parse_time(query["since"]) if "since" in query else None
        creator, assignee = query.get("creator", "").lower(), query.get("assignee", "").lower()

        def keep(issue: dict) -> bool:
            return (
                state in ("all", issue["state"])
                and wanted <= {label["name"].lower() for label in issue["labels"]}
                and (since is None or _parse_time(issue["updated_at"]) >= since)
                and creator in ("", issue["user"].lower())
                and _assignee_matches(assignee, [login.lower() for login in issue["assignees"]])
            )

        return keep

    # -- endpoints: account and meta

    @route("GET", r"/rate_limit")
    def get_rate_limit(self, req: Request) -> dict:
        core = {
            "limit": RATE_LIMIT,
            "used": self._used,
            "remaining": self._remaining(),
            "reset": self._reset,
        }
        others = {
            name: {"limit": limit, "used": 0, "remaining": limit, "reset": self._reset}
            for name, limit in OTHER_RATE_LIMITS.items()
        }
        return {"resources": {"core": core, **others}, "rate": core}

    @route("GET", r"/user")
    def get_authenticated_user(self, req: Request) -> dict:
        login = self._login(req)
        if req.kind == "installation":
            docs = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
            raise HttpError(403, "Resource not accessible by integration", docs=docs)
        return self._profile_json(login, private=True)

    @route("GET", r"/app", jwt=True)
    def get_app(self, req: Request) -> dict:
        app = self._app_keys[req.app]
        return {
            "id": app["id"],
            "client_id": app["client_id"],
            "slug": req.app,
            "node_id": _node_id("Integration", app["id"]),
            "owner": self._user_json(req.login),
            "name": req.app,
            "description": "",
            "external_url": f"{HTML}/apps/{req.app}",
            "html_url": f"{HTML}/apps/{req.app}",
            "created_at": _iso(EPOCH),
            "updated_at": _iso(EPOCH),
            "permissions": dict(app["permissions"] or FULL_PERMISSIONS),
            "events": [],
            "installations_count": len(app["installations"]),
        }

    @route("GET", REPO + r"/installation", jwt=True)
    def get_repo_installation(self, req: Request, owner: str, name: str) -> dict:
        app = self._app_keys[req.app]
        number = app["installations"].get(f"{owner}/{name}".lower())
        if number is None or f"{owner}/{name}".lower() not in self._repos:
            raise HttpError(404, "Not Found")
        return self._installation_json(req.app, number, owner)

    @route("POST", r"/app/installations/(?P<number>\d+)/access_tokens", jwt=True)
    def create_installation_token(self, req: Request, number: str) -> Reply:
        app = self._app_keys[req.app]
        names = [repo for repo, n in app["installations"].items() if n == int(number)]
        if not names:
            raise HttpError(404, "Not Found")
        body = self._body(req) if req.raw else {}
        asked = body.get("repositories")
        if asked is not None:
            owner = names[0].split("/")[0]
            wanted = {f"{owner}/{str(repo).lower()}" for repo in asked}
            if not wanted <= set(names):
                raise HttpError(
                    422,
                    "There is at least one repository that does not exist or "
                    "is not accessible to the parent installation.",
                )
            names = sorted(wanted)
        token = f"ghs_{req.app.replace('-', '_')}_{len(self._tokens):06d}"
        self._tokens[token] = (
            f"{req.app}[bot]",
            "installation",
            None if app["permissions"] is None else {"metadata": "read"} | app["permissions"],
        )
        self._token_repos[token] = set(names)
        expires = _parse_time(self._last_now) + timedelta(hours=1)
        return Reply(
            201,
            {
                "token": token,
                "expires_at": _iso(expires),
                "permissions": dict(app["permissions"] or FULL_PERMISSIONS),
                "repository_selection": "selected" if asked is not None else "all",
            },
            {},
        )

    def _installation_json(self, slug: str, number: int, owner: str) -> dict:
        app = self._app_keys[slug]
        return {
            "id": number,
            "account": self._user_json(owner),
            "app_id": app["id"],
            "app_slug": slug,
            "client_id": app["client_id"],
            "target_type": "Organization",
            "permissions": dict(app["permissions"] or FULL_PERMISSIONS),
            "events": [],
            "repository_selection": "selected",
            "access_tokens_url": f"{self.url}/app/installations/{number}/access_tokens",
            "created_at": _iso(EPOCH),
            "updated_at": _iso(EPOCH),
        }

    @route("DELETE", r"/installation/token")
    def revoke_installation_token(self, req: Request) -> Reply:
        token = (req.header("Authorization") or "").partition(" ")[2].strip()
        if req.kind != "installation" or token not in self._tokens:
            raise HttpError(401, "Bad credentials")
        del self._tokens[token]
        self._token_repos.pop(token, None)
        return Reply(204, None, {})

    @route("POST", r"/graphql")
    def graphql(self, req: Request) -> dict:
        login = self._login(req)
        body = self._body(req)
        query = re.sub(r"\s+", " ", str(body.get("query", ""))).strip()
        if re.fullmatch(r"(query )?\{ ?viewer ?\{ ?login ?\} ?\}", query):
            return {"data": {"viewer": {"login": login}}}
        node = str((body.get("variables") or {}).get("id", ""))
        if query.startswith("mutation") and " pinIssue(input: {issueId: $id})" in query:
            return self._pin_issue(req, node)
        if query.startswith("mutation") and " unpinIssue(input: {issueId: $id})" in query:
            return self._pin_issue(req, node, pin=False)
        message = f"FakeGitHub answers {{ viewer {{ login }} }} and pinIssue only, not {query!r}"
        return {"errors": [{"type": "INVALID", "message": message}]}  # GraphQL: 200 with errors

    def _pin_issue(self, req: Request, node_id: str, *, pin: bool = True) -> dict:
        """GraphQL's pinIssue: errors come back as 200 with `errors`, as GraphQL answers them."""
        for repo in self._repos.values():
            for issue in repo["issues"].values():
                if issue["node_id"] != node_id:
                    continue
                allowed = (
                    req.permissions is None
                    or PERMISSION_RANK[req.permissions.get("issues", "none")]
                    >= PERMISSION_RANK["write"]
                )
                if not allowed or (
                    req.kind == "user" and self._role(repo, req.login) in ("none", "read", "triage")
                ):
                    return {
                        "data": {"pinIssue": None},
                        "errors": [
                            {
                                "type": "FORBIDDEN",
                                "message": f"{req.login} does not have permission to pin issues",
                            }
                        ],
                    }
                pinned = repo.setdefault("pinned", [])
                if not pin:
                    if issue["number"] in pinned:
                        pinned.remove(issue["number"])
                    return {"data": {"unpinIssue": {"issue": {"number": issue["number"]}}}}
                if issue["number"] not in pinned:
                    if len(pinned) >= 3:
                        return {
                            "data": {"pinIssue": None},
                            "errors": [
                                {
                                    "type": "UNPROCESSABLE",
                                    "message": "Repository already has 3 pinned issues",
                                }
                            ],
                        }
                    pinned.append(issue["number"])
                return {"data": {"pinIssue": {"issue": {"number": issue["number"]}}}}
        return {
            "data": {"pinIssue": None},
            "errors": [
                {
                    "type": "NOT_FOUND",
                    "message": f"Could not resolve to a node with the global id of '{node_id}'.",
                }
            ],
        }

    def pinned(self, repo: str) -> list[int]:
        """The numbers of the repository's pinned issues (GraphQL pinIssue)."""
        return list(self._repos[repo.lower()].get("pinned", []))

    @route("GET", r"/users/(?P<username>[^/]+)")
    def get_user(self, req: Request, username: str) -> dict:
        if username.lower() not in self._users:
            raise HttpError(404, "Not Found")
        return self._profile_json(username)

    # -- endpoints: repositories

    @route("GET", REPO)
    def get_repo(self, req: Request, owner: str, name: str) -> dict:
        return self._repo_json(self._repo(req, owner, name), req.login)

    @route("GET", REPO + r"/collaborators/(?P<username>[^/]+)/permission")
    def get_permission(self, req: Request, owner: str, name: str, username: str) -> dict:
        repo = self._repo(req, owner, name)
        if username.lower() not in self._users:
            raise HttpError(404, "Not Found")
        role = self._role(repo, username)
        return {
            "permission": LEGACY_PERMISSION[role],
            "role_name": role,
            "user": self._user_json(username),
        }

    @route("GET", REPO + r"/contents(?:/(?P<path>.*))?", permission="contents")
    def get_content(self, req: Request, owner: str, name: str, path: str):
        repo = self._repo(req, owner, name)
        ref, path = req.query.get("ref") or repo["default_branch"], path.strip("/")
        files = self._files_at(repo, ref)
        if files is None:
            raise HttpError(404, f"No commit found for the ref {ref}")
        if path in files:
            return self._entry_json(repo, ref, files, path) | {
                "encoding": "base64",
                "content": _wrap64(files[path]),
            }
        entries = _children(files, path)
        if path and not entries:
            raise HttpError(404, "Not Found")
        return [
            self._entry_json(repo, ref, files, f"{path}/{n}" if path else n)
            for n in sorted(entries)
        ]

    @route("PUT", REPO + r"/contents/(?P<path>.+)", permission="contents")
    def put_content(self, req: Request, owner: str, name: str, path: str) -> Reply:
        repo, body, path = self._repo(req, owner, name), self._body(req), path.strip("/")
        for required in ("message", "content"):
            if not isinstance(body.get(required), str):
                raise _not_supplied(required)
        try:
            data = base64.b64decode(body["content"], validate=False)
        except ValueError:
            raise HttpError(422, "content is not valid Base64") from None
        branch = body.get("branch") or repo["default_branch"]
        head = repo["refs"].get(f"refs/heads/{branch}")
        if head is None:
            raise HttpError(404, f"Branch {branch} not found")
        files = repo["commits"][head]["files"]
        if path in files:
            if not body.get("sha"):
                raise _not_supplied("sha")
            if body["sha"] != _git_sha("blob", files[path]):
                raise HttpError(409, f"{path} does not match {body['sha']}")
        sha = self._new_commit(
            repo,
            _placed(files, path, data),
            [head],
            body["message"],
            self._login(req),
            author=body.get("author"),
            committer=body.get("committer"),
        )
        self._set_ref(repo, f"refs/heads/{branch}", sha)
        entry = self._entry_json(repo, branch, repo["trees"][branch], path)
        status = 200 if path in files else 201
        return Reply(status, {"content": entry, "commit": self._commit_json(repo, sha)}, {})

    # -- endpoints: git data

    @route("GET", GIT + r"/trees/(?P<sha>[^/]+)", permission="contents")
    def get_tree(self, req: Request, owner: str, name: str, sha: str):
        repo = self._repo(req, owner, name)
        if sha not in repo["tree_objects"]:  # a commit, or a branch, names its root tree
            files = repo["commits"][sha]["files"] if sha in repo["commits"] else None
            files = self._files_at(repo, sha) if files is None else files
            if files is None:
                raise HttpError(404, "Not Found")
            sha = _tree_sha(files, "")
        files, folder = repo["tree_objects"][sha]
        return self._tree_json(repo, files, folder, sha, req.query.get("recursive"))

    @route("GET", GIT + r"/blobs/(?P<sha>[^/]+)", permission="contents")
    def get_blob(self, req: Request, owner: str, name: str, sha: str):
        repo = self._repo(req, owner, name)
        data = repo["blobs"].get(sha)
        if data is None:
            raise HttpError(404, "Not Found")
        return {
            "sha": sha,
            "node_id": _node_id("Blob", int(sha[:8], 16)),
            "size": len(data),
            "url": f"{self._repo_api(repo)}/git/blobs/{sha}",
            "content": _wrap64(data),
            "encoding": "base64",
        }

    @route("POST", GIT + r"/blobs", permission="contents")
    def create_blob(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        if not isinstance(body.get("content"), str):
            raise _not_supplied("content")
        encoding = body.get("encoding") or "utf-8"
        if encoding == "base64":
            try:
                data = base64.b64decode(body["content"])
            except ValueError:
                raise HttpError(422, "content is not valid Base64") from None
        elif encoding in ("utf-8", "utf8"):
            data = body["content"].encode()
        else:
            raise HttpError(422, f"encoding must be utf-8 or base64, not {encoding}")
        sha = _git_sha("blob", data)
        repo["blobs"][sha] = data
        url = f"{self._repo_api(repo)}/git/blobs/{sha}"
        return Reply(201, {"sha": sha, "url": url}, {"Location": url})

    @route("POST", GIT + r"/trees", permission="contents")
    def create_tree(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        entries = body.get("tree")
        if not isinstance(entries, list):
            raise _not_supplied("tree")
        files: dict[str, bytes] = {}
        if body.get("base_tree"):
            found = self._tree_files(repo, str(body["base_tree"]))
            if found is None:
                raise HttpError(422, "base_tree is not a valid tree oid")
            files = found
        for entry in entries:
            files = self._tree_entry(repo, files, entry)
        sha = _tree_sha(files, "")
        self._index_files(repo, files)
        url = f"{self._repo_api(repo)}/git/trees/{sha}"
        return Reply(201, self._tree_json(repo, files, "", sha, None), {"Location": url})

    def _tree_entry(self, repo: dict, files: dict[str, bytes], entry: Any) -> dict[str, bytes]:
        """FILES with one entry of a create-tree body applied: a blob or tree by sha, inline content,
        or a sha of null removing the path."""
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise _not_supplied("tree.path")
        path, kind = entry["path"].strip("/"), entry.get("type", "blob")
        if entry.get("mode") not in TREE_MODES:
            raise HttpError(
                422, f"tree.mode {entry.get('mode')!r} is not one of {', '.join(TREE_MODES)}"
            )
        if "content" in entry and entry.get("sha") is not None:
            raise HttpError(422, "tree.sha and tree.content cannot both be given")
        if "content" in entry:
            return _placed(files, path, str(entry["content"]).encode())
        if "sha" in entry and entry["sha"] is None:
            return _placed(files, path, None)
        sha = str(entry.get("sha"))
        if kind == "blob" and sha in repo["blobs"]:
            return _placed(files, path, repo["blobs"][sha])
        subtree = self._tree_files(repo, sha) if kind == "tree" else None
        if subtree is None:
            raise HttpError(422, f"tree.sha {sha} is not a valid {kind}")
        out = _placed(files, path, None)
        return out | {f"{path}/{inner}": data for inner, data in subtree.items()}

    @route("POST", GIT + r"/commits", permission="contents")
    def create_commit(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        for required in ("message", "tree"):
            if not isinstance(body.get(required), str):
                raise _not_supplied(required)
        files = self._tree_files(repo, body["tree"])
        if files is None:
            raise HttpError(422, "Tree SHA does not exist")
        parents = body.get("parents") or []
        if not isinstance(parents, list) or any(p not in repo["commits"] for p in parents):
            raise HttpError(422, "Parent SHA does not exist or is not a commit object")
        sha = self._new_commit(
            repo,
            files,
            parents,
            body["message"],
            self._login(req),
            author=body.get("author"),
            committer=body.get("committer"),
        )
        shown = self._commit_json(repo, sha)
        return Reply(201, shown, {"Location": shown["url"]})

    @route("GET", GIT + r"/commits/(?P<sha>[^/]+)", permission="contents")
    def get_commit(self, req: Request, owner: str, name: str, sha: str) -> dict:
        repo = self._repo(req, owner, name)
        if sha not in repo["commits"]:
            raise HttpError(404, "Not Found")
        return self._commit_json(repo, sha)

    @route("GET", GIT + r"/ref/(?P<ref>.+)", permission="contents")
    def get_ref(self, req: Request, owner: str, name: str, ref: str) -> dict:
        repo = self._repo(req, owner, name)
        if f"refs/{ref}" not in repo["refs"]:
            raise HttpError(404, "Not Found")
        return self._ref_json(repo, f"refs/{ref}")

    @route("GET", GIT + r"/matching-refs/(?P<ref>.*)", permission="contents")
    def list_matching_refs(self, req: Request, owner: str, name: str, ref: str) -> Reply:
        repo = self._repo(req, owner, name)
        found = sorted(full for full in repo["refs"] if full.startswith(f"refs/{ref}"))
        return self._paginate(req, found, lambda full: self._ref_json(repo, full))

    @route("GET", GIT + r"/refs(?:/(?P<ref>.*))?", permission="contents")
    def list_refs(self, req: Request, owner: str, name: str, ref: str):
        """The older form: every ref, or the one REF names exactly, or those it starts."""
        repo = self._repo(req, owner, name)
        if ref and f"refs/{ref}" in repo["refs"]:
            return self._ref_json(repo, f"refs/{ref}")
        found = sorted(full for full in repo["refs"] if full.startswith(f"refs/{ref}"))
        if ref and not found:
            raise HttpError(404, "Not Found")
        return self._paginate(req, found, lambda full: self._ref_json(repo, full))

    @route("POST", GIT + r"/refs", permission="contents")
    def create_ref(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        for required in ("ref", "sha"):
            if not isinstance(body.get(required), str):
                raise _not_supplied(required)
        ref, sha = body["ref"], body["sha"]
        if not ref.startswith("refs/") or ref.count("/") < 2 or ref.endswith("/"):
            raise HttpError(422, f"{ref} is not a valid ref name.")
        if ref in repo["refs"]:
            raise HttpError(422, "Reference already exists")
        if sha not in repo["commits"]:
            raise HttpError(422, "Object does not exist")
        self._set_ref(repo, ref, sha)
        shown = self._ref_json(repo, ref)
        return Reply(201, shown, {"Location": shown["url"]})

    @route("PATCH", GIT + r"/refs/(?P<ref>.+)", permission="contents")
    def update_ref(self, req: Request, owner: str, name: str, ref: str) -> dict:
        """Move REF to a commit: without "force" only forward (compare-and-swap on the branch)."""
        repo, body, full = self._repo(req, owner, name), self._body(req), f"refs/{ref}"
        if not isinstance(body.get("sha"), str):
            raise _not_supplied("sha")
        if full not in repo["refs"]:
            raise HttpError(422, "Reference does not exist")
        if body["sha"] not in repo["commits"]:
            raise HttpError(422, "Object does not exist")
        forward = self._is_ancestor(repo, repo["refs"][full], body["sha"])
        if body.get("force") is not True and not forward:
            raise HttpError(422, "Update is not a fast forward")
        self._set_ref(repo, full, body["sha"], forced=not forward)
        return self._ref_json(repo, full)

    @route("DELETE", GIT + r"/refs/(?P<ref>.+)", permission="contents")
    def delete_ref(self, req: Request, owner: str, name: str, ref: str) -> Reply:
        repo, full = self._repo(req, owner, name), f"refs/{ref}"
        if full not in repo["refs"]:
            raise HttpError(422, "Reference does not exist")
        if full == f"refs/heads/{repo['default_branch']}":
            raise HttpError(422, "Cannot delete the default branch")
        del repo["refs"][full]
        repo["trees"].pop(full.removeprefix("refs/heads/"), None)
        return Reply(204, None, {})

    @route("GET", REPO + r"/actions/caches", permission="actions")
    def list_actions_caches(self, req: Request, owner: str, name: str) -> Reply:
        """Entries whose key starts with ``key`` (and of ``ref``), sorted by ``sort``
        (last_accessed_at, created_at, size_in_bytes) in ``direction`` (default desc)."""
        repo = self._repo(req, owner, name)
        entries = [
            e
            for e in repo["actions_caches"].values()
            if e["key"].startswith(req.query.get("key", ""))
            and (not req.query.get("ref") or e["ref"] == req.query["ref"])
        ]
        field_ = req.query.get("sort", "last_accessed_at")
        if field_ not in ("last_accessed_at", "created_at", "size_in_bytes"):
            raise HttpError(422, f"Invalid sort: {field_}")
        entries.sort(
            key=lambda e: (e[field_], e["id"]), reverse=req.query.get("direction") != "asc"
        )
        reply = self._paginate(req, entries, dict)
        total = len(entries)
        return Reply(200, {"total_count": total, "actions_caches": reply.body}, reply.headers)

    @route("DELETE", REPO + r"/actions/caches/(?P<cache_id>\d+)", permission="actions")
    def delete_actions_cache(self, req: Request, owner: str, name: str, cache_id: str) -> Reply:
        repo = self._repo(req, owner, name)
        if repo["actions_caches"].pop(int(cache_id), None) is None:
            raise HttpError(404, "Not Found")
        return Reply(204, None, {})

    def _tree_json(
        self, repo: dict, files: dict, folder: str, sha: str, recursive: str | None
    ) -> dict:
        prefix = f"{folder}/" if folder else ""
        entries = []
        for path in sorted({*files, *_folders(files)}):
            if not path.startswith(prefix) or path == folder:
                continue
            rel = path[len(prefix) :]
            if "/" in rel and not recursive:
                continue
            is_file = path in files
            entry_sha = _git_sha("blob", files[path]) if is_file else _tree_sha(files, path)
            entry = {
                "path": rel,
                "mode": "100644" if is_file else "040000",
                "type": "blob" if is_file else "tree",
                "sha": entry_sha,
                "url": f"{self._repo_api(repo)}/git/{'blobs' if is_file else 'trees'}/{entry_sha}",
            }
            entries.append(entry | ({"size": len(files[path])} if is_file else {}))
        return {
            "sha": sha,
            "url": f"{self._repo_api(repo)}/git/trees/{sha}",
            "tree": entries,
            "truncated": False,
        }

    # -- endpoints: labels

    @route("GET", REPO + r"/labels", permission="issues|pull_requests")
    def list_labels(self, req: Request, owner: str, name: str) -> Reply:
        repo = self._repo(req, owner, name)
        return self._paginate(
            req, list(repo["labels"].values()), lambda label: self._label_json(repo, label)
        )

    @route("POST", REPO + r"/labels", permission="issues|pull_requests")
    def create_label(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        if not body.get("name"):
            raise _invalid("Label", "name")
        if body["name"].lower() in repo["labels"]:
            raise _invalid("Label", "name", "already_exists")
        color = body.get("color") or "ededed"
        if not re.fullmatch(r"#?[0-9a-fA-F]{6}", color):
            raise _invalid("Label", "color", "invalid")
        label = self._new_label(repo, body["name"], color, body.get("description"))
        return self._created(self._label_json(repo, label))

    @route("GET", REPO + LABEL, permission="issues|pull_requests")
    def get_label(self, req: Request, owner: str, name: str, label: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._label_json(repo, self._label(repo, label))

    @route("PATCH", REPO + LABEL, permission="issues|pull_requests")
    def update_label(self, req: Request, owner: str, name: str, label: str) -> dict:
        repo, body = self._repo(req, owner, name), self._body(req)
        record, new_name = self._label(repo, label), body.get("new_name") or body.get("name")
        if body.get("color") and not re.fullmatch(r"#?[0-9a-fA-F]{6}", body["color"]):
            raise _invalid("Label", "color", "invalid")
        if new_name and new_name.lower() != label.lower():
            if new_name.lower() in repo["labels"]:
                raise _invalid("Label", "name", "already_exists")
            repo["labels"][new_name.lower()] = repo["labels"].pop(record["name"].lower())
        record["name"] = new_name or record["name"]
        record["color"] = (body.get("color") or record["color"]).lstrip("#")
        record["description"] = body.get("description", record["description"])
        return self._label_json(repo, record)

    @route("DELETE", REPO + LABEL, permission="issues|pull_requests")
    def delete_label(self, req: Request, owner: str, name: str, label: str) -> Reply:
        repo = self._repo(req, owner, name)
        record, now = repo["labels"].pop(self._label(repo, label)["name"].lower()), self._now()
        for issue in repo["issues"].values():
            issue["labels"] = [other for other in issue["labels"] if other is not record]
        for suggestion in repo[
            "suggestions"
        ].values():  # a suggestion of a deleted label can no longer apply
            if suggestion["state"] == "pending" and suggestion["target_id"] == record["id"]:
                suggestion["state"], suggestion["updated_at"] = "invalidated", now
        return Reply(204, None, {})

    # -- endpoints: milestones

    @route("GET", REPO + r"/milestones", permission="issues")
    def list_milestones(self, req: Request, owner: str, name: str) -> Reply:
        repo, query = self._repo(req, owner, name), req.query
        state = query.get("state", "open")
        found = [m for m in repo["milestones"].values() if state in ("all", m["state"])]
        if query.get("sort", "due_on") == "completeness":

            def done(milestone: dict) -> float:
                opened, closed = self._milestone_counts(repo, milestone["number"])
                return closed / (opened + closed) if opened + closed else 0.0

            found.sort(key=lambda m: (done(m), m["number"]))
        else:  # the soonest due first, then those with no due date, each by number

            def due(milestone: dict) -> tuple:
                moment = milestone["due_on"]
                return (moment is None, _parse_time(moment).timestamp() if moment else 0.0)

            found.sort(key=lambda m: (*due(m), m["number"]))
        if query.get("direction", "asc") == "desc":
            found.reverse()
        return self._paginate(req, found, lambda milestone: self._milestone_json(repo, milestone))

    @route("GET", MILESTONE, permission="issues")
    def get_milestone(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo = self._repo(req, owner, name)
        milestone = repo["milestones"].get(int(number))
        if milestone is None:
            raise HttpError(404, "Not Found")
        return self._milestone_json(repo, milestone)

    # -- endpoints: issues

    @route("GET", REPO + r"/issues", permission="issues")
    def list_issues(self, req: Request, owner: str, name: str) -> Reply:
        repo, query = self._repo(req, owner, name), req.query
        issues = list(filter(self._issue_filter(query), repo["issues"].values()))
        sort = query.get("sort", "created")
        if sort == "comments":
            issues.sort(key=lambda i: (self._comment_count(repo, i["number"]), i["number"]))
        else:
            field_name = "updated_at" if sort == "updated" else "created_at"
            issues.sort(key=lambda i: (_parse_time(i[field_name]), i["number"]))
        if query.get("direction", "desc") != "asc":
            issues.reverse()
        return self._paginate(req, issues, lambda issue: self._issue_json(repo, issue))

    @route("POST", REPO + r"/issues", permission="issues")
    def create_issue(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        if not body.get("title"):
            raise _invalid("Issue", "title")
        names, assignees = _label_names(body), self._api_assignees(body)
        _, milestone = self._api_milestone(req, repo, body)  # all checked before anything is stored
        labels = self._labels_from(repo, names)
        issue = self._new_issue(
            repo,
            str(body["title"]),
            body.get("body"),
            req.login,
            labels=labels,
            assignees=assignees,
        )
        self._set_milestone(repo, issue, milestone, req.login, issue["created_at"])
        return self._created(self._issue_json(repo, issue))

    @route("GET", ISSUE, permission="issues")
    def get_issue(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._issue_json(repo, self._issue(repo, number))

    @route("PATCH", ISSUE, permission="issues|pull_requests")
    def update_issue(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo, body, now = self._repo(req, owner, name), self._body(req), self._now()
        issue = self._issue(repo, number)
        if "title" in body and not body["title"]:
            raise _invalid("Issue", "title")
        assigned = "assignees" in body or "assignee" in body
        assignees = self._api_assignees(body) if assigned else issue["assignees"]
        items = (
            _label_items(body) if "labels" in body else None
        )  # validates before anything changes
        set_milestone, milestone = self._api_milestone(req, repo, body)
        if "state" in body or "state_reason" in body:
            self._set_state(
                repo,
                issue,
                body.get("state", issue["state"]),
                body.get("state_reason"),
                req.login,
                now,
            )
        if items is not None:
            self._label_or_suggest(repo, issue, [], items, req.login, now)
        if "body" in body:
            issue["body"] = body["body"] or None
        self._reassign(repo, issue, assignees, req.login, now)
        if set_milestone:
            self._set_milestone(repo, issue, milestone, req.login, now)
        issue["title"], issue["updated_at"] = str(body.get("title", issue["title"])), now
        return self._issue_json(repo, issue)

    @route("GET", REPO + r"/issues/events", permission="issues|pull_requests")
    def list_repo_issue_events(self, req: Request, owner: str, name: str) -> Reply:
        """The repository's issue events, newest first, each with its issue (as GitHub lists
        them: labeled, unlabeled, closed...; comments and cross-references are not events)."""
        repo = self._repo(req, owner, name)
        events = sorted(repo["events"], key=lambda event: event["id"], reverse=True)
        return self._paginate(
            req,
            events,
            lambda event: (
                self._event_json(repo, event)
                | {"issue": self._issue_json(repo, repo["issues"][event["issue"]])}
            ),
        )

    @route("GET", ISSUE + r"/timeline", permission="issues|pull_requests")
    def list_timeline(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        return self._paginate(
            req, self._timeline_json(repo, self._issue(repo, number)), lambda item: item
        )

    # -- endpoints: labels of an issue

    def _issue_labels(
        self, req: Request, repo: dict, issue: dict, keep: list[dict], items: list[dict]
    ) -> Reply:
        """Label ISSUE with KEEP plus ITEMS (some perhaps only suggested); answers its labels."""
        issue["updated_at"] = now = self._now()
        self._label_or_suggest(repo, issue, keep, items, self._login(req), now)
        return Reply(200, [self._label_json(repo, label) for label in issue["labels"]], {})

    @route("GET", ISSUE + r"/labels", permission="issues|pull_requests")
    def list_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        return self._paginate(
            req, self._issue(repo, number)["labels"], lambda label: self._label_json(repo, label)
        )

    @route("POST", ISSUE + r"/labels", permission="issues|pull_requests")
    def add_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        return self._issue_labels(req, repo, issue, issue["labels"], _label_items(req.body))

    @route("PUT", ISSUE + r"/labels", permission="issues|pull_requests")
    def set_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        return self._issue_labels(req, repo, issue, [], _label_items(req.body))

    @route("DELETE", ISSUE + r"/labels", permission="issues|pull_requests")
    def remove_all_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        self._issue_labels(req, repo, self._issue(repo, number), [], [])
        return Reply(204, None, {})

    @route("DELETE", ISSUE + LABEL, permission="issues|pull_requests")
    def remove_issue_label(
        self, req: Request, owner: str, name: str, number: str, label: str
    ) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        kept = [other for other in issue["labels"] if other["name"].lower() != label.lower()]
        if len(kept) == len(issue["labels"]):
            raise HttpError(404, "Label does not exist")
        return self._issue_labels(req, repo, issue, kept, [])

    # -- endpoints: issue suggestions (where the repository has the feature; issues only, not pull requests)

    def _suggestible(self, req: Request, owner: str, name: str, number: str) -> tuple[dict, dict]:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        if not repo["suggestions_enabled"] or issue["pull"]:
            raise HttpError(404, "Not Found")
        return repo, issue

    @route("GET", ISSUE + r"/suggestions", permission="issues")
    def list_suggestions(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo, issue = self._suggestible(req, owner, name, number)
        state, action = req.query.get("state", "pending"), req.query.get("action")
        if state not in (*SUGGESTION_STATES, "all"):
            raise _invalid("IssueSuggestion", "state", "invalid")
        if action is not None and action not in SUGGESTION_ACTIONS:
            raise _invalid("IssueSuggestion", "action", "invalid")
        found = [
            s
            for s in repo["suggestions"].values()
            if s["issue"] == issue["number"]
            and state in ("all", s["state"])
            and action in (None, s["action"])
        ]
        return self._paginate(
            req, found, lambda suggestion: self._suggestion_json(repo, suggestion)
        )

    def _resolve(
        self, req: Request, owner: str, name: str, number: str, suggestion_id: str
    ) -> tuple[dict, dict]:
        """The pending suggestion SUGGESTION_ID of the issue, now marked resolved by the caller
        (404 when it is not the issue's, 422 when it is no longer pending)."""
        repo, issue = self._suggestible(req, owner, name, number)
        suggestion = repo["suggestions"].get(int(suggestion_id))
        if suggestion is None or suggestion["issue"] != issue["number"]:
            raise HttpError(404, "Not Found")
        if suggestion["state"] != "pending":
            raise _invalid("IssueSuggestion", "state", "invalid")
        suggestion["resolved_by"] = self._user(self._login(req))["id"]
        suggestion["updated_at"] = self._now()
        return repo, suggestion

    @route("POST", SUGGESTION + r"/approve", permission="issues")
    def approve_suggestion(
        self, req: Request, owner: str, name: str, number: str, suggestion_id: str
    ) -> dict:
        repo, suggestion = self._resolve(req, owner, name, number, suggestion_id)
        issue, now = repo["issues"][suggestion["issue"]], suggestion["updated_at"]
        label = next(
            label for label in repo["labels"].values() if label["id"] == suggestion["target_id"]
        )
        if label not in issue["labels"]:
            (event,) = self._relabel(repo, issue, [*issue["labels"], label], req.login, now)
            suggestion["issue_event_id"], issue["updated_at"] = event["id"], now
        for other in repo["suggestions"].values():  # competing suggestions of the same change
            if (
                other is not suggestion
                and other["state"] == "pending"
                and other["issue"] == issue["number"]
                and (other["action"], other["target_id"])
                == (suggestion["action"], suggestion["target_id"])
            ):
                other["state"], other["resolved_by"], other["updated_at"] = (
                    "dismissed",
                    suggestion["resolved_by"],
                    now,
                )
        suggestion["state"] = "approved"
        return self._suggestion_json(repo, suggestion)

    @route("POST", SUGGESTION + r"/dismiss", permission="issues")
    def dismiss_suggestion(
        self, req: Request, owner: str, name: str, number: str, suggestion_id: str
    ) -> dict:
        repo, suggestion = self._resolve(req, owner, name, number, suggestion_id)
        suggestion["state"] = "dismissed"
        return self._suggestion_json(repo, suggestion)

    # -- endpoints: issue comments

    @route("GET", ISSUE + r"/comments", permission="issues|pull_requests")
    def list_comments(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        since = _parse_time(req.query["since"]) if "since" in req.query else None
        comments = [
            c
            for c in repo["comments"].values()
            if c["issue"] == issue["number"]
            and (since is None or _parse_time(c["updated_at"]) >= since)
        ]
        return self._paginate(req, comments, lambda comment: self._comment_json(repo, comment))

    @route("GET", REPO + r"/issues/comments", permission="issues|pull_requests")
    def list_repo_comments(self, req: Request, owner: str, name: str) -> Reply:
        """Every comment of the repository: ``sort`` created (default) or updated, ``direction``
        asc or desc (asc unless sorted and asked), ``since``."""
        repo = self._repo(req, owner, name)
        sort = req.query.get("sort", "created")
        if sort not in ("created", "updated"):
            raise HttpError(422, f"Invalid sort: {sort}")
        since = _parse_time(req.query["since"]) if "since" in req.query else None
        comments = [
            c
            for c in repo["comments"].values()
            if since is None or _parse_time(c["updated_at"]) >= since
        ]
        comments.sort(
            key=lambda c: (c[f"{sort}_at"], c["id"]), reverse=req.query.get("direction") == "desc"
        )
        return self._paginate(req, comments, lambda comment: self._comment_json(repo, comment))

    @route("POST", ISSUE + r"/comments", permission="issues|pull_requests")
    def create_comment(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        issue = self._issue(repo, number)
        if not body.get("body"):
            raise _invalid("IssueComment", "body")
        return self._created(
            self._comment_json(repo, self._new_comment(repo, issue, body["body"], req.login))
        )

    def _comment(self, repo: dict, comment_id: str) -> dict:
        comment = repo["comments"].get(int(comment_id))
        if comment is None:
            raise HttpError(404, "Not Found")
        return comment

    @route("GET", COMMENT, permission="issues|pull_requests")
    def get_comment(self, req: Request, owner: str, name: str, comment_id: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._comment_json(repo, self._comment(repo, comment_id))

    @route("PATCH", COMMENT, permission="issues|pull_requests")
    def update_comment(self, req: Request, owner: str, name: str, comment_id: str) -> dict:
        repo, body = self._repo(req, owner, name), self._body(req)
        comment = self._comment(repo, comment_id)
        if not body.get("body"):
            raise _invalid("IssueComment", "body")
        comment["body"], comment["updated_at"] = body["body"], self._now()
        return self._comment_json(repo, comment)

    @route("DELETE", COMMENT, permission="issues|pull_requests")
    def delete_comment(self, req: Request, owner: str, name: str, comment_id: str) -> Reply:
        repo = self._repo(req, owner, name)
        del repo["comments"][self._comment(repo, comment_id)["id"]]
        return Reply(204, None, {})

    # -- endpoints: pull requests

    def _pull(self, repo: dict, number: str) -> dict:
        issue = self._issue(repo, number)
        if not issue["pull"]:
            raise HttpError(404, "Not Found")
        return issue

    @route("GET", REPO + r"/pulls/(?P<number>\d+)", permission="pull_requests")
    def get_pull(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._pull_json(repo, self._pull(repo, number))

    @route("PATCH", REPO + r"/pulls/(?P<number>\d+)", permission="pull_requests")
    def update_pull(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo, body, now = self._repo(req, owner, name), self._body(req), self._now()
        issue = self._pull(repo, number)
        if "title" in body and not body["title"]:
            raise _invalid("PullRequest", "title")
        if "state" in body:
            self._set_state(repo, issue, body["state"], None, req.login, now)
        if "body" in body:
            issue["body"] = body["body"] or None
        issue["pull"]["base"] = body.get("base") or issue["pull"]["base"]
        issue["title"], issue["updated_at"] = str(body.get("title", issue["title"])), now
        return self._pull_json(repo, issue)

    @route("GET", PULL + r"/files", permission="pull_requests")
    def list_pull_files(self, req: Request, owner: str, name: str, number: str) -> Reply:
        """The first 3,000 files only, as on GitHub: pagination ends there."""
        repo = self._repo(req, owner, name)
        issue = self._pull(repo, number)
        return self._paginate(
            req,
            issue["pull"]["files"][:MAX_PULL_FILES],
            lambda file: self._pull_file_json(repo, issue, file),
        )

    @route("GET", PULL + r"/commits", permission="pull_requests")
    def list_pull_commits(self, req: Request, owner: str, name: str, number: str) -> Reply:
        """The chain, oldest first; the first 250 commits only, as on GitHub."""
        repo = self._repo(req, owner, name)
        issue = self._pull(repo, number)
        return self._paginate(
            req,
            issue["pull"]["commits"][:MAX_PULL_COMMITS],
            lambda sha: self._pull_commit_json(repo, sha),
        )

    def _compared(self, repo: dict, ref: str, head: dict | None) -> str:
        """The sha a side of a compare names: a commit of a pull request's chain or base (a sha or
        an unambiguous prefix of 7 or more), a pull request's head branch, or (the base side: HEAD
        is the head's commit) the branch HEAD's pull request is based on, meaning its base commit."""
        owner, colon, rest = ref.partition(":")
        if colon and owner.lower() == repo["owner"].lower():
            ref = rest
        if ref in repo["pull_commits"]:
            return ref
        if re.fullmatch(r"[0-9a-f]{7,39}", ref):
            found = [sha for sha in repo["pull_commits"] if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        if head is not None:
            pull = repo["issues"][head["pull"]]["pull"]
            if ref == pull["base"]:
                return pull["base_sha"]
            return self._compared(repo, ref, None)
        pulls = [
            i["pull"] for i in repo["issues"].values() if i["pull"] and i["pull"]["head"] == ref
        ]
        if pulls:
            return pulls[-1]["head_sha"]
        raise HttpError(404, "Not Found")

    def _ancestry(self, repo: dict, sha: str) -> list[str]:
        """SHA and its known ancestors, nearest first (first parents: chains are linear)."""
        found = []
        while sha in repo["pull_commits"] and sha not in found:
            found.append(sha)
            parents = repo["pull_commits"][sha]["parents"]
            if not parents:
                break
            sha = parents[0]
        return found

    @route("GET", REPO + r"/compare/(?P<basehead>.+)", permission="contents")
    def compare_commits(self, req: Request, owner: str, name: str, basehead: str) -> Reply:
        """BASE...HEAD over the pull requests' chains: status, ahead_by/behind_by, the commits after
        the merge base up to HEAD (oldest first), and the files of the three-dot diff: HEAD's whole
        list when the merge base is its pull request's base, else the latest ``changed`` spec of
        each file over those commits. Without page/per_page the newest 250 commits; paginated, the
        files only on the first page; 300 files at most."""
        repo = self._repo(req, owner, name)
        base_ref, dots, head_ref = basehead.partition("...")
        if not dots or not base_ref or not head_ref:
            raise HttpError(404, "Not Found")
        head = self._compared(repo, head_ref, None)
        base = self._compared(repo, base_ref, repo["pull_commits"][head])
        head_line, base_line = self._ancestry(repo, head), self._ancestry(repo, base)
        merge_base = next((sha for sha in base_line if sha in head_line), None)
        ahead = list(
            reversed(head_line[: head_line.index(merge_base)] if merge_base else head_line)
        )
        behind = base_line.index(merge_base) if merge_base else len(base_line)
        status = (
            ("diverged" if behind else "ahead") if ahead else ("behind" if behind else "identical")
        )
        record = repo["pull_commits"][head]
        pull_base = repo["issues"][record["pull"]]["pull"]["base_sha"]
        if not ahead:
            files: list[dict] = []
        elif merge_base == pull_base:
            files = record["files"]
        else:
            merged: dict[str, dict] = {}
            for sha in ahead:
                merged |= {f["filename"]: f for f in repo["pull_commits"][sha]["changed"]}
            files = list(merged.values())
        paged = "page" in req.query or "per_page" in req.query
        if paged:
            page = self._paginate(req, ahead, lambda sha: self._pull_commit_json(repo, sha))
            commits, headers = page.body, page.headers
            if _int_param(req.query.get("page"), 1, 1, sys.maxsize) > 1:
                files = []
        else:
            commits = [self._pull_commit_json(repo, sha) for sha in ahead[-MAX_COMPARE_COMMITS:]]
            headers = {}
        api, html, who = self._repo_api(repo), f"{HTML}/{repo['full_name']}", repo["owner"]
        shown = quote(basehead, safe="/:.")
        body = {
            "url": f"{api}/compare/{shown}",
            "html_url": f"{html}/compare/{shown}",
            "permalink_url": f"{html}/compare/{who}:{base}...{who}:{head}",
            "diff_url": f"{html}/compare/{shown}.diff",
            "patch_url": f"{html}/compare/{shown}.patch",
            "base_commit": self._pull_commit_json(repo, base),
            "merge_base_commit": self._pull_commit_json(repo, merge_base or base),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind,
            "total_commits": len(ahead),
            "commits": commits,
            "files": [self._diff_entry_json(repo, head, f) for f in files[:MAX_COMPARE_FILES]],
        }
        return Reply(200, body, headers)

    # -- endpoints: pull request reviews

    def _review_comment(self, files: dict[str, dict], spec: Any, errors: list[str]) -> dict | None:
        """A review's draft comment SPEC checked against FILES (the pull request's, by filename) as
        GitHub checks it; what is wrong goes to ERRORS (and None is answered)."""
        if not isinstance(spec, dict):
            raise _invalid("PullRequestReviewComment", "comments", "invalid")
        side, start_line = spec.get("side") or "RIGHT", spec.get("start_line")
        start_side = spec.get("start_side") or side
        if side not in ("LEFT", "RIGHT") or start_side not in ("LEFT", "RIGHT"):
            raise _invalid("PullRequestReviewComment", "side", "invalid")
        file = files.get(spec["path"])
        if file is None:
            errors.append("Path could not be resolved")
            return None
        hunks = _hunks(file.get("patch"))
        hunk = _hunk_of(hunks, spec.get("line"), side)
        if hunk is None:
            errors.append("Line could not be resolved")
            return None
        if start_line is not None:
            if _hunk_of([hunk], start_line, start_side) is None:
                errors.append(
                    "Pull request review thread start line must be part of the same hunk as the line."
                )
                return None
            if start_side == side and start_line >= spec["line"]:
                errors.append("Pull request review thread start line must precede the end line.")
                return None
        position, diff_hunk = _diff_place(hunk, spec["line"], side)
        return {
            "path": spec["path"],
            "line": spec["line"],
            "side": side,
            "start_line": start_line,
            "start_side": start_side if start_line is not None else None,
            "body": spec["body"],
            "position": position,
            "diff_hunk": diff_hunk,
        }

    @route("POST", PULL + r"/reviews", permission="pull_requests")
    def create_review(self, req: Request, owner: str, name: str, number: str) -> dict:
        """A review, all or nothing: any error stores nothing. EVENT APPROVE, REQUEST_CHANGES or
        COMMENT submits it; none leaves it PENDING (one per user). Each comment's line must lie in
        a hunk of that file's patch at COMMIT_ID (default: the head) on its side."""
        repo, body = self._repo(req, owner, name), self._body(req)
        issue, login = self._pull(repo, number), self._login(req)
        pull, event = issue["pull"], body.get("event") or None
        if event is not None and event not in REVIEW_STATES:
            raise _invalid("PullRequestReview", "event", "invalid")
        text, specs = body.get("body"), body.get("comments") or []
        if not isinstance(text, str | None):
            raise _invalid("PullRequestReview", "body", "invalid")
        if not isinstance(specs, list):
            raise _invalid("PullRequestReview", "comments", "invalid")
        missing = [
            [key for key in ("body", "path") if key not in spec]
            for spec in specs
            if isinstance(spec, dict)
        ]
        if any(missing):
            raise _not_supplied_lines([names for names in missing if names])

        def refuse(message: str) -> HttpError:
            return HttpError(422, "Unprocessable Entity", errors=[message], docs=REVIEW_DOCS)

        commit_id = body.get("commit_id") or pull["head_sha"]
        known = repo["pull_commits"].get(commit_id)
        if known is None or known["pull"] != issue["number"] or not known["parents"]:
            raise refuse("The commitOID is not part of the pull request")
        mine = login.lower() == issue["user"].lower()
        if event == "APPROVE" and login.lower() == ACTIONS_BOT:
            raise refuse("GitHub Actions is not permitted to approve pull requests.")
        if event == "APPROVE" and mine:
            raise refuse("Can not approve your own pull request")
        if event == "REQUEST_CHANGES" and mine:
            raise refuse("Can not request changes on your own pull request")
        if event == "REQUEST_CHANGES" and not text and not specs:
            raise refuse("You need to leave a comment indicating the requested changes.")
        if event == "COMMENT" and not text and not specs:
            raise refuse("")  # GitHub's answer to an empty comment review, word for word
        if event is None and any(
            r["pull"] == issue["number"] and r["user"] == self._user(login)["login"]
            for r in repo["reviews"].values()
            if r["state"] == "PENDING"
        ):
            raise refuse("User can only have one pending review per pull request")
        files, errors = {f["filename"]: f for f in known["files"]}, []
        drafts = [self._review_comment(files, spec, errors) for spec in specs]
        if errors:
            raise refuse(_sentence(errors))
        now = self._now()
        review = {
            **self._ident("PullRequestReview"),
            "pull": issue["number"],
            "user": self._user(login)["login"],
            "body": text or "",
            "state": REVIEW_STATES[event] if event else "PENDING",
            "commit_id": commit_id,
            "submitted_at": now if event else None,
        }
        repo["reviews"][review["id"]] = review
        for draft in filter(None, drafts):  # all of them: no errors
            comment = {
                **self._ident("PullRequestReviewComment"),
                **draft,
                "pull": issue["number"],
                "review": review["id"],
                "user": review["user"],
                "commit_id": commit_id,
                "created_at": now,
                "updated_at": now,
            }
            repo["review_comments"][comment["id"]] = comment
        if event:
            issue["updated_at"] = now
        return self._review_json(repo, review)

    def _visible(self, repo: dict, review_id: int, login: str | None) -> bool:
        """Whether LOGIN sees the review: a pending one only its author."""
        review = repo["reviews"][review_id]
        return review["state"] != "PENDING" or (login or "").lower() == review["user"].lower()

    @route("GET", PULL + r"/reviews", permission="pull_requests")
    def list_reviews(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._pull(repo, number)
        found = [
            review
            for review in repo["reviews"].values()
            if review["pull"] == issue["number"] and self._visible(repo, review["id"], req.login)
        ]
        return self._paginate(req, found, lambda review: self._review_json(repo, review))

    @route("GET", PULL + r"/comments", permission="pull_requests")
    def list_review_comments(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._pull(repo, number)
        found = [
            comment
            for comment in repo["review_comments"].values()
            if comment["pull"] == issue["number"]
            and self._visible(repo, comment["review"], req.login)
        ]
        return self._paginate(req, found, lambda c: self._review_comment_json(repo, c))

    # -- endpoints: sub-issues (children are named by issue id, not number; any repository of the fake)

    def _by_id(self, req: Request, issue_id: Any) -> tuple[dict, dict]:
        """The issue whose id is ISSUE_ID, wherever it lives (404 when unknown or hidden)."""
        found = self._issue_ids.get(issue_id) if isinstance(issue_id, int) else None
        if found is None or isinstance(issue_id, bool):
            raise HttpError(404, "Not Found")
        self._repo(req, *found[0]["full_name"].split("/"))
        return found

    def _issue_id_field(self, body: dict, key: str) -> int:
        if key not in body:
            raise _not_supplied(key)
        if not isinstance(body[key], int) or isinstance(body[key], bool):
            raise HttpError(
                422, f"Invalid request.\n\nFor '{key}', {body[key]!r} is not an integer."
            )
        return body[key]

    @route("GET", ISSUE + r"/sub_issues", permission="issues")
    def list_sub_issues(self, req: Request, owner: str, name: str, number: str) -> Reply:
        issue = self._issue(self._repo(req, owner, name), number)
        return self._paginate(
            req, issue["sub_issues"], lambda child: self._issue_json(*self._issue_ids[child])
        )

    @route("POST", ISSUE + r"/sub_issues", permission="issues")
    def add_sub_issue(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        parent = self._issue(repo, number)
        child_id = self._issue_id_field(body, "sub_issue_id")
        _, child = self._by_id(req, child_id)
        if child is parent:
            raise _custom("Issue", "sub_issue_id", "Issue cannot be a sub-issue of itself")
        if child["pull"] or parent["pull"]:
            raise _custom("Issue", "sub_issue_id", "Pull requests cannot be sub-issues or parents")
        if child["parent"] == parent["id"]:
            raise _custom("Issue", "sub_issue_id", "Issue may not contain duplicate sub-issues")
        if child["parent"] is not None and body.get("replace_parent") is not True:
            raise _custom("Issue", "sub_issue_id", "Sub issue may only have one parent")
        ancestor = parent
        while ancestor["parent"] is not None:
            if ancestor["parent"] == child["id"]:
                raise _custom(
                    "Issue", "sub_issue_id", "Issue cannot be a sub-issue of its own sub-issue"
                )
            ancestor = self._issue_ids[ancestor["parent"]][1]
        if len(parent["sub_issues"]) >= MAX_SUB_ISSUES:
            raise _custom(
                "Issue", "sub_issue_id", f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues"
            )
        now = self._now()
        if child["parent"] is not None:
            old = self._issue_ids[child["parent"]][1]
            old["sub_issues"].remove(child["id"])
            old["updated_at"] = now
        child["parent"], parent["updated_at"] = parent["id"], now
        parent["sub_issues"].append(child["id"])
        shown = self._issue_json(repo, parent)
        return Reply(201, shown, {"Location": shown["url"] + "/sub_issues"})

    @route("DELETE", ISSUE + r"/sub_issue", permission="issues")
    def remove_sub_issue(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        parent = self._issue(repo, number)
        child_id = self._issue_id_field(body, "sub_issue_id")
        if child_id not in parent["sub_issues"]:
            raise HttpError(404, "Not Found")
        parent["sub_issues"].remove(child_id)
        self._issue_ids[child_id][1]["parent"] = None
        parent["updated_at"] = self._now()
        shown = self._issue_json(repo, parent)
        return Reply(200, shown, {"Location": shown["url"] + "/sub_issues"})

    @route("GET", ISSUE + r"/parent", permission="issues")
    def get_parent(self, req: Request, owner: str, name: str, number: str) -> dict:
        issue = self._issue(self._repo(req, owner, name), number)
        if issue["parent"] is None:
            raise HttpError(404, "Not Found")
        return self._issue_json(*self._issue_ids[issue["parent"]])

    # -- endpoints: issue dependencies ("blocked by" / "blocking", by issue id)

    @route("GET", ISSUE + r"/dependencies/blocked_by", permission="issues")
    def list_blocked_by(self, req: Request, owner: str, name: str, number: str) -> Reply:
        issue = self._issue(self._repo(req, owner, name), number)
        return self._paginate(
            req, issue["blocked_by"], lambda other: self._issue_json(*self._issue_ids[other])
        )

    @route("GET", ISSUE + r"/dependencies/blocking", permission="issues")
    def list_blocking(self, req: Request, owner: str, name: str, number: str) -> Reply:
        issue = self._issue(self._repo(req, owner, name), number)
        return self._paginate(
            req, issue["blocking"], lambda other: self._issue_json(*self._issue_ids[other])
        )

    @route("POST", ISSUE + r"/dependencies/blocked_by", permission="issues")
    def add_blocked_by(self, req: Request, owner: str, name: str, number: str) -> Reply:
        """Record that the issue is blocked by the issue with id "issue_id"; answers the blocked issue."""
        repo, body = self._repo(req, owner, name), self._body(req)
        issue = self._issue(repo, number)
        _, blocker = self._by_id(req, self._issue_id_field(body, "issue_id"))
        if blocker is issue:
            raise _custom("Issue", "issue_id", "An issue cannot be blocked by itself")
        if blocker["id"] in issue["blocked_by"]:
            raise _custom("Issue", "issue_id", "Issue is already blocked by this issue")
        issue["blocked_by"].append(blocker["id"])
        blocker["blocking"].append(issue["id"])
        issue["updated_at"] = self._now()
        shown = self._issue_json(repo, issue)
        return Reply(201, shown, {"Location": shown["url"] + "/dependencies/blocked_by"})

    @route("DELETE", ISSUE + r"/dependencies/blocked_by/(?P<issue_id>\d+)", permission="issues")
    def remove_blocked_by(
        self, req: Request, owner: str, name: str, number: str, issue_id: str
    ) -> dict:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        if int(issue_id) not in issue["blocked_by"]:
            raise HttpError(404, "Not Found")
        issue["blocked_by"].remove(int(issue_id))
        self._issue_ids[int(issue_id)][1]["blocking"].remove(issue["id"])
        issue["updated_at"] = self._now()
        return self._issue_json(repo, issue)

    # -- endpoints: check runs (GitHub Apps only: an installation token)

    def _app_only(self, req: Request) -> None:
        if req.kind != "installation":
            raise HttpError(403, "You must authenticate via a GitHub App.")

    def _check_run(self, repo: dict, run_id: str) -> dict:
        run = repo["check_runs"].get(int(run_id))
        if run is None:
            raise HttpError(404, "Not Found")
        return run

    def _check_fields(self, run: dict, body: dict, now: str) -> None:
        """Apply a create or update body to RUN, checking it as GitHub does."""
        status, conclusion = body.get("status"), body.get("conclusion")
        if status is not None and status not in CHECK_STATUSES:
            raise _invalid("CheckRun", "status", "invalid")
        if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
            raise _invalid("CheckRun", "conclusion", "invalid")
        if conclusion is not None:
            status = "completed"  # as documented: a conclusion completes the run
        if status == "completed" and conclusion is None:
            raise _invalid("CheckRun", "conclusion")
        output = body.get("output")
        if output is not None:
            if not isinstance(output, dict):
                raise _invalid("CheckRun", "output", "invalid")
            for key in ("title", "summary"):
                if not isinstance(output.get(key), str):
                    raise _not_supplied(f"output.{key}")
            added = _annotations(output.get("annotations"))
            run["annotations"] = [*run["annotations"], *added]  # appended, as GitHub does
            run["output"] = {
                "title": output["title"],
                "summary": output["summary"],
                "text": output.get("text"),
                "annotations_count": len(run["annotations"]),
            }
        for key in ("name", "details_url", "external_id", "started_at"):
            if body.get(key) is not None:
                run[key] = str(body[key])
        if status is not None:
            run["status"] = status
        if status == "completed":
            run["conclusion"] = conclusion
            run["completed_at"] = str(body.get("completed_at") or now)
        elif status is not None:
            run["conclusion"], run["completed_at"] = None, None

    @route("POST", REPO + r"/check-runs", permission="checks")
    def create_check_run(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        self._app_only(req)
        for required in ("name", "head_sha"):
            if not isinstance(body.get(required), str) or not body[required]:
                raise _not_supplied(required)
        if not re.fullmatch(r"[0-9a-f]{40}", body["head_sha"]):
            raise HttpError(422, f"No commit found for SHA: {body['head_sha']}")
        now, login = self._now(), self._login(req)
        slug = login.removesuffix("[bot]")
        app_id = self._apps.setdefault(slug, next(self._ids["Integration"]))
        suite = repo["check_suites"].setdefault(
            (body["head_sha"], app_id), next(self._ids["CheckSuite"])
        )
        run = {
            **self._ident("CheckRun"),
            "name": body["name"],
            "head_sha": body["head_sha"],
            "status": "queued",
            "conclusion": None,
            "started_at": now,
            "completed_at": None,
            "details_url": f"{HTML}/{repo['full_name']}",
            "external_id": "",
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0},
            "annotations": [],
            "suite_id": suite,
            "app_id": app_id,
            "app_login": login,
            "app_permissions": dict(req.permissions or FULL_PERMISSIONS),
        }
        self._check_fields(run, body, now)
        repo["check_runs"][run["id"]] = run
        shown = self._check_run_json(repo, run)
        return Reply(201, shown, {"Location": shown["url"]})

    @route("GET", CHECK_RUN, permission="checks")
    def get_check_run(self, req: Request, owner: str, name: str, run_id: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._check_run_json(repo, self._check_run(repo, run_id))

    @route("PATCH", CHECK_RUN, permission="checks")
    def update_check_run(self, req: Request, owner: str, name: str, run_id: str) -> dict:
        repo, body = self._repo(req, owner, name), self._body(req)
        self._app_only(req)
        run = self._check_run(repo, run_id)
        updated = dict(run, output=dict(run["output"]))  # nothing changes unless all of it is valid
        self._check_fields(updated, body, self._now())
        run.update(updated)
        return self._check_run_json(repo, run)

    @route("GET", CHECK_RUN + r"/annotations", permission="checks")
    def list_annotations(self, req: Request, owner: str, name: str, run_id: str) -> Reply:
        repo = self._repo(req, owner, name)
        run = self._check_run(repo, run_id)
        return self._paginate(
            req, run["annotations"], lambda found: self._annotation_json(repo, run, found)
        )

    @route("GET", REPO + r"/commits/(?P<ref>.+)/check-runs", permission="checks")
    def list_check_runs(self, req: Request, owner: str, name: str, ref: str) -> Reply:
        """The check runs on the commit REF names (a sha, branch or tag); "filter" latest (the
        default: the newest run of each name) or all, and "check_name", "status", "app_id"."""
        repo, query = self._repo(req, owner, name), req.query
        sha = next(
            (
                repo["refs"][full]
                for full in (f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/{ref}")
                if full in repo["refs"]
            ),
            ref,
        )
        runs = [
            run
            for run in repo["check_runs"].values()
            if run["head_sha"] == sha
            and query.get("check_name") in (None, run["name"])
            and query.get("status") in (None, run["status"])
            and query.get("app_id") in (None, str(run["app_id"]))
        ]
        if query.get("filter", "latest") == "latest":
            newest = {run["name"]: run for run in sorted(runs, key=lambda r: r["id"])}
            runs = [run for run in runs if newest[run["name"]] is run]
        runs.sort(key=lambda run: -run["id"])
        page = self._paginate(req, runs, lambda run: self._check_run_json(repo, run))
        return page._replace(body={"total_count": len(runs), "check_runs": page.body})


# ---------------------------------------------------------------- HTTP plumbing


def _matches(rule: _Fault | Gate | _Hook, req: Request) -> bool:
    return rule.method == req.method and rule.path.search(req.path) is not None


class _Handler(LoopbackHandler):
    """Turns requests into Requests for FakeGitHub and its Replies into JSON (none for a 204);
    carries out the faults that act on the wire (held answers, dropped connections)."""

    server_version = "GitHub.com"

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> Wire:
        fake = self.server.fake
        request = Request(
            self.command, path, query, dict(self.headers.items()), _parse_json(raw), raw
        )
        failed = fake._arrive(request)  # gates and hooks, before the fake's lock is taken
        reply, fault = fake._dispatch(request) if failed is None else (failed, None)
        if fault is not None and fault.kind == "slow_after":
            fake._stopped.wait(fault.seconds)  # the lock is free meanwhile
        if fault is not None and fault.kind == "drop_after":
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            # An OSError ends this connection quietly (LoopbackServer.handle_error): nothing is written.
            raise ConnectionAbortedError(
                "FakeGitHub dropped the connection after serving the request"
            )
        if reply.status == 204:  # RFC 9110: a 204 carries no Content-Length
            return reply.status, reply.headers, None
        return reply.status, reply.headers, json.dumps(reply.body).encode()
