"""Bad input: one clear line, exit 2, no traceback, nothing written to GitHub."""

from __future__ import annotations

import json

import pytest

from conftest import BOT, REPO, issue_event, ossbot, write_event, writes


def _assert_bad_input(result, *words: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ossbot: error: ")
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0]


@pytest.fixture
def event(tmp_path, gh):
    """An issue whose triage writes labels and a comment: the repository lets keyword rules
    apply labels (by default they are only suggested), so "nothing written" means something."""
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(REPO, "It crashes", "The app crashes on start.", user="jdoe")["number"]
    gh.clear_log()
    return write_event(tmp_path / "event.json", issue_event(gh, number))


def test_missing_event_file(tmp_path, gh):
    _assert_bad_input(ossbot("triage", "--event", str(tmp_path / "nope.json")), "not found")
    assert gh.requests == []


def test_unreadable_event_file(tmp_path, gh):
    _assert_bad_input(ossbot("triage", "--event", str(tmp_path)), "cannot read event file")


def test_event_file_with_invalid_json(tmp_path, gh):
    _assert_bad_input(
        ossbot("triage", "--event", write_event(tmp_path / "e.json", "{not json")),
        "not valid JSON",
        "line 1",
    )
    assert gh.requests == []


def test_event_missing_required_fields(tmp_path, gh):
    payload = {"action": "opened", "issue": {"title": "x"}, "repository": {"full_name": REPO}}
    _assert_bad_input(
        ossbot("triage", "--event", write_event(tmp_path / "e.json", payload)), "issue."
    )


def test_event_of_a_type_the_command_does_not_handle(tmp_path, gh):
    payload = {
        "ref": "refs/heads/main",
        "repository": {"full_name": REPO},
        "sender": {"login": "a"},
    }
    _assert_bad_input(
        ossbot(
            "triage", "--event", write_event(tmp_path / "e.json", payload), "--event-name", "push"
        ),
        "push",
    )


def test_no_event_at_all(gh):
    _assert_bad_input(ossbot("triage"), "--event")


def test_repo_without_issue(gh):
    _assert_bad_input(ossbot("triage", "--repo", REPO), "--issue")


def test_invalid_yaml_in_the_repository_config(event, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels: [unclosed\n")
    _assert_bad_input(ossbot("triage", "--event", event), "invalid YAML", "ossbot.yml")
    assert writes(gh) == []


def test_unknown_key_in_the_repository_config(event, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  maximum: 2\n")
    _assert_bad_input(
        ossbot("triage", "--event", event), "unknown key 'labels.maximum'", "labels.max"
    )
    assert writes(gh) == []


def test_wrong_type_in_a_local_config(event, gh, tmp_path):
    config = tmp_path / "ossbot.yml"
    config.write_text("labels:\n  max: plenty\n")
    _assert_bad_input(
        ossbot("triage", "--event", event, "--config", str(config)), "labels.max", "plenty"
    )
    assert writes(gh) == []


def test_missing_local_config(event, gh, tmp_path):
    _assert_bad_input(
        ossbot("triage", "--event", event, "--config", str(tmp_path / "x.yml")), "not found"
    )


def test_a_write_without_a_token(event, gh, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    _assert_bad_input(ossbot("triage", "--event", event), "token", "--dry-run")
    assert gh.requests == []


def test_a_bad_token(event, gh):
    _assert_bad_input(ossbot("triage", "--event", event, "--token", "ghp_wrong"), "401")
    assert writes(gh) == []


def test_a_template_error_in_a_repository_override(event, gh):
    gh.put_file(REPO, ".github/ossbot/templates/triage-summary.md.j2", "{{ no_such_value }}")
    _assert_bad_input(ossbot("triage", "--event", event), "triage-summary.md.j2", "no_such_value")
    assert writes(gh) == []


def test_debug_shows_the_traceback(tmp_path, gh):
    result = ossbot("triage", "--debug", "--event", write_event(tmp_path / "e.json", "[]"))
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_an_unreachable_github_is_a_runtime_failure(event, monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OSSBOT_HTTP_RETRIES", "0")
    result = ossbot("triage", "--event", event)
    assert result.exit_code == 1
    assert "could not reach GitHub" in result.stderr
    assert "Traceback" not in result.stderr


def test_errors_are_annotated_in_actions(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = ossbot("triage", "--event", write_event(tmp_path / "e.json", json.dumps({"x": 1})))
    assert result.exit_code == 2
    shown = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert shown[0].startswith("::error title=ossbot::")  # the secrets' masks come first


# -- more bad input: every case is one line and exit 2 ------------------------------------------


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("OSSBOT_HTTP_RETRIES", "many", ["OSSBOT_HTTP_RETRIES", "whole number"]),
        ("OSSBOT_HTTP_TIMEOUT", "soon", ["OSSBOT_HTTP_TIMEOUT", "number"]),
        ("OSSBOT_HTTP_RETRIES", "99", ["OSSBOT_HTTP_RETRIES", "20"]),
        ("LLM_PROVIDER", "skynet", ["skynet", "openai"]),
    ],
)
def test_bad_settings_are_named(event, gh, monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    _assert_bad_input(ossbot("triage", "--event", event), *words)
    assert writes(gh) == []


@pytest.mark.parametrize("repo", ["a b c", "../../etc", "acme/widgets/extra", "acme/..", "-x/y"])
def test_a_repository_name_that_is_not_one_never_reaches_the_network(gh, repo):
    _assert_bad_input(ossbot("triage", "--repo", repo, "--issue", "1"), "repository name")
    assert gh.requests == []


def test_an_issue_number_must_be_positive(gh):
    result = ossbot("triage", "--repo", REPO, "--issue", "-5")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert gh.requests == []


@pytest.mark.parametrize(
    "change", [{"repository": {"full_name": "../../etc"}}, {"issue": {"number": -5}}]
)
def test_a_payload_with_an_impossible_repository_or_number(tmp_path, gh, change):
    number = gh.add_issue(REPO, "It crashes", "The app crashes.", user="jdoe")["number"]
    payload = issue_event(gh, number)
    for key, value in change.items():
        payload[key] = {**payload[key], **value}
    _assert_bad_input(ossbot("triage", "--event", write_event(tmp_path / "e.json", payload)))
    assert gh.requests == []


def test_deeply_nested_json_is_bad_input(tmp_path, gh):
    text = '{"issue": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _assert_bad_input(ossbot("triage", "--event", write_event(tmp_path / "e.json", text)), "nested")


def test_a_401_after_labels_were_written_is_exit_1_and_says_what_was_written(event, gh):
    gh.fail("POST", r"/issues/\d+/comments$", 401, body={"message": "Bad credentials"})
    result = ossbot("triage", "--event", event)
    assert result.exit_code == 1, result.stderr
    assert (
        "401" in result.stderr and "already written" in result.stderr and "labels" in result.stderr
    )
    assert "nothing" not in result.stderr


def test_a_read_only_token_is_told_which_permission_to_grant(event, gh):
    gh.add_token(
        "ghs_read_only",
        BOT,
        kind="installation",
        permissions={"issues": "read", "contents": "read"},
    )
    _assert_bad_input(
        ossbot("triage", "--event", event, "--token", "ghs_read_only"),
        "issues: write",
        "permissions",
    )
    assert [r for r in writes(gh) if r.status and r.status < 400] == []
