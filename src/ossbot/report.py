"""`ossbot report`: what ossbot did in a repository over a period, what it cost, and where it was
wrong, from the state database's ledger and one bounded GitHub read.

- Jobs: each job run is a row of `job_runs` (outcome, REST requests, model tokens); cost comes
  from `report.prices`, none by default.
- Triage: the labels ossbot applied and suggested (`label_log`), and how they fared, from the
  repository's issue events (one paginated list, newest first, back to the period's start or
  `report.event_pages` pages): an applied label a person later removed was wrong; a suggestion a
  person later added was accepted. The live precision per label stands beside its backtest.
- Review: the review runs (`reviews`): pull requests, findings by kind and severity, findings
  gone from a pull request's latest review (fixed by a later push), check-run conclusions.
- Spawn: the runs (`spawn_runs`) by state, issues created, rolled back, duplicates skipped.

Nothing here ranks or scores people.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from ossbot.context import Context
from ossbot.errors import InputError
from ossbot.repo_config import ReportConfig

REPORT_MARKER = "report"
OUTCOMES = ("done", "nothing", "refused", "failed")
JOBS = ("commands", "triage", "review", "spawn")
_PERIOD = re.compile(r"(\d+)\s*([hdw])")


def period_start(text: str, now: datetime | None = None) -> datetime:
    """`30d`, `12h`, `2w`, or a date (2026-11-01) or time in ISO form."""
    now = now or datetime.now(UTC)
    found = _PERIOD.fullmatch(text.strip().lower())
    if found:
        amount, unit = int(found.group(1)), found.group(2)
        if amount <= 0:
            raise InputError(f"--since: a period must be longer than 0 (got {text!r})")
        days = {"h": amount / 24, "d": amount, "w": 7 * amount}[unit]
        try:
            return now - timedelta(days=days)
        except OverflowError:
            raise InputError(f"--since: {text} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--since: give a period (30d, 12h, 2w) or a date (2026-11-01), not {text!r}"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > now:
        raise InputError(f"--since: {text} is in the future")
    return moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _github_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(ctx: Context, since: datetime, now: datetime | None = None) -> dict[str, Any]:
    """The report's document (also its JSON form)."""
    now = now or datetime.now(UTC)
    cfg = ctx.config.report
    start = _iso(since)
    events, complete = ctx.reader.issue_events(
        ctx.repo, since=_github_time(since), pages=cfg.event_pages
    )
    warnings = []
    if not ctx.store.job_runs(ctx.repo):
        warnings.append(
            "the state holds no record of any ossbot run in this repository: is the state "
            "(--state, the action's `state`) where the other workflows keep theirs?"
        )
    return {
        "repo": ctx.repo,
        "since": start,
        "until": _iso(now),
        "warnings": warnings,
        "jobs": jobs_section(ctx.store.job_runs(ctx.repo, since=start), cfg),
        "triage": triage_section(
            ctx.store.labels_logged(ctx.repo, since=start),
            events,
            complete,
            ctx.bot_login,
            _backtest(ctx),
        ),
        "review": review_section(ctx.store.reviews_since(ctx.repo, start)),
        "spawn": spawn_section(
            [r for r in ctx.store.runs(ctx.repo) if (r.get("started_at") or "") > start]
        ),
    }


# -- jobs -----------------------------------------------------------------------------------


def jobs_section(rows: list[dict[str, Any]], cfg: ReportConfig) -> list[dict[str, Any]]:
    by_job: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_job[str(row["job"])].append(row)
    out = []
    for job in sorted(by_job, key=lambda j: (JOBS.index(j) if j in JOBS else len(JOBS), j)):
        runs = by_job[job]
        outcomes = Counter(str(r["outcome"]) for r in runs)
        cost, priced = 0.0, True
        for r in runs:
            tokens = (r.get("prompt_tokens") or 0, r.get("completion_tokens") or 0)
            if not any(tokens):
                continue
            price = _price(cfg, str(r.get("models") or ""))
            if price is None:
                priced = False
                continue
            cost += (tokens[0] * price.input + tokens[1] * price.output) / 1_000_000
        tokens_in = sum(r.get("prompt_tokens") or 0 for r in runs)
        tokens_out = sum(r.get("completion_tokens") or 0 for r in runs)
        out.append(
            {
                "job": job,
                "runs": len(runs),
                "outcomes": {name: outcomes.get(name, 0) for name in OUTCOMES},
                "requests": sum(r.get("requests") or 0 for r in runs),
                "llm_calls": sum(r.get("llm_calls") or 0 for r in runs),
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                # None: no price table entry for a model that was used (or no model at all)
                "cost": round(cost, 4)
                if priced and cfg.prices and tokens_in + tokens_out
                else None,
            }
        )
    return out


def _price(cfg: ReportConfig, models: str) -> Any:
    """The price of the run's model ("provider:model", several joined by commas: the first
    priced one), by its full label or its model name."""
    for label in filter(None, models.split(",")):
        for name in (label, label.split(":", 1)[-1]):
            if name in cfg.prices:
                return cfg.prices[name]
    return None


# -- triage: how the labels fared -------------------------------------------------------------


def _backtest(ctx: Context) -> dict[str, float]:
    row = ctx.store.label_model(ctx.repo)
    if not row:
        return {}
    try:
        table = json.loads(row["policies"] or "{}")
    except ValueError:
        return {}
    return {
        name: float(policy["precision"])
        for name, policy in table.items()
        if isinstance(policy, dict) and policy.get("threshold") is not None
    }


def triage_section(
    logged: list[dict[str, Any]],
    events: list[dict[str, Any]],
    complete: bool,
    bot_login: str,
    backtest: dict[str, float],
) -> dict[str, Any]:
    """Per label: applied, removed by a person afterwards, live precision; suggested, added by
    a person afterwards (and not removed again). An (issue, label) pair counts once however
    often it was logged. ossbot's own label events are those of every login it acted as (the
    label log says which), whatever token runs the report; other bots are not people. Label
    names compare case-insensitively, as GitHub's do."""
    # The report's own login only when the log does not say (rows from before it did).
    ours_logins = {str(row["actor"]).lower() for row in logged if row.get("actor")} or {
        bot_login.lower()
    }
    applied: dict[str, set[int]] = defaultdict(set)
    suggested: dict[str, set[int]] = defaultdict(set)
    shown: dict[str, str] = {}
    for row in logged:
        name = str(row["label"])
        key = name.lower()
        shown.setdefault(key, name)
        into = applied if row["action"] == "applied" else suggested
        into[key].add(int(row["number"]))
    ours: set[tuple[int, str]] = set()  # pairs whose ossbot labelling is among the events
    removed: set[tuple[int, str]] = set()
    added_by_person: set[tuple[int, str]] = set()
    for event in sorted(events, key=lambda e: int(e.get("id") or 0)):  # as they happened
        kind = event.get("event")
        label = str((event.get("label") or {}).get("name") or "").lower()
        number = (event.get("issue") or {}).get("number")
        if kind not in ("labeled", "unlabeled") or not label or number is None:
            continue
        actor = event.get("actor") or {}
        login = str(actor.get("login") or "").lower()
        pair = (int(number), label)
        if login in ours_logins:
            if kind == "labeled":  # what a person did before counts no more
                ours.add(pair)
                removed.discard(pair)
                added_by_person.discard(pair)
            continue
        if actor.get("type", "User") != "User" or login.endswith("[bot]"):
            continue  # another bot (stale, renovate...): not a person's judgement
        if kind == "unlabeled":
            removed.add(pair)
            added_by_person.discard(pair)
        else:
            added_by_person.add(pair)
            removed.discard(pair)  # a person put it back: it was right after all
    labels: list[dict[str, Any]] = []
    uncovered = 0
    for key in sorted(set(applied) | set(suggested)):
        on = applied.get(key, set())
        if not complete:  # only where ossbot's own labelling is among the events read
            seen = {number for number in on if (number, key) in ours}
            uncovered += len(on) - len(seen)
            on = seen
        wrong = sum(1 for number in on if (number, key) in removed)
        offered = suggested.get(key, set()) - applied.get(key, set())
        accepted = sum(1 for number in offered if (number, key) in added_by_person)
        labels.append(
            {
                "label": shown[key],
                "applied": len(on),
                "removed": wrong,
                "live_precision": round((len(on) - wrong) / len(on), 4) if on else None,
                "backtest_precision": backtest.get(shown[key], backtest.get(key)),
                "suggested": len(offered),
                "accepted": accepted,
            }
        )
    total = sum(int(label["applied"]) for label in labels)
    wrong_total = sum(int(label["removed"]) for label in labels)
    return {
        "labels": labels,
        "applied": total,
        "removed": wrong_total,
        "live_precision": round((total - wrong_total) / total, 4) if total else None,
        "suggested": sum(int(label["suggested"]) for label in labels),
        "accepted": sum(int(label["accepted"]) for label in labels),
        "events_read": len(events),
        "events_complete": complete,
        # labels applied before the oldest event read: left out of the counts above (and
        # suggestions made then may be counted as not added)
        "not_covered": uncovered,
    }


# -- review -----------------------------------------------------------------------------------


def review_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_pull: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_pull[int(row["number"])].append(row)
    kinds: Counter[str] = Counter()
    severities: Counter[str] = Counter()
    fixed = 0
    for reviews in by_pull.values():
        raised: dict[str, dict[str, Any]] = {}
        for review in reviews:
            for finding in _findings(review):
                raised.setdefault(str(finding.get("key")), finding)
        for finding in raised.values():
            kinds[str(finding.get("kind") or "other")] += 1
            severities[str(finding.get("severity") or "low")] += 1
        if len(reviews) > 1:
            latest = {str(f.get("key")) for f in _findings(reviews[-1])}
            fixed += sum(1 for key in raised if key not in latest)
    conclusions = Counter(str(r["check_conclusion"]) for r in rows if r.get("check_conclusion"))
    return {
        "pulls": len(by_pull),
        "reviews": len(rows),
        "findings": sum(kinds.values()),
        "by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_severity": {s: severities.get(s, 0) for s in ("high", "medium", "low")},
        "fixed": fixed,
        "check_runs": dict(sorted(conclusions.items())),
    }


def _findings(review: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        found = json.loads(review.get("findings") or "[]")
    except ValueError:
        return []
    return [f for f in found if isinstance(f, dict)]


# -- spawn ------------------------------------------------------------------------------------


def spawn_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    states = Counter(str(r.get("state") or "unknown") for r in rows)
    created = [len(_list(r.get("created"))) for r in rows]
    rolled = [n for r, n in zip(rows, created, strict=True) if r.get("state") == "rolled_back"]
    return {
        "runs": len(rows),
        "by_state": dict(sorted(states.items())),
        "issues_created": sum(created),
        "rolled_back_runs": len(rolled),
        "issues_rolled_back": sum(rolled),
        "duplicates_skipped": sum(int(r.get("skipped") or 0) for r in rows),
    }


def _list(text: Any) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


# -- rendering --------------------------------------------------------------------------------

OUTCOME_NAMES = {
    "done": "done",
    "nothing": "nothing to do",
    "refused": "refused",
    "failed": "failed",
}


def pies(document: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The charts' slices (Mermaid pies take positive counts only)."""
    outcomes: Counter[str] = Counter()
    for job in document["jobs"]:
        for name, count in job["outcomes"].items():
            outcomes[OUTCOME_NAMES[name]] += count
    severity = document["review"]["by_severity"]
    return {
        "outcomes": {k: v for k, v in outcomes.items() if v > 0},
        "severity": {k: v for k, v in severity.items() if v > 0},
    }


def markdown(document: dict[str, Any], requests: int, render: Any) -> str:
    """The report as GitHub renders it (tables and Mermaid pies), from report.md.j2."""
    return str(render("report.md.j2", **document, requests=requests, pie=pies(document)))
