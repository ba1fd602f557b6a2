"""The step outputs a workflow's later steps use (GITHUB_OUTPUT): what each job did, lists as
JSON, through the real CLI against the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, comment_event, issue_event, ossbot, review_event, write_event
from test_review_e2e import FILES


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_triage_outputs_the_labels_added_and_the_comment(tmp_path, gh, monkeypatch):
    out = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(REPO, "Crash on start", "It crashes.", user="jdoe")["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    assert ossbot("triage", "--event", event).exit_code == 0
    values = _outputs(out)
    assert json.loads(values["labels-added"]) == ["bug"]
    [url] = json.loads(values["comment-urls"])
    assert url.startswith("http") and f"/{number}" in url
    assert values["skipped"] == "false" and values["dry-run"] == "false"
    assert json.loads(values["issues-created"]) == [] and values["spawn-run"] == ""

    out.write_text("")  # the same event again: nothing new, the comment unchanged
    assert ossbot("triage", "--event", event).exit_code == 0
    again = _outputs(out)
    assert again["skipped"] == "true" and again["skipped-reason"]
    assert json.loads(again["labels-added"]) == []


def test_review_outputs_findings_by_severity(tmp_path, gh, monkeypatch):
    out = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    gh.add_pull(REPO, "Add the handler", "Adds a handler.", user="alice", files=FILES)
    event = write_event(tmp_path / "pr.json", review_event(gh, 1))
    result = ossbot("run", "--event", event, "--event-name", "pull_request")
    assert result.exit_code == 0, result.stdout + result.stderr
    findings = json.loads(_outputs(out)["findings"])
    assert findings.get("high", 0) >= 1  # the AWS key
    assert all(isinstance(count, int) and count > 0 for count in findings.values())


def test_spawn_outputs_the_run_and_the_issues_created(tmp_path, gh, monkeypatch):
    out = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    gh.add_user("maintainer")
    gh.set_permission(REPO, "maintainer", "write")
    parent = gh.add_issue(REPO, "Exporters", "Plan.", user="maintainer")["number"]
    comment = gh.add_comment(
        REPO, parent, "@ossbot spawn\n\n- [ ] Export CSV\n- [ ] Export JSON", user="maintainer"
    )
    event = write_event(tmp_path / "c.json", comment_event(gh, parent, comment))
    result = ossbot("run", "--event", event, "--event-name", "issue_comment")
    assert result.exit_code == 0, result.stdout + result.stderr
    values = _outputs(out)
    created = json.loads(values["issues-created"])
    titles = {gh.issue(REPO, n)["title"] for n in created}
    assert titles == {"Export CSV", "Export JSON"} and values["spawn-run"]


def test_a_dry_run_outputs_what_was_planned(tmp_path, gh, monkeypatch):
    out = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(REPO, "Crash on start", "It crashes.", user="jdoe")["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    assert ossbot("triage", "--event", event, "--dry-run").exit_code == 0
    values = _outputs(out)
    assert values["dry-run"] == "true" and json.loads(values["labels-added"]) == ["bug"]
    assert gh.issue(REPO, number)["labels"] == []


def test_a_preview_puts_the_comments_text_in_the_job_summary(tmp_path, gh, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    number = gh.add_issue(REPO, "Crash on start", "The app crashes on start.", user="jdoe")[
        "number"
    ]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    assert ossbot("triage", "--event", event, "--dry-run").exit_code == 0
    text = summary.read_text()
    assert "Triage summary" in text and "Suggested labels" in text
    assert gh.comments(REPO, number) == []
