"""Several jobs per event: `ossbot run` runs every job that handles the event, in order, each in
the ledger under (event, job), each able to fail without hiding the others' results."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import (
    BOT,
    CORPORA,
    REPO,
    comment_event,
    issue_event,
    ossbot,
    pull_event,
    write_event,
    writes,
)
from ossbot import jobs
from ossbot.errors import GitHubError
from ossbot.plan import Plan

EXAMPLES = CORPORA / "webhooks" / "payload-examples" / "api.github.com"


def _ledger(state: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(state) as db:
        return sorted(db.execute("SELECT job, outcome FROM ledger").fetchall())


def test_run_on_a_pull_request_runs_every_job_registered_for_it(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "welcome:\n  enabled: true\n")
    number = gh.add_pull(REPO, "Fix the export", "Fixes it.", user="newbie")["number"]
    path = write_event(tmp_path / "p.json", pull_event(gh, number))
    result = ossbot("run", "--event", path, "--event-name", "pull_request_target")
    assert result.exit_code == 0, result.stderr
    expected = [job.name for job in jobs.jobs_for("pull_request")]
    assert expected == ["triage", "review"]
    assert [job for job, _ in _ledger(tmp_path / "state.db")] == sorted(expected)
    assert any("first pull request" in c["body"] for c in gh.comments(REPO, number))
    assert any("ossbot review" in c["body"] for c in gh.comments(REPO, number))


def test_run_on_a_comment_runs_commands_then_triage_each_in_the_ledger(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    comment = gh.add_comment(REPO, number, "Can I work on this?", user="newbie")
    path = write_event(tmp_path / "c.json", comment_event(gh, number, comment))
    result = ossbot("run", "--event", path, "--event-name", "issue_comment", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [job["job"] for job in result.json()["jobs"]] == ["commands", "triage"]
    assert [job for job, _ in _ledger(tmp_path / "state.db")] == ["commands", "triage"]
    assert len([c for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]) == 1


def test_a_failing_job_does_not_hide_the_others_and_the_exit_code_is_the_worst(
    tmp_path, gh, monkeypatch
):
    def broken(ctx, event) -> Plan:
        raise GitHubError("the broken job failed")

    first = jobs.Job("broken", ("issues",), broken)
    monkeypatch.setattr(jobs, "JOBS", (first, *jobs.JOBS))
    # Keyword rules only suggest labels unless the repository opts in.
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    path = write_event(tmp_path / "e.json", issue_event(gh, number))
    result = ossbot("run", "--event", path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "ossbot: error: broken: the broken job failed"
    assert "ossbot triage" in result.stdout and "created" in result.stdout
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]
    assert [job for job, _ in _ledger(tmp_path / "state.db")] == ["triage"]  # broken: run again


def test_the_triage_command_runs_only_triage(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    comment = gh.add_comment(REPO, number, "@ossbot help", user="someone")
    path = write_event(tmp_path / "c.json", comment_event(gh, number, comment))
    result = ossbot("triage", "--event", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["job"] == "triage"


@pytest.mark.parametrize("name", ["installation", "installation_repositories", "ping", "push"])
def test_events_no_job_handles_are_a_clean_no_op_with_or_without_a_repository(tmp_path, gh, name):
    payload = (
        {"zen": "Keep it logically awesome.", "hook_id": 1}
        if name == "ping"
        else {"action": "created", "sender": {"login": "someone"}}
    )
    gh.clear_log()
    result = ossbot(
        "run", "--event", write_event(tmp_path / "e.json", payload), "--event-name", name
    )
    assert result.exit_code == 0, result.stderr
    assert f"no job handles '{name}'" in result.stdout
    assert gh.requests == []


def test_a_ping_is_recognised_without_an_event_name(tmp_path, gh):
    result = ossbot("run", "--event", write_event(tmp_path / "e.json", {"zen": "x", "hook_id": 1}))
    assert result.exit_code == 0 and "no job handles 'ping'" in result.stdout


def test_run_on_a_live_pull_request(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "welcome:\n  enabled: true\n")
    number = gh.add_pull(REPO, "Fix the export", "Fixes it.", user="newbie")["number"]
    result = ossbot("run", "--repo", REPO, "--pr", str(number), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    triage, review = result.json()["jobs"]
    assert [a["marker"] for a in triage["actions"]] == ["welcome"]
    assert [a["type"] for a in review["actions"]] == [
        "upsert_comment",
        "upsert_check_run",
        "record_review",
    ]
    assert writes(gh) == []


def _examples() -> list[tuple[str, Path]]:
    if not EXAMPLES.is_dir():
        return []
    return [
        (folder.name, path)
        for folder in sorted(EXAMPLES.iterdir())
        for path in sorted(folder.glob("*.json"))
    ]


@pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/corpora is absent: conformance suite skipped"
)
@pytest.mark.parametrize("name, path", _examples(), ids=lambda v: getattr(v, "stem", v))
def test_every_real_webhook_payload_is_handled_or_a_clean_no_op(name, path):
    result = ossbot("run", "--dry-run", "--event", str(path), "--event-name", name)
    assert result.exit_code in (0, 2), (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if not jobs.jobs_for(name if name != "pull_request_target" else "pull_request"):
        assert result.exit_code == 0 and "Nothing to do" in result.stdout
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1
    raw = json.loads(path.read_text())
    assert raw  # the corpus file itself was read


def test_bad_input_in_a_later_job_after_an_earlier_one_wrote_is_exit_1_naming_the_writes(
    tmp_path, gh, monkeypatch
):
    from ossbot.errors import TokenRejected

    def rejected(ctx, event) -> Plan:
        raise TokenRejected("GitHub rejected the token (401 Bad credentials)")

    monkeypatch.setattr(jobs, "JOBS", (*jobs.JOBS, jobs.Job("later", ("issues",), rejected)))
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    result = ossbot("run", "--event", write_event(tmp_path / "e.json", issue_event(gh, number)))
    assert result.exit_code == 1
    assert "later: GitHub rejected the token" in result.stderr
    assert "already written" in result.stderr and "comment created" in result.stderr
