"""The repository's issue history, cached in the state DB and refreshed incrementally.

The first run reads the most recently updated issues (open and closed, not pull requests) up to
`labels.history` labelled ones; later runs ask only for what changed since the last read
(`since`), usually one request. Bodies are clipped: they feed a bag-of-words model and a
similarity index, not a reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ossbot.context import Context
from ossbot.labels.model import Example

BODY_LIMIT = 4000


@dataclass(frozen=True)
class Past:
    """One issue of the history."""

    number: int
    title: str
    body: str
    labels: tuple[str, ...]
    state: str
    created_at: str
    updated_at: str
    html_url: str

    def example(self, keep: set[str] | None = None) -> Example:
        labels = tuple(name for name in self.labels if keep is None or name in keep)
        return Example(
            self.title, self.body, labels, created_at=self.created_at, number=self.number
        )


@dataclass(frozen=True)
class History:
    issues: list[Past]  # newest update first
    live: dict[int, dict[str, Any]]  # issues as read from GitHub during this run, by number


def history(ctx: Context, *, refresh: bool = True) -> History:
    """The cached history, refreshed first when there is a token."""
    live = _refresh(ctx) if refresh and ctx.online else {}
    issues = [
        Past(
            row["number"],
            row["title"],
            row["body"],
            tuple(row["labels"]),
            row["state"],
            row["created_at"],
            row["updated_at"],
            row["html_url"],
        )
        for row in ctx.store.history(ctx.repo)
    ]
    return History(issues, live)


def _refresh(ctx: Context) -> dict[int, dict[str, Any]]:
    keep = max(ctx.config.labels.history, 1)
    sync = ctx.store.history_sync(ctx.repo)
    since = sync["since"] if sync else ""
    limit = _cold_limit(keep) if not since else 10 * keep
    what = f"reading {ctx.repo}'s issues" + (" since the last run" if since else "")
    tell = ctx.progress

    def read(count: int) -> None:
        if tell is not None:
            tell(what, count, limit)

    # Cold: the newest pages, up to about twice the labelled issues wanted. Warm: `since` is
    # inclusive, so the newest issue seen last time is read again, harmlessly.
    try:
        raw = ctx.reader.recent_issues(ctx.repo, since=since or None, limit=limit, progress=read)
    finally:
        read(limit)  # done, or failed: the bar ends either way
    issues = [_row(item) for item in raw if not item.get("pull_request")]
    newest = max([since, *(item.get("updated_at") or "" for item in raw)])
    ctx.store.history_store(ctx.repo, issues, since=newest)
    ctx.store.history_trim(ctx.repo, keep)
    return {item["number"]: item for item in raw}


def _cold_limit(keep: int) -> int:
    return max(100, math.ceil(2 * keep / 100) * 100)


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": item["number"],
        "title": item.get("title") or "",
        "body": (item.get("body") or "")[:BODY_LIMIT],
        "labels": [label["name"] for label in item.get("labels") or [] if isinstance(label, dict)],
        "state": item.get("state") or "open",
        "created_at": item.get("created_at") or "",
        "updated_at": item.get("updated_at") or "",
        "html_url": item.get("html_url") or "",
    }
