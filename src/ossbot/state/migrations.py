"""Schema migrations: a list of named functions, applied in order, each once, recorded by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

MIGRATIONS_TABLE = "_ossbot_migrations"


def _m0001_ledger(db: Database) -> None:
    db["events"].create(
        {
            "key": str,
            "name": str,
            "action": str,
            "repo": str,
            "number": int,
            "job": str,
            "outcome": str,
            "processed_at": str,
        },
        pk="key",
    )
    db["effects"].create(
        {
            "id": int,
            "event_key": str,
            "action": str,
            "repo": str,
            "number": int,
            "result": str,
            "url": str,
            "at": str,
        },
        pk="id",
    )
    db["effects"].create_index(["repo", "number"])
    db["cache"].create({"key": str, "value": str, "stored_at": str}, pk="key")


def _m0002_llm(db: Database) -> None:
    db["llm_cache"].create(
        {
            "key": str,
            "provider": str,
            "model": str,
            "text": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "stored_at": str,
            "expires_at": str,
        },
        pk="key",
    )
    db["llm_calls"].create(
        {
            "id": int,
            "purpose": str,
            "provider": str,
            "model": str,
            "outcome": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "latency_ms": int,
            "at": str,
        },
        pk="id",
    )


def _m0003_history(db: Database) -> None:
    """The repository's recent issues, for learning labels and finding duplicates."""
    db["history"].create(
        {
            "repo": str,
            "number": int,
            "title": str,
            "body": str,
            "labels": str,
            "state": str,
            "created_at": str,
            "updated_at": str,
            "html_url": str,
        },
        pk=("repo", "number"),
    )
    db["history_sync"].create({"repo": str, "since": str, "synced_at": str}, pk="repo")


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("0001_ledger", _m0001_ledger),
    ("0002_llm", _m0002_llm),
    ("0003_history", _m0003_history),
]


def migrate(db: Database) -> list[str]:
    """Apply the migrations not yet applied; returns their names."""
    table = db[MIGRATIONS_TABLE]
    if not table.exists():
        table.create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in table.rows}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            step(db)
            table.insert({"name": name, "applied_at": datetime.now(UTC).isoformat()})
        applied.append(name)
    return applied
