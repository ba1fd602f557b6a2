"""Triage of an issue: compute the plan (summary comment, labels). Reads only; never writes.

With a model configured, the model writes the summary and picks labels from the allowed set;
without one, or when every provider fails, the offline engine does (and the output says so)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from ossbot.context import Context
from ossbot.events import Event, Issue
from ossbot.github.markers import Marker, find_marker
from ossbot.llm import guard
from ossbot.llm.client import AllProvidersFailed
from ossbot.llm.prompts import estimate_tokens
from ossbot.plan import AddLabels, CreateLabel, Plan, UpsertComment, find_own_comment
from ossbot.repo_config import LabelsConfig
from ossbot.text import safe_inline
from ossbot.triage.offline import Summary, keyword_scores, resolve_label, summarize

SUMMARY_MARKER = "triage-summary"
MIN_KEYWORD_SCORE = 2.0  # one keyword in the title, or two in the body
PROMPT_OVERHEAD = 1000  # tokens of instructions, title, system prompt and JSON schema around the body


class TriageAnswer(BaseModel):
    """What the model is asked for."""

    summary: list[str] = Field(description="Short bullet points about the issue.")
    labels: list[str] = Field(description="Names of labels that clearly apply.")


@dataclass
class Analysis:
    bullets: list[str]
    signals: list[str]
    picked: list[str]
    engine: str
    create: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan_triage(ctx: Context, event: Event) -> Plan:
    issue = event.issue
    assert issue is not None
    plan = Plan(job="triage", event=f"{event.name}.{event.action}", repo=event.repo, number=issue.number)
    reason = _skip_reason(ctx, event, issue)
    if reason:
        return plan.model_copy(update={"skipped": reason})
    previous = find_own_comment(ctx.reader, event.repo, issue.number, SUMMARY_MARKER, ctx.bot_login)
    marker = find_marker(previous.body, SUMMARY_MARKER) if previous else None
    applied_before = marker.get_list("labels") if marker else []
    analysis = analyse(ctx, issue)
    add = _labels_to_add(analysis.picked, issue, applied_before)
    actions: list = [CreateLabel(repo=event.repo, name=name) for name in analysis.create if name in add]
    if add:
        actions.append(AddLabels(repo=event.repo, number=issue.number, labels=add))
    if ctx.config.triage.summary:
        record = sorted({*applied_before, *add}, key=str.lower)
        actions.append(UpsertComment(repo=event.repo, number=issue.number, marker=SUMMARY_MARKER,
                                     body=_summary_body(ctx, analysis, record)))
    notes = analysis.notes + ([] if ctx.online else [
        "no token: the repository's labels, config and comments were not read"])
    return plan.model_copy(update={"actions": actions, "notes": notes})


def _skip_reason(ctx: Context, event: Event, issue: Issue) -> str | None:
    triage = ctx.config.triage
    if not triage.enabled:
        return "triage is turned off (triage.enabled: false)"
    if event.action not in triage.actions:
        return f"triage does not run on '{event.action}' (triage.actions)"
    if issue.is_pull_request:
        return "this is a pull request"
    if issue.state != "open":
        return "the issue is closed"
    return None


def analyse(ctx: Context, issue: Issue) -> Analysis:
    summary = summarize(issue.title, issue.body, ctx.config.triage.summary_bullets)
    if ctx.llm.enabled:
        try:
            return _with_model(ctx, issue, summary.signals)
        except AllProvidersFailed as failure:
            analysis = _offline(ctx, issue, summary)
            analysis.engine = "offline (model unavailable)"
            analysis.notes.insert(0, f"the model was unavailable, so offline triage was used: {failure}")
            return analysis
    return _offline(ctx, issue, summary)


def _offline(ctx: Context, issue: Issue, summary: Summary) -> Analysis:
    analysis = Analysis([safe_inline(b) for b in summary.bullets], summary.signals, [], "offline")
    cfg = ctx.config.labels
    if not cfg.enabled or cfg.max == 0:
        return analysis
    scores = keyword_scores(issue.title, issue.body, cfg.effective_rules())
    ranked = [rule for rule, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
              if score >= MIN_KEYWORD_SCORE]
    if ranked:
        analysis.picked = _pick_by_rules(ctx, cfg, ranked, analysis)
    return analysis


def _with_model(ctx: Context, issue: Issue, signals: list[str]) -> Analysis:
    cfg = ctx.config.labels
    eligible = _eligible_labels(ctx, cfg) if cfg.enabled and cfg.max else []
    names = [label["name"] for label in eligible]
    label_tokens = sum(estimate_tokens(f"{label['name']} {label['description'][:160]}") + 2
                       for label in eligible)
    body_budget = max(ctx.prompts.budget - label_tokens - PROMPT_OVERHEAD, 200)
    prompt = ctx.prompts.render("triage.j2", repo=ctx.repo, title=issue.title, body=issue.body,
                                labels=eligible, bullets=ctx.config.triage.summary_bullets,
                                max_labels=cfg.max, body_budget=body_budget)
    schema = guard.enum_schema(TriageAnswer.model_json_schema(), "labels", names, cfg.max)
    answer = ctx.llm.generate(prompt, TriageAnswer, purpose="triage", json_schema=schema)
    value = answer.value
    assert value is not None
    bullets = guard.clean_lines(value.summary, most=ctx.config.triage.summary_bullets, limit=220)
    engine = answer.model + (" (fallback)" if answer.fallback else "")
    return Analysis(bullets or ["No summary was given."], signals,
                    guard.allowed_labels(value.labels, names, cfg.max), engine)


def _eligible_labels(ctx: Context, cfg: LabelsConfig) -> list[dict[str, str]]:
    """The labels a model may choose from: the repository's, narrowed by allow and deny."""
    available = ctx.reader.repo_labels(ctx.repo)
    if available is None:  # no token: only what the config names
        pool = [{"name": name, "description": ""} for name in (cfg.allow or cfg.effective_rules())]
    else:
        pool = [{"name": label.name, "description": label.description or ""} for label in available]
    return [label for label in pool if cfg.permits(label["name"])]


def _pick_by_rules(ctx: Context, cfg: LabelsConfig, ranked: list[str], analysis: Analysis) -> list[str]:
    """Keyword rules mapped to the repository's labels, restricted by allow/deny, capped."""
    available = ctx.reader.repo_labels(ctx.repo)
    names = None if available is None else [label.name for label in available]
    picked: list[str] = []
    for rule in ranked:
        name = rule if names is None else resolve_label(rule, names)
        if name is None and cfg.create_missing:
            name = rule
            analysis.create.append(rule)
        if name is None:
            analysis.notes.append(f"label '{rule}' matched but the repository has no such label")
            continue
        if cfg.permits(name) and name not in picked:
            picked.append(name)
    return picked[: cfg.max]


def _labels_to_add(picked: list[str], issue: Issue, applied_before: list[str]) -> list[str]:
    """Not already on the issue, and not applied before by ossbot (a human may have removed it)."""
    skip = {name.lower() for name in issue.label_names} | {name.lower() for name in applied_before}
    return [name for name in picked if name.lower() not in skip]


def _summary_body(ctx: Context, analysis: Analysis, record: list[str]) -> str:
    """`record`: every label ossbot has added to this issue. It is shown, and kept in the marker,
    so that a re-run with a stale payload renders the same text and writes nothing."""
    text = ctx.templates.render(
        "triage-summary.md.j2",
        summary=analysis.bullets,
        signals=analysis.signals,
        applied=record,
        engine=analysis.engine,
    )
    return text + "\n" + Marker(SUMMARY_MARKER, {"labels": record}).render() + "\n"
