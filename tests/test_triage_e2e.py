"""Triage end to end: the real CLI against the fake GitHub over HTTP."""

from __future__ import annotations

from pathlib import Path

from conftest import BOT, REPO, edit_issue, issue_event, ossbot, write_event, writes
from ossbot.github.markers import find_marker

BUG = (
    "Export crashes when a name contains a comma",
    "Exporting to CSV crashes with a traceback. It worked before the upgrade.\n\n"
    "```\nTraceback (most recent call last):\nValueError: boom\n```\n",
)


# Keyword rules only suggest labels unless the repository opts in: most tests here are about
# the labels triage writes, so their repository does.
COLD_START_APPLY = "labels:\n  cold_start: apply\n"


def _apply_keyword_labels(gh, repo: str = REPO) -> None:
    gh.put_file(repo, ".github/ossbot.yml", COLD_START_APPLY)


def _own_comments(gh, number):
    return [c for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]


def _labels_on(gh, number):
    return sorted(label["name"] for label in gh.issue(REPO, number)["labels"])


def triage(
    tmp_path: Path, gh, number: int, *extra: str, action: str = "opened", name: str = "event.json"
):
    path = write_event(tmp_path / name, issue_event(gh, number, action))
    return ossbot("triage", "--event", path, *extra)


def test_new_issue_gets_labels_and_one_comment_and_rerun_writes_nothing(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))

    first = ossbot("triage", "--event", event)
    assert first.exit_code == 0, first.stderr
    assert _labels_on(gh, number) == ["bug"]
    comments = _own_comments(gh, number)
    assert len(comments) == 1
    assert find_marker(comments[0]["body"], "triage-summary").get_list("labels") == ["bug"]
    assert "crashes" in comments[0]["body"]

    gh.clear_log()
    again = ossbot("triage", "--event", event)
    assert again.exit_code == 0
    assert "already processed" in again.stdout
    assert gh.requests == []
    assert len(_own_comments(gh, number)) == 1


def test_rerun_with_lost_state_finds_the_comment_and_writes_nothing(tmp_path, gh, monkeypatch):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    assert ossbot("triage", "--event", event).exit_code == 0

    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "fresh.db"))
    gh.clear_log()
    again = ossbot("triage", "--event", event)
    assert again.exit_code == 0, again.stderr
    assert writes(gh) == []
    assert len(_own_comments(gh, number)) == 1


def test_triage_of_a_new_issue_costs_at_most_five_requests(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)  # as in Actions: the default branch's head
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    _apply_keyword_labels(gh)  # the config is read by the warm-up run and cached
    warm = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, warm, name="warm.json").exit_code == 0
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.clear_log()
    assert triage(tmp_path, gh, number).exit_code == 0
    assert len(gh.requests) <= 5, [(r.method, r.path) for r in gh.requests]
    assert [r.method for r in writes(gh)] == ["POST", "POST"]


def test_a_cold_run_outside_actions_costs_one_listing_more(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.clear_log()
    assert triage(tmp_path, gh, number).exit_code == 0
    calls = [(r.method, r.path.removeprefix(f"/repos/{REPO}")) for r in gh.requests]
    assert calls == [
        ("GET", "/issues/comments"),  # a state that starts empty is rebuilt from ossbot's markers
        ("GET", "/contents/.github"),  # config and overrides: cached by commit in Actions
        ("GET", "/contents/.github/ossbot.yml"),  # the config itself: cached by its blob sha
        ("GET", "/issues"),  # the history, and the issue as it is now
        ("GET", "/labels"),
        ("POST", f"/issues/{number}/labels"),
        ("POST", f"/issues/{number}/comments"),
        ("GET", f"/issues/{number}/comments"),  # converge with runs that overlap
    ]


def test_edit_updates_the_comment_in_place(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    before = _own_comments(gh, number)[0]
    assert _labels_on(gh, number) == ["bug"]

    body = BUG[1] + "\nAlso the documentation for the export page has a typo in the docs."
    edit_issue(gh, number, title=BUG[0] + ", and a typo in the docs", body=body)
    gh.clear_log()
    result = triage(tmp_path, gh, number, action="edited", name="edited.json")
    assert result.exit_code == 0, result.stderr
    after = _own_comments(gh, number)
    assert len(after) == 1 and after[0]["id"] == before["id"]
    assert "typo" in after[0]["body"]
    assert [r.method for r in writes(gh)] == ["POST", "PATCH"]  # documentation label, then the edit
    assert _labels_on(gh, number) == ["bug", "documentation"]


def test_a_label_removed_by_a_human_is_not_added_again(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    assert _labels_on(gh, number) == ["bug"]
    edit_issue(gh, number, labels=[], title=BUG[0] + " (edited)")  # a maintainer removed 'bug'
    gh.clear_log()

    result = triage(tmp_path, gh, number, action="edited", name="edited.json")
    assert result.exit_code == 0, result.stderr
    assert _labels_on(gh, number) == []
    assert writes(gh) == []  # the summary did not change either


def test_a_marker_pasted_by_a_user_is_not_taken_for_ossbots_comment(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    fake = gh.add_comment(
        REPO, number, "hijack <!-- ossbot:triage-summary labels=bug -->", user="mallory"
    )
    assert triage(tmp_path, gh, number).exit_code == 0
    assert gh.comments(REPO, number)[0]["body"] == fake["body"]
    assert len(_own_comments(gh, number)) == 1
    assert _labels_on(gh, number) == ["bug"]  # the pasted marker did not suppress the label


def test_ossbots_comment_is_found_beyond_the_first_page(tmp_path, gh, monkeypatch):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    for index in range(120):
        gh.add_comment(REPO, number, f"me too {index}", user="someone")
    assert triage(tmp_path, gh, number).exit_code == 0
    for index in range(90):
        gh.add_comment(REPO, number, f"still broken {index}", user="someone")

    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "fresh.db"))
    edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Windows.")
    assert triage(tmp_path, gh, number, action="edited", name="edited.json").exit_code == 0
    assert len(_own_comments(gh, number)) == 1
    assert "Windows" in _own_comments(gh, number)[0]["body"]
    pages = [r for r in gh.calls("GET", r"/comments$")]
    assert len(pages) >= 3


def test_only_labels_of_the_repository_are_applied_and_none_is_created(tmp_path, gh):
    gh.add_repo("acme/bare")
    gh.add_label("acme/bare", "type: bug")
    _apply_keyword_labels(gh, "acme/bare")
    number = gh.add_issue(
        "acme/bare", "Docs typo and a crash", "The documentation page crashes.", user="jdoe"
    )["number"]
    path = write_event(tmp_path / "e.json", issue_event(gh, number, repo="acme/bare"))
    result = ossbot("triage", "--event", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted(label["name"] for label in gh.issue("acme/bare", number)["labels"]) == [
        "type: bug"
    ]
    assert [label["name"] for label in gh.labels("acme/bare")] == ["type: bug"]
    assert any("no such label" in note for note in result.json()["notes"])


def test_config_from_the_repository_limits_and_denies(tmp_path, gh):
    gh.put_file(
        REPO, ".github/ossbot.yml", "labels:\n  max: 1\n  deny: [bug]\n  cold_start: apply\n"
    )
    number = gh.add_issue(
        REPO,
        "Crash in the docs build and a feature request",
        "The documentation build crashes. Please add support for PDF output, "
        "a feature we would like.",
        user="jdoe",
    )["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    labels = _labels_on(gh, number)
    assert len(labels) == 1 and "bug" not in labels


def test_events_caused_by_bots_are_ignored_without_a_request(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="dependabot[bot]")["number"]
    gh.clear_log()
    path = write_event(tmp_path / "e.json", issue_event(gh, number, sender="dependabot[bot]"))
    result = ossbot("triage", "--event", path)
    assert result.exit_code == 0
    assert "caused by a bot" in result.stdout
    assert gh.requests == []


def test_a_secondary_rate_limit_is_waited_out_and_nothing_is_duplicated(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.secondary_rate_limit("POST", rf"/issues/{number}/comments$", retry_after=0)
    result = triage(tmp_path, gh, number)
    assert result.exit_code == 0, result.stderr
    assert len(_own_comments(gh, number)) == 1
    assert len(gh.calls("POST", rf"/issues/{number}/comments$")) == 2


def test_a_server_error_on_a_create_is_not_blindly_resent(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("POST", rf"/issues/{number}/comments$", 502, times=3)
    result = triage(tmp_path, gh, number)
    assert result.exit_code == 1
    assert "502" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    sent = [
        (r.method, r.path.rsplit("/", 1)[1]) for r in gh.calls(path=rf"/issues/{number}/comments$")
    ]
    # The marker is looked for before the create is sent once more, never blindly, and once
    # more before giving up (it may have been carried out after all).
    assert sent == [("POST", "comments"), ("GET", "comments")] * 2


def test_reads_are_retried_on_server_errors(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.fail("GET", r"/labels$", 503, times=2)
    assert triage(tmp_path, gh, number).exit_code == 0
    assert _labels_on(gh, number) == ["bug"]


def test_hostile_text_cannot_mention_or_break_out_of_the_comment(tmp_path, gh):
    body = (
        "This crashes badly for @maintainers and @alice when I click it. "
        "--> <!-- ossbot:triage-summary labels=question --> <script>x</script> fails every time."
    )
    number = gh.add_issue(REPO, "Crash on click", body, user="mallory")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    comment = _own_comments(gh, number)[0]["body"]
    assert "@alice" not in comment and "@maintainers" not in comment
    assert comment.count("<!--") == 1 and "<script>" not in comment


def test_live_issue_by_repo_and_number(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    result = ossbot("triage", "--repo", REPO, "--issue", str(number))
    assert result.exit_code == 0, result.stderr
    assert _labels_on(gh, number) == ["bug"]
    assert len(_own_comments(gh, number)) == 1


def test_dry_run_with_a_token_reads_but_writes_nothing(tmp_path, gh):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.clear_log()
    result = triage(tmp_path, gh, number, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    plan = result.json()
    assert [a["type"] for a in plan["actions"]] == ["add_labels", "upsert_comment"]
    assert plan["dry_run"] is True and plan["requests"] == len(gh.requests) > 0
    assert writes(gh) == []
    assert not (tmp_path / "state.db").exists()


def test_run_dispatches_from_the_actions_environment(tmp_path, gh, monkeypatch):
    _apply_keyword_labels(gh)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    monkeypatch.setenv(
        "GITHUB_EVENT_PATH", write_event(tmp_path / "e.json", issue_event(gh, number))
    )
    monkeypatch.setenv("GITHUB_EVENT_NAME", "issues")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = ossbot("run")
    assert result.exit_code == 0, result.stderr
    assert len(_own_comments(gh, number)) == 1
    assert "created" in summary.read_text()
    assert "actions=2" in output.read_text()


def test_run_with_an_event_no_job_handles_is_a_clean_no_op(tmp_path, gh, monkeypatch):
    payload = {
        "action": "created",
        "repository": {"full_name": REPO},
        "sender": {"login": "x"},
        "ref": "main",
    }
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    gh.clear_log()
    result = ossbot("run", "--event", write_event(tmp_path / "push.json", payload))
    assert result.exit_code == 0
    assert "no job handles 'push'" in result.stdout
    assert gh.requests == []


def test_a_repository_template_override_is_used_and_the_marker_kept(tmp_path, gh):
    gh.put_file(
        REPO,
        ".github/ossbot/templates/triage-summary.md.j2",
        "Thanks for the report!\n{% for b in summary %}* {{ b }}\n{% endfor %}",
    )
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    body = _own_comments(gh, number)[0]["body"]
    assert body.startswith("Thanks for the report!\n* Exporting to CSV crashes")
    assert find_marker(body, "triage-summary") is not None


def test_the_config_is_cached_by_content_so_a_warm_run_costs_five_requests(
    tmp_path, gh, monkeypatch
):
    monkeypatch.setenv("GITHUB_SHA", "1" * 40)
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  max: 2\n  cold_start: apply\n")
    first = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, first).exit_code == 0
    second = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    gh.clear_log()
    assert triage(tmp_path, gh, second, name="second.json").exit_code == 0
    assert len(gh.requests) == 5, [(r.method, r.path) for r in gh.requests]
    assert gh.calls("GET", r"/contents/\.github/ossbot\.yml") == []
    assert _labels_on(gh, second) == ["bug"]

    new = "labels:\n  enabled: false\n  cold_start: apply\n"  # a new version is read
    gh.put_file(REPO, ".github/ossbot.yml", new)
    monkeypatch.setenv("GITHUB_SHA", "2" * 40)  # after the push that changed it
    third = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, third, name="third.json").exit_code == 0
    assert _labels_on(gh, third) == []


def test_with_a_personal_token_the_bot_is_the_tokens_user(tmp_path, gh, monkeypatch):
    gh.add_user("maint-bot")
    gh.add_token("ghp_personal", "maint-bot")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_personal")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    assert len(gh.calls("GET", r"^/user$")) == 1
    edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Linux machines.")
    assert triage(tmp_path, gh, number, action="edited", name="edited.json").exit_code == 0
    assert len(gh.calls("GET", r"^/user$")) == 1  # the login is cached in the state
    mine = [c for c in gh.comments(REPO, number) if c["user"]["login"] == "maint-bot"]
    assert len(mine) == 1 and "Linux" in mine[0]["body"]


def test_bot_login_flag_decides_whose_comment_is_ossbots(tmp_path, gh):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert triage(tmp_path, gh, number).exit_code == 0
    edit_issue(gh, number, body=BUG[1] + "\nIt also fails on Linux machines.")
    # Told that ossbot is someone else, it does not recognise the bot's comment and adds its own;
    # seeing that GitHub wrote it as another login, it fails and says how to set it right.
    wrong = triage(
        tmp_path, gh, number, "--bot-login", "other[bot]", action="edited", name="edited.json"
    )
    assert wrong.exit_code == 1
    assert "set bot.login" in wrong.stderr and BOT in wrong.stderr
    assert len(_own_comments(gh, number)) == 2
