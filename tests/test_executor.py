"""Plans that fit every job, applied by the executor through the real writer over HTTP to the
fake GitHub: repository-level actions, references to what earlier actions created, intents
recorded before creates, markers added by the executor, unknown actions refused."""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import BOT, REPO
from ossbot.context import build_session
from ossbot.executor import Executor, UnknownAction
from ossbot.github.markers import find_marker
from ossbot.github.offline import OfflineReader
from ossbot.github.reader import GitHubReader, LiveReader
from ossbot.plan import (
    AddSubIssue,
    CreateIssue,
    Plan,
    Ref,
    UpsertCheckRun,
    UpsertComment,
)
from ossbot.settings import load_settings


def _executor(tmp_path: Path, key: str = "event:1") -> tuple[Executor, object]:
    session = build_session(load_settings(), REPO, dry_run=False)
    assert session.writer is not None
    ctx = session.ctx
    return Executor(session.writer, ctx.store, ctx.bot_login, job="test", event_key=key), session


def _plan(*actions) -> Plan:
    return Plan(job="test", event="test.run", repo=REPO, actions=list(actions))


def test_the_live_and_offline_readers_implement_the_same_interface():
    wanted = {name for name, _ in inspect.getmembers(GitHubReader) if not name.startswith("_")}
    for reader in (LiveReader, OfflineReader):
        have = {name for name, _ in inspect.getmembers(reader) if not name.startswith("_")}
        assert wanted <= have, (reader, wanted - have)
        for name in wanted - {"online", "total_requests"}:
            expected = inspect.signature(getattr(GitHubReader, name))
            assert inspect.signature(getattr(reader, name)) == expected, (reader, name)


def test_a_reference_must_name_an_earlier_action():
    with pytest.raises(ValidationError, match="no earlier action"):
        _plan(
            AddSubIssue(repo=REPO, parent=1, child=Ref(action="later", field="id")),
            CreateIssue(repo=REPO, key="later", marker="task", title="t", body="b"),
        )


def test_created_issues_are_linked_by_reference_and_carry_their_marker(tmp_path, gh):
    parent = gh.add_issue(REPO, "Spec", "A specification.", user="maintainer")["number"]
    executor, session = _executor(tmp_path)
    results = executor.apply(
        _plan(
            CreateIssue(
                repo=REPO,
                key="t1",
                marker="spawn",
                attrs={"task": "1"},
                title="Task one",
                body="Do the first thing.",
            ),
            AddSubIssue(repo=REPO, parent=parent, child=Ref(action="t1", field="id")),
        )
    )
    session.close()
    created = gh.issue(REPO, results[0].number)
    assert results[0].result == "created" and results[0].id == created["id"]
    assert find_marker(created["body"], "spawn").get("task") == "1"
    assert results[1].result == "linked"
    assert [i["number"] for i in gh_sub_issues(gh, parent)] == [created["number"]]


def gh_sub_issues(gh, number):
    import requests

    answer = requests.get(
        f"{gh.url}/repos/{REPO}/issues/{number}/sub_issues",
        headers={"Authorization": "token ghs_actions_token"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_the_intent_of_a_create_is_recorded_before_it_is_sent(tmp_path, gh):
    seen: list[list[tuple]] = []

    def look() -> None:
        with sqlite3.connect(tmp_path / "state.db") as db:
            seen.append(db.execute("SELECT marker, state FROM intents").fetchall())

    gh.before("POST", r"/repos/[^/]+/[^/]+/issues$", look)
    executor, session = _executor(tmp_path)
    executor.apply(
        _plan(
            CreateIssue(
                repo=REPO, marker="spawn", attrs={"task": "7"}, title="Seven", body="Seventh."
            )
        )
    )
    session.close()
    assert seen and seen[0] and seen[0][0][1] == "intended"
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT state FROM intents").fetchall() == [("created",)]


def test_a_create_whose_answer_was_lost_is_found_by_its_marker(tmp_path, gh):
    gh.drop_after("POST", r"/repos/[^/]+/[^/]+/issues$")
    executor, session = _executor(tmp_path)
    [result] = executor.apply(
        _plan(
            CreateIssue(repo=REPO, marker="spawn", attrs={"task": "2"}, title="Two", body="Second.")
        )
    )
    session.close()
    made = [i for i in gh.issues(REPO) if i["title"] == "Two"]
    assert len(made) == 1 and result.number == made[0]["number"]


def test_an_unfinished_intent_is_resumed_without_a_duplicate(tmp_path, gh):
    action = CreateIssue(
        repo=REPO, marker="spawn", attrs={"task": "3"}, title="Three", body="Third."
    )
    executor, session = _executor(tmp_path)
    executor.apply(_plan(action))
    session.close()
    with sqlite3.connect(tmp_path / "state.db") as db:  # as if the run died after sending
        db.execute("UPDATE intents SET state = 'intended'")
    executor, session = _executor(tmp_path, key="event:again")
    [result] = executor.apply(_plan(action))
    session.close()
    assert result.result == "exists"
    assert len([i for i in gh.issues(REPO) if i["title"] == "Three"]) == 1


def test_a_check_run_targets_the_repository_and_is_updated_in_place(tmp_path, gh):
    sha = "c" * 40
    for conclusion in ("neutral", "success"):
        executor, session = _executor(tmp_path, key=f"event:{conclusion}")
        [result] = executor.apply(
            _plan(
                UpsertCheckRun(
                    repo=REPO,
                    head_sha=sha,
                    name="ossbot review",
                    conclusion=conclusion,
                    title="Review",
                    summary=f"All {conclusion}.",
                )
            )
        )
        session.close()
    assert result.result == "updated"


def test_the_executor_adds_the_marker_and_cleans_the_body(tmp_path, gh):
    number = gh.add_issue(REPO, "Bug", "It breaks.", user="jdoe")["number"]
    session = build_session(load_settings(), REPO, dry_run=False)
    assert session.writer is not None
    executor = Executor(
        session.writer,
        session.ctx.store,
        BOT,
        job="test",
        event_key="e",
        clean=lambda text: text.replace("\u202e", ""),
    )
    executor.apply(
        _plan(
            UpsertComment(
                repo=REPO, number=number, marker="note", attrs={"k": "v"}, body="Hello \u202eworld"
            )
        )
    )
    session.close()
    [comment] = gh.comments(REPO, number)
    assert comment["body"].startswith("Hello world")
    assert find_marker(comment["body"], "note").get("k") == "v"


def test_an_unknown_action_type_is_an_error(tmp_path, gh):
    class Strange(UpsertComment):
        type: str = "frobnicate"  # type: ignore[assignment]

    plan = Plan.model_construct(
        job="t",
        event="e",
        repo=REPO,
        number=None,
        notes=[],
        skipped=None,
        actions=[Strange(repo=REPO, number=1, marker="x", body="y")],
    )
    executor, session = _executor(tmp_path)
    with pytest.raises(UnknownAction, match="frobnicate"):
        executor.apply(plan)
    session.close()
    assert gh.calls("POST") == []
