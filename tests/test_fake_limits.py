"""Tests of FakeGitHub.enforce_limits: GitHub's secondary limits on content creation (80 a minute,
500 an hour, "submitted too quickly"), enforced over HTTP on a clock the test controls."""

from __future__ import annotations

import time
from collections import Counter
from itertools import pairwise

import pytest
import requests

from fakes.github import FakeGitHub, LimitEvent, ManualClock, ScaledClock

TOKEN = "ghp_maintainer"
OTHER_TOKEN = "ghp_other"
REPO = "octo-org/widgets"
SECONDARY_BODY = {
    "message": (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    ),
    "documentation_url": (
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        "#about-secondary-rate-limits"
    ),
}


def too_quickly_body(docs: str) -> dict:
    return {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "Issue",
                "code": "unprocessable",
                "field": "data",
                "message": "was submitted too quickly",
            }
        ],
        "documentation_url": docs,
        "status": "422",
    }


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        server.add_user("octo-org", type="Organization")
        server.add_token(TOKEN, "maintainer")
        server.add_token(OTHER_TOKEN, "helper")
        server.add_repo(REPO)
        server.set_permission(REPO, "maintainer", "maintain")
        server.set_permission(REPO, "helper", "write")
        yield server


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def session():
    with requests.Session() as client:
        yield client


def api(session, fake, method, path, body=None, token=TOKEN) -> requests.Response:
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    return session.request(
        method, f"{fake.url}/repos/{REPO}{path}", json=body, headers=headers, timeout=5
    )


def create_issue(session, fake, title="Spawned", token=TOKEN) -> requests.Response:
    return api(session, fake, "POST", "/issues", {"title": title}, token=token)


def fill(session, fake, clock, count, *, step):
    """COUNT issue creates STEP fake seconds apart, all of which must be carried out."""
    for n in range(count):
        answer = create_issue(session, fake, f"issue {n}")
        assert answer.status_code == 201, (n, answer.status_code, answer.text)
        clock.advance(step)


# ---------------------------------------------------------------- the per-minute window


def test_the_81st_create_within_a_minute_is_refused_with_retry_after(fake, clock, session):
    fake.enforce_limits(clock=clock)
    fill(session, fake, clock, 80, step=0.5)  # t = 0 .. 39.5

    clock.t = 40.25
    refused = create_issue(session, fake, "one too many")

    assert refused.status_code == 403
    assert refused.json() == SECONDARY_BODY
    assert refused.headers["retry-after"] == "20"  # the t=0 create leaves at t=60: 19.75 s, up
    assert len(fake.issues(REPO)) == 80
    assert fake.limit_refusals == Counter({"per_minute": 1})
    last = fake.requests[-1]
    assert (last.method, last.status, last.served, last.fault) == ("POST", 403, 403, "per_minute")
    assert fake.limit_log[-1] == LimitEvent(40.25, "POST", f"/repos/{REPO}/issues", "per_minute")
    outcomes = Counter(event.outcome for event in fake.limit_log)
    assert outcomes == Counter({"carried_out": 80, "per_minute": 1})


def test_creates_work_again_once_the_window_slides(fake, clock, session):
    fake.enforce_limits(clock=clock)
    fill(session, fake, clock, 80, step=0.5)
    assert create_issue(session, fake).status_code == 403

    clock.t = 60.0  # exactly 60 s after the first create: it has left the window
    freed = create_issue(session, fake, "after the slide")
    again = create_issue(session, fake, "still too many")  # the t=0.5 create is still in it

    assert freed.status_code == 201
    assert freed.json()["title"] == "after the slide"
    assert again.status_code == 403
    assert again.headers["retry-after"] == "1"  # 0.5 s, rounded up
    clock.advance(int(again.headers["retry-after"]))
    assert create_issue(session, fake, "waited").status_code == 201
    assert len(fake.issues(REPO)) == 82


def test_a_refused_request_is_not_counted_in_the_window(fake, clock, session):
    fake.enforce_limits(per_minute=2, clock=clock)
    fill(session, fake, clock, 2, step=1.0)  # t = 0, 1
    clock.t = 10.0
    refusals = [create_issue(session, fake).status_code for _ in range(5)]

    clock.t = 60.0  # the t=0 create has left; had the refusals at t=10 counted, we would be full
    freed = create_issue(session, fake, "third")

    assert refusals == [403] * 5
    assert freed.status_code == 201
    assert fake.limit_refusals["per_minute"] == 5
    assert [issue["title"] for issue in fake.issues(REPO)] == ["issue 0", "issue 1", "third"]


def test_an_error_answer_is_not_counted(fake, clock, session):
    fake.enforce_limits(per_minute=1, clock=clock)

    invalid = api(session, fake, "POST", "/issues", {"body": "no title"})
    missing = api(session, fake, "POST", "/issues/99/comments", {"body": "on nothing"})
    created = create_issue(session, fake)

    assert (invalid.status_code, missing.status_code, created.status_code) == (422, 404, 201)
    assert [event.outcome for event in fake.limit_log] == ["error", "error", "carried_out"]
    assert create_issue(session, fake).status_code == 403


# ---------------------------------------------------------------- the per-hour window


def test_the_501st_create_within_an_hour_is_refused(fake, clock, session):
    fake.enforce_limits(clock=clock)
    fake.add_issue(REPO, "Tracking")
    # 1 s apart stays under 80 a minute; issues and comments share the window.
    for n in range(500):
        if n % 2:
            answer = api(session, fake, "POST", "/issues/1/comments", {"body": f"note {n}"})
        else:
            answer = create_issue(session, fake, f"issue {n}")
        assert answer.status_code == 201, (n, answer.text)
        clock.advance(1.0)

    refused = create_issue(session, fake, "the 501st")  # t = 500

    assert refused.status_code == 403
    assert refused.json() == SECONDARY_BODY
    assert refused.headers["retry-after"] == "3100"  # the t=0 create leaves at t=3600
    assert fake.limit_refusals == Counter({"per_hour": 1})
    assert len(fake.issues(REPO)) == 1 + 250
    assert len(fake.comments(REPO, 1)) == 250
    clock.t = 3600.0
    assert create_issue(session, fake, "next hour").status_code == 201


def test_windows_are_per_login(fake, clock, session):
    fake.enforce_limits(per_minute=1, clock=clock)

    mine = create_issue(session, fake)
    theirs = create_issue(session, fake, token=OTHER_TOKEN)
    mine_again = create_issue(session, fake)

    assert (mine.status_code, theirs.status_code, mine_again.status_code) == (201, 201, 403)
    assert theirs.json()["user"]["login"] == "helper"


# ---------------------------------------------------------------- what counts


def test_patch_edits_are_never_counted(fake, clock, session):
    fake.enforce_limits(per_minute=3, clock=clock)
    fake.add_issue(REPO, "Seeded")
    comment = fake.add_comment(REPO, 1, "seeded", user="octocat")
    fill(session, fake, clock, 2, step=0.0)

    edits = [
        api(session, fake, "PATCH", f"/issues/{n % 3 + 1}", {"title": f"edit {n}"})
        for n in range(10)
    ]
    edits.append(api(session, fake, "PATCH", f"/issues/comments/{comment['id']}", {"body": "e"}))
    third = create_issue(session, fake, "third")  # refused had the edits counted
    fourth = create_issue(session, fake, "fourth")

    assert [edit.status_code for edit in edits] == [200] * 11
    assert fake.issue(REPO, 1)["title"] == "edit 9"
    assert (third.status_code, fourth.status_code) == (201, 403)
    assert all(event.method == "POST" for event in fake.limit_log)
    assert len(fake.limit_log) == 4


def test_labels_reviews_sub_issues_and_dependencies_count(fake, clock, session):
    fake.enforce_limits(per_minute=6, clock=clock)
    parent = fake.add_issue(REPO, "Epic")
    child = fake.add_issue(REPO, "Part")
    fake.add_pull(REPO, "Change", user="octocat", files=[{"filename": "a.txt"}])

    answers = [
        api(session, fake, "POST", "/labels", {"name": "spawned", "color": "ededed"}),
        api(session, fake, "POST", "/issues/1/labels", {"labels": ["spawned"]}),
        api(session, fake, "POST", "/issues/1/sub_issues", {"sub_issue_id": child["id"]}),
        api(session, fake, "POST", "/issues/2/dependencies/blocked_by", {"issue_id": parent["id"]}),
        api(session, fake, "POST", "/pulls/3/reviews", {"event": "COMMENT", "body": "Looks fine"}),
        api(session, fake, "GET", "/issues"),  # a read: never counted
        create_issue(session, fake, "sixth"),
    ]
    seventh = api(session, fake, "POST", "/issues/1/comments", {"body": "seventh"})

    assert [answer.status_code for answer in answers] == [201, 200, 201, 201, 200, 200, 201]
    assert seventh.status_code == 403
    assert [event.outcome for event in fake.limit_log].count("carried_out") == 6
    assert fake.comments(REPO, 1) == []


# ---------------------------------------------------------------- min_interval: too quickly


def test_min_interval_answers_too_quickly_and_creates_nothing(fake, clock, session):
    fake.enforce_limits(min_interval=3.0, clock=clock)
    first = create_issue(session, fake, "first")
    clock.t = 1.0
    quick_issue = create_issue(session, fake, "too soon")
    clock.t = 2.0
    quick_comment = api(session, fake, "POST", "/issues/1/comments", {"body": "too soon"})
    label = api(session, fake, "POST", "/labels", {"name": "paced", "color": "ededed"})

    assert first.status_code == 201
    assert quick_issue.status_code == 422
    assert quick_issue.json() == too_quickly_body(
        "https://docs.github.com/rest/issues/issues#create-an-issue"
    )
    assert "retry-after" not in quick_issue.headers
    assert quick_comment.status_code == 422
    assert quick_comment.json() == too_quickly_body(
        "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
    )
    assert label.status_code == 201  # not an issue or comment: not paced
    assert [issue["title"] for issue in fake.issues(REPO)] == ["first"]
    assert fake.comments(REPO, 1) == []
    assert fake.limit_refusals == Counter({"too_quickly": 2})
    assert [r.status for r in fake.calls("POST", r"/issues")] == [201, 422, 422]


def test_min_interval_runs_from_the_last_create_carried_out(fake, clock, session):
    fake.enforce_limits(min_interval=3.0, clock=clock)
    assert create_issue(session, fake).status_code == 201  # t = 0
    clock.t = 2.0
    assert create_issue(session, fake).status_code == 422  # refused: does not restart the wait

    clock.t = 3.0  # exactly MIN_INTERVAL after the one carried out
    on_time = api(session, fake, "POST", "/issues/1/comments", {"body": "on time"})

    assert on_time.status_code == 201
    assert len(fake.issues(REPO)) == 1
    assert [c["body"] for c in fake.comments(REPO, 1)] == ["on time"]


# ---------------------------------------------------------------- answers and switches


def test_429_and_no_retry_after_are_options(fake, clock, session):
    fake.enforce_limits(per_minute=1, clock=clock, status=429, retry_after=False)
    assert create_issue(session, fake).status_code == 201

    refused = create_issue(session, fake)

    assert refused.status_code == 429
    assert refused.json() == SECONDARY_BODY | {"status": "429"}
    assert "retry-after" not in refused.headers
    with pytest.raises(ValueError, match="403 or 429"):
        fake.enforce_limits(status=500)


def test_relax_limits_turns_enforcement_off(fake, clock, session):
    fake.enforce_limits(per_minute=1, min_interval=5.0, clock=clock)
    assert create_issue(session, fake).status_code == 201
    assert create_issue(session, fake).status_code == 403

    fake.relax_limits()
    relaxed = [create_issue(session, fake).status_code for _ in range(5)]

    assert relaxed == [201] * 5
    assert len(fake.issues(REPO)) == 6
    assert len(fake.limit_log) == 2  # nothing is logged while off; the log is kept
    assert fake.limit_refusals == Counter({"per_minute": 1})


def test_limits_are_off_by_default(fake, session):
    statuses = [create_issue(session, fake, f"issue {n}").status_code for n in range(100)]

    assert statuses == [201] * 100
    assert fake.limit_log == []


# ---------------------------------------------------------------- scaled time


def test_scaled_clock_runs_factor_times_as_fast():
    clock = ScaledClock(1000)
    start = clock()
    time.sleep(0.02)

    assert clock() - start >= 20.0
    assert clock.now() >= clock() - 1.0  # now() is the same reading
    assert clock.real(60) == pytest.approx(0.06)
    with pytest.raises(ValueError):
        ScaledClock(0)


def test_a_client_paced_in_scaled_time_is_never_refused(fake, session):
    clock = ScaledClock(100)  # 3 fake seconds are 30 real milliseconds
    fake.enforce_limits(per_minute=80, min_interval=3.0, clock=clock)

    statuses = []
    for n in range(5):
        statuses.append(create_issue(session, fake, f"paced {n}").status_code)
        time.sleep(clock.real(3.0))

    assert statuses == [201] * 5
    times = [event.at for event in fake.limit_log]
    assert all(later - earlier >= 3.0 for earlier, later in pairwise(times))


def test_retry_after_is_in_fake_seconds_under_a_scaled_clock(fake, session):
    clock = ScaledClock(1000)  # a fake minute is 60 real milliseconds
    fake.enforce_limits(per_minute=1, clock=clock)
    assert create_issue(session, fake).status_code == 201

    refused = create_issue(session, fake)
    wait = int(refused.headers["retry-after"])
    time.sleep(clock.real(wait))

    assert refused.status_code == 403
    assert 1 <= wait <= 60
    assert create_issue(session, fake).status_code == 201
