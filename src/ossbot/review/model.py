"""The review with a model: prioritized hunks, delimited as data, in at most `review.max_calls`
calls that each fit `llm.input_budget`; structured findings validated against the diff (a
finding whose file and line are not in the hunks the model was shown is dropped) and guarded
like triage's output (mentions, markers, HTML, length)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

from ossbot.context import Context
from ossbot.events import PullRequest
from ossbot.llm import guard
from ossbot.llm.client import JSON_INSTRUCTION
from ossbot.llm.prompts import estimate_tokens
from ossbot.plan import Finding
from ossbot.review.diff import FileDiff, Hunk, render_hunk
from ossbot.review.offline import CATEGORIES, finding_key

MARGIN = 64  # tokens kept free in each prompt for the estimate's error
BODY_TOKENS = 800  # the description's share of each prompt


class ModelFinding(BaseModel):
    file: str
    line: int
    severity: str = "medium"
    title: str
    details: str = ""


class ModelFile(BaseModel):
    file: str
    note: str
    risk: str = "low"


class ReviewAnswer(BaseModel):
    """What the model is asked for."""

    category: str = Field("mixed", description="One of " + ", ".join(CATEGORIES))
    summary: list[str] = Field(default_factory=list)
    files: list[ModelFile] = Field(default_factory=list)
    findings: list[ModelFinding] = Field(default_factory=list)


@dataclass
class ModelReview:
    engine: str
    category: str | None = None
    summary: list[str] = field(default_factory=list)
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (note, risk)
    findings: list[Finding] = field(default_factory=list)
    dropped: int = 0  # findings pointing outside the diff
    calls: int = 0
    tokens: int = 0  # prompt tokens sent (estimated)
    read: dict[str, int] = field(default_factory=dict)  # hunks per path in answered calls
    unread: list[str] = field(default_factory=list)  # chosen, not (wholly) read by the model
    failed: int = 0  # later calls that no provider answered


Ranked = list[tuple[str, Hunk]]  # (path, hunk), most important first


def plan_calls(
    ctx: Context, pull: PullRequest, files: dict[str, FileDiff], ranked: Ranked
) -> list[dict[str, list[Hunk]]]:
    """The hunks of each call, taken by priority and packed into at most max_calls prompts that
    each fit the input budget: what does not fit is the least important, left to the coverage.
    Each call shows its hunks file by file, in the pull request's order."""
    room, block = _room(ctx, pull, files)
    calls: list[Ranked] = [[]]
    used: list[int] = [0]
    paths: list[set[str]] = [set()]
    most = ctx.config.review.max_calls
    for path, hunk in ranked:
        header = block + estimate_tokens(path) + 2
        for index in range(most):
            if index == len(calls):
                calls.append([])
                used.append(0)
                paths.append(set())
            cost = hunk.tokens + 1 + (0 if path in paths[index] else header)
            if used[index] + cost <= room:
                calls[index].append((path, hunk))
                used[index] += cost
                paths[index].add(path)
                break
    packed = [call for call in calls if call]
    parts = len(packed)
    return [
        _grouped(files, _fitted(ctx, pull, files, call, part, parts))
        for part, call in enumerate(packed, 1)
    ]


def _grouped(files: dict[str, FileDiff], call: Ranked) -> dict[str, list[Hunk]]:
    order = {path: index for index, path in enumerate(files)}
    grouped: dict[str, list[Hunk]] = {}
    for path, hunk in sorted(call, key=lambda pair: (order.get(pair[0], 0), pair[1].target_start)):
        grouped.setdefault(path, []).append(hunk)
    return grouped


def _room(ctx: Context, pull: PullRequest, files: dict[str, FileDiff]) -> tuple[int, int]:
    """The tokens a prompt has for diffs, and what one file's block costs besides its path and
    hunks (both measured on the rendered template, which a repository may override)."""
    empty = _prompt(ctx, pull, {}, {}, 1, 3)
    overhead = empty.tokens + _schema_tokens()
    probe = {"": FileDiff(path="", status="modified", additions=0, deletions=0, kind="source")}
    block = _prompt(ctx, pull, {**files, **probe}, {"": []}, 1, 3).tokens - empty.tokens
    return max(ctx.llm.setup.input_budget - overhead - MARGIN, 0), max(block, 0) + 4


def _fitted(
    ctx: Context,
    pull: PullRequest,
    files: dict[str, FileDiff],
    call: Ranked,
    part: int,
    parts: int,
) -> Ranked:
    """The call as packed, less its least important hunks while the rendered prompt is over the
    budget (the estimate is checked, never trusted)."""
    extra = _schema_tokens() + MARGIN // 2
    call = list(call)
    while call and _prompt(ctx, pull, files, _grouped(files, call), part, parts).tokens + extra > (
        ctx.llm.setup.input_budget
    ):
        call.pop()
    return call


@cache
def _schema_tokens() -> int:
    """What the JSON instruction adds to a prompt for a provider without native schemas."""
    schema = json.dumps(ReviewAnswer.model_json_schema(), sort_keys=True)
    return estimate_tokens(JSON_INSTRUCTION.format(schema=schema))


def _prompt(
    ctx: Context,
    pull: PullRequest,
    files: dict[str, FileDiff],
    call: dict[str, list[Hunk]],
    part: int,
    parts: int,
) -> Any:
    shown = [
        {
            "path": path,
            "kind": files[path].kind,
            "status": files[path].status,
            "hunks": "\n".join(render_hunk(h) for h in hunks),
        }
        for path, hunks in call.items()
    ]
    return ctx.prompts.render(
        "review.j2",
        repo=ctx.repo,
        title=pull.title,
        body=pull.body,
        body_budget=BODY_TOKENS,
        category_choices=list(CATEGORIES),
        files=shown,
        part=part,
        parts=parts,
        max_findings=ctx.config.review.max_findings,
    )


def review_with_model(
    ctx: Context,
    pull: PullRequest,
    files: dict[str, FileDiff],
    calls: list[dict[str, list[Hunk]]],
) -> ModelReview:
    """Raises AllProvidersFailed when no provider answers the first call; a later call that
    fails leaves its files to the coverage."""
    from ossbot.llm.client import AllProvidersFailed

    review = ModelReview(engine="")
    for part, call in enumerate(calls, start=1):
        prompt = _prompt(ctx, pull, files, call, part, len(calls))
        try:
            answer = ctx.llm.generate(prompt, ReviewAnswer, purpose="review")
        except AllProvidersFailed:
            if part == 1:
                raise
            review.failed += 1
            continue
        review.calls += 0 if answer.cached else 1
        review.tokens += answer.prompt_tokens or prompt.tokens
        review.engine = answer.model + (" (fallback)" if answer.fallback else "")
        value = answer.value
        assert value is not None
        for path, hunks in call.items():
            review.read[path] = review.read.get(path, 0) + len(hunks)
        _take(review, value, files, call, first=part == 1)
    return review


def _take(
    review: ModelReview,
    value: ReviewAnswer,
    files: dict[str, FileDiff],
    call: dict[str, list[Hunk]],
    *,
    first: bool,
) -> None:
    if first:
        category = str(value.category).strip().lower()
        review.category = category if category in CATEGORIES else None
    for line in guard.clean_lines(value.summary, most=4, limit=220):
        if len(review.summary) < 4 and line not in review.summary:
            review.summary.append(line)
    for note in value.files:
        if note.file in call:
            review.notes[note.file] = (guard.clean_text(note.note, 200), _severity(note.risk))
    lines = {
        path: {line for hunk in hunks for line in hunk.right_lines} for path, hunks in call.items()
    }
    for item in value.findings:
        if item.file not in call or item.line not in lines[item.file]:
            review.dropped += 1
            continue
        text = _line_text(call[item.file], item.line)
        title = guard.clean_text(item.title, 120) or "Possible problem"
        review.findings.append(
            Finding(
                key=finding_key("model", item.file, title.lower(), text.strip()),
                kind="model",
                title=title,
                details=guard.clean_text(item.details, 500),
                severity=_severity(item.severity),
                file=item.file,
                line=item.line,
                source=review.engine,
            )
        )


def _line_text(hunks: list[Hunk], line: int) -> str:
    for hunk in hunks:
        for kind, number, text in hunk.lines:
            if number == line and kind != "-":
                return text
    return ""


def _severity(value: Any) -> Any:
    word = str(value or "").strip().lower()
    if word in ("high", "critical", "major", "blocker", "severe", "error"):
        return "high"
    if word in ("medium", "moderate", "warning", "normal"):
        return "medium"
    return "low"
