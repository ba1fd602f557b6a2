"""Spawn's generation with a model, at the HTTP level against the fake LLM server."""

from __future__ import annotations

import pytest

from fakes.llm_server import FakeLLM, error, json_answer
from ossbot.llm.client import AllProvidersFailed, LLMClient
from ossbot.llm.config import resolve
from ossbot.llm.prompts import Prompts
from ossbot.repo_config import parse_repo_config
from ossbot.settings import Settings
from ossbot.spawn.generate import clean_body, decide_count, generate_tasks
from ossbot.state.store import StateStore

SPEC = "Build the export:\n\n- CSV export\n- JSON export\n- a progress bar\n"


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def client(fake, tmp_path) -> LLMClient:
    settings = Settings(
        llm_provider="custom",
        llm_endpoint=fake.openai_base,
        llm_model_name="m",
        llm_retry_backoff=0,
        llm_max_retries=0,
    )
    setup = resolve(settings, parse_repo_config("llm:\n  max_retries: 0\n").llm)
    return LLMClient(setup, StateStore(tmp_path / "state.db"), sleep=lambda s: None)


def task(title, body="Do it.", labels=(), depends_on=()):
    return {"title": title, "body": body, "labels": list(labels), "depends_on": list(depends_on)}


def test_tasks_come_in_batches_and_are_guarded(fake, tmp_path, monkeypatch):
    monkeypatch.setattr("ossbot.spawn.generate.BATCH", 2)
    fake.queue(
        json_answer(
            {
                "tasks": [
                    task(
                        "Add CSV export <b>now</b>",
                        "Ping @everyone <!-- ossbot:x -->",
                        labels=["enhancement", "invented"],
                        depends_on=[1, 5],
                    ),
                    task("Add JSON export", depends_on=[1]),
                ]
            }
        ),
        json_answer({"tasks": [task("Show progress " + "x" * 200, depends_on=[3, 2, 0])]}),
    )
    tasks, notes = generate_tasks(
        client(fake, tmp_path),
        Prompts(),
        "acme/widgets",
        7,
        SPEC,
        count=3,
        labels=["enhancement", "bug"],
    )
    assert notes == []
    assert [t.source for t in tasks] == ["model"] * 3
    assert tasks[0].title == "Add CSV export now"  # no HTML
    assert "@everyone" not in tasks[0].body and "ossbot:" not in tasks[0].body
    assert tasks[0].labels == ("enhancement",)  # the invented label is dropped
    assert tasks[0].depends_on == ()  # itself and later tasks are not dependencies
    assert tasks[1].depends_on == (0,)
    assert tasks[2].depends_on == (1,)  # only earlier tasks, 0-based
    assert len(tasks[2].title) <= 80
    chats = [r for r in fake.requests if r.api == "openai"]
    assert len(chats) == 2
    second = chats[1].body["messages"][-1]["content"]
    assert "Give tasks 3 to 3 of the 3" in second and "Add JSON export" in second


def test_the_offline_splitter_takes_over_when_the_model_is_down(fake, tmp_path):
    fake.queue(*[error(500, "down") for _ in range(4)])
    tasks, notes = generate_tasks(
        client(fake, tmp_path), Prompts(), "acme/widgets", 7, SPEC, count=5, labels=[]
    )
    assert [t.title for t in tasks] == ["CSV export", "JSON export", "a progress bar"]
    assert "split offline" in notes[0]


def test_the_count_is_clamped(fake, tmp_path):
    fake.queue(json_answer({"count": 500}), json_answer({"count": 0}))
    llm = client(fake, tmp_path)
    assert decide_count(llm, Prompts(), "acme/widgets", 7, SPEC, max_issues=100) == 100
    assert decide_count(llm, Prompts(), "acme/widgets", 7, SPEC + " ", max_issues=100) == 1
    asked = next(r for r in fake.requests if r.api == "openai").body["messages"][-1]["content"]
    assert "Count the tasks" in asked and "from 1 to 100" in asked


def test_the_count_needs_a_model(fake, tmp_path):
    fake.queue(*[error(500, "down") for _ in range(4)])
    with pytest.raises(AllProvidersFailed):
        decide_count(client(fake, tmp_path), Prompts(), "acme/widgets", 7, SPEC, max_issues=10)


def test_prompts_stay_within_the_budget_whatever_the_spec(fake, tmp_path):
    fake.queue(json_answer({"tasks": [task("One")]}))
    generate_tasks(
        client(fake, tmp_path),
        Prompts(budget=3000),
        "acme/widgets",
        7,
        "word " * 50_000,
        count=1,
        labels=[],
    )
    [chat] = [r for r in fake.requests if r.api == "openai"]
    text = "".join(m["content"] for m in chat.body["messages"])
    assert (len(text) + 3) // 4 <= 12000  # llm.input_budget


def test_clean_body_bounds_and_cleans():
    body = clean_body("line\n" * 2000 + "<script>x</script> @here")
    assert len(body) <= 4010 and body.endswith("…") and "<script>" not in body
