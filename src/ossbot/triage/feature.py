"""Triage of an issue: compute the plan (summary comment, labels, welcome). Reads only.

Offline, labels are learned from the repository's own labelled issues (keyword rules cover
what the history does not teach); with a model configured, the model writes the summary and
picks labels from the allowed set, shown the nearest labelled issues as examples. When every
provider fails, the offline engine does the work and the output says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from ossbot.context import Context
from ossbot.events import Event, Issue
from ossbot.github.markers import find_marker
from ossbot.github.own import find_own_comment
from ossbot.llm import guard
from ossbot.llm.client import AllProvidersFailed
from ossbot.llm.prompts import estimate_tokens
from ossbot.plan import AddLabels, CreateLabel, LabelSuggestion, Plan, SuggestLabels, UpsertComment
from ossbot.repo_config import LabelsConfig
from ossbot.text import safe_inline
from ossbot.triage.history import History, Past, history
from ossbot.triage.labelling import Candidate, by_keywords, choose, learn, permitted_labels
from ossbot.triage.offline import Summary, summarize
from ossbot.triage.related import Neighbours, Related
from ossbot.triage.welcome import plan_welcome

SUMMARY_MARKER = "triage-summary"
PROMPT_OVERHEAD = (
    1000  # tokens of instructions, title, system prompt and JSON schema around the body
)
EXAMPLES = 3  # nearest labelled issues shown to a model
MODEL_SURE, MODEL_UNSURE = 0.9, 0.5  # confidences given to a model's `labels` and `possible_labels`


class TriageAnswer(BaseModel):
    """What the model is asked for."""

    summary: list[str] = Field(description="Short bullet points about the issue.")
    labels: list[str] = Field(description="Names of labels that clearly apply.")
    possible_labels: list[str] = Field(
        default_factory=list,
        description="Names of labels that may apply, for a maintainer to decide.",
    )


@dataclass
class Analysis:
    bullets: list[str]
    signals: list[str]
    engine: str
    candidates: list[Candidate] = field(default_factory=list)
    create: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duplicates: list[Related] = field(default_factory=list)
    learned: str | None = None  # what the labels were learned from, for the comment's footer


def plan_issue(ctx: Context, event: Event, *, forced: bool = False) -> Plan:
    """`forced`: asked for by a command, whatever `triage.actions` says."""
    assert event.issue is not None
    plan = Plan(
        job="triage",
        event=f"{event.name}.{event.action}",
        repo=event.repo,
        number=event.issue.number,
    )
    reason = _config_skip(ctx, event, forced)  # decided before anything is read
    known = history(ctx) if not reason and _needs_history(ctx) else None
    issue, live = (event.issue, None) if reason else _live_issue(ctx, event.issue, known)
    reason = reason or _issue_skip(ctx, issue, live)
    if reason:
        welcome = plan_welcome(ctx, event, issue.user.login, is_pull_request=False)
        if welcome:
            return plan.with_(actions=welcome, notes=[f"no triage: {reason}"])
        return plan.with_(skipped=reason)
    actions, notes, new = _triage(ctx, event, issue, known, live)
    welcome = plan_welcome(ctx, event, issue.user.login, is_pull_request=False, new=new)
    return plan.with_(actions=actions + welcome, notes=notes)


def _live_issue(ctx: Context, issue: Issue, known: History | None) -> tuple[Issue, dict | None]:
    """The issue as GitHub shows it now (when online): a stale or replayed event never reverts
    newer text. The history's read usually holds it already."""
    if not ctx.online:
        return issue, None
    live = known.live.get(issue.number) if known else None
    if live is None:
        live = ctx.reader.issue_payload(ctx.repo, issue.number)
    if live is None:
        return issue, None
    fresh = Issue.model_validate({**live, "is_pull_request": bool(live.get("pull_request"))})
    return fresh, live


def _triage(
    ctx: Context, event: Event, issue: Issue, known: History | None, live: dict | None
) -> tuple[list, list[str], bool]:
    """The actions and notes, and whether the issue was read live with no comment at all (then
    there is no earlier comment of ossbot's to look for)."""
    analysis = analyse(ctx, issue, known)
    new = live is not None and live.get("comments") == 0
    previous = (
        None
        if new
        else find_own_comment(ctx.reader, event.repo, issue.number, SUMMARY_MARKER, ctx.bot_login)
    )
    marker = find_marker(previous.body, SUMMARY_MARKER) if previous else None
    applied_before = marker.get_list("labels") if marker else []
    cfg = ctx.config.labels
    choice = choose(analysis.candidates, cfg)
    on_issue = {name.lower() for name in issue.label_names}
    offered = [c for c in choice.apply + choice.suggest if c.name.lower() not in on_issue]
    actions: list = []
    native = False
    if cfg.mode == "apply":
        add = _labels_to_add([c.name for c in choice.apply], issue, applied_before, cfg.max)
        actions += [
            CreateLabel(repo=event.repo, name=name) for name in analysis.create if name in add
        ]
        if add:
            chosen = {c.name: c for c in choice.apply}
            actions.append(
                AddLabels(
                    repo=event.repo,
                    number=issue.number,
                    labels=add,
                    limit=cfg.max,
                    present=issue.label_names,
                    applied_before=applied_before,
                    confidence={n: round(chosen[n].confidence, 4) for n in add if n in chosen},
                    source={n: chosen[n].source for n in add if n in chosen},
                )
            )
        suggested = [c for c in choice.suggest if c.name.lower() not in on_issue]
    elif cfg.mode == "suggest" and offered:
        suggestion, native = _native_suggestions(ctx, issue, offered, analysis)
        actions += suggestion
        suggested, add = offered, []
    else:
        suggested, add = offered, []
    if ctx.config.triage.summary:
        record = sorted({*applied_before, *add}, key=str.lower)
        actions.append(
            UpsertComment(
                repo=event.repo,
                number=issue.number,
                marker=SUMMARY_MARKER,
                attrs={"labels": record},
                suggests={} if native else {c.name: round(c.confidence, 4) for c in suggested},
                body=_summary_body(ctx, analysis, record, suggested, native),
                new=new,
                version=(live or {}).get("updated_at"),
            )
        )
    notes = analysis.notes + (
        []
        if ctx.online
        else ["no token: the repository's labels, history, config and comments were not read"]
    )
    return actions, notes, new


def _config_skip(ctx: Context, event: Event, forced: bool) -> str | None:
    triage = ctx.config.triage
    if not triage.enabled:
        return "triage is turned off (triage.enabled: false)"
    if not forced and event.action not in triage.actions:
        return f"triage does not run on '{event.action}' (triage.actions)"
    return None


def _issue_skip(ctx: Context, issue: Issue, live: dict | None) -> str | None:
    if ctx.online and live is None:
        return "the issue no longer exists, or the token cannot see it"
    if issue.is_pull_request:
        return "this is a pull request"
    if issue.state != "open":
        return "the issue is closed"
    return None


def analyse(ctx: Context, issue: Issue, known: History | None) -> Analysis:
    summary = summarize(issue.title, issue.body, ctx.config.triage.summary_bullets)
    past = known.issues if known else []
    neighbours = Neighbours(issue, past)
    if ctx.llm.enabled:
        try:
            analysis = _with_model(ctx, issue, summary.signals, neighbours)
        except AllProvidersFailed as failure:
            analysis = _offline(ctx, issue, summary, past)
            analysis.engine = "offline (model unavailable)"
            analysis.notes.insert(
                0, f"the model was unavailable, so offline triage was used: {failure}"
            )
    else:
        analysis = _offline(ctx, issue, summary, past)
    dup = ctx.config.triage.duplicates
    if dup.enabled:
        analysis.duplicates = neighbours.duplicates(dup.max, dup.threshold)
    return analysis


def _needs_history(ctx: Context) -> bool:
    labels = ctx.config.labels
    learning = labels.enabled and labels.max > 0 and (labels.learn or ctx.llm.enabled)
    return ctx.online and (learning or ctx.config.triage.duplicates.enabled)


def _offline(ctx: Context, issue: Issue, summary: Summary, past: list[Past]) -> Analysis:
    analysis = Analysis([safe_inline(b) for b in summary.bullets], summary.signals, "offline")
    cfg = ctx.config.labels
    if not cfg.enabled or cfg.max == 0:
        return analysis
    available = ctx.reader.repo_labels(ctx.repo)
    names = None if available is None else [label.name for label in available]
    learned = learn(ctx, issue, past, [label.name for label in permitted_labels(ctx) or []], cfg)
    if learned.labels:
        analysis.learned = f"labels learned from {learned.examples} labelled issues"
    keywords, analysis.create = by_keywords(
        issue.title, issue.body, names, cfg, set(learned.labels), analysis.notes
    )
    analysis.candidates = learned.candidates + keywords
    return analysis


def _with_model(ctx: Context, issue: Issue, signals: list[str], neighbours: Neighbours) -> Analysis:
    cfg = ctx.config.labels
    eligible = _eligible_labels(ctx, cfg) if cfg.enabled and cfg.max else []
    names = [label["name"] for label in eligible]
    examples: list[dict[str, Any]] = (
        [
            {"title": r.past.title, "labels": [n for n in r.past.labels if n in names]}
            for r in neighbours.labelled(EXAMPLES, set(names))
        ]
        if names
        else []
    )
    label_tokens = sum(
        estimate_tokens(f"{label['name']} {label['description'][:160]}") + 2 for label in eligible
    )
    label_tokens += 2 * sum(estimate_tokens(name) + 2 for name in names)  # the schema's two enums
    example_tokens = sum(estimate_tokens(e["title"][:200]) + 12 for e in examples)
    body_budget = max(ctx.prompts.budget - label_tokens - example_tokens - PROMPT_OVERHEAD, 200)
    prompt = ctx.prompts.render(
        "triage.j2",
        repo=ctx.repo,
        title=issue.title,
        body=issue.body,
        labels=eligible,
        examples=examples,
        bullets=ctx.config.triage.summary_bullets,
        max_labels=cfg.max,
        body_budget=body_budget,
    )
    schema = TriageAnswer.model_json_schema()
    for key in ("labels", "possible_labels"):
        schema = guard.enum_schema(schema, key, names, cfg.max)
    answer = ctx.llm.generate(prompt, TriageAnswer, purpose="triage", json_schema=schema)
    value = answer.value
    assert value is not None
    bullets = guard.clean_lines(value.summary, most=ctx.config.triage.summary_bullets, limit=220)
    engine = answer.model + (" (fallback)" if answer.fallback else "")
    sure = guard.allowed_labels(value.labels, names, cfg.max)
    unsure = [
        n for n in guard.allowed_labels(value.possible_labels, names, cfg.max) if n not in sure
    ]
    candidates = [Candidate(n, MODEL_SURE, engine) for n in sure] + [
        Candidate(n, MODEL_UNSURE, engine) for n in unsure
    ]
    return Analysis(bullets or ["No summary was given."], signals, engine, candidates)


def _eligible_labels(ctx: Context, cfg: LabelsConfig) -> list[dict[str, str]]:
    """The labels a model may choose from: the repository's, narrowed by allow, deny and exclude."""
    permitted = permitted_labels(ctx)
    if permitted is None:  # no token: only what the config names
        names = cfg.allow or list(cfg.effective_rules())
        return [{"name": name, "description": ""} for name in names if cfg.permits(name)]
    return [{"name": label.name, "description": label.description or ""} for label in permitted]


def _native_suggestions(
    ctx: Context, issue: Issue, offered: list[Candidate], analysis: Analysis
) -> tuple[list, bool]:
    """GitHub's issue suggestions, when the repository has them: labels not suggested before
    (in any state: a dismissed suggestion is not made again)."""
    existing = ctx.reader.label_suggestions(ctx.repo, issue.number)
    if existing is None:
        if ctx.online:
            analysis.notes.append(
                "this repository does not have GitHub's issue suggestions: "
                "labels are suggested in the comment instead"
            )
        return [], False
    ids = {label.name.lower(): label.id for label in ctx.reader.repo_labels(ctx.repo) or []}
    seen = {item.get("target_id") for item in existing}
    fresh = [c for c in offered if ids.get(c.name.lower()) not in seen]
    if not fresh:
        return [], True
    items = [
        LabelSuggestion(
            name=c.name,
            confidence=_level(c.confidence),
            rationale=f"{c.percent}% confidence ({c.source})",
        )
        for c in fresh
    ]
    return [SuggestLabels(repo=ctx.repo, number=issue.number, labels=items)], True


def _level(confidence: float) -> Literal["high", "medium", "low"]:
    return "high" if confidence >= 0.8 else "medium" if confidence >= 0.5 else "low"


def _labels_to_add(
    picked: list[str], issue: Issue, applied_before: list[str], most: int
) -> list[str]:
    """Not already on the issue, not applied before by ossbot (a human may have removed it), and
    no more than `labels.max` counting what ossbot applied before and is still on the issue."""
    on_issue = {name.lower() for name in issue.label_names}
    before = {name.lower() for name in applied_before}
    room = max(most - len(before & on_issue), 0)
    return [name for name in picked if name.lower() not in on_issue | before][:room]


def _summary_body(
    ctx: Context, analysis: Analysis, record: list[str], suggested: list[Candidate], native: bool
) -> str:
    """`record`: every label ossbot has added to this issue. It is shown, and kept in the marker,
    so that a re-run with a stale payload renders the same text and writes nothing."""
    text = ctx.templates.render(
        "triage-summary.md.j2",
        summary=analysis.bullets,
        signals=analysis.signals,
        applied=record,
        suggested=[{"name": c.name, "percent": c.percent, "why": c.why} for c in suggested],
        suggested_on_issue=native,
        duplicates=[
            {
                "number": d.past.number,
                "title": safe_inline(d.past.title, 120),
                "url": d.past.html_url,
                "percent": d.percent,
            }
            for d in analysis.duplicates
        ],
        engine=analysis.engine,
        learned=analysis.learned,
    )
    return text
