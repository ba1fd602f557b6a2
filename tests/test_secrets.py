"""Secrets are masked in the Actions log before anything else, and redacted from everything
ossbot prints, writes to the job summary, stores or posts; hostile text does not reach the
terminal or a comment with its control characters."""

from __future__ import annotations

import sqlite3

from conftest import BOT, REPO, issue_event, ossbot, write_event
from fakes.llm_server import error

KEY = "sk-test-4f9a8b7c6d5e4f3a2b1c"


def test_under_actions_every_secret_is_masked_first(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("LLM_FALLBACK_API_KEY", KEY)
    number = gh.add_issue(REPO, "It crashes", "The app crashes.", user="jdoe")["number"]
    result = ossbot("triage", "--event", write_event(tmp_path / "e.json", issue_event(gh, number)))
    lines = result.stdout.splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert lines[: len(masks)] == masks and len(masks) == 2  # before any other line
    assert {m.removeprefix("::add-mask::") for m in masks} == {KEY, "ghs_actions_token"}


def test_a_key_echoed_by_a_provider_is_redacted_everywhere(tmp_path, gh, llm, monkeypatch):
    monkeypatch.setenv("LLM_API_KEY", KEY)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    llm.queue(
        error(
            401,
            f"Incorrect API key provided: {KEY}. Find yours online.",
            code="invalid_api_key",
            type="invalid_request_error",
        )
    )
    number = gh.add_issue(REPO, "It crashes", "The app crashes.", user="jdoe")["number"]
    result = ossbot("triage", "--event", write_event(tmp_path / "e.json", issue_event(gh, number)))
    assert result.exit_code == 0, result.stderr
    assert "model was unavailable" in result.stdout
    shown = result.stdout + result.stderr + summary.read_text()
    assert KEY not in shown and KEY[:12] not in shown
    posted = " ".join(c["body"] for c in gh.comments(REPO, number))
    assert KEY not in posted
    with sqlite3.connect(tmp_path / "state.db") as db:
        stored = " ".join(
            str(row)
            for table in ("ledger", "llm_calls", "effects")
            for row in db.execute(f"SELECT * FROM {table}")
        )
    assert KEY not in stored


def test_bidi_and_terminal_escapes_never_reach_a_comment_or_the_terminal(tmp_path, gh):
    hostile = "Export \u202ecrashes\u202c \x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 with a traceback"
    number = gh.add_issue(REPO, hostile, hostile + ". It fails badly.", user="jdoe")["number"]
    result = ossbot("triage", "--event", write_event(tmp_path / "e.json", issue_event(gh, number)))
    assert result.exit_code == 0, result.stderr
    [comment] = [c for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]
    for text in (comment["body"], result.stdout, result.stderr):
        assert "\u202e" not in text and "\x1b" not in text and "\x07" not in text


def test_encoded_mentions_are_neutralised_in_comments(tmp_path, gh):
    body = "It crashes, ping &#64;alice and &commat;bob and ＠carol and @dave about the traceback."
    number = gh.add_issue(REPO, "Export crashes", body, user="jdoe")["number"]
    result = ossbot("triage", "--event", write_event(tmp_path / "e.json", issue_event(gh, number)))
    assert result.exit_code == 0, result.stderr
    [comment] = [c for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]
    for raw in ("&#64;alice", "&commat;bob", "＠carol", "@dave"):
        assert raw not in comment["body"]


def test_debug_tracebacks_are_redacted_too(tmp_path, gh, monkeypatch):
    from ossbot import jobs
    from ossbot.errors import GitHubError

    def leaky(ctx, event):
        raise GitHubError(f"GitHub answered 500 to a request with token {ctx.settings.token}")

    monkeypatch.setattr(jobs, "JOBS", (jobs.Job("leaky", ("issues",), leaky),))
    number = gh.add_issue(REPO, "It crashes", "The app crashes.", user="jdoe")["number"]
    path = write_event(tmp_path / "e.json", issue_event(gh, number))
    result = ossbot("run", "--debug", "--event", path)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "ghs_actions_token" not in result.stdout + result.stderr
