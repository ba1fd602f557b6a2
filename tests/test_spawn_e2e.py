"""Spawn end to end: the real CLI against the fake GitHub, from a spec to linked issues, through
previews, confirm, cancel, rollback and status, with the permission checks on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import BOT, REPO, comment_event, issue_event, ossbot, write_event, writes
from ossbot.github.markers import find_marker

SMALL = """We need the exporter in three formats.

@ossbot spawn

- [ ] Export to CSV
- [ ] Export to JSON
- [ ] Export to Parquet
"""


def _maintainer(gh: Any, login: str = "maintainer") -> str:
    gh.add_user(login)
    gh.set_permission(REPO, login, "write")
    return login


def _open(tmp_path: Path, gh: Any, body: str, user: str = "maintainer", title: str = "Exporters"):
    number = gh.add_issue(REPO, title, body, user=user)["number"]
    path = write_event(tmp_path / f"issue-{number}.json", issue_event(gh, number))
    return number, ossbot("run", "--event", path, "--event-name", "issues", "--format", "json")


def _comment(tmp_path: Path, gh: Any, number: int, body: str, user: str = "maintainer"):
    comment = gh.add_comment(REPO, number, body, user=user)
    path = write_event(
        tmp_path / f"comment-{comment['id']}.json", comment_event(gh, number, comment)
    )
    return ossbot("run", "--event", path, "--event-name", "issue_comment", "--format", "json")


def _spawned(gh: Any, parent: int) -> list[dict[str, Any]]:
    return [
        issue
        for issue in gh.issues(REPO)
        if issue["number"] != parent and find_marker(issue.get("body") or "", "spawn-task")
    ]


def _run_comment(gh: Any, number: int) -> dict[str, Any]:
    [found] = [
        c
        for c in gh.comments(REPO, number)
        if c["user"]["login"] == BOT and "ossbot:spawn-run-" in c["body"]
    ]
    return found


def test_a_small_spec_is_created_at_once_linked_and_summarized(tmp_path, gh):
    _maintainer(gh)
    parent, result = _open(tmp_path, gh, SMALL)
    assert result.exit_code == 0, result.stdout + result.stderr
    issues = _spawned(gh, parent)
    assert [i["title"] for i in issues] == ["Export to CSV", "Export to JSON", "Export to Parquet"]
    children = gh.sub_issues(REPO, parent)
    assert sorted(c["number"] for c in children) == sorted(i["number"] for i in issues)
    for issue in issues:
        assert f"Spawned from #{parent}" in issue["body"]
    summary = _run_comment(gh, parent)["body"]
    assert "Spawned 3 issues" in summary
    for issue in issues:
        assert f"#{issue['number']}" in summary
    assert "rollback" in summary


def _tasks(n: int) -> str:
    return "\n".join(f"- [ ] Task number {i}: build part {i}" for i in range(1, n + 1))


def _run_id(gh: Any, number: int) -> str:
    body = _run_comment(gh, number)["body"]
    kind = next(k for k in body.split("ossbot:")[1:] if k.startswith("spawn-run-"))
    return kind.split()[0].removeprefix("spawn-run-")


def test_a_large_spec_is_previewed_confirmed_summarized_and_rolled_back(tmp_path, gh):
    _maintainer(gh)
    parent, result = _open(tmp_path, gh, "@ossbot spawn\n\n" + _tasks(12))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _spawned(gh, parent) == []
    preview = _run_comment(gh, parent)["body"]
    assert "Spawn preview: 12 issues" in preview
    assert "Task number 12: build part 12" in preview and "confirm" in preview
    run = _run_id(gh, parent)
    assert f"@ossbot confirm {run}" in preview

    result = _comment(tmp_path, gh, parent, f"@ossbot confirm {run}")
    assert result.exit_code == 0, result.stdout + result.stderr
    issues = _spawned(gh, parent)
    assert len(issues) == 12
    assert len(gh.sub_issues(REPO, parent)) == 12
    summary = _run_comment(gh, parent)["body"]
    assert "Spawned 12 issues" in summary

    # status shows the run
    result = _comment(tmp_path, gh, parent, "@ossbot status")
    assert result.exit_code == 0, result.stdout + result.stderr
    [status] = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-status" in c["body"]]
    assert run in status and "completed" in status and "12 / 12" in status

    result = _comment(tmp_path, gh, parent, f"@ossbot rollback {run}")
    assert result.exit_code == 0, result.stdout + result.stderr
    for issue in _spawned(gh, parent):
        assert issue["state"] == "closed" and issue["state_reason"] == "not_planned"
        notes = [c for c in gh.comments(REPO, issue["number"]) if c["user"]["login"] == BOT]
        assert len(notes) == 1 and "rolled back" in notes[0]["body"]
    assert gh.sub_issues(REPO, parent) == []
    assert "rolled back" in _run_comment(gh, parent)["body"]

    gh.clear_log()
    result = _comment(tmp_path, gh, parent, f"@ossbot rollback {run}")  # idempotent
    assert result.exit_code == 0, result.stdout + result.stderr
    assert not [r for r in writes(gh) if r.method == "PATCH" and "/comments/" not in r.path]


def test_unauthorized_spawn_confirm_and_rollback_are_refused_with_nothing_created(tmp_path, gh):
    _maintainer(gh)
    gh.add_user("drive-by")
    parent, result = _open(tmp_path, gh, SMALL, user="drive-by")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _spawned(gh, parent) == []
    refusals = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-reply" in c["body"]]
    assert len(refusals) == 1 and "needs the **write** role" in refusals[0]

    other, _ = _open(tmp_path, gh, "@ossbot spawn\n\n" + _tasks(12))
    run = _run_id(gh, other)
    for command in (f"@ossbot confirm {run}", "@ossbot spawn", f"@ossbot rollback {run}"):
        result = _comment(tmp_path, gh, other, command, user="drive-by")
        assert result.exit_code == 0, result.stdout + result.stderr
    assert _spawned(gh, other) == []


def test_a_filter_hit_is_previewed_and_still_confirmable(tmp_path, gh):
    _maintainer(gh)
    body = "@ossbot spawn\n\n- [ ] Rotate the private key\n- [ ] Document the password reset"
    parent, result = _open(tmp_path, gh, body)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _spawned(gh, parent) == []
    preview = _run_comment(gh, parent)["body"]
    assert "Content filter" in preview and "private key" in preview
    assert "- `password`" not in preview  # the default words are phrases, not "password"
    result = _comment(tmp_path, gh, parent, f"@ossbot confirm {_run_id(gh, parent)}")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_spawned(gh, parent)) == 2


def test_a_spec_edited_after_the_preview_is_refused_at_confirm(tmp_path, gh):
    from conftest import edit_issue

    _maintainer(gh)
    parent, _ = _open(tmp_path, gh, "@ossbot spawn\n\n" + _tasks(12))
    run = _run_id(gh, parent)
    edit_issue(gh, parent, body="@ossbot spawn\n\n" + _tasks(13))
    result = _comment(tmp_path, gh, parent, f"@ossbot confirm {run}")
    assert result.exit_code == 2
    assert _spawned(gh, parent) == []
    replies = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-reply-" in c["body"]]
    assert len(replies) == 1 and "was edited since it was previewed" in replies[0]


def test_cancel_drops_a_pending_run_and_says_so(tmp_path, gh):
    _maintainer(gh)
    parent, _ = _open(tmp_path, gh, "@ossbot spawn\n\n" + _tasks(12))
    run = _run_id(gh, parent)
    result = _comment(tmp_path, gh, parent, "@ossbot cancel")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "cancelled" in _run_comment(gh, parent)["body"]
    replies = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-reply-" in c["body"]]
    assert len(replies) == 1 and f"Cancelled spawn run `{run}`" in replies[0]
    result = _comment(tmp_path, gh, parent, f"@ossbot confirm {run}")
    assert result.exit_code == 2
    assert _spawned(gh, parent) == []


def test_commands_in_code_blocks_and_quotes_are_ignored(tmp_path, gh):
    _maintainer(gh)
    for body in (
        "```\n@ossbot spawn\n```\n\n" + _tasks(3),
        "> @ossbot spawn\n\n" + _tasks(3),
        "<!-- @ossbot spawn -->\n\n" + _tasks(3),
        "Say `@ossbot spawn` to split it.\n\n" + _tasks(3),
    ):
        parent, result = _open(tmp_path, gh, body)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert _spawned(gh, parent) == [], body
        assert not [c for c in gh.comments(REPO, parent) if "ossbot:spawn" in c["body"]]


def test_invalid_options_are_answered_and_exit_2_with_nothing_created(tmp_path, gh):
    _maintainer(gh)
    parent, result = _open(tmp_path, gh, "@ossbot spawn\ncount: 5000\n\n" + _tasks(3))
    assert result.exit_code == 2
    assert _spawned(gh, parent) == []
    [reply] = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-reply-" in c["body"]]
    assert "count" in reply and "max_issues" in reply


def test_a_rerun_of_the_same_event_and_a_new_spec_never_duplicate(tmp_path, gh):
    _maintainer(gh)
    number = gh.add_issue(REPO, "Exporters", SMALL, user="maintainer")["number"]
    path = write_event(tmp_path / "e.json", issue_event(gh, number))
    for _ in range(2):
        result = ossbot("run", "--event", path, "--event-name", "issues", "--state", "none")
        assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_spawned(gh, number)) == 3
    # the same tasks in another issue: skipped as duplicates of the existing issues
    other, result = _open(tmp_path, gh, SMALL, title="Exporters again")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_spawned(gh, other)) == 3  # none new
    assert "Skipped as duplicates** (3)" in _run_comment(gh, other)["body"]


def _user_token(gh: Any, monkeypatch: Any, login: str = "maintainer") -> None:
    _maintainer(gh, login)
    gh.add_token("ghp_maint", login)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_maint")
    monkeypatch.setenv("OSSBOT_BOT_LOGIN", login)


def test_from_a_terminal_dry_run_touches_nothing_then_spawn_resume_and_status(
    tmp_path, gh, monkeypatch
):
    _user_token(gh, monkeypatch)
    number = gh.add_issue(REPO, "Plan", "Work to do:\n\n" + _tasks(4), user="maintainer")["number"]
    gh.clear_log()
    result = ossbot("spawn", "--repo", REPO, "--issue", str(number), "--dry-run")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert writes(gh) == []
    assert "Task number 4" in result.stdout and "create 4 issue(s)" in result.stdout

    result = ossbot("spawn", "--repo", REPO, "--issue", str(number))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_spawned(gh, number)) == 4

    result = ossbot("status", "--repo", REPO, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    [row] = result.json()["runs"]
    assert row["state"] == "completed" and row["created"] == 4 and row["parent"] == number

    result = ossbot("status", "--repo", REPO, "--issue", str(number), "--state", "none")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert row["run"] in result.stdout and "completed" in result.stdout  # from the comment

    result = ossbot("rollback", row["run"], "--repo", REPO)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert all(i["state"] == "closed" for i in _spawned(gh, number))


def test_with_a_model_the_count_and_tasks_are_generated_labels_and_dependencies_kept(
    tmp_path, gh, llm
):
    from fakes.llm_server import json_answer

    _maintainer(gh)
    llm.queue(
        json_answer({"count": 3}),
        json_answer(
            {
                "tasks": [
                    {
                        "title": "Design the export API",
                        "body": "Context.\n\n- [ ] done",
                        "labels": ["enhancement", "made-up"],
                        "depends_on": [],
                    },
                    {
                        "title": "Write the CSV writer",
                        "body": "Ping @everyone",
                        "labels": [],
                        "depends_on": [1],
                    },
                    {
                        "title": "Document exports",
                        "body": "Docs.",
                        "labels": ["documentation"],
                        "depends_on": [1, 2],
                    },
                ]
            }
        ),
    )
    body = "@ossbot spawn\n\nBuild an export feature, end to end."
    parent = gh.add_issue(REPO, "Exports", body, user="maintainer")["number"]
    path = write_event(tmp_path / "e.json", issue_event(gh, parent))
    result = ossbot("spawn", "--event", path, "--event-name", "issues")  # the spawn job only
    assert result.exit_code == 0, result.stdout + result.stderr
    issues = {i["title"]: i for i in _spawned(gh, parent)}
    assert set(issues) == {"Design the export API", "Write the CSV writer", "Document exports"}
    assert [label["name"] for label in issues["Design the export API"]["labels"]] == ["enhancement"]
    assert "@everyone" not in issues["Write the CSV writer"]["body"]
    assert issues["Document exports"]["issue_dependencies_summary"]["total_blocked_by"] == 2
    assert issues["Write the CSV writer"]["issue_dependencies_summary"]["total_blocked_by"] == 1


def test_a_comment_spec_with_yaml_options_template_and_milestone(tmp_path, gh):
    _maintainer(gh)
    gh.add_milestone(REPO, "v2.0")
    parent = gh.add_issue(REPO, "Components", "Each component needs docs.", user="maintainer")[
        "number"
    ]
    body = (
        "@ossbot spawn\n```yaml\nlabels: [documentation]\nmilestone: v2.0\nassignees: [maintainer]\n"
        "template:\n  title: 'Document {component_name}'\n  body: 'Write docs for `{path}` (see #{parent_issue}).'\n"
        "components_list:\n  - {name: parser, path: src/parser}\n  - {name: cli, path: src/cli}\n```\n"
    )
    result = _comment(tmp_path, gh, parent, body)
    assert result.exit_code == 0, result.stdout + result.stderr
    issues = sorted(_spawned(gh, parent), key=lambda i: i["number"])
    assert [i["title"] for i in issues] == ["Document parser", "Document cli"]
    for issue in issues:
        assert [label["name"] for label in issue["labels"]] == ["documentation"]
        assert issue["milestone"]["title"] == "v2.0"
        assert [a["login"] for a in issue["assignees"]] == ["maintainer"]
        assert f"(see #{parent})" in issue["body"]


def test_yaml_aliases_and_unknown_labels_are_refused(tmp_path, gh):
    _maintainer(gh)
    parent = gh.add_issue(REPO, "Spec", _tasks(2), user="maintainer")["number"]
    result = _comment(
        tmp_path, gh, parent, "@ossbot spawn\n```yaml\nlabels: &x [bug]\nassignees: *x\n```"
    )
    assert result.exit_code == 2
    result = _comment(tmp_path, gh, parent, "@ossbot spawn\nlabels: nonexistent-label")
    assert result.exit_code == 2
    replies = [c["body"] for c in gh.comments(REPO, parent) if "ossbot:spawn-reply-" in c["body"]]
    assert len(replies) == 2
    assert "anchor" in replies[0] or "alias" in replies[0]
    assert "nonexistent-label" in replies[1]
    assert _spawned(gh, parent) == []


def test_the_plan_is_recovered_from_the_preview_comment_when_the_state_is_lost(tmp_path, gh):
    _maintainer(gh)
    number = gh.add_issue(REPO, "Big", "@ossbot spawn\n\n" + _tasks(15), user="maintainer")[
        "number"
    ]
    path = write_event(tmp_path / "e.json", issue_event(gh, number))
    result = ossbot("run", "--event", path, "--event-name", "issues", "--state", "none")
    assert result.exit_code == 0, result.stdout + result.stderr
    run = _run_id(gh, number)
    comment = gh.add_comment(REPO, number, f"@ossbot confirm {run}", user="maintainer")
    path = write_event(tmp_path / "c.json", comment_event(gh, number, comment))
    result = ossbot("run", "--event", path, "--event-name", "issue_comment", "--state", "none")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(_spawned(gh, number)) == 15
    # rollback with the state lost too: from the markers
    comment = gh.add_comment(REPO, number, "@ossbot rollback last", user="maintainer")
    path = write_event(tmp_path / "r.json", comment_event(gh, number, comment))
    result = ossbot("run", "--event", path, "--event-name", "issue_comment", "--state", "none")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert all(i["state"] == "closed" for i in _spawned(gh, number))
