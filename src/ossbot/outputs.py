"""The step outputs a workflow's later steps can use (GITHUB_OUTPUT): what ossbot did, lists as
JSON. Written after every run, dry runs included (then nothing was done, and the lists are
what was planned: `dry-run` says which)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ossbot.plan import AddLabels, RecordReview, SpawnBatch, UpsertComment
from ossbot.runner import Outcome

DONE = {"created", "updated", "unchanged", "added", "completed", "partial", "recorded"}


def outputs(outcomes: list[Outcome]) -> dict[str, str]:
    labels: list[str] = []
    urls: list[str] = []
    severities: Counter[str] = Counter()
    runs: list[str] = []
    created: list[int] = []
    reasons = [o.plan.skipped for o in outcomes if o.plan.skipped]
    for outcome in outcomes:
        for index, action in enumerate(outcome.plan.actions):
            result = outcome.results[index] if index < len(outcome.results) else None
            done = result is not None and result.result in DONE
            planned = outcome.dry_run and result is None
            if not (done or planned):
                continue
            if isinstance(action, AddLabels):
                labels += [name for name in action.labels if name not in labels]
            elif isinstance(action, UpsertComment) and result is not None and result.url:
                urls.append(result.url)
            elif isinstance(action, RecordReview):
                for finding in _findings(action.row):
                    severities[str(finding.get("severity", "unknown"))] += 1
            elif isinstance(action, SpawnBatch):
                runs.append(action.plan.run)
                if result is not None:
                    created += result.numbers
    skipped = all(o.plan.skipped or o.error for o in outcomes)
    return {
        "actions": str(sum(len(o.plan.actions) for o in outcomes)),
        "skipped": "true" if skipped else "false",
        "skipped-reason": "; ".join(dict.fromkeys(reasons)) if skipped else "",
        "dry-run": "true" if any(o.dry_run for o in outcomes) else "false",
        "labels-added": json.dumps(labels),
        "comment-urls": json.dumps(urls),
        "findings": json.dumps(dict(sorted(severities.items()))),
        "spawn-run": runs[-1] if runs else "",
        "issues-created": json.dumps(created),
        "failed": "true" if any(o.error for o in outcomes) else "false",
    }


def _findings(row: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        found = json.loads(row.get("findings") or "[]")
    except (TypeError, ValueError):
        return []
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def github_output(values: dict[str, str]) -> str:
    """Lines for the GITHUB_OUTPUT file (one line each: JSON never holds a newline here)."""
    return "".join(f"{key}={' '.join(value.splitlines())}\n" for key, value in values.items())
