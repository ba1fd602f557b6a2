"""Spawn survives the worst moments of a batch: the process killed half-way (with its local state
kept, and with it lost), and answers GitHub carried out but never delivered (an issue create, the
run comment, a sub-issue link). Whatever happened, running the same event again ends with exactly one issue per
task, each linked once under the parent, and one run comment."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import BOT, REPO, finish, issue_event, ossbot, spawn, write_event
from ossbot.github.markers import find_marker

TASKS = 100
KILL_AT = 38  # the create that never happens: the process dies as it arrives
CREATES = r"/repos/acme/widgets/issues$"
COMMENTS = r"/repos/acme/widgets/issues/\d+/comments$"
BIG = "spawn:\n  confirm_threshold: 200\n  max_issues: 100\n"
SPAWN_ONLY = BIG + "triage:\n  enabled: false\n"  # the run comment is the only comment


def _maintainer(gh: Any, login: str = "maintainer") -> str:
    gh.add_user(login)
    gh.set_permission(REPO, login, "write")
    return login


def _spec(tasks: int) -> str:
    items = "\n".join(f"- [ ] Task {i}" for i in range(1, tasks + 1))
    return f"The work, split.\n\n@ossbot spawn\n\n{items}\n"


def _config(tmp_path: Path, text: str = BIG) -> str:
    path = tmp_path / "ossbot.yml"
    path.write_text(text)
    return str(path)


def _parent(tmp_path: Path, gh: Any, tasks: int = TASKS) -> tuple[int, str]:
    """The parent issue, opened by a maintainer, and its `issues.opened` event file."""
    _maintainer(gh)
    number = gh.add_issue(REPO, "The work", _spec(tasks), user="maintainer")["number"]
    return number, write_event(tmp_path / f"issue-{number}.json", issue_event(gh, number))


def _args(event: str, config: str, *more: str) -> list[str]:
    return ["run", "--event", event, "--event-name", "issues", "--config", config, *more]


def _tasks(gh: Any, parent: int) -> list[int]:
    """The task index of every spawned issue, one entry per issue (a duplicate shows twice)."""
    found = []
    for issue in gh.issues(REPO):
        marker = find_marker(issue.get("body") or "", "spawn-task")
        if issue["number"] != parent and marker is not None:
            found.append(int(marker.get("t") or 0))
    return sorted(found)


def _children(gh: Any, parent: int) -> list[int]:
    return sorted(c["number"] for c in gh.sub_issues(REPO, parent))


def _spawned_numbers(gh: Any, parent: int) -> list[int]:
    return sorted(
        issue["number"]
        for issue in gh.issues(REPO)
        if issue["number"] != parent and find_marker(issue.get("body") or "", "spawn-task")
    )


def _run_comments(gh: Any, parent: int) -> list[dict[str, Any]]:
    return [
        c
        for c in gh.comments(REPO, parent)
        if c["user"]["login"] == BOT and "ossbot:spawn-run-" in c["body"]
    ]


def _carried_out(gh: Any, path: str) -> int:
    """POSTs to PATH the fake carried out (whatever the client heard of it)."""
    import re

    pattern = re.compile(path)
    return sum(
        1
        for r in gh.requests
        if r.method == "POST" and pattern.search(r.path) and r.served in (200, 201)
    )


def _assert_complete(gh: Any, parent: int) -> None:
    assert _tasks(gh, parent) == list(range(1, TASKS + 1))
    children = _children(gh, parent)
    assert children == _spawned_numbers(gh, parent)  # each linked, and only once
    assert len(children) == TASKS
    assert len(_run_comments(gh, parent)) == 1


# -- a process killed half-way -------------------------------------------------------------------


class _Killer:
    """Counts the issue creates as they arrive; kills the process at the KILL_AT-th (which is
    then answered 500 and not carried out: the process is gone anyway)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.arrived = 0
        self.ready = threading.Event()

    def __call__(self) -> None:
        self.arrived += 1
        if self.arrived == KILL_AT:
            self.ready.wait(10)
            assert self.pid is not None
            os.kill(self.pid, signal.SIGKILL)
            raise RuntimeError("the process was killed")


def _killed_half_way(tmp_path: Path, gh: Any) -> tuple[int, str, str]:
    parent, event = _parent(tmp_path, gh)
    config = _config(tmp_path)
    killer = _Killer()
    gh.before("POST", CREATES, killer, times=KILL_AT)
    process = spawn(*_args(event, config))
    killer.pid = process.pid
    killer.ready.set()
    [ran] = finish(process)
    assert ran.exit_code == -signal.SIGKILL, ran.stdout + ran.stderr
    assert killer.arrived == KILL_AT
    assert _carried_out(gh, CREATES) == KILL_AT - 1
    assert len(_tasks(gh, parent)) == KILL_AT - 1
    return parent, event, config


def test_a_killed_run_is_finished_by_the_same_event_with_its_state(tmp_path, gh):
    parent, event, config = _killed_half_way(tmp_path, gh)
    assert Path(os.environ["OSSBOT_STATE"]).exists()
    again = ossbot(*_args(event, config, "--format", "json"))
    assert again.exit_code == 0, again.stdout + again.stderr
    _assert_complete(gh, parent)
    assert _carried_out(gh, CREATES) == TASKS


@pytest.mark.parametrize("lost", ["deleted", "none"])
def test_a_killed_run_is_finished_by_the_same_event_without_its_state(tmp_path, gh, lost):
    parent, event, config = _killed_half_way(tmp_path, gh)
    more: tuple[str, ...] = ()
    if lost == "deleted":
        state = Path(os.environ["OSSBOT_STATE"])
        for leftover in state.parent.glob(state.name + "*"):  # and its -wal, -shm, ...
            leftover.unlink()
    else:
        more = ("--state", "none")
    again = ossbot(*_args(event, config, "--format", "json", *more))
    assert again.exit_code == 0, again.stdout + again.stderr
    _assert_complete(gh, parent)
    assert _carried_out(gh, CREATES) == TASKS


# -- answers lost on the way back ----------------------------------------------------------------


def _at(gh: Any, path: str, nth: int, fault: Any) -> None:
    """FAULT() is installed as the NTH POST to PATH arrives, so that it meets that very request
    (hooks run before the fake takes its faults): a fault in the middle of a batch."""
    seen = {"arrived": 0}

    def count() -> None:
        seen["arrived"] += 1
        if seen["arrived"] == nth:
            fault()

    gh.before("POST", path, count, times=nth)


def test_an_issue_create_whose_answer_is_lost_is_not_created_twice(tmp_path, gh):
    parent, event = _parent(tmp_path, gh, tasks=20)
    config = _config(tmp_path)
    _at(gh, CREATES, 7, lambda: gh.drop_after("POST", CREATES))
    ran = ossbot(*_args(event, config, "--format", "json"))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert [r.fault for r in gh.requests if r.fault == "drop_after"] == ["drop_after"]
    assert _tasks(gh, parent) == list(range(1, 21))
    assert _carried_out(gh, CREATES) == 20
    assert _children(gh, parent) == _spawned_numbers(gh, parent)
    assert len(_run_comments(gh, parent)) == 1


def test_an_issue_create_that_times_out_is_not_created_twice(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("OSSBOT_HTTP_TIMEOUT", "1")
    parent, event = _parent(tmp_path, gh, tasks=12)
    config = _config(tmp_path)
    _at(gh, CREATES, 5, lambda: gh.slow_after("POST", CREATES, 3))  # answered after 3 s
    ran = ossbot(*_args(event, config, "--format", "json"))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert [r.fault for r in gh.requests if r.fault] == ["slow_after"]
    assert _tasks(gh, parent) == list(range(1, 13))
    assert _carried_out(gh, CREATES) == 12
    assert _children(gh, parent) == _spawned_numbers(gh, parent)
    assert len(_run_comments(gh, parent)) == 1


def test_the_run_comment_whose_answer_is_lost_is_posted_once(tmp_path, gh):
    parent, event = _parent(tmp_path, gh, tasks=20)
    config = _config(tmp_path, SPAWN_ONLY)
    gh.drop_after("POST", COMMENTS)
    ran = ossbot(*_args(event, config, "--format", "json"))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert [r.fault for r in gh.requests if r.fault] == ["drop_after"]
    assert _carried_out(gh, COMMENTS) == 1
    assert len(_run_comments(gh, parent)) == 1
    assert len(gh.comments(REPO, parent)) == 1
    assert _tasks(gh, parent) == list(range(1, 21))
    assert _children(gh, parent) == _spawned_numbers(gh, parent)


def test_a_sub_issue_link_whose_answer_is_lost_links_once(tmp_path, gh):
    parent, event = _parent(tmp_path, gh, tasks=20)
    config = _config(tmp_path)
    links = r"/repos/acme/widgets/issues/\d+/sub_issues$"
    _at(gh, links, 7, lambda: gh.drop_after("POST", links))
    ran = ossbot(*_args(event, config, "--format", "json"))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert [r.fault for r in gh.requests if r.fault] == ["drop_after"]
    assert _tasks(gh, parent) == list(range(1, 21))
    assert _children(gh, parent) == _spawned_numbers(gh, parent)
    assert len(_children(gh, parent)) == 20


def test_a_run_that_fills_the_parent_reports_no_issue_unlinked(tmp_path, gh):
    """100 children is GitHub's limit, and the 100th link is the one that reaches it: every
    issue is linked, and the run says none was left out."""
    parent, event = _parent(tmp_path, gh)
    config = _config(tmp_path)
    ran = ossbot(*_args(event, config, "--format", "json"))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    _assert_complete(gh, parent)
    [spawned] = [j for j in ran.json()["jobs"] if j["job"] == "spawn"]
    [result] = spawned["results"]
    assert "not linked" not in (result["note"] or "")
    assert "not linked" not in _run_comments(gh, parent)[0]["body"]
