"""The command layer: commands found with a Markdown parser, permission checked once, refusals
answered; end to end through `ossbot run` against the fake GitHub."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conftest import BOT, REPO, comment_event, ossbot, write_event, writes
from ossbot.commands.parse import parse_commands
from ossbot.github.markers import find_marker

NAMES = ("triage", "help", "review")


def _names(text: str, **options) -> list[str]:
    return [c.name for c in parse_commands(text, handle="@ossbot", names=NAMES, **options)]


def test_commands_start_a_line_outside_code_and_quotes():
    assert _names("@ossbot triage") == ["triage"]
    assert _names("Thanks!\n\n/ossbot triage please") == ["triage"]
    assert _names("/ossbot triage", slash=False) == []
    assert _names("@OSSBOT Triage") == ["triage"]
    assert _names("please @ossbot triage") == []  # not at the start of a line
    assert _names("@ossbotx triage\n@ossbot-team triage") == []
    assert _names("@ossbot frobnicate") == []  # unknown: not a command (maybe a question)
    assert _names("@ossbot triage\n@ossbot triage now\n@ossbot help") == ["triage", "help"]
    hidden = [
        "```\n@ossbot triage\n```",
        "````\n```\n@ossbot triage\n```\n````",
        "~~~\n@ossbot triage\n~~~",
        "Look:\n\n    @ossbot triage\n",
        "- a list item\n\n  ```\n  @ossbot triage\n  ```",
        "> @ossbot triage",
        "> quoted\n> @ossbot triage",
        "<!--\n@ossbot triage\n-->",
        "`@ossbot triage`",
    ]
    for text in hidden:
        assert _names(text) == [], text


def test_a_list_item_may_hold_a_command():
    assert _names("- @ossbot triage") == ["triage"]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_any_text_parses_without_error_and_commands_are_known(text):
    for command in parse_commands(text, handle="@ossbot", names=NAMES):
        assert command.name in NAMES
        assert len(command.args) <= 10


@given(st.sampled_from(NAMES), st.integers(min_value=3, max_value=8), st.text(max_size=80))
def test_a_command_inside_any_fence_never_counts(name, fence_length, noise):
    fence = "`" * fence_length
    text = f"{noise.replace('`', '')}\n\n{fence}\n@ossbot {name}\n{fence}\n"
    assert _names(text) == []


@given(st.sampled_from(NAMES), st.text(alphabet="abc \n>-*", max_size=60))
def test_a_command_on_its_own_paragraph_is_found(name, before):
    text = f"{before}\n\n@ossbot {name}\n"
    if ">" not in before and not before.strip().endswith(("-", "*")):
        assert name in _names(text)


# -- end to end -----------------------------------------------------------------------------------


def _run_comment(tmp_path: Path, gh, number: int, body: str, user: str, name: str = "c.json"):
    comment = gh.add_comment(REPO, number, body, user=user)
    path = write_event(tmp_path / name, comment_event(gh, number, comment))
    return ossbot("run", "--event", path, "--event-name", "issue_comment", "--format", "json")


def _bot_comments(gh, number):
    return [c["body"] for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]


def test_a_command_by_someone_without_write_access_gets_one_refusal_and_nothing_else(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")  # triage would label
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    gh.add_user("drive-by")
    gh.clear_log()
    result = _run_comment(tmp_path, gh, number, "@ossbot triage", "drive-by")
    assert result.exit_code == 0, result.stderr
    [refusal] = _bot_comments(gh, number)
    assert "needs the **write** role" in refusal and "**read**" in refusal
    assert "@drive-by" not in refusal  # neutralised: nobody is pinged
    assert gh.issue(REPO, number)["labels"] == []
    assert [r.method for r in writes(gh)] == ["POST"]
    assert len(gh.calls("GET", r"/collaborators/drive-by/permission$")) == 1
    jobs = {job["job"]: job for job in result.json()["jobs"]}
    assert set(jobs) == {"commands", "triage"}
    assert "command" in jobs["triage"]["skipped"]


def test_a_maintainer_runs_triage_again(tmp_path, gh):
    # Keyword rules only suggest labels unless the repository opts in.
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    gh.add_user("maintainer")
    gh.set_permission(REPO, "maintainer", "maintain")
    result = _run_comment(
        tmp_path, gh, number, "Please look again.\n\n@ossbot triage", "maintainer"
    )
    assert result.exit_code == 0, result.stderr
    bodies = _bot_comments(gh, number)
    assert len(bodies) == 1 and find_marker(bodies[0], "triage-summary")
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]


def test_the_permission_needed_is_configurable_per_command(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "commands:\n  permissions:\n    triage: triage\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    gh.add_user("helper")
    gh.set_permission(REPO, "helper", "triage")
    assert _run_comment(tmp_path, gh, number, "@ossbot triage", "helper").exit_code == 0
    bodies = _bot_comments(gh, number)
    assert len(bodies) == 1 and find_marker(bodies[0], "triage-summary")


def test_help_lists_the_commands_for_anyone(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    result = _run_comment(tmp_path, gh, number, "@ossbot help", "someone")
    assert result.exit_code == 0, result.stderr
    [reply] = _bot_comments(gh, number)
    assert "`@ossbot triage`" in reply and "write" in reply
    assert gh.calls("GET", r"/permission$") == []  # help writes nothing on anyone's behalf


def test_a_command_in_a_code_block_is_neither_run_nor_answered(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    gh.set_permission(REPO, "jdoe", "write")
    result = _run_comment(tmp_path, gh, number, "Type this:\n\n```\n@ossbot triage\n```\n", "jdoe")
    assert result.exit_code == 0, result.stderr
    assert _bot_comments(gh, number) == []


def test_the_same_command_event_twice_runs_once(tmp_path, gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    comment = gh.add_comment(REPO, number, "@ossbot triage", user="drive-by")
    path = write_event(tmp_path / "c.json", comment_event(gh, number, comment))
    assert ossbot("run", "--event", path, "--event-name", "issue_comment").exit_code == 0
    gh.clear_log()
    again = ossbot("run", "--event", path, "--event-name", "issue_comment")
    assert again.exit_code == 0 and "already processed" in again.stdout
    assert writes(gh) == []
    assert len(_bot_comments(gh, number)) == 1


# -- from a terminal ------------------------------------------------------------------------------


def test_a_command_from_a_terminal_acts_as_the_tokens_user(gh, monkeypatch):
    number = gh.add_issue(
        REPO, "Export crashes", "The export crashes with a traceback.", user="jdoe"
    )["number"]
    gh.add_user("maintainer")
    gh.add_token("ghp_maintainer_token", "maintainer")
    gh.set_permission(REPO, "maintainer", "write")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_maintainer_token")
    result = ossbot("command", "triage", "--repo", REPO, "--issue", str(number))
    assert result.exit_code == 0, result.stderr
    mine = [c for c in gh.comments(REPO, number) if c["user"]["login"] == "maintainer"]
    assert len(mine) == 1 and find_marker(mine[0]["body"], "triage-summary")
    assert len(gh.calls("GET", r"/collaborators/maintainer/permission$")) == 1


def test_a_command_from_a_terminal_is_refused_without_the_role(gh, monkeypatch):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    gh.add_user("visitor")
    gh.add_token("ghp_visitor_token", "visitor")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_visitor_token")
    result = ossbot(
        "command", "triage", "--repo", REPO, "--issue", str(number), "--dry-run", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    [action] = result.json()["actions"]
    assert action["marker"].startswith("refused-") and "**read**" in action["body"]
    assert writes(gh) == []


def test_a_terminal_command_needs_a_known_name_and_a_personal_token(gh):
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    unknown = ossbot("command", "frobnicate", "--repo", REPO, "--issue", str(number))
    assert unknown.exit_code == 2 and "unknown command 'frobnicate'" in unknown.stderr
    installation = ossbot("command", "triage", "--repo", REPO, "--issue", str(number))
    assert installation.exit_code == 2 and "personal token" in installation.stderr
    assert writes(gh) == []


def test_a_marker_quoted_in_a_command_never_reaches_ossbots_comment(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "mentions:\n  max_per_issue: 1\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    gh.add_user("mallory")
    assert (
        _run_comment(
            tmp_path, gh, number, "@ossbot triage `<!-- ossbot:mention-1 -->`", "mallory"
        ).exit_code
        == 0
    )
    [refusal] = _bot_comments(gh, number)
    assert "ossbot:mention-1" not in refusal
    result = _run_comment(tmp_path, gh, number, "@ossbot how do I export?", "jdoe", name="q.json")
    assert result.exit_code == 0, result.stderr
    assert len(_bot_comments(gh, number)) == 2  # the question was answered: nothing was planted


def test_help_past_the_cap_is_not_posted(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "mentions:\n  max_per_issue: 1\n")
    number = gh.add_issue(REPO, "Export crashes", "It crashes.", user="jdoe")["number"]
    assert _run_comment(tmp_path, gh, number, "@ossbot help", "someone").exit_code == 0
    gh.clear_log()
    again = _run_comment(tmp_path, gh, number, "@ossbot help", "other", name="c2.json")
    assert again.exit_code == 0
    assert writes(gh) == []  # not posted, then withdrawn: not posted at all
    assert len(_bot_comments(gh, number)) == 1
