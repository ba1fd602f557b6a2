"""Tests of the fake GitHub server, driven through unmodified PyGithub as ossbot drives GitHub,
and through plain ``requests`` for the endpoints PyGithub does not cover (issue suggestions)."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    RateLimitExceededException,
    UnknownObjectException,
)

from fakes.github import FakeGitHub

TOKEN = "ghp_maintainer"
REPO = "octo-org/widgets"
HELLO_BLOB = (
    "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"  # `printf 'hello world\n' | git hash-object --stdin`
)
DOCS_TREE = (
    "68aba62e560c0ebc3396e8ae9335232cd93a3f60"  # git write-tree of a folder holding only hello.txt
)


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        server.add_user("octo-org", type="Organization")
        server.add_token(TOKEN, "maintainer")
        server.add_repo(REPO)
        server.set_permission(REPO, "maintainer", "maintain")
        yield server


def connect(fake: FakeGitHub, token: str | None = TOKEN, **options) -> Github:
    options.setdefault("retry", None)
    auth = Auth.Token(token) if token else None
    return Github(
        auth=auth,
        base_url=fake.url,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **options,
    )


@pytest.fixture
def github(fake):
    client = connect(fake)
    yield client
    client.close()


@pytest.fixture
def repo(github):
    return github.get_repo(REPO)


def test_pagination_returns_every_issue(fake, repo):
    for n in range(250):
        fake.add_issue(REPO, f"issue {n}")
    fake.clear_log()

    numbers = [issue.number for issue in repo.get_issues(state="all")]

    assert sorted(numbers) == list(range(1, 251))
    assert numbers[0] == 250  # newest first, as GitHub sorts by default
    pages = [call.query.get("page", "1") for call in fake.calls("GET", r"/issues$")]
    assert pages == [str(n) for n in range(1, 10)]
    assert repo.get_issues(state="all").totalCount == 250


def links(header: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Parse a Link header, checking GitHub's exact layout: <URL>; rel="name", joined by ", "."""
    parsed = {}
    for part in header.split(", "):
        url, rel = re.fullmatch(r'<([^>]+)>; rel="(\w+)"', part).groups()
        parsed[rel] = (url.partition("?")[0], dict(parse_qsl(urlsplit(url).query)))
    return parsed


def test_link_header_has_githubs_format(fake, github):
    for n in range(250):
        fake.add_issue(REPO, f"issue {n}")
    issues = f"{fake.url}/repos/{REPO}/issues"

    headers, page = github.requester.requestJsonAndCheck(
        "GET", f"/repos/{REPO}/issues", parameters={"state": "all", "per_page": 100, "page": 2}
    )

    assert len(page) == 100
    assert list(links(headers["link"])) == ["prev", "next", "last", "first"]
    assert links(headers["link"]) == {
        rel: (issues, {"state": "all", "per_page": "100", "page": str(n)})
        for rel, n in [("prev", 1), ("next", 3), ("last", 3), ("first", 1)]
    }
    headers, _ = github.requester.requestJsonAndCheck(
        "GET", f"/repos/{REPO}/issues", parameters={"per_page": 100}
    )
    assert (
        headers["link"]
        == f'<{issues}?per_page=100&page=2>; rel="next", <{issues}?per_page=100&page=3>; rel="last"'
    )
    headers, _ = github.requester.requestJsonAndCheck("GET", f"/repos/{REPO}/labels")
    assert "link" not in headers


def test_answers_carry_githubs_headers(fake, github):
    headers, _ = github.requester.requestJsonAndCheck("GET", f"/repos/{REPO}")
    headers2, _ = github.requester.requestJsonAndCheck("GET", f"/repos/{REPO}")

    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-ratelimit-limit"] == "5000"
    assert int(headers2["x-ratelimit-remaining"]) == int(headers["x-ratelimit-remaining"]) - 1
    assert int(headers2["x-ratelimit-used"]) == int(headers["x-ratelimit-used"]) + 1
    assert headers["x-ratelimit-resource"] == "core"
    assert headers["x-github-api-version-selected"] == "2022-11-28"
    assert headers["x-github-request-id"] != headers2["x-github-request-id"]
    assert github.rate_limiting == (int(headers2["x-ratelimit-remaining"]), 5000)
    assert github.get_rate_limit().resources.core.limit == 5000


def test_create_issue_and_read_it_back(fake, repo):
    fake.add_user("helper")

    created = repo.create_issue(
        "Crash on start", body="Stack trace here", labels=["bug"], assignees=["helper"]
    )
    again = repo.get_issue(created.number)

    assert (again.title, again.body, again.state) == ("Crash on start", "Stack trace here", "open")
    assert again.user.login == "maintainer"
    assert [label.name for label in again.labels] == ["bug"]
    assert [user.login for user in again.assignees] == ["helper"]
    assert again.html_url == f"https://github.com/{REPO}/issues/{created.number}"
    assert fake.issue(REPO, created.number)["author_association"] == "COLLABORATOR"
    assert re.fullmatch(r"2026-11-21T\d\d:\d\d:00Z", fake.issue(REPO, created.number)["created_at"])
    assert fake.calls("POST", r"/issues$")[0].body["title"] == "Crash on start"


def test_missing_title_is_a_validation_error(repo):
    with pytest.raises(GithubException) as failure:
        repo.create_issue("")

    assert failure.value.status == 422
    assert failure.value.data["message"] == "Validation Failed"
    assert failure.value.data["errors"] == [
        {"resource": "Issue", "code": "missing_field", "field": "title"}
    ]


def test_close_issue_records_who_and_why(fake, repo):
    fake.add_issue(REPO, "Stale")

    repo.get_issue(1).edit(state="closed", state_reason="not_planned")

    closed = fake.issue(REPO, 1)
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    assert closed["closed_by"]["login"] == "maintainer"
    assert closed["closed_at"] == closed["updated_at"] > closed["created_at"]


def test_comments_follow_on_the_issue(fake, repo):
    fake.add_issue(REPO, "Question", user="visitor")
    before = fake.issue(REPO, 1)["updated_at"]
    issue = repo.get_issue(1)

    comment = issue.create_comment("Thanks for the report")
    fake.add_comment(REPO, 1, "Me too", user="visitor")

    assert comment.user.login == "maintainer"
    assert fake.issue(REPO, 1)["comments"] == 2
    assert fake.issue(REPO, 1)["updated_at"] > before
    assert [c.body for c in issue.get_comments()] == ["Thanks for the report", "Me too"]
    assert [c["author_association"] for c in fake.comments(REPO, 1)] == ["COLLABORATOR", "NONE"]
    comment.edit("Thanks!")
    assert repo.get_issue(1).get_comment(comment.id).body == "Thanks!"
    comment.delete()
    assert fake.issue(REPO, 1)["comments"] == 1


def test_label_crud_is_case_insensitive(fake, repo):
    repo.create_label("bug", "d73a4a", "Something isn't working")

    assert repo.get_label("BUG").description == "Something isn't working"
    with pytest.raises(GithubException) as failure:
        repo.create_label("Bug", "ffffff")
    assert failure.value.status == 422
    assert failure.value.data["errors"][0]["code"] == "already_exists"

    repo.get_label("bug").edit("type: bug", "b60205")
    assert [(label["name"], label["color"]) for label in fake.labels(REPO)] == [
        ("type: bug", "b60205")
    ]
    repo.get_label("type: bug").delete()
    assert fake.labels(REPO) == []


def test_adding_an_unknown_label_creates_it(fake, repo):
    fake.add_label(REPO, "bug", color="d73a4a")
    fake.add_issue(REPO, "Slow", labels=["bug"])
    issue = repo.get_issue(1)

    issue.add_to_labels("needs-triage", "BUG")

    colors = {label["name"]: label["color"] for label in fake.labels(REPO)}
    assert colors == {"bug": "d73a4a", "needs-triage": "ededed"}
    assert [label["name"] for label in fake.issue(REPO, 1)["labels"]] == ["bug", "needs-triage"]
    assert fake.calls("POST", r"/issues/1/labels$")[0].status == 200
    issue.remove_from_labels("bug")
    issue.set_labels("perf")
    assert [label.name for label in repo.get_issue(1).get_labels()] == ["perf"]


def test_issue_list_filters_like_github(fake, repo):
    fake.add_issue(REPO, "old bug", labels=["bug"], created_at="2026-01-01T00:00:00Z")
    fake.add_issue(REPO, "closed bug", labels=["bug", "ui"], state="closed")
    fake.add_issue(REPO, "feature", labels=["feature"])
    fake.add_pull(REPO, "Fix the bug")

    def titles(**filters):
        return [issue.title for issue in repo.get_issues(**filters)]

    assert titles() == ["Fix the bug", "feature", "old bug"]
    assert titles(state="closed") == ["closed bug"]
    assert titles(state="all", labels=["bug"]) == ["closed bug", "old bug"]
    assert titles(state="all", labels=["bug", "ui"]) == ["closed bug"]
    assert titles(sort="created", direction="asc") == ["old bug", "feature", "Fix the bug"]
    assert titles(since=repo.get_issue(3).updated_at) == ["Fix the bug", "feature"]


def test_pull_request_and_its_files(fake, repo):
    files = [
        {
            "filename": "src/app.py",
            "status": "modified",
            "additions": 3,
            "deletions": 1,
            "patch": "@@ -1 +1,3 @@",
        },
        {
            "filename": "README.md",
            "status": "added",
            "additions": 10,
            "deletions": 0,
            "patch": "@@ -0,0 +1,10 @@",
        },
    ]
    fake.add_issue(REPO, "An issue first")
    fake.add_pull(REPO, "Add app", "Adds the app", user="contributor", head="add-app", files=files)

    pull = repo.get_pull(2)

    assert (pull.title, pull.head.ref, pull.base.ref, pull.user.login) == (
        "Add app",
        "add-app",
        "main",
        "contributor",
    )
    assert (pull.additions, pull.deletions, pull.changed_files) == (13, 1, 2)
    assert [(f.filename, f.status, f.patch) for f in pull.get_files()] == [
        ("src/app.py", "modified", "@@ -1 +1,3 @@"),
        ("README.md", "added", "@@ -0,0 +1,10 @@"),
    ]
    as_issue = fake.issue(REPO, 2)
    assert as_issue["pull_request"]["url"] == f"{fake.url}/repos/{REPO}/pulls/2"
    assert as_issue["pull_request"]["merged_at"] is None
    assert "pull_request" not in fake.issue(REPO, 1)
    with pytest.raises(UnknownObjectException):
        repo.get_pull(1)


def test_missing_objects_raise_unknown_object(fake, github, repo):
    with pytest.raises(UnknownObjectException) as failure:
        repo.get_issue(999)
    not_found = {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }
    assert failure.value.data == not_found
    with pytest.raises(UnknownObjectException):
        github.get_repo("octo-org/nothing")
    assert [call.status for call in fake.calls("GET")][-2:] == [404, 404]


def test_bad_token_raises_bad_credentials(fake):
    with pytest.raises(BadCredentialsException) as failure:
        connect(fake, "ghp_wrong").get_repo(REPO)

    assert failure.value.status == 401
    assert failure.value.data["message"] == "Bad credentials"
    assert fake.requests[-1].status == 401


def test_anonymous_reads_public_repositories_only(fake):
    fake.add_repo("octo-org/secret", private=True)
    anonymous = connect(fake, token=None)

    repo = anonymous.get_repo(REPO)

    with pytest.raises(GithubException) as failure:
        repo.create_issue("Drive-by")
    assert (failure.value.status, failure.value.data["message"]) == (401, "Requires authentication")
    with pytest.raises(UnknownObjectException):
        anonymous.get_repo("octo-org/secret")
    assert "Authorization" not in fake.requests[-1].headers


def test_secondary_rate_limit_then_success_with_retry(fake):
    fake.secondary_rate_limit("POST", r"/issues$", retry_after=0)
    repo = connect(fake, retry=GithubRetry()).get_repo(REPO)

    issue = repo.create_issue("Posted after a retry")

    assert issue.number == 1
    assert [call.status for call in fake.calls("POST", r"/issues$")] == [403, 201]
    assert len(fake.issues(REPO)) == 1


def test_secondary_rate_limit_without_retry_raises(fake, repo):
    fake.secondary_rate_limit("POST", r"/issues$", retry_after=30)

    with pytest.raises(RateLimitExceededException) as failure:
        repo.create_issue("Too fast")

    assert failure.value.status == 403
    assert failure.value.headers["retry-after"] == "30"
    assert fake.issues(REPO) == []


def test_server_error_then_success_with_retry(fake):
    fake.add_issue(REPO, "Flaky")
    fake.fail("GET", r"/issues/1$", 502)
    repo = connect(fake, retry=GithubRetry(backoff_factor=0)).get_repo(REPO)

    assert repo.get_issue(1).title == "Flaky"
    assert [call.status for call in fake.calls("GET", r"/issues/1$")] == [502, 200]


def test_faults_are_consumed_in_order(fake, github):
    fake.fail("GET", rf"/repos/{REPO}$", 500, times=2)
    fake.fail(
        "GET", rf"/repos/{REPO}$", 418, body={"message": "teapot"}, headers={"X-Custom": "yes"}
    )

    for status in (500, 500, 418):
        with pytest.raises(GithubException) as failure:
            github.get_repo(REPO)
        assert failure.value.status == status
    assert failure.value.data == {"message": "teapot"}
    assert failure.value.headers["x-custom"] == "yes"
    assert github.get_repo(REPO).full_name == REPO


def test_file_contents_decode_and_carry_git_shas(fake, repo):
    readme = "# Widgets\n\n" + "Ünïcode and a line long enough to wrap the base64 payload. " * 5
    fake.put_file(REPO, "README.md", readme)
    fake.put_file(REPO, "docs/hello.txt", b"hello world\n")
    fake.put_file(REPO, "docs/hello.txt", "hello branch\n", ref="dev")

    content = repo.get_contents("README.md")

    assert content.decoded_content.decode() == readme
    data = readme.encode()
    assert content.sha == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert all(len(line) <= 60 for line in content.content.split("\n"))
    assert repo.get_contents("docs/hello.txt").sha == HELLO_BLOB
    assert repo.get_contents("docs/hello.txt", ref="dev").decoded_content == b"hello branch\n"
    root = {entry.name: (entry.type, entry.sha) for entry in repo.get_contents("")}
    assert root == {"README.md": ("file", content.sha), "docs": ("dir", DOCS_TREE)}
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.txt")


def test_permission_uses_githubs_legacy_mapping(fake, repo):
    for login, role in [
        ("ana", "admin"),
        ("max", "maintain"),
        ("wes", "write"),
        ("tia", "triage"),
        ("rey", "read"),
    ]:
        fake.set_permission(REPO, login, role)
    fake.add_user("stranger")

    seen = {
        login: (repo.get_collaborator_permission(login), repo.get_collaborator_role_name(login))
        for login in ("ana", "max", "wes", "tia", "rey", "stranger", "octo-org")
    }

    assert seen == {
        "ana": ("admin", "admin"),
        "max": ("write", "maintain"),
        "wes": ("write", "write"),
        "tia": ("read", "triage"),
        "rey": ("read", "read"),
        "stranger": ("read", "read"),
        "octo-org": ("admin", "admin"),
    }
    fake.add_repo("octo-org/secret", private=True)
    fake.set_permission("octo-org/secret", "maintainer", "admin")
    secret = connect(fake).get_repo("octo-org/secret")
    assert secret.get_collaborator_permission("stranger") == "none"


def test_installation_token_cannot_read_the_user_but_writes_as_the_bot(fake):
    fake.add_token("ghs_installation", "ossbot[bot]", kind="installation")
    fake.add_issue(REPO, "Needs triage")
    bot = connect(fake, "ghs_installation")

    with pytest.raises(GithubException) as failure:
        _ = bot.get_user().login
    comment = bot.get_repo(REPO).get_issue(1).create_comment("Triaged")

    assert failure.value.status == 403
    assert failure.value.data["message"] == "Resource not accessible by integration"
    assert (comment.user.login, comment.user.type) == ("ossbot[bot]", "Bot")
    assert connect(fake).get_user().login == "maintainer"


def test_git_trees_and_blobs_follow_the_contents_shas(fake):
    fake.put_file(REPO, ".github/ossbot/templates/a.md.j2", "hello")
    fake.put_file(REPO, ".github/ossbot.yml", "x: 1\n")
    repo = connect(fake).get_repo(REPO)
    listing = {c.name: c.sha for c in repo.get_contents(".github")}
    paths = {
        e.path: (e.type, e.sha) for e in repo.get_git_tree(listing["ossbot"], recursive=True).tree
    }
    assert paths["templates"][0] == "tree" and paths["templates/a.md.j2"][0] == "blob"
    blob = repo.get_git_blob(paths["templates/a.md.j2"][1])
    assert base64.b64decode(blob.content) == b"hello"
    assert [e.path for e in repo.get_git_tree(listing["ossbot"]).tree] == ["templates"]


# ---------------------------------------------------------------- over plain HTTP: timeline, suggestions


def api(fake: FakeGitHub, method: str, path: str, body=None, **params) -> requests.Response:
    """One call to the repository's API PATH, authenticated as the maintainer."""
    headers = {"Authorization": f"token {TOKEN}", "Accept": "application/vnd.github+json"}
    return requests.request(
        method,
        f"{fake.url}/repos/{REPO}{path}",
        json=body,
        params=params or None,
        headers=headers,
        timeout=5,
    )


def cross_references(fake: FakeGitHub, number: int) -> list[tuple[int, str]]:
    """(source number, actor) of each cross-referenced event on issue NUMBER's timeline, over HTTP."""
    timeline = api(fake, "GET", f"/issues/{number}/timeline").json()
    return [
        (e["source"]["issue"]["number"], e["actor"]["login"])
        for e in timeline
        if e["event"] == "cross-referenced"
    ]


def test_timeline_has_cross_references_from_mentions(fake):
    fake.add_issue(REPO, "Crash on start", "Mentions itself: #1")
    fake.add_issue(REPO, "Same crash", "Looks like #1.", user="ana")
    fake.add_issue(REPO, "Unrelated", "See #12, abc#1, other/repo#1 and issue 1")
    fake.add_pull(REPO, "Fix the crash", "fixes #1", user="bob", state="merged")
    fake.add_issue(REPO, "Tracking octo-org/widgets#1", user="cy")
    fake.add_comment(REPO, 3, "Maybe a duplicate of #1?", user="dee")

    assert cross_references(fake, 1) == [(2, "ana"), (4, "bob"), (5, "cy"), (3, "dee")]
    assert cross_references(fake, 3) == [] and cross_references(fake, 2) == []
    assert api(fake, "GET", "/issues/12/timeline").status_code == 404
    event = fake.timeline(REPO, 1)[1]
    source = event["source"]["issue"]
    assert (event["source"]["type"], source["state"], source["repository"]["full_name"]) == (
        "issue",
        "closed",
        REPO,
    )
    assert event["created_at"] == event["updated_at"] == fake.issue(REPO, 4)["created_at"]
    assert source["pull_request"]["merged_at"] == source["closed_at"] is not None
    assert "pull_request" not in fake.timeline(REPO, 1)[0]["source"]["issue"]


def test_timeline_records_what_the_writes_did(fake, repo):
    fake.add_user("helper")
    issue = repo.create_issue("Slow", labels=["bug"], assignees=["helper"])
    issue.add_to_labels("perf")
    issue.remove_from_labels("bug")
    issue.create_comment("Looking")
    issue.edit(state="closed", state_reason="not_planned")

    timeline = api(fake, "GET", f"/issues/{issue.number}/timeline").json()

    def detail(e):
        return (
            e.get("label", {}).get("name")
            or e.get("assignee", {}).get("login")
            or e.get("state_reason")
        )

    assert [(e["event"], detail(e), e["actor"]["login"]) for e in timeline] == [
        ("labeled", "bug", "maintainer"),
        ("assigned", "helper", "maintainer"),
        ("labeled", "perf", "maintainer"),
        ("unlabeled", "bug", "maintainer"),
        ("commented", None, "maintainer"),
        ("closed", "not_planned", "maintainer"),
    ]
    assert timeline[0]["label"] == {"name": "bug", "color": "ededed"}
    assert timeline[4]["body"] == "Looking"
    assert timeline[0]["url"] == f"{fake.url}/repos/{REPO}/issues/events/{timeline[0]['id']}"


def test_timeline_is_paginated(fake):
    fake.add_issue(REPO, "Popular")
    for n in range(35):
        fake.add_issue(REPO, f"Me too {n}", "Same as #1")

    first = api(fake, "GET", "/issues/1/timeline")
    second = api(fake, "GET", "/issues/1/timeline", page=2)

    assert (len(first.json()), len(second.json())) == (30, 5)
    assert first.links["next"]["url"] == f"{fake.url}/repos/{REPO}/issues/1/timeline?page=2"


def test_pull_requests_close_merge_and_stay_merged(fake, repo):
    fake.add_pull(REPO, "Open")
    fake.add_pull(REPO, "Closed", state="closed")
    fake.add_pull(REPO, "Merged", user="contributor", state="merged")

    assert [(p.number, p.state, p.merged) for p in map(repo.get_pull, (1, 2, 3))] == [
        (1, "open", False),
        (2, "closed", False),
        (3, "closed", True),
    ]
    assert repo.get_pull(3).merged_by.login == "contributor"
    assert fake.issue(REPO, 2)["pull_request"]["merged_at"] is None
    repo.get_pull(1).edit(state="closed")
    assert fake.issue(REPO, 1)["state"] == "closed"
    assert api(fake, "PATCH", "/pulls/2", {"state": "open"}).json()["state"] == "open"
    assert api(fake, "PATCH", "/pulls/3", {"state": "open"}).status_code == 422
    assert api(fake, "PATCH", "/issues/3", {"state": "open"}).status_code == 422
    with pytest.raises(ValueError):
        fake.add_pull(REPO, "Bad", state="draft")


def test_issue_list_by_creator_includes_pull_requests(fake):
    fake.add_issue(REPO, "First report", user="newcomer", state="closed")
    fake.add_issue(REPO, "Someone else's", user="regular")
    fake.add_pull(REPO, "First fix", user="NewComer")

    listed = api(fake, "GET", "/issues", creator="newcomer", state="all").json()

    assert [(i["number"], "pull_request" in i) for i in listed] == [(3, True), (1, False)]
    assert [i["number"] for i in api(fake, "GET", "/issues", creator="newcomer").json()] == [3]
    assert api(fake, "GET", "/issues", creator="nobody", state="all").json() == []


def suggest(name: str, **extra) -> dict:
    return {"name": name, "suggest": True, **extra}


def label_names(fake: FakeGitHub, suggestions: list[dict]) -> list[str]:
    by_id = {label["id"]: label["name"] for label in fake.labels(REPO)}
    return [by_id[s["target_id"]] for s in suggestions]


@pytest.fixture
def suggesting(fake):
    """The fake with issue suggestions on, the maintainer's user id, and issue 1."""
    fake.enable_suggestions(REPO)
    fake.add_label(REPO, "triage")
    fake.add_issue(REPO, "Crash", labels=["triage"])
    return fake.add_user("maintainer")["id"]


def test_suggested_labels_wait_for_a_maintainer(fake, suggesting):
    body = {"labels": [suggest("bug", rationale="Stack trace", confidence="high"), "needs-repro"]}

    answer = api(fake, "POST", "/issues/1/labels", body)
    api(
        fake,
        "POST",
        "/issues/1/labels",
        [suggest("bug"), suggest("triage"), suggest("perf", confidence="low")],
    )

    assert [label["name"] for label in answer.json()] == ["triage", "needs-repro"]
    pending = api(fake, "GET", "/issues/1/suggestions").json()
    assert pending == fake.suggestions(REPO, 1)
    assert label_names(fake, pending) == ["bug", "perf"]
    assert {
        k: pending[0][k]
        for k in ("action", "state", "rationale", "confidence", "actor_id", "issue_id")
    } == {
        "action": "add_label",
        "state": "pending",
        "rationale": "Stack trace",
        "confidence": "HIGH",
        "actor_id": suggesting,
        "issue_id": fake.issue(REPO, 1)["id"],
    }
    assert (pending[1]["confidence"], pending[1]["rationale"]) == ("LOW", None)
    assert [label["name"] for label in fake.issue(REPO, 1)["labels"]] == ["triage", "needs-repro"]


def test_approve_applies_the_label_and_dismiss_does_not(fake, suggesting):
    api(fake, "POST", "/issues/1/labels", {"labels": [suggest("bug"), suggest("perf")]})
    bug, perf = (s["id"] for s in fake.suggestions(REPO, 1))

    approved = api(fake, "POST", f"/issues/1/suggestions/{bug}/approve").json()
    dismissed = api(fake, "POST", f"/issues/1/suggestions/{perf}/dismiss").json()

    assert (approved["state"], approved["resolved_by"]) == ("approved", suggesting)
    assert (dismissed["state"], dismissed["resolved_by"]) == ("dismissed", suggesting)
    assert dismissed["issue_event_id"] is None
    assert [label["name"] for label in fake.issue(REPO, 1)["labels"]] == ["triage", "bug"]
    labeled = fake.timeline(REPO, 1)[-1]
    assert (labeled["event"], labeled["label"]["name"], labeled["id"]) == (
        "labeled",
        "bug",
        approved["issue_event_id"],
    )
    assert api(fake, "GET", "/issues/1/suggestions").json() == []
    every = api(fake, "GET", "/issues/1/suggestions", state="all").json()
    assert [s["state"] for s in every] == ["approved", "dismissed"]
    assert (
        len(api(fake, "GET", "/issues/1/suggestions", state="dismissed", action="add_label").json())
        == 1
    )
    assert api(fake, "GET", "/issues/1/suggestions", state="all", action="set_type").json() == []
    assert api(fake, "POST", f"/issues/1/suggestions/{bug}/dismiss").status_code == 422
    assert api(fake, "POST", f"/issues/1/suggestions/{perf}/approve").status_code == 422


def test_suggestion_errors(fake, suggesting):
    fake.add_issue(REPO, "Other")
    fake.add_pull(REPO, "A pull")
    pending = fake.add_suggestion(REPO, 1, "bug", confidence="medium")

    assert api(fake, "POST", f"/issues/2/suggestions/{pending['id']}/approve").status_code == 404
    assert api(fake, "POST", "/issues/1/suggestions/999/dismiss").status_code == 404
    assert api(fake, "GET", "/issues/3/suggestions").status_code == 404  # pull requests have none
    assert api(fake, "GET", "/issues/9/suggestions").status_code == 404
    assert api(fake, "GET", "/issues/1/suggestions", state="bogus").status_code == 422
    assert api(fake, "GET", "/issues/1/suggestions", action="bogus").status_code == 422
    assert (
        api(fake, "POST", "/issues/1/labels", [suggest("bug", confidence="HIGH")]).status_code
        == 422
    )
    assert api(fake, "POST", "/issues/1/labels", [{"suggest": True}]).status_code == 422
    assert fake.suggestions(REPO, 1) == [pending] and pending["confidence"] == "MEDIUM"


def test_suggest_flag_applies_labels_where_the_feature_is_off(fake):
    fake.add_issue(REPO, "Crash")
    fake.add_pull(REPO, "Fix")
    fake.add_repo("octo-org/other")
    fake.enable_suggestions("octo-org/other")  # the switch is per repository

    answer = api(fake, "POST", "/issues/1/labels", {"labels": [suggest("bug", confidence="high")]})

    assert [label["name"] for label in answer.json()] == ["bug"]
    assert fake.suggestions(REPO, 1) == []
    assert api(fake, "GET", "/issues/1/suggestions").status_code == 404
    fake.enable_suggestions(REPO)
    assert [
        label["name"] for label in api(fake, "POST", "/issues/2/labels", [suggest("bug")]).json()
    ] == ["bug"]
    assert fake.suggestions(REPO, 2) == []


def test_update_issue_labels_can_suggest(fake, suggesting):
    answer = api(
        fake, "PATCH", "/issues/1", {"labels": ["question", suggest("bug", rationale="trace")]}
    )

    assert [label["name"] for label in answer.json()["labels"]] == ["question"]
    assert label_names(fake, fake.suggestions(REPO, 1)) == ["bug"]


def test_deleting_a_label_invalidates_its_suggestions(fake, suggesting):
    fake.add_suggestion(REPO, 1, "bug")

    assert api(fake, "DELETE", "/labels/bug").status_code == 204

    assert [s["state"] for s in fake.suggestions(REPO, 1)] == ["invalidated"]
    assert api(fake, "GET", "/issues/1/suggestions").json() == []


def test_deleting_a_deleted_comment_is_not_found(fake):
    fake.add_issue(REPO, "Question")
    comment = fake.add_comment(REPO, 1, "First!", user="visitor")

    assert api(fake, "DELETE", f"/issues/comments/{comment['id']}").status_code == 204
    again = api(fake, "DELETE", f"/issues/comments/{comment['id']}")

    assert again.status_code == 404
    assert again.json()["message"] == "Not Found"
    assert fake.comments(REPO, 1) == []


# ---------------------------------------------------------------- faults after the write


def as_token(fake: FakeGitHub, token: str, method: str, path: str, body=None, **params):
    """One call to the repository's API PATH with TOKEN."""
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    return requests.request(
        method,
        f"{fake.url}/repos/{REPO}{path}",
        json=body,
        params=params or None,
        headers=headers,
        timeout=5,
    )


def test_slow_after_writes_then_holds_the_answer_past_the_clients_timeout(fake):
    fake.add_issue(REPO, "Crash")
    fake.slow_after("POST", r"/issues/1/comments$", 1.5)
    url = f"{fake.url}/repos/{REPO}/issues/1/comments"
    headers = {"Authorization": f"token {TOKEN}"}

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(url, json={"body": "Thanks"}, headers=headers, timeout=0.3)
    started = time.monotonic()
    listed = api(fake, "GET", "/issues/1/comments")  # served while that answer is still held

    assert time.monotonic() - started < 0.5
    assert [c["body"] for c in listed.json()] == ["Thanks"]
    [call] = fake.calls("POST", r"/comments$")
    assert (call.status, call.served, call.fault) == (201, 201, "slow_after")
    assert api(fake, "POST", "/issues/1/comments", {"body": "Again"}).status_code == 201  # once


def test_drop_after_writes_then_closes_the_connection_without_an_answer(fake):
    fake.drop_after("POST", r"/issues$")

    with pytest.raises(requests.exceptions.ConnectionError) as failure:
        api(fake, "POST", "/issues", {"title": "Lost answer"})

    assert "RemoteDisconnected" in repr(failure.value)
    assert [issue["title"] for issue in fake.issues(REPO)] == ["Lost answer"]
    [call] = fake.calls("POST", r"/issues$")
    assert (call.status, call.served, call.fault) == (None, 201, "drop_after")
    assert api(fake, "POST", "/issues", {"title": "Next"}).status_code == 201


def test_fail_after_writes_then_answers_the_error_while_fail_does_not_write(fake):
    fake.add_issue(REPO, "Crash")
    fake.fail_after("POST", r"/comments$", 502)
    fake.fail("POST", r"/comments$", 502)

    after = api(fake, "POST", "/issues/1/comments", {"body": "carried out"})
    instead = api(fake, "POST", "/issues/1/comments", {"body": "not carried out"})

    assert (after.status_code, instead.status_code) == (502, 502)
    assert after.json() == {
        "message": "Bad Gateway",
        "documentation_url": "https://docs.github.com/rest",
        "status": "502",
    }
    assert [c["body"] for c in fake.comments(REPO, 1)] == ["carried out"]
    calls = fake.calls("POST", r"/comments$")
    assert [(c.status, c.served, c.fault) for c in calls] == [
        (502, 201, "fail_after"),
        (502, None, "fail"),
    ]


def test_a_gate_lets_requests_through_together_and_the_fake_serves_meanwhile(fake):
    fake.add_issue(REPO, "Crash")
    gate = fake.gate("POST", r"/issues/1/comments$", 3, timeout=5)
    answers: dict[int, int] = {}

    def post(n: int) -> None:
        answers[n] = api(fake, "POST", "/issues/1/comments", {"body": f"run {n}"}).status_code

    threads = [threading.Thread(target=post, args=(n,)) for n in range(3)]
    threads[0].start()
    threads[1].start()
    time.sleep(0.3)
    held = (dict(answers), gate.arrived, fake.comments(REPO, 1))
    reading = api(fake, "GET", "/issues/1")  # the two held requests do not hold the fake's lock
    threads[2].start()
    for thread in threads:
        thread.join(5)

    assert held == ({}, 2, [])
    assert reading.status_code == 200
    assert answers == {0: 201, 1: 201, 2: 201}
    assert (gate.arrived, gate.released_by) == (3, "count")
    assert api(fake, "POST", "/issues/1/comments", {"body": "later"}).status_code == 201


def test_a_gate_opens_after_its_timeout_when_too_few_arrive(fake):
    fake.add_issue(REPO, "Crash")
    gate = fake.gate("POST", r"/comments$", 2, timeout=0.4)

    started = time.monotonic()
    answer = api(fake, "POST", "/issues/1/comments", {"body": "alone"})

    assert answer.status_code == 201
    assert 0.35 < time.monotonic() - started < 2
    assert (gate.arrived, gate.released_by) == (1, "timeout")


def test_before_runs_a_callback_that_may_call_the_fake(fake):
    fake.add_issue(REPO, "Crash")
    fake.add_token("ghs_other", "other-run", kind="installation")
    seen = []

    def sneak() -> None:
        seen.append(as_token(fake, "ghs_other", "POST", "/issues/1/labels", ["bug"]).status_code)

    fake.before("POST", r"/issues/1/labels$", sneak)
    answer = api(fake, "POST", "/issues/1/labels", ["perf"])
    api(fake, "POST", "/issues/1/labels", ["ui"])

    assert seen == [200]
    assert [label["name"] for label in answer.json()] == ["bug", "perf"]


# ---------------------------------------------------------------- secondary rate limits


def test_submitted_too_quickly_is_githubs_422_and_creates_nothing(fake):
    fake.add_issue(REPO, "Crash")
    fake.submitted_too_quickly("POST", r"/issues/\d+/comments$", times=2)

    first = api(fake, "POST", "/issues/1/comments", {"body": "Thanks"})
    second = api(fake, "POST", "/issues/1/comments", {"body": "Thanks"})
    third = api(fake, "POST", "/issues/1/comments", {"body": "Thanks"})

    assert (first.status_code, second.status_code, third.status_code) == (422, 422, 201)
    assert first.json() == {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "Issue",
                "code": "unprocessable",
                "field": "data",
                "message": "was submitted too quickly",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
        "status": "422",
    }
    assert "retry-after" not in first.headers
    assert len(fake.comments(REPO, 1)) == 1


def test_too_many_requests_is_a_429_with_retry_after(fake):
    fake.too_many_requests("POST", r"/issues$", retry_after=7)
    fake.too_many_requests("POST", r"/issues$", retry_after=None)

    limited = api(fake, "POST", "/issues", {"title": "Fast"})
    bare = api(fake, "POST", "/issues", {"title": "Fast"})

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert "secondary rate limit" in limited.json()["message"]
    assert bare.status_code == 429 and "retry-after" not in bare.headers
    assert fake.issues(REPO) == []
    assert api(fake, "POST", "/issues", {"title": "Fast"}).status_code == 201


# ---------------------------------------------------------------- sub-issues and dependencies


def test_sub_issues_are_added_by_id_listed_and_summarized(fake):
    parent = fake.add_issue(REPO, "Epic")
    children = [fake.add_issue(REPO, f"Task {n}") for n in range(3)]

    added = [
        api(fake, "POST", "/issues/1/sub_issues", {"sub_issue_id": child["id"]})
        for child in children
    ]
    api(fake, "PATCH", "/issues/2", {"state": "closed"})

    assert [answer.status_code for answer in added] == [201, 201, 201]
    assert added[0].json()["number"] == parent["number"]
    assert [i["number"] for i in api(fake, "GET", "/issues/1/sub_issues").json()] == [2, 3, 4]
    assert api(fake, "GET", "/issues/1/sub_issues", per_page=2).links["next"]
    assert fake.issue(REPO, 1)["sub_issues_summary"] == {
        "total": 3,
        "completed": 1,
        "percent_completed": 33,
    }
    assert api(fake, "GET", "/issues/3/parent").json()["number"] == 1
    assert fake.issue(REPO, 3)["parent_issue_url"] == f"{fake.url}/repos/{REPO}/issues/1"
    assert api(fake, "GET", "/issues/1/parent").status_code == 404
    removed = api(fake, "DELETE", "/issues/1/sub_issue", {"sub_issue_id": children[1]["id"]})
    assert (removed.status_code, removed.json()["number"]) == (200, 1)
    assert api(fake, "GET", "/issues/3/parent").status_code == 404
    assert fake.issue(REPO, 1)["sub_issues_summary"]["total"] == 2
    assert fake.issue(REPO, 4)["sub_issues_summary"] == {
        "total": 0,
        "completed": 0,
        "percent_completed": 0,
    }


def test_sub_issue_errors(fake):
    fake.add_issue(REPO, "Epic")
    child = fake.add_issue(REPO, "Task")
    fake.add_issue(REPO, "Other epic")
    fake.add_pull(REPO, "A pull")
    assert api(fake, "POST", "/issues/1/sub_issues", {"sub_issue_id": child["id"]}).ok

    def add(number: int, body: dict) -> tuple[int, str]:
        answer = api(fake, "POST", f"/issues/{number}/sub_issues", body)
        errors = answer.json().get("errors") or [{"message": answer.json()["message"]}]
        return answer.status_code, errors[0]["message"]

    assert add(3, {"sub_issue_id": child["id"]}) == (422, "Sub issue may only have one parent")
    assert add(1, {"sub_issue_id": child["id"]})[0] == 422  # already a child of #1
    assert add(1, {"sub_issue_id": fake.issue(REPO, 1)["id"]})[0] == 422  # itself
    assert add(2, {"sub_issue_id": fake.issue(REPO, 1)["id"]})[0] == 422  # its own parent
    assert add(1, {"sub_issue_id": 2}) == (404, "Not Found")  # a number is not an id
    assert add(1, {"sub_issue_id": fake.issue(REPO, 4)["id"]})[0] == 422  # a pull request
    assert add(1, {})[0] == 422
    assert add(9, {"sub_issue_id": child["id"]}) == (404, "Not Found")
    moved = api(
        fake, "POST", "/issues/3/sub_issues", {"sub_issue_id": child["id"], "replace_parent": True}
    )
    assert moved.status_code == 201
    assert api(fake, "GET", "/issues/2/parent").json()["number"] == 3
    assert api(fake, "GET", "/issues/1/sub_issues").json() == []
    assert (
        api(fake, "DELETE", "/issues/1/sub_issue", {"sub_issue_id": child["id"]}).status_code == 404
    )


def test_a_parent_holds_at_most_100_sub_issues(fake):
    fake.add_issue(REPO, "Epic")
    ids = [fake.add_issue(REPO, f"Task {n}")["id"] for n in range(101)]

    statuses = [
        api(fake, "POST", "/issues/1/sub_issues", {"sub_issue_id": i}).status_code for i in ids
    ]

    assert statuses == [201] * 100 + [422]
    assert fake.issue(REPO, 1)["sub_issues_summary"]["total"] == 100
    assert len(fake.sub_issues(REPO, 1)) == 100


def test_issue_dependencies_block_and_unblock(fake):
    fake.add_issue(REPO, "Release")
    blocker = fake.add_issue(REPO, "Fix the crash")
    other = fake.add_issue(REPO, "Write the notes")

    added = api(fake, "POST", "/issues/1/dependencies/blocked_by", {"issue_id": blocker["id"]})
    api(fake, "POST", "/issues/1/dependencies/blocked_by", {"issue_id": other["id"]})
    api(fake, "PATCH", "/issues/3", {"state": "closed"})

    assert (added.status_code, added.json()["number"]) == (201, 1)
    listed = api(fake, "GET", "/issues/1/dependencies/blocked_by").json()
    assert [i["number"] for i in listed] == [2, 3]
    assert [i["number"] for i in api(fake, "GET", "/issues/2/dependencies/blocking").json()] == [1]
    assert fake.issue(REPO, 1)["issue_dependencies_summary"] == {
        "blocked_by": 1,
        "blocking": 0,
        "total_blocked_by": 2,
        "total_blocking": 0,
    }
    assert fake.issue(REPO, 2)["issue_dependencies_summary"]["blocking"] == 1
    again = api(fake, "POST", "/issues/1/dependencies/blocked_by", {"issue_id": blocker["id"]})
    assert again.status_code == 422
    itself = {"issue_id": fake.issue(REPO, 1)["id"]}
    assert api(fake, "POST", "/issues/1/dependencies/blocked_by", itself).status_code == 422
    assert (
        api(fake, "POST", "/issues/1/dependencies/blocked_by", {"issue_id": 3}).status_code == 404
    )
    removed = api(fake, "DELETE", f"/issues/1/dependencies/blocked_by/{blocker['id']}")
    assert (
        removed.status_code,
        removed.json()["issue_dependencies_summary"]["total_blocked_by"],
    ) == (200, 1)
    assert api(fake, "GET", "/issues/2/dependencies/blocking").json() == []
    assert (
        api(fake, "DELETE", f"/issues/1/dependencies/blocked_by/{blocker['id']}").status_code == 404
    )


# ---------------------------------------------------------------- check runs


APP_TOKEN = "ghs_app"
SHA = "ce587453ced02b1526dfb4cb910479d431683101"


@pytest.fixture
def app(fake):
    fake.add_token(APP_TOKEN, "ossbot[bot]", kind="installation")
    return APP_TOKEN


def test_check_runs_need_an_app_token_and_carry_the_app(fake, app):
    body = {"name": "ossbot review", "head_sha": SHA}

    refused = api(fake, "POST", "/check-runs", body)
    created = as_token(fake, app, "POST", "/check-runs", body | {"external_id": "42"})

    assert refused.status_code == 403
    assert refused.json()["message"] == "You must authenticate via a GitHub App."
    assert created.status_code == 201
    run = created.json()
    assert (run["name"], run["head_sha"], run["status"], run["conclusion"]) == (
        "ossbot review",
        SHA,
        "queued",
        None,
    )
    assert (run["app"]["slug"], run["external_id"]) == ("ossbot", "42")
    assert run["output"]["annotations_count"] == 0
    assert created.headers["location"] == run["url"]
    assert fake.check_runs(REPO) == [run]


NOTE = {
    "path": "a.py",
    "start_line": 1,
    "end_line": 1,
    "annotation_level": "warning",
    "message": "w",
}


def test_a_check_run_completes_only_with_a_conclusion(fake, app):
    base = {"name": "lint", "head_sha": SHA}

    missing = as_token(fake, app, "POST", "/check-runs", base | {"status": "completed"})
    done = as_token(fake, app, "POST", "/check-runs", base | {"conclusion": "success"})
    bad = as_token(fake, app, "POST", "/check-runs", base | {"conclusion": "great"})
    run = as_token(fake, app, "POST", "/check-runs", base | {"status": "in_progress"}).json()
    incomplete = as_token(fake, app, "PATCH", f"/check-runs/{run['id']}", {"status": "completed"})
    output = {
        "title": "Lint",
        "summary": "2 warnings",
        "text": "details",
        "annotations": [NOTE, NOTE],
    }
    updated = as_token(
        fake, app, "PATCH", f"/check-runs/{run['id']}", {"conclusion": "neutral", "output": output}
    )

    assert [missing.status_code, bad.status_code, incomplete.status_code] == [422, 422, 422]
    assert missing.json()["errors"][0]["field"] == "conclusion"
    assert (done.json()["status"], done.json()["completed_at"] is not None) == ("completed", True)
    assert updated.status_code == 200
    shown = updated.json()
    assert (shown["status"], shown["conclusion"]) == ("completed", "neutral")
    assert {k: shown["output"][k] for k in ("title", "summary", "text", "annotations_count")} == {
        "title": "Lint",
        "summary": "2 warnings",
        "text": "details",
        "annotations_count": 2,
    }
    assert api(fake, "PATCH", f"/check-runs/{run['id']}", {"status": "queued"}).status_code == 403
    assert api(fake, "GET", f"/check-runs/{run['id']}").json() == shown
    assert as_token(fake, app, "PATCH", "/check-runs/1", {"status": "queued"}).status_code == 404


def test_check_runs_listed_for_a_ref_by_name(fake, app):
    for name, sha in [("lint", SHA), ("test", SHA), ("lint", SHA), ("lint", "a" * 40)]:
        as_token(fake, app, "POST", "/check-runs", {"name": name, "head_sha": sha})
    sha = fake.put_file(REPO, "README.md", "hi\n")
    as_token(fake, app, "POST", "/check-runs", {"name": "lint", "head_sha": sha})

    latest = api(fake, "GET", f"/commits/{SHA}/check-runs").json()
    every = api(fake, "GET", f"/commits/{SHA}/check-runs", filter="all", check_name="lint").json()
    by_branch = api(fake, "GET", "/commits/main/check-runs").json()

    assert latest["total_count"] == 2
    assert sorted(run["name"] for run in latest["check_runs"]) == ["lint", "test"]
    assert every["total_count"] == 2 and every["check_runs"][0]["id"] > every["check_runs"][1]["id"]
    assert [run["head_sha"] for run in by_branch["check_runs"]] == [sha]
    assert api(fake, "GET", f"/commits/{'b' * 40}/check-runs").json() == {
        "total_count": 0,
        "check_runs": [],
    }
    assert (
        as_token(fake, app, "POST", "/check-runs", {"name": "x", "head_sha": "main"}).status_code
        == 422
    )
    assert as_token(fake, app, "POST", "/check-runs", {"head_sha": SHA}).status_code == 422


# ---------------------------------------------------------------- fine-grained permissions


def test_a_token_without_write_permission_is_refused_as_github_refuses_it(fake):
    fake.add_issue(REPO, "Crash")
    fake.add_pull(REPO, "Fix")
    limited = {"issues": "read", "contents": "read"}
    fake.add_token("ghs_read_only", "ossbot[bot]", kind="installation", permissions=limited)
    fake.add_token("github_pat_limited", "maintainer", permissions=limited)

    def refused(token: str, method: str, path: str, body=None) -> tuple[int, str, str | None]:
        answer = as_token(fake, token, method, path, body)
        return (
            answer.status_code,
            answer.json()["message"],
            answer.headers.get("x-accepted-github-permissions"),
        )

    integration = "Resource not accessible by integration"
    assert refused("ghs_read_only", "POST", "/issues/1/comments", {"body": "hi"}) == (
        403,
        integration,
        "issues=write; pull_requests=write",
    )
    assert refused("ghs_read_only", "POST", "/issues", {"title": "New"}) == (
        403,
        integration,
        "issues=write",
    )
    assert refused("ghs_read_only", "POST", "/git/blobs", {"content": "x"}) == (
        403,
        integration,
        "contents=write",
    )
    assert refused("ghs_read_only", "PATCH", "/pulls/2", {"title": "Fixed"})[2] == (
        "pull_requests=write"
    )
    assert refused("ghs_read_only", "POST", "/check-runs", {"name": "x", "head_sha": SHA})[2] == (
        "checks=write"
    )
    assert refused("github_pat_limited", "POST", "/labels", {"name": "bug"})[:2] == (
        403,
        "Resource not accessible by personal access token",
    )
    assert as_token(fake, "ghs_read_only", "GET", "/issues/1").status_code == 200
    assert as_token(fake, "ghs_read_only", "GET", "/pulls/2").status_code == 200  # public
    assert fake.comments(REPO, 1) == [] and len(fake.issues(REPO)) == 2
    assert fake.labels(REPO) == []
    assert api(fake, "POST", "/issues/1/comments", {"body": "hi"}).status_code == 201
    with pytest.raises(ValueError):
        fake.add_token("bad", "x", permissions={"issues": "maybe"})


def test_reads_of_a_private_repository_need_the_permission(fake):
    fake.add_repo("octo-org/secret", private=True)
    fake.add_issue("octo-org/secret", "Hidden")
    fake.add_token(
        "ghs_contents", "ossbot[bot]", kind="installation", permissions={"contents": "write"}
    )
    headers = {"Authorization": "token ghs_contents"}
    base = f"{fake.url}/repos/octo-org/secret"

    issue = requests.get(f"{base}/issues/1", headers=headers, timeout=5)
    repo = requests.get(base, headers=headers, timeout=5)

    assert (issue.status_code, issue.headers["x-accepted-github-permissions"]) == (
        403,
        "issues=read",
    )
    assert repo.status_code == 200  # metadata is always readable
    assert requests.get(f"{base}/contents/", headers=headers, timeout=5).status_code == 200


# ---------------------------------------------------------------- git data: a state branch


def git(fake: FakeGitHub, method: str, path: str, body=None) -> requests.Response:
    return api(fake, method, f"/git/{path}", body)


def commit_of(fake: FakeGitHub, files: dict[str, str], parent: str, message: str) -> str:
    """A commit of FILES (inline contents) on PARENT's tree, made through the API."""
    base = git(fake, "GET", f"commits/{parent}").json()["tree"]["sha"]
    entries = [
        {"path": path, "mode": "100644", "type": "blob", "content": text}
        for path, text in files.items()
    ]
    tree = git(fake, "POST", "trees", {"base_tree": base, "tree": entries}).json()["sha"]
    made = git(fake, "POST", "commits", {"message": message, "tree": tree, "parents": [parent]})
    assert made.status_code == 201, made.text
    return made.json()["sha"]


def test_blobs_trees_and_commits_have_gits_shas(fake):
    blob = git(fake, "POST", "blobs", {"content": "hello world\n", "encoding": "utf-8"})
    encoded = base64.b64encode(b"hello world\n").decode()
    same = git(fake, "POST", "blobs", {"content": encoded, "encoding": "base64"})
    tree = git(
        fake,
        "POST",
        "trees",
        {"tree": [{"path": "hello.txt", "mode": "100644", "type": "blob", "sha": HELLO_BLOB}]},
    )
    inline = git(
        fake,
        "POST",
        "trees",
        {
            "tree": [
                {"path": "hello.txt", "mode": "100644", "type": "blob", "content": "hello world\n"}
            ]
        },
    )
    nested = git(
        fake,
        "POST",
        "trees",
        {"tree": [{"path": "docs", "mode": "040000", "type": "tree", "sha": DOCS_TREE}]},
    )

    assert (blob.status_code, blob.json()["sha"], same.json()["sha"]) == (
        201,
        HELLO_BLOB,
        HELLO_BLOB,
    )
    assert blob.headers["location"] == blob.json()["url"]
    assert (
        base64.b64decode(git(fake, "GET", f"blobs/{HELLO_BLOB}").json()["content"])
        == b"hello world\n"
    )
    assert (tree.status_code, tree.json()["sha"], inline.json()["sha"]) == (
        201,
        DOCS_TREE,
        DOCS_TREE,
    )
    assert [(e["path"], e["type"], e["sha"]) for e in tree.json()["tree"]] == [
        ("hello.txt", "blob", HELLO_BLOB)
    ]
    listed = git(fake, "GET", f"trees/{nested.json()['sha']}?recursive=1").json()["tree"]
    assert [(e["path"], e["type"]) for e in listed] == [
        ("docs", "tree"),
        ("docs/hello.txt", "blob"),
    ]
    assert (
        git(
            fake,
            "POST",
            "trees",
            {"tree": [{"path": "a", "mode": "100644", "type": "blob", "sha": "f" * 40}]},
        ).status_code
        == 422
    )
    assert git(fake, "POST", "trees", {"base_tree": "f" * 40, "tree": []}).status_code == 422
    assert git(fake, "POST", "blobs", {"content": "x", "encoding": "latin-1"}).status_code == 422
    assert git(fake, "GET", f"blobs/{'f' * 40}").status_code == 404


def test_a_state_branch_is_created_and_moved_by_compare_and_swap(fake):
    main = git(fake, "GET", "ref/heads/main").json()["object"]["sha"]
    assert git(fake, "GET", "ref/heads/ossbot-state").status_code == 404
    first = commit_of(fake, {"state.db": "v1"}, main, "state 1")

    created = git(fake, "POST", "refs", {"ref": "refs/heads/ossbot-state", "sha": first})
    again = git(fake, "POST", "refs", {"ref": "refs/heads/ossbot-state", "sha": first})

    assert created.status_code == 201
    assert created.json()["object"] == {
        "type": "commit",
        "sha": first,
        "url": f"{fake.url}/repos/{REPO}/git/commits/{first}",
    }
    assert (again.status_code, again.json()["message"]) == (422, "Reference already exists")
    mine = commit_of(fake, {"state.db": "v2 mine"}, first, "state 2")
    theirs = commit_of(fake, {"state.db": "v2 theirs"}, first, "state 2")
    moved = git(fake, "PATCH", "refs/heads/ossbot-state", {"sha": mine, "force": False})
    lost = git(fake, "PATCH", "refs/heads/ossbot-state", {"sha": theirs, "force": False})
    assert moved.status_code == 200 and moved.json()["object"]["sha"] == mine
    assert (lost.status_code, lost.json()["message"]) == (422, "Update is not a fast forward")
    state = api(fake, "GET", "/contents/state.db", ref="ossbot-state").json()
    assert base64.b64decode(state["content"]) == b"v2 mine"
    assert fake.files(REPO, "ossbot-state") == {"state.db": b"v2 mine"}
    forced = git(fake, "PATCH", "refs/heads/ossbot-state", {"sha": theirs, "force": True})
    assert forced.status_code == 200
    assert fake.files(REPO, "ossbot-state") == {"state.db": b"v2 theirs"}
    assert fake.files(REPO, mine) == {"state.db": b"v2 mine"}  # a commit keeps its files
    commit = git(fake, "GET", f"commits/{theirs}").json()
    assert (commit["message"], [p["sha"] for p in commit["parents"]]) == ("state 2", [first])
    assert commit["author"]["name"] == "maintainer"
    assert api(fake, "GET", "/contents/state.db").status_code == 404  # main is untouched


def test_git_ref_errors(fake):
    main = git(fake, "GET", "ref/heads/main").json()["object"]["sha"]

    def message(answer: requests.Response) -> tuple[int, str]:
        return answer.status_code, answer.json()["message"]

    assert message(git(fake, "POST", "refs", {"ref": "refs/heads/x", "sha": "f" * 40})) == (
        422,
        "Object does not exist",
    )
    assert git(fake, "POST", "refs", {"ref": "heads/x", "sha": main}).status_code == 422
    assert git(fake, "POST", "refs", {"ref": "refs/heads/x"}).status_code == 422
    assert message(git(fake, "PATCH", "refs/heads/nothing", {"sha": main})) == (
        422,
        "Reference does not exist",
    )
    assert message(git(fake, "POST", "commits", {"message": "m", "tree": "f" * 40})) == (
        422,
        "Tree SHA does not exist",
    )
    tree = git(fake, "GET", f"commits/{main}").json()["tree"]["sha"]
    orphan = git(fake, "POST", "commits", {"message": "m", "tree": tree, "parents": ["f" * 40]})
    assert orphan.status_code == 422
    assert git(fake, "GET", f"commits/{'f' * 40}").status_code == 404
    assert git(fake, "POST", "refs", {"ref": "refs/tags/v1", "sha": main}).status_code == 201
    matching = api(fake, "GET", "/git/matching-refs/heads/").json()
    assert [ref["ref"] for ref in matching] == ["refs/heads/main"]
    assert git(fake, "DELETE", "refs/tags/v1").status_code == 204
    assert git(fake, "DELETE", "refs/tags/v1").status_code == 422
    assert git(fake, "DELETE", "refs/heads/main").status_code == 422


def test_put_file_commits_on_the_branch_the_git_api_sees(fake, repo):
    before = fake.branch(REPO, "main")

    sha = fake.put_file(REPO, "docs/hello.txt", b"hello world\n")
    fake.put_file(REPO, "notes.txt", "on dev\n", ref="dev")

    assert git(fake, "GET", "ref/heads/main").json()["object"]["sha"] == sha
    commit = git(fake, "GET", f"commits/{sha}").json()
    assert [p["sha"] for p in commit["parents"]] == [before]
    assert repo.get_git_tree(commit["tree"]["sha"]).tree[0].sha == DOCS_TREE
    assert (
        git(fake, "GET", f"trees/{sha}").json()["sha"] == commit["tree"]["sha"]
    )  # a commit names its tree
    dev = git(fake, "GET", "ref/heads/dev").json()["object"]["sha"]
    assert [p["sha"] for p in git(fake, "GET", f"commits/{dev}").json()["parents"]] == [sha]
    assert sorted(fake.files(REPO, "dev")) == ["docs/hello.txt", "notes.txt"]
    assert repo.get_git_ref("heads/dev").object.sha == dev
    assert repo.get_contents("notes.txt", ref=dev[:7]).decoded_content == b"on dev\n"


def test_tree_entries_replace_and_remove_paths(fake):
    fake.put_file(REPO, "a/b.txt", "b")
    fake.put_file(REPO, "a/c.txt", "c")
    main = fake.branch(REPO, "main")
    base = git(fake, "GET", f"commits/{main}").json()["tree"]["sha"]
    entries = [
        {"path": "a/b.txt", "mode": "100644", "type": "blob", "sha": None},
        {"path": "a/d.txt", "mode": "100644", "type": "blob", "content": "d"},
    ]

    tree = git(fake, "POST", "trees", {"base_tree": base, "tree": entries}).json()["sha"]
    made = git(fake, "POST", "commits", {"message": "edit", "tree": tree, "parents": [main]}).json()
    git(fake, "PATCH", "refs/heads/main", {"sha": made["sha"]})

    assert fake.files(REPO) == {"a/c.txt": b"c", "a/d.txt": b"d"}
    assert [e["name"] for e in api(fake, "GET", "/contents/a").json()] == ["c.txt", "d.txt"]


def test_contents_put_creates_and_updates_a_file_by_its_sha(fake):
    content = base64.b64encode(b"hello world\n").decode()

    created = api(fake, "PUT", "/contents/docs/hello.txt", {"message": "add", "content": content})
    missing = api(fake, "PUT", "/contents/docs/hello.txt", {"message": "edit", "content": content})
    stale = api(
        fake,
        "PUT",
        "/contents/docs/hello.txt",
        {"message": "edit", "content": content, "sha": "f" * 40},
    )
    updated = api(
        fake,
        "PUT",
        "/contents/docs/hello.txt",
        {"message": "edit", "content": base64.b64encode(b"bye\n").decode(), "sha": HELLO_BLOB},
    )

    assert created.status_code == 201
    assert created.json()["content"]["sha"] == HELLO_BLOB
    assert created.json()["commit"]["message"] == "add"
    assert (missing.status_code, stale.status_code, updated.status_code) == (422, 409, 200)
    assert fake.files(REPO) == {"docs/hello.txt": b"bye\n"}
    assert fake.branch(REPO, "main") == updated.json()["commit"]["sha"]


# ---------------------------------------------------------------- milestones


def test_milestones_are_listed_by_state_and_due_date(fake, repo):
    first = fake.add_milestone(REPO, "v1.0", description="The first", due_on="2027-03-01T08:00:00Z")
    fake.add_milestone(REPO, "Someday")
    fake.add_milestone(REPO, "v0.9", due_on="2027-01-15T08:00:00Z")
    fake.add_milestone(REPO, "v0.8", state="closed", due_on="2026-12-01T08:00:00Z")

    def titles(**filters):
        return [milestone.title for milestone in repo.get_milestones(**filters)]

    assert titles() == ["v0.9", "v1.0", "Someday"]  # open, soonest due first, undated last
    assert titles(state="closed") == ["v0.8"]
    assert titles(state="all") == ["v0.8", "v0.9", "v1.0", "Someday"]
    assert titles(state="all", direction="desc") == ["Someday", "v1.0", "v0.9", "v0.8"]
    assert [m["number"] for m in fake.milestones(REPO)] == [1, 2, 3, 4]
    assert first["url"] == f"{fake.url}/repos/{REPO}/milestones/1"
    assert first["html_url"] == f"https://github.com/{REPO}/milestone/1"
    assert (first["state"], first["description"], first["due_on"]) == (
        "open",
        "The first",
        "2027-03-01T08:00:00Z",
    )
    assert (first["open_issues"], first["closed_issues"], first["closed_at"]) == (0, 0, None)
    assert first["creator"]["login"] == "octo-org"
    assert fake.milestones(REPO)[1]["description"] is None  # "" is stored as null
    assert fake.milestones(REPO)[3]["closed_at"] is not None
    assert len({m["id"] for m in fake.milestones(REPO)}) == 4
    assert repo.get_milestone(3).title == "v0.9"
    with pytest.raises(UnknownObjectException):
        repo.get_milestone(5)
    assert api(fake, "GET", "/milestones/5").json()["message"] == "Not Found"


def test_milestones_are_paginated_as_the_other_listings(fake):
    for n in range(5):
        fake.add_milestone(REPO, f"v{n}", due_on=f"2027-01-0{n + 1}T08:00:00Z")
    url = f"{fake.url}/repos/{REPO}/milestones"

    page = api(fake, "GET", "/milestones", per_page=2, page=2)

    assert [m["title"] for m in page.json()] == ["v2", "v3"]
    assert links(page.headers["link"]) == {
        rel: (url, {"per_page": "2", "page": str(n)})
        for rel, n in [("prev", 1), ("next", 3), ("last", 3), ("first", 1)]
    }
    assert "link" not in api(fake, "GET", "/milestones").headers


def test_an_issue_joins_a_milestone_whose_counts_follow(fake, repo):
    fake.add_milestone(REPO, "v1.0")
    fake.add_milestone(REPO, "v2.0")
    fake.add_issue(REPO, "Seeded", milestone=2)
    fake.add_pull(REPO, "Fix it")  # number 2

    issue = repo.create_issue("Crash", milestone=repo.get_milestone(1))
    api(fake, "PATCH", "/issues/2", {"milestone": 1})  # a pull request joins too

    assert issue.milestone.number == 1 and issue.milestone.title == "v1.0"
    assert fake.issue(REPO, 3)["milestone"]["open_issues"] == 2
    assert api(fake, "GET", "/pulls/2").json()["milestone"]["number"] == 1
    issue.edit(state="closed")
    counts = [(m["open_issues"], m["closed_issues"]) for m in fake.milestones(REPO)]
    assert counts == [(1, 1), (1, 0)]
    assert [m.title for m in repo.get_milestones(sort="completeness")] == ["v2.0", "v1.0"]
    assert [m.title for m in repo.get_milestones(sort="completeness", direction="desc")] == [
        "v1.0",
        "v2.0",
    ]

    moved = api(fake, "PATCH", f"/issues/{issue.number}", {"milestone": "2"})  # digits do too
    assert moved.json()["milestone"]["closed_issues"] == 1
    assert moved.json()["milestone"]["number"] == 2
    issue.edit(milestone=None)  # PyGithub sends "milestone": ""
    assert fake.issue(REPO, issue.number)["milestone"] is None
    assert api(fake, "PATCH", "/issues/1", {"milestone": None}).json()["milestone"] is None
    counts = [(m["open_issues"], m["closed_issues"]) for m in fake.milestones(REPO)]
    assert counts == [(1, 0), (0, 0)]
    timeline = api(fake, "GET", f"/issues/{issue.number}/timeline").json()
    assert [(e["event"], e["milestone"]["title"]) for e in timeline if "milestone" in e] == [
        ("milestoned", "v1.0"),
        ("demilestoned", "v1.0"),
        ("milestoned", "v2.0"),
        ("demilestoned", "v2.0"),
    ]


def test_an_unknown_milestone_is_a_validation_error_and_changes_nothing(fake):
    fake.add_milestone(REPO, "v1.0")
    fake.add_issue(REPO, "Existing", milestone=1)

    created = api(fake, "POST", "/issues", {"title": "Crash", "milestone": 7})
    updated = api(fake, "PATCH", "/issues/1", {"title": "Renamed", "milestone": 7})
    wrong = api(fake, "POST", "/issues", {"title": "Crash", "milestone": "v1.0"})

    assert (created.status_code, updated.status_code, wrong.status_code) == (422, 422, 422)
    assert created.json()["message"] == "Validation Failed"
    assert created.json()["errors"] == [
        {"value": 7, "resource": "Issue", "field": "milestone", "code": "invalid"}
    ]
    assert wrong.json()["errors"][0]["value"] == "v1.0"
    assert [issue["title"] for issue in fake.issues(REPO)] == ["Existing"]
    assert fake.issue(REPO, 1)["milestone"]["number"] == 1
    with pytest.raises(ValueError):
        fake.add_issue(REPO, "Seeded", milestone=2)


def test_a_milestone_is_dropped_silently_without_push_access(fake):
    fake.add_milestone(REPO, "v1.0")
    fake.add_token("ghp_visitor", "visitor")  # a public repository: read access only

    created = as_token(fake, "ghp_visitor", "POST", "/issues", {"title": "Bug", "milestone": 1})
    unknown = as_token(fake, "ghp_visitor", "POST", "/issues", {"title": "Bug", "milestone": 9})

    assert (created.status_code, unknown.status_code) == (201, 201)
    assert created.json()["milestone"] is None and unknown.json()["milestone"] is None
    assert fake.milestones(REPO)[0]["open_issues"] == 0
