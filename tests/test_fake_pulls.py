"""Tests of the fake GitHub's pull-request review surface over plain HTTP: drafts, commit chains
and pushes (force pushes too), compare, the files and commits caps, reviews with their comments and
GitHub's refusals, and check-run annotations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from fakes.github import FakeGitHub

TOKEN = "ghp_maintainer"
APP_TOKEN = "ghs_ossbot"
ACTIONS_TOKEN = "ghs_github_actions"
AUTHOR_TOKEN = "ghp_contributor"
REPO = "octo-org/widgets"
SHA = re.compile(r"[0-9a-f]{40}")
REST = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "github-rest"

# Two hunks. Old-file (LEFT) lines: 10-13 and 30-31; new-file (RIGHT) lines: 10-14 and 31-33.
APP_PATCH = "\n".join(
    [
        "@@ -10,4 +10,5 @@ def main():",
        "     setup()",
        "-    run()",
        "+    run(fast=True)",
        "+    report()",
        "     teardown()",
        "     return 0",
        "@@ -30,2 +31,3 @@ def helper():",
        "     a = 1",
        "+    b = 2",
        "     return a",
    ]
)
APP = {"filename": "src/app.py", "status": "modified", "additions": 3, "deletions": 1}
APP |= {"patch": APP_PATCH}
README = {"filename": "README.md", "status": "added", "additions": 2, "deletions": 0}
README |= {"patch": "@@ -0,0 +1,2 @@\n+# Widgets\n+Small widgets."}
LOGO = {
    "filename": "logo.png",
    "status": "added",
    "additions": 0,
    "deletions": 0,
}  # binary: no patch


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        server.add_user("octo-org", type="Organization")
        server.add_token(TOKEN, "maintainer")
        server.add_token(AUTHOR_TOKEN, "contributor")
        server.add_token(APP_TOKEN, "ossbot[bot]", kind="installation")
        server.add_token(ACTIONS_TOKEN, "github-actions[bot]", kind="installation")
        server.add_repo(REPO)
        server.set_permission(REPO, "maintainer", "maintain")
        yield server


@pytest.fixture
def pull(fake) -> dict:
    """Pull request #1 by "contributor", of src/app.py, README.md and logo.png."""
    return fake.add_pull(
        REPO, "Run fast", "Makes it fast", user="contributor", files=[APP, README, LOGO]
    )


def api(fake: FakeGitHub, method: str, path: str, body=None, token: str = TOKEN, **params):
    """One call to the repository's API PATH with TOKEN."""
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    return requests.request(
        method,
        f"{fake.url}/repos/{REPO}{path}",
        json=body,
        params=params or None,
        headers=headers,
        timeout=10,
    )


def head(fake: FakeGitHub, number: int = 1) -> str:
    return api(fake, "GET", f"/pulls/{number}").json()["head"]["sha"]


def compare(fake: FakeGitHub, base: str, tip: str, **params) -> requests.Response:
    return api(fake, "GET", f"/compare/{base}...{tip}", **params)


def names(files: list[dict]) -> list[str]:
    return [file["filename"] for file in files]


def schema_errors(name: str, value) -> list[str]:
    """Where VALUE breaks the official OpenAPI schema NAME (skipped without the corpus)."""
    if not (REST / "api.github.com.json.gz").is_file():
        pytest.skip("the official GitHub REST description is absent")
    from test_conformance_rest import schema_errors as check

    return check(name, value)


# ---------------------------------------------------------------- drafts, commits and pushes


def test_a_draft_pull_request_shows_as_draft(fake):
    fake.add_pull(REPO, "Work in progress", draft=True)
    fake.add_pull(REPO, "Ready")

    drafts = [api(fake, "GET", f"/pulls/{n}").json()["draft"] for n in (1, 2)]
    as_issues = [api(fake, "GET", f"/issues/{n}").json()["draft"] for n in (1, 2)]

    assert drafts == [True, False]
    assert as_issues == [True, False]


def test_a_pull_request_starts_with_one_commit_of_its_files(fake, pull):
    shown = api(fake, "GET", "/pulls/1").json()
    commits = api(fake, "GET", "/pulls/1/commits")

    assert commits.status_code == 200
    (first,) = commits.json()
    assert (shown["commits"], shown["changed_files"]) == (1, 3)
    assert first["sha"] == shown["head"]["sha"] and SHA.fullmatch(first["sha"])
    assert [p["sha"] for p in first["parents"]] == [shown["base"]["sha"]]
    assert (first["commit"]["message"], first["author"]["login"]) == ("Run fast", "contributor")
    assert first["html_url"] == f"https://github.com/{REPO}/commit/{first['sha']}"
    assert (
        compare(fake, "main", first["sha"]).json()["files"]
        == api(fake, "GET", "/pulls/1/files").json()
    )


def test_push_pull_adds_a_commit_and_updates_the_pull_request(fake, pull):
    before = api(fake, "GET", "/pulls/1").json()
    bigger = APP | {"additions": 7, "deletions": 2}

    sha = fake.push_pull(REPO, 1, [bigger, README], message="Drop the logo")

    after = api(fake, "GET", "/pulls/1").json()
    commits = api(fake, "GET", "/pulls/1/commits").json()
    assert SHA.fullmatch(sha) and sha != before["head"]["sha"]
    assert after["head"]["sha"] == sha
    assert (after["commits"], after["changed_files"]) == (2, 2)
    assert (after["additions"], after["deletions"]) == (9, 2)
    assert after["updated_at"] > before["updated_at"]
    assert [c["sha"] for c in commits] == [before["head"]["sha"], sha]  # oldest first
    assert commits[1]["parents"][0]["sha"] == before["head"]["sha"]
    assert commits[1]["commit"]["message"] == "Drop the logo"
    assert names(api(fake, "GET", "/pulls/1/files").json()) == ["src/app.py", "README.md"]
    with pytest.raises(ValueError):
        fake.push_pull(REPO, 1, [], gone=True)  # gone without force


def test_pull_commits_are_paginated_and_capped_at_250(fake, pull):
    for n in range(259):
        fake.push_pull(REPO, 1, [APP | {"additions": n + 10}], message=f"push {n}")

    pages = [api(fake, "GET", "/pulls/1/commits", per_page=100, page=n) for n in (1, 2, 3, 4)]
    oversized = api(fake, "GET", "/pulls/1/commits", per_page=500).json()

    assert api(fake, "GET", "/pulls/1").json()["commits"] == 260
    assert [len(page.json()) for page in pages] == [100, 100, 50, 0]
    assert 'page=3>; rel="last"' in pages[0].headers["link"]
    assert 'rel="next"' not in pages[2].headers["link"]
    assert pages[2].json()[-1]["commit"]["message"] == "push 248"  # the 250th commit
    assert len(oversized) == 100  # per_page is at most 100


def test_pull_files_stop_at_3000(fake):
    many = [{"filename": f"f{n:04}.txt", "additions": 1} for n in range(3005)]
    fake.add_pull(REPO, "Huge", files=many)

    last = api(fake, "GET", "/pulls/1/files", per_page=100, page=30)
    past = api(fake, "GET", "/pulls/1/files", per_page=100, page=31)
    first = api(fake, "GET", "/pulls/1/files", per_page=1000)

    assert api(fake, "GET", "/pulls/1").json()["changed_files"] == 3005
    assert names(last.json())[-1] == "f2999.txt"
    assert 'rel="next"' not in last.headers["link"]
    assert past.json() == []
    assert 'page=30>; rel="last"' in first.headers["link"] and len(first.json()) == 100


# ---------------------------------------------------------------- compare


def test_compare_of_two_commits_lists_the_changes_pushed_between(fake, pull):
    first = head(fake)
    app_v2 = APP | {"patch": "@@ -10,4 +10,5 @@ def main():\n+    v2()"}
    app_v3 = APP | {"patch": "@@ -10,4 +10,5 @@ def main():\n+    v3()"}
    second = fake.push_pull(REPO, 1, [app_v2, README, LOGO])
    third = fake.push_pull(REPO, 1, [app_v3, README], message="v3")

    answer = compare(fake, first, third)

    assert answer.status_code == 200
    shown = answer.json()
    assert (shown["status"], shown["ahead_by"], shown["behind_by"]) == ("ahead", 2, 0)
    assert shown["total_commits"] == 2
    assert [c["sha"] for c in shown["commits"]] == [second, third]
    assert shown["base_commit"]["sha"] == shown["merge_base_commit"]["sha"] == first
    # the latest spec of each file: app v3 once, and the logo dropped by the third push
    assert [(f["filename"], f["status"], f.get("patch")) for f in shown["files"]] == [
        ("src/app.py", "modified", app_v3["patch"]),
        ("logo.png", "removed", None),
    ]
    assert shown["files"][0]["blob_url"] == f"https://github.com/{REPO}/blob/{third}/src/app.py"
    assert shown["html_url"] == f"https://github.com/{REPO}/compare/{first}...{third}"
    assert shown["permalink_url"] == (
        f"https://github.com/{REPO}/compare/octo-org:{first}...octo-org:{third}"
    )
    assert shown["diff_url"] == shown["html_url"] + ".diff"
    assert shown["patch_url"] == shown["html_url"] + ".patch"
    assert shown["url"] == f"{fake.url}/repos/{REPO}/compare/{first}...{third}"
    assert names(compare(fake, second, third).json()["files"]) == ["src/app.py", "logo.png"]


def test_push_pull_takes_the_changed_files_it_is_given(fake, pull):
    first = head(fake)
    touched = {"filename": "src/app.py", "status": "modified", "additions": 1, "deletions": 1}

    sha = fake.push_pull(REPO, 1, [APP, README, LOGO], changed=[touched])

    files = compare(fake, first, sha).json()["files"]
    assert [(f["filename"], f["additions"], f["changes"]) for f in files] == [("src/app.py", 1, 2)]


def test_compare_from_the_base_branch_shows_the_whole_diff(fake, pull):
    shown = api(fake, "GET", "/pulls/1").json()
    sha = fake.push_pull(REPO, 1, [APP, README])

    by_branch = compare(fake, "main", sha).json()
    by_sha = compare(fake, shown["base"]["sha"], sha).json()

    assert (by_branch["status"], by_branch["ahead_by"], by_branch["behind_by"]) == ("ahead", 2, 0)
    assert by_branch["merge_base_commit"]["sha"] == shown["base"]["sha"]
    assert [(f["filename"], f["status"]) for f in by_branch["files"]] == [
        ("src/app.py", "modified"),
        ("README.md", "added"),  # against the base, not the previous push
    ]
    assert by_sha["files"] == by_branch["files"]
    assert by_sha["commits"] == by_branch["commits"]


def test_compare_identical_and_behind(fake, pull):
    first = head(fake)
    second = fake.push_pull(REPO, 1, [APP])
    third = fake.push_pull(REPO, 1, [APP | {"additions": 9}])

    same = compare(fake, third, third).json()
    behind = compare(fake, third, first).json()
    short = compare(fake, first[:7], third[:12]).json()

    assert (same["status"], same["ahead_by"], same["behind_by"]) == ("identical", 0, 0)
    assert (same["commits"], same["files"], same["total_commits"]) == ([], [], 0)
    assert (behind["status"], behind["ahead_by"], behind["behind_by"]) == ("behind", 0, 2)
    assert (behind["commits"], behind["files"]) == ([], [])
    assert behind["merge_base_commit"]["sha"] == first
    assert [c["sha"] for c in short["commits"]] == [second, third]  # short shas resolve


def test_a_force_push_leaves_the_old_head_diverged(fake, pull):
    first = head(fake)
    second = fake.push_pull(REPO, 1, [APP, README, LOGO | {"additions": 1}])
    base = api(fake, "GET", "/pulls/1").json()["base"]["sha"]

    forced = fake.push_pull(REPO, 1, [README], message="Start over", force=True)

    shown = compare(fake, second, forced).json()
    commits = api(fake, "GET", "/pulls/1/commits").json()
    assert (shown["status"], shown["ahead_by"], shown["behind_by"]) == ("diverged", 1, 2)
    assert [c["sha"] for c in shown["commits"]] == [forced]
    assert shown["merge_base_commit"]["sha"] == base
    assert [(f["filename"], f["status"]) for f in shown["files"]] == [("README.md", "added")]
    assert [(c["sha"], c["parents"][0]["sha"]) for c in commits] == [(forced, base)]
    assert api(fake, "GET", "/pulls/1").json()["commits"] == 1
    assert compare(fake, first, second).json()["status"] == "ahead"  # still known


def test_a_force_push_with_gone_forgets_the_old_commits(fake, pull):
    old = head(fake)
    api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "body": "Looks odd"})

    forced = fake.push_pull(REPO, 1, [APP], force=True, gone=True)

    for answer in (compare(fake, old, forced), compare(fake, forced, old)):
        assert answer.status_code == 404
        assert answer.json()["message"] == "Not Found"
    assert compare(fake, "main", forced).json()["status"] == "ahead"
    assert api(fake, "GET", "/pulls/1/reviews").json()[0]["commit_id"] is None
    late = api(
        fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "body": "x", "commit_id": old}
    )
    assert (late.status_code, late.json()["errors"]) == (
        422,
        ["The commitOID is not part of the pull request"],
    )


def test_compare_of_unknown_commits_is_not_found(fake, pull):
    missing = [
        compare(fake, head(fake), "f" * 40),
        compare(fake, "e" * 40, head(fake)),
        compare(fake, "nowhere", head(fake)),
        api(fake, "GET", f"/compare/{head(fake)}"),  # no "..."
    ]

    assert [answer.status_code for answer in missing] == [404, 404, 404, 404]
    assert missing[0].json()["message"] == "Not Found"


def test_compare_is_paginated_when_asked_and_needs_contents_to_read(fake):
    fake.add_repo("octo-org/secret", private=True)
    fake.add_pull("octo-org/secret", "Hidden", files=[APP])
    for n in range(4):
        fake.push_pull("octo-org/secret", 1, [APP | {"additions": n}])
    first = fake.add_pull(REPO, "Open", files=[APP])["number"]
    for n in range(4):
        fake.push_pull(REPO, first, [APP | {"additions": n}])
    limited = {"pull_requests": "read"}
    fake.add_token("ghs_pulls_only", "ossbot[bot]", kind="installation", permissions=limited)

    page_one = compare(fake, "main", head(fake, first), per_page=2)
    page_two = compare(fake, "main", head(fake, first), per_page=2, page=2)
    refused = requests.get(
        f"{fake.url}/repos/octo-org/secret/compare/main...feature",
        headers={"Authorization": "token ghs_pulls_only"},
        timeout=10,
    )

    assert len(page_one.json()["commits"]) == 2 and len(page_two.json()["commits"]) == 2
    assert page_one.json()["total_commits"] == 5
    assert 'rel="next"' in page_one.headers["link"]
    assert names(page_one.json()["files"]) == ["src/app.py"] and page_two.json()["files"] == []
    assert (refused.status_code, refused.headers["x-accepted-github-permissions"]) == (
        403,
        "contents=read",
    )


# ---------------------------------------------------------------- reviews


def test_a_review_with_comments_is_stored_and_listed(fake, pull):
    body = {
        "event": "APPROVE",
        "body": "Nice and fast.",
        "comments": [
            {"path": "src/app.py", "line": 12, "body": "Is report() cheap?"},
            {"path": "src/app.py", "line": 11, "side": "LEFT", "body": "Old call"},
        ],
    }

    created = api(fake, "POST", "/pulls/1/reviews", body)

    assert created.status_code == 200
    review = created.json()
    assert (review["state"], review["body"], review["user"]["login"]) == (
        "APPROVED",
        "Nice and fast.",
        "maintainer",
    )
    assert review["commit_id"] == head(fake) and review["submitted_at"]
    assert (
        review["html_url"] == f"https://github.com/{REPO}/pull/1#pullrequestreview-{review['id']}"
    )
    assert review["author_association"] == "COLLABORATOR"
    assert api(fake, "GET", "/pulls/1/reviews").json() == [review] == fake.reviews(REPO, 1)
    comments = api(fake, "GET", "/pulls/1/comments").json()
    assert comments == fake.review_comments(REPO, 1)
    assert [(c["line"], c["side"], c["position"]) for c in comments] == [
        (12, "RIGHT", 4),
        (11, "LEFT", 2),
    ]
    first = comments[0]
    assert first["pull_request_review_id"] == review["id"]
    assert first["diff_hunk"] == "\n".join(APP_PATCH.split("\n")[:5])
    assert (first["path"], first["body"], first["subject_type"]) == (
        "src/app.py",
        "Is report() cheap?",
        "line",
    )
    assert first["commit_id"] == first["original_commit_id"] == review["commit_id"]
    assert (first["start_line"], first["original_line"]) == (None, 12)
    assert first["html_url"].endswith(f"/pull/1#discussion_r{first['id']}")
    assert api(fake, "GET", "/pulls/1").json()["review_comments"] == 2


@pytest.mark.parametrize(
    ("line", "side", "resolved"),
    [
        (10, "RIGHT", True),  # context
        (11, "RIGHT", True),  # added
        (14, "RIGHT", True),  # last line of the first hunk
        (33, "RIGHT", True),  # second hunk
        (9, "RIGHT", False),  # before the hunk
        (15, "RIGHT", False),  # after it
        (30, "RIGHT", False),  # an old-file line number only
        (11, "LEFT", True),  # removed
        (13, "LEFT", True),  # context
        (14, "LEFT", False),  # a new-file line number only
        (32, "LEFT", False),
    ],
)
def test_comment_lines_must_fall_in_a_hunk_on_their_side(fake, pull, line, side, resolved):
    comment = {"path": "src/app.py", "line": line, "side": side, "body": "Here"}

    answer = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": [comment]})

    if resolved:
        assert answer.status_code == 200
        assert fake.review_comments(REPO, 1)[0]["line"] == line
    else:
        assert answer.status_code == 422
        assert answer.json()["message"] == "Unprocessable Entity"
        assert answer.json()["errors"] == ["Line could not be resolved"]
        assert fake.reviews(REPO, 1) == []


def test_one_bad_comment_rejects_the_whole_review(fake, pull):
    comments = [
        {"path": "src/app.py", "line": 11, "body": "Fine"},
        {"path": "src/other.py", "line": 1, "body": "Not in the diff"},
        {"path": "logo.png", "line": 1, "body": "A binary file has no lines"},
        {"path": "README.md", "line": 5, "body": "Past the end"},
    ]

    answer = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": comments})
    one = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": comments[:2]})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        "Path could not be resolved, Line could not be resolved, and Line could not be resolved"
    ]
    assert one.json()["errors"] == ["Path could not be resolved"]
    assert fake.reviews(REPO, 1) == [] and fake.review_comments(REPO, 1) == []
    assert api(fake, "GET", "/pulls/1/comments").json() == []


def test_multi_line_comments_stay_within_one_hunk(fake, pull):
    def review(**comment):
        spec = {"path": "src/app.py", "body": "This block"} | comment
        return api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": [spec]})

    good = review(start_line=10, line=12)
    other_hunk = review(start_line=12, line=32)
    backwards = review(start_line=12, line=11)

    assert good.status_code == 200
    (stored,) = fake.review_comments(REPO, 1)
    assert (stored["start_line"], stored["start_side"], stored["line"]) == (10, "RIGHT", 12)
    assert other_hunk.json()["errors"] == [
        "Pull request review thread start line must be part of the same hunk as the line."
    ]
    assert backwards.json()["errors"] == [
        "Pull request review thread start line must precede the end line."
    ]
    assert len(fake.reviews(REPO, 1)) == 1


def test_review_states_and_pending_reviews(fake, pull):
    commented = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "body": "Hm"})
    changes = api(fake, "POST", "/pulls/1/reviews", {"event": "REQUEST_CHANGES", "body": "Fix"})
    pending = api(
        fake,
        "POST",
        "/pulls/1/reviews",
        {"comments": [{"path": "README.md", "line": 1, "body": "Draft"}]},
    )
    again = api(fake, "POST", "/pulls/1/reviews", {"body": "Another draft"})

    assert [r.json()["state"] for r in (commented, changes, pending)] == [
        "COMMENTED",
        "CHANGES_REQUESTED",
        "PENDING",
    ]
    assert "submitted_at" not in pending.json() and "submitted_at" in changes.json()
    assert (again.status_code, again.json()["errors"]) == (
        422,
        ["User can only have one pending review per pull request"],
    )
    mine = api(fake, "GET", "/pulls/1/reviews").json()
    theirs = api(fake, "GET", "/pulls/1/reviews", token=AUTHOR_TOKEN).json()
    assert [r["state"] for r in mine] == ["COMMENTED", "CHANGES_REQUESTED", "PENDING"]
    assert [r["state"] for r in theirs] == ["COMMENTED", "CHANGES_REQUESTED"]
    assert len(api(fake, "GET", "/pulls/1/comments").json()) == 1
    assert api(fake, "GET", "/pulls/1/comments", token=AUTHOR_TOKEN).json() == []
    assert api(fake, "GET", "/pulls/1").json()["review_comments"] == 0  # pending ones not counted


def test_github_actions_may_not_approve(fake, pull):
    approve = api(fake, "POST", "/pulls/1/reviews", {"event": "APPROVE"}, token=ACTIONS_TOKEN)
    changes = api(
        fake,
        "POST",
        "/pulls/1/reviews",
        {"event": "REQUEST_CHANGES", "body": "Lint fails"},
        token=ACTIONS_TOKEN,
    )
    other_app = api(fake, "POST", "/pulls/1/reviews", {"event": "APPROVE"}, token=APP_TOKEN)

    assert approve.status_code == 422
    assert approve.json() == {
        "message": "Unprocessable Entity",
        "errors": ["GitHub Actions is not permitted to approve pull requests."],
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        "status": "422",
    }
    assert changes.status_code == 200 and changes.json()["state"] == "CHANGES_REQUESTED"
    assert other_app.status_code == 200  # another GitHub App may approve
    assert [r["user"]["login"] for r in fake.reviews(REPO, 1)] == [
        "github-actions[bot]",
        "ossbot[bot]",
    ]


def test_the_author_may_not_approve_or_request_changes(fake, pull):
    def review(event: str, body: str = "") -> requests.Response:
        payload = {"event": event, "body": body}
        return api(fake, "POST", "/pulls/1/reviews", payload, token=AUTHOR_TOKEN)

    approve, changes, comment = (
        review("APPROVE"),
        review("REQUEST_CHANGES", "Hm"),
        review("COMMENT", "Note to self"),
    )

    assert approve.json()["errors"] == ["Can not approve your own pull request"]
    assert changes.json()["errors"] == ["Can not request changes on your own pull request"]
    assert comment.status_code == 200
    assert [r["state"] for r in fake.reviews(REPO, 1)] == ["COMMENTED"]


def test_an_empty_review_is_refused(fake, pull):
    changes = api(fake, "POST", "/pulls/1/reviews", {"event": "REQUEST_CHANGES", "body": ""})
    comment = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT"})
    approve = api(fake, "POST", "/pulls/1/reviews", {"event": "APPROVE"})
    inline = api(
        fake,
        "POST",
        "/pulls/1/reviews",
        {"event": "COMMENT", "comments": [{"path": "README.md", "line": 2, "body": "Typo"}]},
    )

    assert (changes.status_code, changes.json()["errors"]) == (
        422,
        ["You need to leave a comment indicating the requested changes."],
    )
    assert (comment.status_code, comment.json()["errors"]) == (422, [""])
    assert approve.status_code == 200 and approve.json()["body"] == ""
    assert inline.status_code == 200
    assert [r["state"] for r in fake.reviews(REPO, 1)] == ["APPROVED", "COMMENTED"]


def test_a_review_of_an_older_commit_uses_that_commits_files(fake, pull):
    first = head(fake)
    fake.push_pull(
        REPO, 1, [APP, README, LOGO, {"filename": "new.py", "patch": "@@ -0,0 +1 @@\n+x"}]
    )
    on_new = {"path": "new.py", "line": 1, "body": "New"}

    old = api(
        fake,
        "POST",
        "/pulls/1/reviews",
        {"event": "COMMENT", "commit_id": first, "comments": [on_new]},
    )
    latest = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": [on_new]})
    unknown = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "commit_id": "a" * 40})

    assert old.json()["errors"] == ["Path could not be resolved"]
    assert latest.status_code == 200 and latest.json()["commit_id"] == head(fake)
    assert unknown.json()["errors"] == ["The commitOID is not part of the pull request"]


def test_review_comments_need_path_and_body(fake, pull):
    answer = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "comments": [{"line": 11}]})

    assert answer.status_code == 422
    assert answer.json()["message"] == 'Invalid request.\n\n"body", "path" weren\'t supplied.'
    assert fake.reviews(REPO, 1) == []


def test_reviews_need_pull_requests_write(fake, pull):
    fake.add_token(
        "ghs_read", "ossbot[bot]", kind="installation", permissions={"contents": "write"}
    )

    refused = api(fake, "POST", "/pulls/1/reviews", {"event": "COMMENT", "body": "x"}, "ghs_read")
    anonymous = requests.post(
        f"{fake.url}/repos/{REPO}/pulls/1/reviews", json={"event": "APPROVE"}, timeout=10
    )

    assert (refused.status_code, refused.headers["x-accepted-github-permissions"]) == (
        403,
        "pull_requests=write",
    )
    assert anonymous.status_code == 401
    assert fake.reviews(REPO, 1) == []


# ---------------------------------------------------------------- check-run annotations


def note(line: int, level: str = "warning", **extra) -> dict:
    base = {"path": "src/app.py", "start_line": line, "end_line": line, "annotation_level": level}
    return base | {"message": f"Look at line {line}"} | extra


def output(annotations: list[dict]) -> dict:
    return {"title": "Lint", "summary": f"{len(annotations)} findings", "annotations": annotations}


def test_annotations_accumulate_over_the_writes_and_are_listed(fake, pull):
    sha = head(fake)
    created = api(
        fake,
        "POST",
        "/check-runs",
        {"name": "lint", "head_sha": sha, "output": output([note(10), note(11, "failure")])},
        token=APP_TOKEN,
    ).json()
    run = created["id"]
    more = note(12, "notice", end_line=13, title="Slow", raw_details="trace")

    updated = api(fake, "PATCH", f"/check-runs/{run}", {"output": output([more])}, APP_TOKEN)
    retitled = api(fake, "PATCH", f"/check-runs/{run}", {"output": output([])}, APP_TOKEN)

    assert created["output"]["annotations_count"] == 2
    assert updated.json()["output"]["annotations_count"] == 3
    assert retitled.json()["output"]["annotations_count"] == 3  # nothing replaced
    listed = api(fake, "GET", f"/check-runs/{run}/annotations")
    assert listed.status_code == 200
    assert listed.json() == fake.annotations(REPO, run)
    assert [(a["start_line"], a["annotation_level"], a["title"]) for a in listed.json()] == [
        (10, "warning", "src/app.py#L10"),
        (11, "failure", "src/app.py#L11"),
        (12, "notice", "Slow"),
    ]
    first = listed.json()[0]
    assert first["blob_href"] == f"https://github.com/{REPO}/blob/{sha}/src/app.py"
    assert (first["start_column"], first["end_column"], first["raw_details"]) == (None, None, None)
    assert listed.json()[2]["raw_details"] == "trace"
    paged = api(fake, "GET", f"/check-runs/{run}/annotations", per_page=2, page=2)
    assert len(paged.json()) == 1 and 'rel="first"' in paged.headers["link"]
    untitled = api(
        fake, "PATCH", f"/check-runs/{run}", {"output": output([note(20, end_line=22)])}, APP_TOKEN
    )
    assert untitled.status_code == 200
    assert fake.annotations(REPO, run)[-1]["title"] == "src/app.py#L20-L22"


def test_at_most_50_annotations_per_request(fake):
    fifty = [note(n + 1) for n in range(50)]
    base = {"name": "lint", "head_sha": "c" * 40}

    too_many = api(
        fake, "POST", "/check-runs", base | {"output": output([*fifty, note(99)])}, APP_TOKEN
    )
    run = api(fake, "POST", "/check-runs", base | {"output": output(fifty)}, APP_TOKEN).json()
    again = api(fake, "PATCH", f"/check-runs/{run['id']}", {"output": output(fifty)}, APP_TOKEN)
    over = api(
        fake, "PATCH", f"/check-runs/{run['id']}", {"output": output([*fifty, *fifty])}, APP_TOKEN
    )

    assert too_many.status_code == 422
    assert too_many.json()["message"] == (
        "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    )
    assert len(fake.check_runs(REPO)) == 1  # the refused one was not created
    assert run["output"]["annotations_count"] == 50
    assert again.json()["output"]["annotations_count"] == 100  # 50 per request, not per run
    assert over.status_code == 422 and "100 were supplied" in over.json()["message"]
    assert len(fake.annotations(REPO, run["id"])) == 100


def test_each_annotation_needs_its_fields(fake):
    run = api(fake, "POST", "/check-runs", {"name": "lint", "head_sha": "d" * 40}, APP_TOKEN).json()

    def patch(annotations: list) -> requests.Response:
        return api(
            fake, "PATCH", f"/check-runs/{run['id']}", {"output": output(annotations)}, APP_TOKEN
        )

    lacking = patch([note(1), {"start_line": 1, "end_line": 1, "message": "m"}, {"path": "x"}])
    bad_level = patch([note(1, "error")])
    backwards = patch([note(5, end_line=4)])
    columns = patch([note(5, end_line=6, start_column=1, end_column=3)])

    assert lacking.status_code == 422
    assert lacking.json()["message"] == (
        "Invalid request.\n\n"
        '"annotation_level", "path" weren\'t supplied.\n'
        '"annotation_level", "end_line", "message", "start_line" weren\'t supplied.'
    )
    for answer in (bad_level, backwards, columns):
        assert answer.status_code == 422
        assert answer.json()["errors"] == [
            {"resource": "CheckRun", "code": "invalid", "field": "annotations"}
        ]
    assert fake.annotations(REPO, run["id"]) == []
    assert api(fake, "GET", f"/check-runs/{run['id']}").json()["output"]["annotations_count"] == 0


def test_annotations_are_written_by_apps_with_the_checks_permission(fake):
    run = api(fake, "POST", "/check-runs", {"name": "lint", "head_sha": "e" * 40}, APP_TOKEN).json()
    fake.add_token(
        "ghs_checks_read", "ossbot[bot]", kind="installation", permissions={"checks": "read"}
    )
    body = {"output": output([note(1)])}

    by_user = api(fake, "PATCH", f"/check-runs/{run['id']}", body)
    read_only = api(fake, "PATCH", f"/check-runs/{run['id']}", body, "ghs_checks_read")

    assert (by_user.status_code, by_user.json()["message"]) == (
        403,
        "You must authenticate via a GitHub App.",
    )
    assert read_only.headers["x-accepted-github-permissions"] == "checks=write"
    assert fake.annotations(REPO, run["id"]) == []
    assert api(fake, "GET", "/check-runs/1/annotations").status_code == 404


# ---------------------------------------------------------------- shapes


def test_the_new_answers_match_the_official_schemas(fake, pull):
    review = api(
        fake,
        "POST",
        "/pulls/1/reviews",
        {
            "event": "COMMENT",
            "body": "Two notes",
            "comments": [{"path": "src/app.py", "start_line": 10, "line": 12, "body": "Here"}],
        },
    ).json()
    first = head(fake)
    second = fake.push_pull(REPO, 1, [APP, README])
    run = api(
        fake,
        "POST",
        "/check-runs",
        {"name": "lint", "head_sha": second, "output": output([note(10)])},
        APP_TOKEN,
    ).json()

    assert schema_errors("pull-request-review", review) == []
    comment = api(fake, "GET", "/pulls/1/comments").json()[0]
    assert schema_errors("pull-request-review-comment", comment) == []
    assert schema_errors("commit", api(fake, "GET", "/pulls/1/commits").json()[0]) == []
    assert schema_errors("commit-comparison", compare(fake, first, second).json()) == []
    annotation = api(fake, "GET", f"/check-runs/{run['id']}/annotations").json()[0]
    assert schema_errors("check-annotation", annotation) == []
    assert schema_errors("check-annotation", annotation | {"start_line": "10"}) != []  # teeth
