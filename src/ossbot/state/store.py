"""The state store: one SQLite file (sqlite-utils), opened on first use."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ossbot.errors import StateError
from ossbot.state.migrations import migrate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    """`scratch=True` works on an in-memory copy of the file: a dry run reads the real ledger
    and cache but leaves the file (and the disk) untouched."""

    def __init__(self, path: Path, *, scratch: bool = False) -> None:
        self.path = Path(path)
        self.scratch = scratch

    @cached_property
    def db(self) -> Database:
        try:
            db = Database(self._connect())
            db.execute("PRAGMA busy_timeout = 10000")
            migrate(db)
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"state file {self.path} is not a usable ossbot database: {exc}"
            ) from exc
        return db

    def _connect(self) -> sqlite3.Connection:
        if not self.scratch:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(
                    f"cannot create the state folder {self.path.parent}: {exc}"
                ) from exc
            return sqlite3.connect(self.path)
        memory = sqlite3.connect(":memory:")
        if self.path.exists():
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            source.backup(memory)
            source.close()
        return memory

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()

    # -- the ledger of processed events ----------------------------------------------------

    def processed(self, key: str) -> dict[str, Any] | None:
        rows = list(self.db["events"].rows_where("key = ?", [key], limit=1))
        return rows[0] if rows else None

    def record_event(
        self,
        key: str,
        *,
        name: str,
        action: str | None,
        repo: str,
        number: int | None,
        job: str,
        outcome: str,
    ) -> None:
        self.db["events"].upsert(
            {
                "key": key,
                "name": name,
                "action": action or "",
                "repo": repo,
                "number": number,
                "job": job,
                "outcome": outcome,
                "processed_at": _now(),
            },
            pk="key",
        )

    def record_effect(
        self,
        event_key: str,
        *,
        action: str,
        repo: str,
        number: int | None,
        result: str,
        url: str | None,
    ) -> None:
        self.db["effects"].insert(
            {
                "event_key": event_key,
                "action": action,
                "repo": repo,
                "number": number,
                "result": result,
                "url": url or "",
                "at": _now(),
            }
        )

    def effects(self, event_key: str) -> list[dict[str, Any]]:
        return list(self.db["effects"].rows_where("event_key = ?", [event_key], order_by="id"))

    # -- a small key/value cache (content-addressed entries never go stale) -----------------

    def cache_get(self, key: str) -> str | None:
        rows = list(self.db["cache"].rows_where("key = ?", [key], limit=1))
        return rows[0]["value"] if rows else None

    def cache_set(self, key: str, value: str) -> None:
        self.db["cache"].upsert({"key": key, "value": value, "stored_at": _now()}, pk="key")

    # -- LLM answers and calls ---------------------------------------------------------------

    def llm_cached(self, key: str) -> dict[str, Any] | None:
        rows = list(
            self.db["llm_cache"].rows_where("key = ? AND expires_at > ?", [key, _now()], limit=1)
        )
        return rows[0] if rows else None

    def llm_store(
        self,
        key: str,
        *,
        provider: str,
        model: str,
        text: str,
        prompt_tokens: int,
        completion_tokens: int,
        ttl_hours: float,
    ) -> None:
        expires = datetime.now(UTC) + timedelta(hours=ttl_hours)
        self.db["llm_cache"].upsert(
            {
                "key": key,
                "provider": provider,
                "model": model,
                "text": text,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "stored_at": _now(),
                "expires_at": expires.isoformat(timespec="seconds"),
            },
            pk="key",
        )

    def record_llm_call(
        self,
        *,
        purpose: str,
        provider: str,
        model: str,
        outcome: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        latency_ms: int = 0,
    ) -> None:
        self.db["llm_calls"].insert(
            {
                "purpose": purpose,
                "provider": provider,
                "model": model,
                "outcome": outcome,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "latency_ms": latency_ms,
                "at": _now(),
            }
        )

    def llm_calls(self) -> list[dict[str, Any]]:
        return list(self.db["llm_calls"].rows_where(order_by="id"))

    # -- the repository's issue history -------------------------------------------------------

    def history_sync(self, repo: str) -> dict[str, Any] | None:
        rows = list(self.db["history_sync"].rows_where("repo = ?", [repo], limit=1))
        return rows[0] if rows else None

    def history_store(self, repo: str, issues: list[dict[str, Any]], *, since: str) -> None:
        """Upsert issues ({number, title, body, labels: [names], state, created_at, updated_at,
        html_url}) and remember how far the history reaches."""
        with self.db.conn:
            self.db["history"].upsert_all(
                [
                    {**issue, "repo": repo, "labels": json.dumps(issue["labels"])}
                    for issue in issues
                ],
                pk=("repo", "number"),
            )
            self.db["history_sync"].upsert(
                {"repo": repo, "since": since, "synced_at": _now()}, pk="repo"
            )

    def history(self, repo: str) -> list[dict[str, Any]]:
        """Newest update first; `labels` decoded."""
        rows = self.db["history"].rows_where(
            "repo = ?", [repo], order_by="updated_at desc, number desc"
        )
        return [{**row, "labels": json.loads(row["labels"])} for row in rows]

    def history_trim(self, repo: str, keep: int) -> None:
        """Keep the `keep` most recently updated labelled issues and as many unlabelled ones."""
        for labelled in (True, False):
            clause = "labels != '[]'" if labelled else "labels = '[]'"
            self.db.execute(
                f"DELETE FROM history WHERE repo = ? AND {clause} AND number NOT IN ("
                f"SELECT number FROM history WHERE repo = ? AND {clause} "
                "ORDER BY updated_at DESC, number DESC LIMIT ?)",
                [repo, repo, keep],
            )
        self.db.conn.commit()
