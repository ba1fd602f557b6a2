"""Duplicates of a spawn batch: within the batch, and against the repository's issues (open
and closed, pull requests aside), compared by `unique_by`: the title, the body, or a hash of
both (the default). Comparison forgives case, spacing and punctuation, so "Add CSV export."
and "add csv  export" are the same task.

A skipped task's dependents are pointed at what it duplicates: the kept task of the batch, or
the existing issue (by number)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ossbot.spawn.split import Task

UniqueBy = Literal["title", "body", "hash"]
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Skipped:
    index: int  # in the batch, 0-based
    task: Task
    same_as_task: int | None = None  # a kept task of the batch (0-based)
    same_as_issue: int | None = None  # an existing issue's number


@dataclass
class Deduped:
    kept: list[int] = field(default_factory=list)  # indexes into the batch
    skipped: list[Skipped] = field(default_factory=list)
    # What each task's dependencies become: kept tasks (0-based) and existing issues (numbers).
    depends_on: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)


def normalized(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", (text or "").casefold()).split())


def key_of(title: str, body: str, unique_by: UniqueBy) -> str:
    if unique_by == "title":
        return normalized(title)
    if unique_by == "body":
        return normalized(body)
    material = normalized(title) + "\n" + normalized(body)
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def dedupe(
    tasks: Sequence[Task], existing: Iterable[dict[str, Any]], unique_by: UniqueBy = "hash"
) -> Deduped:
    """Which tasks to create, which to skip and why. `existing`: issues as the API lists them."""
    known: dict[str, int] = {}
    for issue in existing:
        if issue.get("pull_request"):
            continue
        key = key_of(str(issue.get("title") or ""), str(issue.get("body") or ""), unique_by)
        if key and isinstance(issue.get("number"), int):
            known.setdefault(key, issue["number"])
    result = Deduped()
    first: dict[str, int] = {}
    alias: dict[int, tuple[str, int]] = {}  # skipped index -> ("task", kept) or ("issue", number)
    for index, task in enumerate(tasks):
        key = key_of(task.title, task.body, unique_by)
        if key and key in known:
            result.skipped.append(Skipped(index, task, same_as_issue=known[key]))
            alias[index] = ("issue", known[key])
        elif key and key in first:
            result.skipped.append(Skipped(index, task, same_as_task=first[key]))
            alias[index] = ("task", first[key])
        else:
            if key:
                first[key] = index
            result.kept.append(index)
    for index in result.kept:
        on_tasks: list[int] = []
        on_issues: list[int] = []
        for dependency in tasks[index].depends_on:
            kind, target = alias.get(dependency, ("task", dependency))
            chosen = on_issues if kind == "issue" else on_tasks
            if target != index and target not in chosen and (kind == "issue" or target < index):
                chosen.append(target)
        result.depends_on[index] = (tuple(on_tasks), tuple(on_issues))
    return result
