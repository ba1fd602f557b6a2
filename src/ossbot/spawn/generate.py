"""Tasks from a specification with a model: the count decided when not given (clamped to
1..max_issues), then the tasks in bounded batches, each prompt within the input budget, as
validated structured output. Model text is untrusted: titles and bodies are cleaned (no
markers, HTML or mentions, bounded), labels are kept only from the allowed set, and a task may
depend only on tasks before it. When every provider fails, the offline splitter does the work."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ossbot.github.markers import strip_markers
from ossbot.llm import guard
from ossbot.llm.client import AllProvidersFailed, LLMClient
from ossbot.llm.prompts import Prompt, Prompts
from ossbot.spawn.split import FALLBACK_TITLE, MAX_BODY, MAX_TITLE, Task, split_spec
from ossbot.text import clip, neutralize_mentions, sanitize, strip_html

BATCH = 10  # tasks asked for in one call
PROMPT_OVERHEAD = 1500  # tokens of instructions, earlier titles and schema around the spec
MODEL = "model"


class CountAnswer(BaseModel):
    count: int = Field(description="How many tasks the specification holds.")


class GeneratedTask(BaseModel):
    title: str
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list)


class TaskBatch(BaseModel):
    tasks: list[GeneratedTask]


def decide_count(
    llm: LLMClient, prompts: Prompts, repo: str, parent: int, spec: str, *, max_issues: int
) -> int:
    """How many tasks, by the model, clamped to 1..max_issues (AllProvidersFailed passes up)."""
    prompt = _prompt(prompts, repo, parent, spec, count=max_issues, counting=True)
    answer = llm.generate(prompt, CountAnswer, purpose="spawn:count")
    assert answer.value is not None
    return min(max(answer.value.count, 1), max_issues)


def generate_tasks(
    llm: LLMClient,
    prompts: Prompts,
    repo: str,
    parent: int,
    spec: str,
    *,
    count: int,
    labels: list[str],
    max_labels: int = 3,
) -> tuple[list[Task], list[str]]:
    """`count` tasks and notes; offline (split_spec) when the model is unavailable."""
    tasks: list[Task] = []
    notes: list[str] = []
    try:
        while len(tasks) < count:
            first, last = len(tasks) + 1, min(len(tasks) + BATCH, count)
            prompt = _prompt(
                prompts,
                repo,
                parent,
                spec,
                first=first,
                last=last,
                count=count,
                earlier=[task.title for task in tasks],
                labels=labels,
                max_labels=max_labels,
            )
            answer = llm.generate(prompt, TaskBatch, purpose="spawn:tasks")
            assert answer.value is not None
            given = answer.value.tasks[: last - first + 1]
            if not given:
                notes.append(f"the model gave no task for {first} to {last}: stopped there")
                break
            for item in given:
                tasks.append(_task(item, len(tasks) + 1, labels, max_labels))
    except AllProvidersFailed as failure:
        notes.append(f"the model was unavailable, so the spec was split offline: {failure}")
        return split_spec(spec, max_tasks=count), notes
    return tasks, notes


def _prompt(prompts: Prompts, repo: str, parent: int, spec: str, **values: Any) -> Prompt:
    """spawn.j2 with its defaults (a counting prompt sets `counting`)."""
    shown = {
        "first": 1,
        "last": 1,
        "earlier": [],
        "labels": [],
        "max_labels": 0,
        "counting": False,
        **values,
    }
    budget = max(prompts.budget - PROMPT_OVERHEAD, 200)
    return prompts.render(
        "spawn.j2", repo=repo, parent=parent, spec=spec, spec_budget=budget, **shown
    )


def _task(item: GeneratedTask, number: int, labels: list[str], max_labels: int) -> Task:
    title = guard.clean_text(item.title, MAX_TITLE) or FALLBACK_TITLE
    # The model numbers tasks from 1; Task.depends_on holds 0-based indexes of earlier tasks.
    depends = sorted({n - 1 for n in item.depends_on if isinstance(n, int) and 0 < n < number})
    chosen = tuple(guard.allowed_labels(item.labels, labels, max_labels))
    return Task(title, clean_body(item.body), tuple(depends), MODEL, chosen)


def clean_body(text: str, limit: int = MAX_BODY) -> str:
    """A model's Markdown fit for an issue body: no markers, no HTML, no mention that notifies,
    no control characters, bounded (cut at a line)."""
    body = neutralize_mentions(strip_html(strip_markers(sanitize(str(text or "")))))
    if len(body) <= limit:
        return body.strip()
    cut = body[:limit].rsplit("\n", 1)[0] or clip(body, limit)
    return cut.rstrip() + "\n\n…"
