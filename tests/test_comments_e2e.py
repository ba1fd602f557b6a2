"""Comments and newcomers end to end: onboarding replies, answers to mentions, and welcomes
for first-time authors. The real CLI against the fake GitHub over HTTP."""

from __future__ import annotations

from pathlib import Path

from conftest import BOT, REPO, comment_event, issue_event, ossbot, pull_event, write_event, writes
from fakes.llm_server import json_answer


def _comment(
    tmp_path: Path, gh, number: int, body: str, user: str, *extra: str, name: str = "c.json"
):
    comment = gh.add_comment(REPO, number, body, user=user)
    path = write_event(tmp_path / name, comment_event(gh, number, comment))
    return ossbot("run", "--event", path, "--event-name", "issue_comment", *extra), path


def _own(gh, number):
    return [c["body"] for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]


# -- onboarding -------------------------------------------------------------------------------


def test_onboarding_reply_is_built_from_the_repository(tmp_path, gh):
    gh.put_file(REPO, ".github/CONTRIBUTING.md", "# How to contribute\n")
    first = gh.add_issue(REPO, "Typo in README", "A typo.", labels=["good first issue"])["number"]
    second = gh.add_issue(
        REPO, "Add a --quiet flag", "Would help scripts.", labels=["good first issue"]
    )["number"]
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    result, _ = _comment(
        tmp_path, gh, number, "Hi! Can I work on this? I'm a new contributor.", "newbie"
    )
    assert result.exit_code == 0, result.stderr
    [reply] = _own(gh, number)
    assert "https://github.com/acme/widgets/blob/HEAD/.github/CONTRIBUTING.md" in reply
    assert (
        f"[#{first}](https://github.com/{REPO}/issues/{first})" in reply and f"#{second}" in reply
    )
    assert "up for grabs" in reply and "@newbie" not in reply


def test_onboarding_says_when_the_issue_is_assigned_or_has_an_open_pull_request(tmp_path, gh):
    gh.add_user("alice")
    assigned = gh.add_issue(REPO, "Export crashes", "It crashes.", assignees=["alice"])["number"]
    result, _ = _comment(tmp_path, gh, assigned, "Can I take this?", "newbie")
    assert result.exit_code == 0, result.stderr
    assert "already assigned to alice" in _own(gh, assigned)[0]

    linked = gh.add_issue(REPO, "Import crashes", "It crashes too.")["number"]
    pull = gh.add_pull(REPO, "Fix the import crash", f"Fixes #{linked}.")["number"]
    result, _ = _comment(tmp_path, gh, linked, "I'd like to work on this", "newbie", name="c2.json")
    assert result.exit_code == 0, result.stderr
    reply = _own(gh, linked)[0]
    assert "already an open pull request" in reply and f"#{pull}" in reply


def test_one_onboarding_reply_per_commenter_per_issue(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    assert _comment(tmp_path, gh, number, "Can I work on this?", "newbie")[0].exit_code == 0
    again, _ = _comment(tmp_path, gh, number, "Please assign me!", "newbie", name="c2.json")
    assert again.exit_code == 0 and "already had an onboarding reply" in again.stdout
    other, _ = _comment(tmp_path, gh, number, "How do I contribute?", "someone", name="c3.json")
    assert other.exit_code == 0
    assert len(_own(gh, number)) == 2


def test_the_same_comment_event_again_writes_nothing_even_with_lost_state(
    tmp_path, gh, monkeypatch
):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    result, path = _comment(tmp_path, gh, number, "Can I work on this?", "newbie")
    assert result.exit_code == 0
    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "fresh.db"))
    gh.clear_log()
    assert ossbot("run", "--event", path, "--event-name", "issue_comment").exit_code == 0
    assert writes(gh) == [] and len(_own(gh, number)) == 1


def test_intent_in_a_quote_or_code_or_another_word_is_not_intent(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    bodies = [
        "> can I work on this?\n\nNo, the crash is on my side too.",
        "Run `can i work on this` in the shell.",
        "The firstissuers group and assignment tooling are broken.",
    ]
    for index, body in enumerate(bodies):
        result, _ = _comment(tmp_path, gh, number, body, "someone", name=f"q{index}.json")
        assert result.exit_code == 0, result.stderr
        assert "neither asks" in result.stdout
    assert _own(gh, number) == []


def test_configured_phrases_count_as_intent(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "onboarding:\n  phrases: ['je peux aider']\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    result, _ = _comment(tmp_path, gh, number, "Je peux aider ?", "pierre")
    assert result.exit_code == 0, result.stderr
    assert len(_own(gh, number)) == 1


# -- mentions ---------------------------------------------------------------------------------


def test_a_question_to_the_handle_gets_an_offline_answer_with_related_issues_and_docs(tmp_path, gh):
    gh.put_file(REPO, "README.md", "# widgets\n")
    gh.put_file(REPO, "docs/export.md", "# Export\n")
    related = gh.add_issue(
        REPO,
        "CSV export settings explained",
        "How the CSV export delimiter setting works.",
        state="closed",
    )["number"]
    number = gh.add_issue(
        REPO, "CSV export delimiter", "The CSV export uses a semicolon delimiter."
    )["number"]
    result, path = _comment(
        tmp_path, gh, number, "@ossbot how do I change the CSV export delimiter?", "jdoe"
    )
    assert result.exit_code == 0, result.stderr
    [answer] = _own(gh, number)
    assert f"#{related}" in answer
    assert "https://github.com/acme/widgets/blob/HEAD/README.md" in answer
    assert "https://github.com/acme/widgets/tree/HEAD/docs" in answer

    gh.clear_log()
    assert ossbot("run", "--event", path, "--event-name", "issue_comment").exit_code == 0
    assert writes(gh) == []


def test_a_mention_without_a_question_or_without_the_handle_gets_nothing(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    for index, body in enumerate(
        [
            "Thanks @ossbot",
            "how does this work?",
            "@ossbot-dev what is this?",
            "```\n@ossbot why?\n```",
        ]
    ):
        result, _ = _comment(tmp_path, gh, number, body, "jdoe", name=f"m{index}.json")
        assert result.exit_code == 0, result.stderr
    assert _own(gh, number) == []


def test_the_model_answers_a_mention_safely(tmp_path, gh, llm):
    number = gh.add_issue(REPO, "CSV export delimiter", "The CSV export uses a semicolon.")[
        "number"
    ]
    llm.queue(
        json_answer(
            {
                "answer": [
                    "Set `export.delimiter` in the settings, @admin.",
                    "<!-- ossbot:triage-summary --> See #12.",
                ]
            }
        )
    )
    result, _ = _comment(tmp_path, gh, number, "@ossbot where is the delimiter configured?", "jdoe")
    assert result.exit_code == 0, result.stderr
    [answer] = _own(gh, number)
    assert "export.delimiter" in answer and "@admin" not in answer
    assert answer.count("<!--") == 1 and "fake-model answer" in answer
    prompt = llm.requests[0].body["messages"][-1]["content"]
    assert "where is the delimiter configured?" in prompt and "UNTRUSTED question" in prompt


def test_answers_per_issue_are_capped(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "mentions:\n  max_per_issue: 1\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    assert _comment(tmp_path, gh, number, "@ossbot why?", "a")[0].exit_code == 0
    result, _ = _comment(tmp_path, gh, number, "@ossbot and why not?", "b", name="c2.json")
    assert result.exit_code == 0 and "max_per_issue" in result.stdout
    assert len(_own(gh, number)) == 1


def test_comments_by_bots_and_edits_are_ignored(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    gh.add_user("renovate[bot]", type="Bot")
    result, _ = _comment(tmp_path, gh, number, "@ossbot can I work on this?", "renovate[bot]")
    assert result.exit_code == 0 and "bot" in result.stdout
    comment = gh.add_comment(REPO, number, "Can I work on this?", user="newbie")
    path = write_event(
        tmp_path / "edited.json", comment_event(gh, number, comment, action="edited")
    )
    result = ossbot("run", "--event", path, "--event-name", "issue_comment")
    assert result.exit_code == 0 and "not edited" in result.stdout
    assert _own(gh, number) == []


# -- welcome ----------------------------------------------------------------------------------


def _welcome_on(gh):  # review is off: these tests count the welcome comments alone
    gh.put_file(
        REPO, ".github/ossbot.yml", "welcome:\n  enabled: true\nreview:\n  enabled: false\n"
    )


def _issue_run(tmp_path, gh, number, name="i.json"):
    return ossbot(
        "run",
        "--event",
        write_event(tmp_path / name, issue_event(gh, number)),
        "--event-name",
        "issues",
    )


def _pull_run(tmp_path, gh, number, name="p.json"):
    return ossbot(
        "run",
        "--event",
        write_event(tmp_path / name, pull_event(gh, number)),
        "--event-name",
        "pull_request_target",
    )


def test_welcome_is_off_by_default(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="newbie")["number"]
    assert _issue_run(tmp_path, gh, number).exit_code == 0
    assert not any("first issue" in body for body in _own(gh, number))


def test_first_issue_is_welcomed_once_and_a_second_is_not(tmp_path, gh, monkeypatch):
    _welcome_on(gh)
    first = gh.add_issue(REPO, "Export crashes", "It crashes.", user="newbie")["number"]
    assert _issue_run(tmp_path, gh, first).exit_code == 0
    assert sum("first issue" in body for body in _own(gh, first)) == 1
    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "fresh.db"))
    gh.clear_log()
    assert _issue_run(tmp_path, gh, first).exit_code == 0
    assert writes(gh) == []

    second = gh.add_issue(REPO, "Import crashes", "It crashes too.", user="newbie")["number"]
    assert _issue_run(tmp_path, gh, second, name="i2.json").exit_code == 0
    assert not any("first issue" in body for body in _own(gh, second))


def test_an_issue_author_opening_a_first_pull_request_is_welcomed_as_such(tmp_path, gh):
    _welcome_on(gh)
    gh.add_issue(REPO, "Export crashes", "It crashes.", user="reporter")
    pull = gh.add_pull(REPO, "Fix the export crash", "Fixes #1.", user="reporter")["number"]
    result = _pull_run(tmp_path, gh, pull)
    assert result.exit_code == 0, result.stderr
    [welcome] = _own(gh, pull)
    assert "first pull request" in welcome

    again = gh.add_pull(REPO, "Fix the import crash", "Another fix.", user="reporter")["number"]
    result = _pull_run(tmp_path, gh, again, name="p2.json")
    assert result.exit_code == 0 and "no welcome is due" in result.stdout
    assert _own(gh, again) == []


def test_a_pull_request_author_opening_a_first_issue_is_welcomed(tmp_path, gh):
    _welcome_on(gh)
    gh.add_pull(REPO, "Fix a typo", "Typo.", user="coder")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="coder")["number"]
    assert _issue_run(tmp_path, gh, number).exit_code == 0
    assert sum("first issue" in body for body in _own(gh, number)) == 1


def test_a_configured_welcome_message_is_used(tmp_path, gh):
    gh.put_file(
        REPO,
        ".github/ossbot.yml",
        "welcome:\n  enabled: true\n  pr_message: 'Merci {{ author }} for this {{ kind }}!'\n",
    )
    pull = gh.add_pull(REPO, "Fix a typo", "Typo.", user="coder")["number"]
    assert _pull_run(tmp_path, gh, pull).exit_code == 0
    assert _own(gh, pull)[0].startswith("Merci coder for this pull request!")


def test_without_a_token_a_preview_claims_nothing_it_could_not_read(tmp_path, gh, monkeypatch):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.")["number"]
    comment = gh.add_comment(REPO, number, "Can I work on this?", user="newbie")
    gh.put_file(REPO, ".github/ossbot.yml", "welcome:\n  enabled: true\n")
    config = tmp_path / "ossbot.yml"
    config.write_text("welcome:\n  enabled: true\n")
    pull = gh.add_pull(REPO, "Fix", "Fixes it.", user="coder")["number"]
    monkeypatch.delenv("GITHUB_TOKEN")
    gh.clear_log()
    reply = ossbot(
        "run",
        "--event",
        write_event(tmp_path / "c.json", comment_event(gh, number, comment)),
        "--event-name",
        "issue_comment",
        "--dry-run",
        "--format",
        "json",
    )
    assert reply.exit_code == 0, reply.stderr
    [triage] = [job for job in reply.json()["jobs"] if job["job"] == "triage"]
    body = triage["actions"][0]["body"]
    assert "Nobody is assigned" in body and "no pull request is open" not in body
    assert "no contributing guide" not in body
    event = write_event(tmp_path / "p.json", pull_event(gh, pull))
    gh.clear_log()
    welcome = ossbot(
        "run",
        "--event",
        event,
        "--event-name",
        "pull_request",
        "--dry-run",
        "--config",
        str(config),
    )
    assert welcome.exit_code == 0 and "without a token" in welcome.stdout
    assert gh.requests == []
