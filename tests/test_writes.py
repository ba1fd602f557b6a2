"""Writes that never duplicate: creates that time out after GitHub acted, runs that overlap,
secondary rate limits, caps that hold across runs. The real CLI (in-process, or in processes
of their own where runs overlap) against the fake GitHub over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import (
    BOT,
    REPO,
    comment_event,
    edit_issue,
    finish,
    issue_event,
    ossbot,
    spawn,
    write_event,
    writes,
)
from ossbot.github.markers import find_marker

BUG = (
    "Export crashes when a name contains a comma",
    "Exporting to CSV crashes with a traceback. It worked before the upgrade.\n",
)


def _summaries(gh, number):
    return [
        c
        for c in gh.comments(REPO, number)
        if c["user"]["login"] == BOT and find_marker(c["body"], "triage-summary")
    ]


def _triage(tmp_path: Path, gh, number: int, action: str = "opened", name: str = "e.json"):
    return ossbot(
        "triage", "--event", write_event(tmp_path / name, issue_event(gh, number, action))
    )


# -- a create whose answer was lost ---------------------------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "dropped", "502"])
def test_a_comment_post_whose_answer_is_lost_leaves_exactly_one_comment(
    tmp_path, gh, monkeypatch, fault
):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    if fault == "timeout":
        monkeypatch.setenv("OSSBOT_HTTP_TIMEOUT", "1")
        gh.slow_after("POST", r"/issues/\d+/comments$", 2.5)
    elif fault == "dropped":
        gh.drop_after("POST", r"/issues/\d+/comments$")
    else:
        gh.fail_after("POST", r"/issues/\d+/comments$", 502)
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 0, result.stderr
    assert len(_summaries(gh, number)) == 1
    assert len(gh.calls("POST", r"/issues/\d+/comments$")) == 1  # found by its marker, not re-sent


def test_a_create_found_absent_after_an_ambiguous_answer_is_sent_again(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("POST", r"/issues/\d+/comments$", 502)  # answered 502 without carrying it out
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 0, result.stderr
    assert len(_summaries(gh, number)) == 1
    assert len(gh.calls("POST", r"/issues/\d+/comments$")) == 2


# -- overlapping runs -----------------------------------------------------------------------------


@pytest.mark.parametrize("shared_state", [True, False], ids=["shared state", "separate state"])
def test_opened_and_edited_processed_at_once_leave_one_summary(tmp_path, gh, shared_state):
    for trial in range(20):
        number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
        opened = write_event(tmp_path / f"o{trial}.json", issue_event(gh, number, "opened"))
        edit_issue(
            gh, number, body=BUG[1] + "\nIt also fails on Windows with the documentation export."
        )
        edited = write_event(tmp_path / f"e{trial}.json", issue_event(gh, number, "edited"))
        # Both runs read before either writes: their comment POSTs are let through together.
        gh.gate("POST", rf"/issues/{number}/comments$", 2, timeout=3)
        states = ["shared.db", "shared.db"] if shared_state else [f"a{trial}.db", f"b{trial}.db"]
        runs = [
            spawn(
                "run", "--event", path, "--event-name", "issues", "--state", str(tmp_path / state)
            )
            for path, state in zip((opened, edited), states, strict=True)
        ]
        for ran in finish(*runs):
            assert ran.exit_code == 0, ran.stderr
        summaries = _summaries(gh, number)
        assert len(summaries) == 1, (trial, [s["id"] for s in summaries])
        assert "Windows" in summaries[0]["body"]  # the newer text wins, whoever wrote first


def test_concurrent_questions_get_at_most_the_cap(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "mentions:\n  max_per_issue: 5\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes on commas.", user="jdoe")["number"]
    events = []
    for index in range(8):
        comment = gh.add_comment(
            REPO, number, f"@ossbot how do I export file {index}?", user=f"u{index}"
        )
        events.append(write_event(tmp_path / f"q{index}.json", comment_event(gh, number, comment)))
    gh.gate("POST", rf"/issues/{number}/comments$", 8, timeout=5)
    runs = [
        spawn(
            "run",
            "--event",
            path,
            "--event-name",
            "issue_comment",
            "--state",
            str(tmp_path / f"s{index}.db"),
        )
        for index, path in enumerate(events)
    ]
    for ran in finish(*runs):
        assert ran.exit_code == 0, ran.stderr
    answers = [c for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]
    assert len(answers) == 5


def test_a_duplicate_left_by_an_earlier_overlap_is_removed_on_the_next_edit(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert _triage(tmp_path, gh, number).exit_code == 0
    [first] = _summaries(gh, number)
    gh.add_comment(REPO, number, first["body"], user=BOT)  # as two runs would have left it
    edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Linux machines.")
    assert _triage(tmp_path, gh, number, "edited", "edited.json").exit_code == 0
    [kept] = _summaries(gh, number)
    assert kept["id"] == first["id"] and "Linux" in kept["body"]


def test_a_stale_opened_payload_replayed_after_an_edit_keeps_the_newer_text(
    tmp_path, gh, monkeypatch
):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    stale = write_event(tmp_path / "stale.json", issue_event(gh, number, "opened"))
    edit_issue(gh, number, body=BUG[1] + "\nIt fails on Windows too.")
    assert _triage(tmp_path, gh, number, "edited", "edited.json").exit_code == 0
    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "fresh.db"))
    gh.clear_log()
    assert ossbot("triage", "--event", stale).exit_code == 0
    assert "Windows" in _summaries(gh, number)[0]["body"]
    assert writes(gh) == []


# -- caps that count what exists ------------------------------------------------------------------


def test_labels_max_holds_across_edits(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  max: 2\n  cold_start: apply\n")
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    assert _triage(tmp_path, gh, number).exit_code == 0
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]
    edits = [  # each version matches more labels, in its title as in its body
        (
            "Export crashes, and a docs typo",
            "The export crashes. Also the documentation has a typo in the readme.",
        ),
        (
            "Export crashes; feature request: support for PDF; docs typo",
            "The export crashes. Feature request: please add support for PDF. Docs typo.",
        ),
        (
            "Question: how do I export? It crashes, docs typo, add support for PDF",
            "Question: how do I export? It crashes. Docs typo. Add support for PDF.",
        ),
    ]
    for index, (title, body) in enumerate(edits):
        edit_issue(gh, number, title=title, body=body)
        assert _triage(tmp_path, gh, number, "edited", f"e{index}.json").exit_code == 0
    labels = [label["name"] for label in gh.issue(REPO, number)["labels"]]
    assert len(labels) == 2, labels


def test_labels_added_by_an_overlapping_run_count_against_the_limit(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  max: 1\n  cold_start: apply\n")
    number = gh.add_issue(
        REPO, "Docs typo", "The documentation has a typo in the readme.", user="jdoe"
    )["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    gh.add_user("other-run")
    gh.add_token("ghs_other", "other-run", kind="installation")
    # Another run's label lands between this run's read and its write.
    edit_issue(gh, number, labels=[])  # no change; creates the maintainer token used below
    import requests

    def sneak() -> None:
        requests.post(
            f"{gh.url}/repos/{REPO}/issues/{number}/labels",
            json={"labels": ["bug"]},
            headers={"Authorization": "token ghs_other"},
            timeout=10,
        )

    gh.before("POST", rf"/issues/{number}/labels$", sneak)
    assert ossbot("triage", "--event", event).exit_code == 0
    labels = [label["name"] for label in gh.issue(REPO, number)["labels"]]
    assert labels == ["bug"], labels


# -- rate limits and retries ----------------------------------------------------------------------


def test_submitted_too_quickly_is_waited_out_and_the_summary_posted(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.submitted_too_quickly("POST", r"/issues/\d+/comments$")
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 0, result.stderr
    assert len(_summaries(gh, number)) == 1


def test_a_502_to_adding_labels_is_retried(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("POST", r"/issues/\d+/labels$", 502)
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 0, result.stderr
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]
    assert len(_summaries(gh, number)) == 1


def test_exhausted_retries_say_what_github_answered(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("OSSBOT_HTTP_RETRIES", "2")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("GET", r"/labels$", 503, times=10)
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "GitHub answered 503" in result.stderr and "3 attempts" in result.stderr
    assert "could not reach" not in result.stderr


def test_a_secondary_limit_that_does_not_lift_says_so(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("OSSBOT_HTTP_RETRIES", "2")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.secondary_rate_limit("POST", r"/issues/\d+/comments$", times=10)
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "secondary rate limit" in result.stderr and "403" in result.stderr


# -- the state file -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_state_file_is_set_aside_and_triage_completes(tmp_path, gh, monkeypatch, damage):
    state = tmp_path / "state.db"
    monkeypatch.setenv("OSSBOT_STATE", str(state))
    first = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert _triage(tmp_path, gh, first).exit_code == 0
    data = state.read_bytes()
    state.write_bytes(
        b"not a database at all" * 100 if damage == "garbage" else data[: len(data) // 3]
    )
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    result = _triage(tmp_path, gh, number, name="second.json")
    assert result.exit_code == 0, result.stderr
    assert len(_summaries(gh, number)) == 1
    assert "set aside" in result.stderr and "lost" in result.stderr
    assert list(tmp_path.glob("state.db.corrupt-*"))


def test_first_use_of_a_shared_state_file_by_overlapping_runs(tmp_path, gh):
    numbers = [
        gh.add_issue(REPO, f"Crash {i}", "It crashes.", user="jdoe")["number"] for i in range(4)
    ]
    paths = [write_event(tmp_path / f"e{n}.json", issue_event(gh, n)) for n in numbers]
    state = str(tmp_path / "new.db")
    runs = [
        spawn("run", "--event", path, "--event-name", "issues", "--state", state) for path in paths
    ]
    for ran in finish(*runs):
        assert ran.exit_code == 0, ran.stderr
        assert "already exists" not in ran.stderr
    for number in numbers:
        assert len(_summaries(gh, number)) == 1


def test_an_older_run_does_not_overwrite_what_a_newer_run_wrote(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert _triage(tmp_path, gh, number).exit_code == 0
    [summary] = _summaries(gh, number)
    edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Linux machines.")
    older = write_event(tmp_path / "older.json", issue_event(gh, number, "edited"))

    def newer_run_finishes_first() -> None:
        edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Windows machines.")
        path = write_event(tmp_path / "newer.json", issue_event(gh, number, "edited"))
        [ran] = finish(spawn("triage", "--event", path, "--state", str(tmp_path / "b.db")))
        assert ran.exit_code == 0, ran.stderr

    # The older run has planned (read the issue); the newer one runs before it writes.
    gh.before("GET", rf"/issues/comments/{summary['id']}$", newer_run_finishes_first)
    assert ossbot("triage", "--event", older).exit_code == 0
    [kept] = _summaries(gh, number)
    assert "Windows" in kept["body"] and "Linux" not in kept["body"]


def test_a_failure_after_a_write_in_the_same_action_says_what_was_written(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("GET", rf"/issues/{number}/comments$", 401, body={"message": "Bad credentials"})
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "already written" in result.stderr and "comment created" in result.stderr


def test_a_token_that_writes_as_another_login_is_told_to_set_bot_login(tmp_path, gh, monkeypatch):
    """The action's hint (OSSBOT_ACTIONS_TOKEN, set by the fixture) is wrong for this token: the
    first create shows it, and nothing is written twice."""
    gh.add_user("my-app[bot]", type="Bot")
    gh.add_token("ghs_app_token", "my-app[bot]", kind="installation")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_app_token")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "bot.login" in result.stderr and "my-app[bot]" in result.stderr


def test_an_exhausted_primary_limit_longer_than_allowed_says_when_it_resets(
    tmp_path, gh, monkeypatch
):
    import time

    monkeypatch.setenv("OSSBOT_MAX_RATE_LIMIT_WAIT", "30")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    reset = str(int(time.time()) + 3600)
    gh.fail(
        "GET",
        r"/labels$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
        body={"message": "API rate limit exceeded for installation."},
    )
    result = _triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "OSSBOT_MAX_RATE_LIMIT_WAIT" in result.stderr and "resets in" in result.stderr
    assert writes(gh) == []
