"""Rebuilding the ledger from ossbot's markers on GitHub, which stay the source of truth.

Every comment ossbot upserts carries, in its marker, the event and the job that last wrote it
(`e=` and `j=`). So when the state database is missing or was not usable, one request (the
repository's most recently updated comments) shows which events ossbot had processed, and the
ledger is rebuilt from them; and whenever a job meets one of its comments whose event the
ledger does not know (the state was behind: say, an overlapping run's cache save won), that row
is rebuilt on the spot. Either way ossbot warns once and goes on: nothing waits for state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ossbot.errors import GitHubError
from ossbot.github.markers import find_marker, marker_kinds
from ossbot.state.size import LEDGER_DAYS, ago

if TYPE_CHECKING:
    from ossbot.context import Context
    from ossbot.state.store import StateStore

SCAN = 100  # comments read to rebuild a missing ledger: one request


def reconcile(ctx: Context) -> None:
    """Once per run, when the store had to start empty and GitHub can be read."""
    store = ctx.store
    if store.reconciled or not store.fresh or not ctx.online:
        return
    store.reconciled = True
    try:
        comments = ctx.reader.recent_comments(ctx.repo, SCAN)
        login = ctx.bot_login.lower()
    except GitHubError as exc:
        store.warnings.append(f"the ledger could not be rebuilt from ossbot's markers: {exc}")
        return
    for item in comments:
        if ((item.get("user") or {}).get("login") or "").lower() == login:
            rebuild_from(store, ctx.repo, item, note=False)
    if store.rebuilt:
        store.warnings.append(
            f"the state started empty: {store.rebuilt} processed event(s) were rebuilt from "
            f"ossbot's markers on GitHub (its {SCAN} most recently updated comments)"
        )


def rebuild_from(store: StateStore, repo: str, comment: dict[str, Any], *, note: bool) -> int:
    """Ledger rows for the events the comment's markers name that the ledger lacks; `note`
    warns (once per run) that the state was behind."""
    body = comment.get("body") or ""
    at = comment.get("updated_at")
    if at and str(at) < ago(LEDGER_DAYS):  # its event was pruned from the ledger by age
        return 0
    number = _number(comment)
    added = 0
    for kind in dict.fromkeys(marker_kinds(body)):
        marker = find_marker(body, kind)
        key, job = (marker.get("e"), marker.get("j")) if marker else (None, None)
        if not key or not job or store.processed(key, job) is not None:
            continue
        if marker is not None and marker.get("s") in ("running", "partial", "failed"):
            continue  # a spawn run that did not finish: its event is to be run again
        store.record_rebuilt(
            key,
            job=job,
            repo=repo,
            number=number,
            kind=kind,
            comment_id=comment.get("id"),
            url=comment.get("html_url"),
            at=str(at) if at else None,
        )
        added += 1
    if added and note and not store.behind_noted:
        store.behind_noted = True
        store.warnings.append(
            "the state was behind ossbot's markers on GitHub (an event ossbot had processed was "
            "missing from its ledger, as when overlapping runs save the cache): rebuilt from them"
        )
    return added


def _number(comment: dict[str, Any]) -> int | None:
    url = comment.get("issue_url") or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else comment.get("number")
