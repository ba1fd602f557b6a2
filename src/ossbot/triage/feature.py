"""Triage of an issue: compute the plan (summary comment, labels). Reads only; never writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ossbot.context import Context
from ossbot.events import Event, Issue
from ossbot.github.markers import Marker, find_marker
from ossbot.plan import AddLabels, CreateLabel, Plan, UpsertComment, find_own_comment
from ossbot.repo_config import LabelsConfig
from ossbot.text import safe_inline
from ossbot.triage.offline import keyword_scores, resolve_label, summarize

SUMMARY_MARKER = "triage-summary"
MIN_KEYWORD_SCORE = 2.0  # one keyword in the title, or two in the body


@dataclass
class LabelChoice:
    add: list[str] = field(default_factory=list)
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
    choice = choose_labels(ctx, issue, applied_before)
    actions: list = [CreateLabel(repo=event.repo, name=name) for name in choice.create]
    if choice.add:
        actions.append(AddLabels(repo=event.repo, number=issue.number, labels=choice.add))
    if ctx.config.triage.summary:
        record = sorted({*applied_before, *choice.add}, key=str.lower)
        body = _summary_body(ctx, issue, record)
        actions.append(UpsertComment(repo=event.repo, number=issue.number, marker=SUMMARY_MARKER, body=body))
    notes = choice.notes + ([] if ctx.online else [
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


def choose_labels(ctx: Context, issue: Issue, applied_before: list[str]) -> LabelChoice:
    """Labels from keyword rules, restricted to the repository's labels and the allow/deny
    lists, capped. A label ossbot applied before and a human removed is not added again."""
    cfg = ctx.config.labels
    choice = LabelChoice()
    if not cfg.enabled or cfg.max == 0:
        return choice
    scores = keyword_scores(issue.title, issue.body, cfg.effective_rules())
    ranked = [rule for rule, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
              if score >= MIN_KEYWORD_SCORE]
    if not ranked:
        return choice
    available = ctx.reader.repo_labels(ctx.repo)
    names = None if available is None else [label.name for label in available]
    picked = _pick(cfg, ranked, names, choice)
    current = {name.lower() for name in issue.label_names}
    before = {name.lower() for name in applied_before}
    choice.add = [name for name in picked if name.lower() not in current | before]
    choice.create = [name for name in choice.add if names is not None and name not in names]
    return choice


def _pick(cfg: LabelsConfig, ranked: list[str], names: list[str] | None, choice: LabelChoice) -> list[str]:
    allow = {name.lower() for name in cfg.allow}
    deny = {name.lower() for name in cfg.deny}
    picked: list[str] = []
    for rule in ranked:
        name = rule if names is None else resolve_label(rule, names)
        if name is None and cfg.create_missing:
            name = rule
        if name is None:
            choice.notes.append(f"label '{rule}' matched but the repository has no such label")
            continue
        if (allow and name.lower() not in allow) or name.lower() in deny:
            continue
        if name not in picked:
            picked.append(name)
    return picked[: cfg.max]


def _summary_body(ctx: Context, issue: Issue, record: list[str]) -> str:
    """`record`: every label ossbot has added to this issue. It is shown, and kept in the marker,
    so that a re-run with a stale payload renders the same text and writes nothing."""
    summary = summarize(issue.title, issue.body, ctx.config.triage.summary_bullets)
    text = ctx.templates.render(
        "triage-summary.md.j2",
        summary=[safe_inline(bullet) for bullet in summary.bullets],
        signals=summary.signals,
        applied=record,
        suggested=[],
        engine="offline",
        notes=[],
    )
    return text + "\n" + Marker(SUMMARY_MARKER, {"labels": record}).render() + "\n"
