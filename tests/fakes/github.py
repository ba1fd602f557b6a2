"""A stateful fake of the GitHub REST API, served over HTTP on loopback.

Tests point unmodified clients (PyGithub, or ossbot itself through GITHUB_API_URL) at
``FakeGitHub().url`` and meet GitHub's behaviour for the endpoints ossbot uses: token
authentication, rate-limit headers, Link pagination, GitHub's error bodies, and state
that follows the writes (labels created on demand, comment counts, advancing timestamps).
Tests seed state with the ``add_*`` methods (``add_pull(..., state="merged")`` for a closed or
merged pull request), read what was asked from ``requests`` and ``calls()`` and the state
from ``issue()``, ``issues()``, ``comments()``, ``labels()``, ``timeline()`` and
``suggestions()``, and inject failures with ``fail()`` and ``secondary_rate_limit()``.

Issue timelines list the labeled/unlabeled, assigned/unassigned and closed/reopened events the
writes caused, the comments, and a ``cross-referenced`` event for every other issue, pull
request or comment of the repository that mentions the issue ("#12", "fixes #12"), computed
when asked. Issue suggestions (label suggestions a maintainer approves or dismisses) are off
until ``enable_suggestions(repo)``; while off (and on pull requests), add-labels ignores
``"suggest": true`` and applies the label: the worst case, which a client that does not check
for the feature first must be caught out by.

Response shapes follow GitHub's official REST examples (tests/test_conformance_rest.py
checks them). To add an endpoint, write one method on FakeGitHub (or a subclass)
decorated with ``@route(METHOD, PATTERN)``: PATTERN is a regex matched against the whole
raw request path, its named groups arrive URL-decoded as keyword arguments, the method
returns a JSON value (answered with 200) or a ``Reply``, and raises ``HttpError`` for
error answers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import sys
import threading
import time
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
    "account": 90_000_001,
    "Repository": 880_000_001,
    "Label": 8_900_000_001,
    "Issue": 3_600_000_001,
    "PullRequest": 2_100_000_001,
    "IssueComment": 3_500_000_001,
    "IssueEvent": 6_430_000_001,
    "IssueSuggestion": 4_100_001,
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
ISSUE = REPO + r"/issues/(?P<number>\d+)"
LABEL = r"/labels/(?P<label>.+)"
COMMENT = REPO + r"/issues/comments/(?P<comment_id>\d+)"
SUGGESTION = ISSUE + r"/suggestions/(?P<suggestion_id>\d+)"
REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
CONFIDENCES = ("low", "medium", "high")
SUGGESTION_STATES = ("pending", "applied", "approved", "dismissed", "replaced", "invalidated")
SUGGESTION_ACTIONS = ("set_type", "add_label", "add_field", "add_assignee", "close_issue")
EVENT_KINDS = {
    "labeled": "LabeledEvent",
    "unlabeled": "UnlabeledEvent",
    "assigned": "AssignedEvent",
    "unassigned": "UnassignedEvent",
    "closed": "ClosedEvent",
    "reopened": "ReopenedEvent",
}


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


# ---------------------------------------------------------------- requests, replies, errors, routes


@dataclass
class Request:
    """One request the fake received, as its log keeps it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes = field(default=b"", repr=False)
    status: int | None = None
    login: str | None = None
    kind: str | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Reply(NamedTuple):
    status: int
    body: Any
    headers: dict[str, str]


class HttpError(Exception):
    """An error answer with GitHub's body: message, errors, documentation_url, status."""

    def __init__(self, status: int, message: str, *, errors: list | None = None, docs: str = DOCS):
        super().__init__(message)
        body: dict[str, Any] = {"message": message}
        if errors:
            body["errors"] = errors
        body |= {"documentation_url": docs, "status": str(status)}
        self.reply = Reply(status, body, {})


def _invalid(resource: str, field_name: str, code: str = "missing_field") -> HttpError:
    error = {"resource": resource, "code": code, "field": field_name}
    return HttpError(422, "Validation Failed", errors=[error])


def route(method: str, pattern: str):
    """Mark a FakeGitHub method as the handler of METHOD on paths fully matching PATTERN."""

    def mark(handler):
        handler.route = (method, re.compile(pattern))
        return handler

    return mark


@dataclass
class _Fault:
    method: str
    path: re.Pattern
    reply: Reply
    times: int


# ---------------------------------------------------------------- JSON views of the state


class _Views:
    """Renders the fake's records as GitHub's JSON objects."""

    url: str
    _users: dict[str, dict]
    _repos: dict[str, dict]

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
            "milestone": None,
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
        }
        if issue["pull"]:
            html = self._issue_html(repo, issue)
            out["draft"] = False
            out["pull_request"] = {
                "url": f"{repo_api}/pulls/{number}",
                "html_url": html,
                "diff_url": html + ".diff",
                "patch_url": html + ".patch",
                "merged_at": issue["pull"]["merged_at"],
            }
        return out

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
            "draft": False,
            "merged": merged,
            "mergeable": None if merged else True,
            "rebaseable": None if merged else True,
            "mergeable_state": "unknown" if merged else "clean",
            "merged_by": self._user_json(issue["closed_by"]) if merged else None,
            "comments": shared["comments"],
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": sum(f["additions"] for f in pull["files"]),
            "deletions": sum(f["deletions"] for f in pull["files"]),
            "changed_files": len(pull["files"]),
        }

    def _pull_file_json(self, repo: dict, issue: dict, file: dict) -> dict:
        full, sha, path = repo["full_name"], issue["pull"]["head_sha"], quote(file["filename"])
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

    def _entry_json(self, repo: dict, ref: str, path: str) -> dict:
        """The contents entry of PATH at REF: a file when it holds data, else a folder."""
        data, full, repo_api = repo["trees"][ref].get(path), repo["full_name"], self._repo_api(repo)
        is_file = data is not None
        sha = _git_sha("blob", data) if is_file else _tree_sha(repo["trees"][ref], path)
        api = f"{repo_api}/contents/{quote(path)}?ref={quote(ref)}"
        git = f"{repo_api}/git/{'blobs' if is_file else 'trees'}/{sha}"
        html = f"{HTML}/{full}/{'blob' if is_file else 'tree'}/{ref}/{path}"
        download = f"https://raw.githubusercontent.com/{full}/{ref}/{path}" if is_file else None
        return {
            "type": "file" if is_file else "dir",
            "size": len(data) if is_file else 0,
            "name": path.rpartition("/")[2],
            "path": path,
            "sha": sha,
            "url": api,
            "git_url": git,
            "html_url": html,
            "download_url": download,
            "_links": {"self": api, "git": git, "html": html},
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
        self._tokens: dict[str, tuple[str, str]] = {}
        self._repos: dict[str, dict] = {}
        self._faults: list[_Fault] = []
        self._ids = {kind: itertools.count(start) for kind, start in ID_STARTS.items()}
        self._ticks = itertools.count()
        self._used = 0
        self._request_numbers = itertools.count(1)
        self._reset = int(time.time()) + 3600
        self.requests: list[Request] = []

    # -- lifecycle

    def start(self) -> FakeGitHub:
        self._server.serve_in_background()
        return self

    def stop(self) -> None:
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

    def add_token(self, token: str, login: str, *, kind: str = "user") -> None:
        if kind not in ("user", "installation"):
            raise ValueError(f"token kind must be 'user' or 'installation', not {kind!r}")
        with self._lock:
            self._tokens[token] = (self._user(login)["login"], kind)

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
                "issues": {},
                "comments": {},
                "trees": {default_branch: {}},
                "events": [],
                "suggestions": {},
                "suggestions_enabled": False,
            }
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
    ) -> dict:
        with self._lock:
            record = self._seeded(repo)
            issue = self._new_issue(
                record,
                title,
                body,
                user,
                labels=self._labels_from(record, labels),
                assignees=[self._user(a)["login"] for a in assignees],
                created_at=created_at,
            )
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
    ) -> dict:
        """A pull request (also issue number N); STATE is "open", "closed" or "merged" (closed and merged)."""
        if state not in ("open", "closed", "merged"):
            raise ValueError(f"pull request state must be open, closed or merged, not {state!r}")
        with self._lock:
            record = self._seeded(repo)
            number = str(len(record["issues"]) + 1)
            pull = {
                **self._ident("PullRequest"),
                "head": head,
                "base": base,
                "head_sha": _fake_sha(repo, head, number),
                "base_sha": _fake_sha(repo, base, number),
                "files": [_pull_file(spec) for spec in files],
                "merged_at": None,
            }
            issue = self._new_issue(
                record, title, body, user, labels=[], assignees=[], pull=pull, created_at=created_at
            )
            if state != "open":
                self._set_state(record, issue, "closed", None, user, issue["created_at"])
                pull["merged_at"] = issue["closed_at"] if state == "merged" else None
            return self._issue_json(record, issue)

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
    ) -> None:
        """Store a file; a ref that does not exist yet starts as a copy of the default branch."""
        data = content.encode() if isinstance(content, str) else bytes(content)
        with self._lock:
            record = self._seeded(repo)
            default = record["trees"][record["default_branch"]]
            record["trees"].setdefault(ref or record["default_branch"], dict(default))[
                path.strip("/")
            ] = data

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
        self, method: str, path: str, *, times: int = 1, retry_after: int = 0
    ) -> None:
        body = {
            "message": SECONDARY_RATE_LIMIT_MESSAGE,
            "documentation_url": SECONDARY_RATE_LIMIT_DOCS,
        }
        self.fail(
            method, path, 403, times=times, headers={"Retry-After": str(retry_after)}, body=body
        )

    # -- records (callers hold the lock)

    def _now(self) -> str:
        return _iso(EPOCH + timedelta(minutes=next(self._ticks)))

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
        }
        repo["issues"][issue["number"]] = issue
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

    def _dispatch(self, req: Request) -> Reply:
        with self._lock:
            try:
                reply = self._take_fault(req) or self._serve(req)
            except HttpError as error:
                reply = error.reply
            except Exception as error:  # noqa: BLE001 - a bug in the fake: answer it rather than hang the client
                reply = HttpError(500, f"FakeGitHub failed: {error!r}").reply
            req.status = reply.status
            self.requests.append(req)
            return reply._replace(
                headers=self._headers(req) | {k.lower(): v for k, v in reply.headers.items()}
            )

    def _take_fault(self, req: Request) -> Reply | None:
        for fault in self._faults:
            if fault.method == req.method and fault.path.search(req.path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.reply
        return None

    def _serve(self, req: Request) -> Reply:
        self._authenticate(req)
        handler, params = self._match(req)
        if req.method != "GET":
            self._login(req)
        if req.raw and req.body is None:
            raise HttpError(400, "Problems parsing JSON")
        answer = handler(req, **params)
        return answer if isinstance(answer, Reply) else Reply(200, answer, {})

    def _authenticate(self, req: Request) -> None:
        header = req.header("Authorization")
        if header is None:
            return
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or token.strip() not in self._tokens:
            raise HttpError(401, "Bad credentials")
        req.login, req.kind = self._tokens[token.strip()]

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

    @route("GET", REPO + r"/contents(?:/(?P<path>.*))?")
    def get_content(self, req: Request, owner: str, name: str, path: str):
        repo = self._repo(req, owner, name)
        ref, path = req.query.get("ref") or repo["default_branch"], path.strip("/")
        if ref not in repo["trees"]:
            raise HttpError(404, f"No commit found for the ref {ref}")
        files = repo["trees"][ref]
        if path in files:
            return self._entry_json(repo, ref, path) | {
                "encoding": "base64",
                "content": _wrap64(files[path]),
            }
        entries = _children(files, path)
        if path and not entries:
            raise HttpError(404, "Not Found")
        return [self._entry_json(repo, ref, f"{path}/{n}" if path else n) for n in sorted(entries)]

    # -- endpoints: git data

    @route("GET", REPO + r"/git/trees/(?P<sha>[0-9a-f]{40})")
    def get_tree(self, req: Request, owner: str, name: str, sha: str):
        repo = self._repo(req, owner, name)
        for files in repo["trees"].values():
            for folder in _folders(files):
                if _tree_sha(files, folder) == sha:
                    return self._tree_json(repo, files, folder, sha, req.query.get("recursive"))
        raise HttpError(404, "Not Found")

    @route("GET", REPO + r"/git/blobs/(?P<sha>[0-9a-f]{40})")
    def get_blob(self, req: Request, owner: str, name: str, sha: str):
        repo = self._repo(req, owner, name)
        for files in repo["trees"].values():
            for data in files.values():
                if _git_sha("blob", data) == sha:
                    return {
                        "sha": sha,
                        "node_id": _node_id("Blob", int(sha[:8], 16)),
                        "size": len(data),
                        "url": f"{self._repo_api(repo)}/git/blobs/{sha}",
                        "content": _wrap64(data),
                        "encoding": "base64",
                    }
        raise HttpError(404, "Not Found")

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

    @route("GET", REPO + r"/labels")
    def list_labels(self, req: Request, owner: str, name: str) -> Reply:
        repo = self._repo(req, owner, name)
        return self._paginate(
            req, list(repo["labels"].values()), lambda label: self._label_json(repo, label)
        )

    @route("POST", REPO + r"/labels")
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

    @route("GET", REPO + LABEL)
    def get_label(self, req: Request, owner: str, name: str, label: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._label_json(repo, self._label(repo, label))

    @route("PATCH", REPO + LABEL)
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

    @route("DELETE", REPO + LABEL)
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

    # -- endpoints: issues

    @route("GET", REPO + r"/issues")
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

    @route("POST", REPO + r"/issues")
    def create_issue(self, req: Request, owner: str, name: str) -> Reply:
        repo, body = self._repo(req, owner, name), self._body(req)
        if not body.get("title"):
            raise _invalid("Issue", "title")
        labels = self._labels_from(repo, _label_names(body))
        issue = self._new_issue(
            repo,
            str(body["title"]),
            body.get("body"),
            req.login,
            labels=labels,
            assignees=self._api_assignees(body),
        )
        return self._created(self._issue_json(repo, issue))

    @route("GET", ISSUE)
    def get_issue(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._issue_json(repo, self._issue(repo, number))

    @route("PATCH", ISSUE)
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
        issue["title"], issue["updated_at"] = str(body.get("title", issue["title"])), now
        return self._issue_json(repo, issue)

    @route("GET", ISSUE + r"/timeline")
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

    @route("GET", ISSUE + r"/labels")
    def list_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        return self._paginate(
            req, self._issue(repo, number)["labels"], lambda label: self._label_json(repo, label)
        )

    @route("POST", ISSUE + r"/labels")
    def add_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        return self._issue_labels(req, repo, issue, issue["labels"], _label_items(req.body))

    @route("PUT", ISSUE + r"/labels")
    def set_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._issue(repo, number)
        return self._issue_labels(req, repo, issue, [], _label_items(req.body))

    @route("DELETE", ISSUE + r"/labels")
    def remove_all_issue_labels(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        self._issue_labels(req, repo, self._issue(repo, number), [], [])
        return Reply(204, None, {})

    @route("DELETE", ISSUE + LABEL)
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

    @route("GET", ISSUE + r"/suggestions")
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

    @route("POST", SUGGESTION + r"/approve")
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

    @route("POST", SUGGESTION + r"/dismiss")
    def dismiss_suggestion(
        self, req: Request, owner: str, name: str, number: str, suggestion_id: str
    ) -> dict:
        repo, suggestion = self._resolve(req, owner, name, number, suggestion_id)
        suggestion["state"] = "dismissed"
        return self._suggestion_json(repo, suggestion)

    # -- endpoints: issue comments

    @route("GET", ISSUE + r"/comments")
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

    @route("POST", ISSUE + r"/comments")
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

    @route("GET", COMMENT)
    def get_comment(self, req: Request, owner: str, name: str, comment_id: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._comment_json(repo, self._comment(repo, comment_id))

    @route("PATCH", COMMENT)
    def update_comment(self, req: Request, owner: str, name: str, comment_id: str) -> dict:
        repo, body = self._repo(req, owner, name), self._body(req)
        comment = self._comment(repo, comment_id)
        if not body.get("body"):
            raise _invalid("IssueComment", "body")
        comment["body"], comment["updated_at"] = body["body"], self._now()
        return self._comment_json(repo, comment)

    @route("DELETE", COMMENT)
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

    @route("GET", REPO + r"/pulls/(?P<number>\d+)")
    def get_pull(self, req: Request, owner: str, name: str, number: str) -> dict:
        repo = self._repo(req, owner, name)
        return self._pull_json(repo, self._pull(repo, number))

    @route("PATCH", REPO + r"/pulls/(?P<number>\d+)")
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

    @route("GET", REPO + r"/pulls/(?P<number>\d+)/files")
    def list_pull_files(self, req: Request, owner: str, name: str, number: str) -> Reply:
        repo = self._repo(req, owner, name)
        issue = self._pull(repo, number)
        return self._paginate(
            req, issue["pull"]["files"], lambda file: self._pull_file_json(repo, issue, file)
        )


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(LoopbackHandler):
    """Turns requests into Requests for FakeGitHub and its Replies into JSON (none for a 204)."""

    server_version = "GitHub.com"

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> Wire:
        request = Request(
            self.command, path, query, dict(self.headers.items()), _parse_json(raw), raw
        )
        reply = self.server.fake._dispatch(request)
        if reply.status == 204:  # RFC 9110: a 204 carries no Content-Length
            return reply.status, reply.headers, None
        return reply.status, reply.headers, json.dumps(reply.body).encode()
