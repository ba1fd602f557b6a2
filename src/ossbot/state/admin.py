"""`ossbot state`: look at a store, pull it to a file, push a file back, prune it; and the two
steps the composite action runs around ossbot (choose the store, bound the cache's entries)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from ossbot.errors import GitHubError, InputError, StateError, TokenPermission, TokenRejected
from ossbot.state.backends import BranchBackend, SaveReport, digest, from_bytes, to_bytes
from ossbot.state.merge import tables
from ossbot.state.spec import StateSpec
from ossbot.state.store import StateStore

HEAD_SUFFIX = ".head"  # beside a pulled file: what it was pulled from (see `push`)


def show(store: StateStore, spec: StateSpec) -> dict[str, Any]:
    db = store.db
    backend = store.backend
    counts = {name: db[name].count for name in tables(db)}
    raw = to_bytes(db) if spec.kind in ("branch", "none") else b""
    size = len(raw) if raw else _file_size(store.path)
    out: dict[str, Any] = {
        "store": spec.text(),
        "where": backend.describe(),
        "head": _head(store),
        "size": size,
        "tables": counts,
        "warnings": list(store.warnings),
    }
    if isinstance(backend, BranchBackend):
        out["stored"] = backend.stored
    return out


def _file_size(path: Path | None) -> int:
    return path.stat().st_size if path is not None and path.is_file() else 0


def _head(store: StateStore) -> str | None:
    """The branch's commit, or the file's digest: what `push` compares against."""
    backend = store.backend
    if isinstance(backend, BranchBackend):
        return backend.head
    path = store.path
    return digest(path.read_bytes()) if path is not None and path.is_file() else None


def pull(store: StateStore, target: Path) -> dict[str, Any]:
    """The store's database as a plain SQLite file at `target` (and what it came from)."""
    db = store.db
    head = _head(store)
    _write_atomic(target, to_bytes(db))
    target.with_name(target.name + HEAD_SUFFIX).write_text(head or "", encoding="utf-8")
    return {"pulled": str(target), "head": head, "size": target.stat().st_size}


def push(store: StateStore, source: Path, *, force: bool) -> dict[str, Any]:
    """Replace the store's database with `source` (a usable database), unless the store moved
    since `source` was pulled (then only with `force`: on a branch, a new commit on top)."""
    try:
        data = source.read_bytes()
        checked = from_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{source} is not a usable state database: {exc}") from None
    raw = to_bytes(checked)
    checked.close()
    store.db  # noqa: B018 - loads the head
    current = _head(store)
    recorded = source.with_name(source.name + HEAD_SUFFIX)
    pulled = recorded.read_text(encoding="utf-8").strip() if recorded.is_file() else None
    if current != (pulled or None) and not force:
        said = f"it was pulled at {pulled[:12]}" if pulled else "nothing records where it came from"
        raise InputError(
            f"the store moved since {source} was pulled (now {str(current)[:12]}; {said}): "
            "pull again and redo the change, or push --force to replace it anyway"
        )
    backend = store.backend
    if isinstance(backend, BranchBackend):
        report = backend.replace(raw, current)
    else:
        assert store.path is not None
        store.close()
        _write_atomic(store.path, raw)
        report = SaveReport(True, f"replaced {store.path}", size=len(raw), stored=len(raw))
    recorded.write_text(_head(store) or report.head or "", encoding="utf-8")
    return {"pushed": str(source), "head": report.head or _head(store), "detail": report.detail}


def prune_store(store: StateStore, *, ledger_days: float | None) -> dict[str, Any]:
    from ossbot.state.size import prune

    deleted = prune(store.db, ledger_days=ledger_days)
    if store.backend.kind != "branch":  # a branch's file is vacuumed when it is saved
        store.db.execute("VACUUM")
    report = store.save()
    return {"deleted": deleted, "saved": report.saved, "detail": report.detail}


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- the composite action's steps -----------------------------------------------------------------


def choose(
    requested: str,
    *,
    http: Any,
    repo: str | None,
    cache_path: Path,
    dry_run: bool,
) -> tuple[StateSpec, str]:
    """The store for this run, and why. `auto`: the state branch when the token may write
    contents (a dry run, which writes nothing, uses the branch when it exists), else the cache."""
    from ossbot.state.spec import DEFAULT_BRANCH, parse_state

    text = requested.strip() or "auto"
    if text == "cache":
        return StateSpec("cache", cache_path), "chosen by the `state` input"
    if text != "auto":
        return parse_state(text), "chosen by the `state` input"
    cache = StateSpec("cache", cache_path)
    if http is None or not repo:
        return cache, "no token: the branch cannot be written"
    try:
        if dry_run:
            http.call("GET", f"/repos/{repo}/git/ref/heads/{DEFAULT_BRANCH}")
            return StateSpec("branch"), "the state branch exists (a dry run only reads it)"
        http.call(
            "POST",
            f"/repos/{repo}/git/blobs",
            body={"content": "ossbot: may this token write contents?\n", "encoding": "utf-8"},
        )
    except (TokenPermission, TokenRejected):
        return cache, "the token may not write contents (contents: write)"
    except GitHubError as exc:
        if dry_run and exc.status == 404:
            return cache, "there is no state branch yet"
        if exc.status in (401, 403, 404):
            return cache, "the token may not write contents (contents: write)"
        return cache, f"the branch could not be checked ({exc})"
    return StateSpec("branch"), "the token may write contents"


def prune_cache(http: Any, repo: str, prefix: str, keep: int) -> str:
    """Delete the Actions cache entries under `prefix` but the newest `keep` (they are never
    restored again: a restore takes the newest). Without `actions: write`, they age out."""
    try:
        listing = http.call(
            "GET",
            f"/repos/{repo}/actions/caches",
            params={"key": prefix, "sort": "created_at", "direction": "desc", "per_page": 100},
        ).get("actions_caches", [])
        stale = [e for e in listing if str(e.get("key", "")).startswith(prefix)][keep:]
        for entry in stale:
            http.call("DELETE", f"/repos/{repo}/actions/caches/{entry['id']}")
    except (GitHubError, TokenPermission, TokenRejected) as exc:
        if not isinstance(exc, GitHubError) or exc.status in (401, 403, 404):
            return (
                "superseded state cache entries cannot be deleted (the token needs "
                "`actions: write`); GitHub evicts them after 7 days unused"
            )
        raise StateError(f"the state cache entries could not be pruned: {exc}") from exc
    return f"deleted {len(stale)} superseded state cache entr{'y' if len(stale) == 1 else 'ies'}"
