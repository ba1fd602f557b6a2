"""The state store: one SQLite file (sqlite-utils), opened on first use."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table

from ossbot.errors import StateError
from ossbot.state.migrations import migrate

CORRUPT = ("not a database", "malformed", "integrity check failed", "encrypted")


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Damage, as opposed to a file that is locked or cannot be opened (never set aside)."""
    return any(words in str(exc) for words in CORRUPT)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    """`scratch=True` works on an in-memory copy of the file: a dry run reads the real ledger
    and cache but leaves the file (and the disk) untouched.

    A file that is not a usable database (corrupt, truncated, from something else) never stops
    a job: it is set aside (renamed), a fresh one is started, and `warnings` says what was lost.
    GitHub stays the source of truth; the state is a ledger and a cache."""

    def __init__(
        self, path: Path, *, scratch: bool = False, redact: Callable[[str], str] | None = None
    ) -> None:
        self.path = Path(path)
        self.scratch = scratch
        self.redact = redact or (lambda text: text)
        self.warnings: list[str] = []

    @cached_property
    def db(self) -> Database:
        try:
            return self._open()
        except sqlite3.DatabaseError as exc:
            if not _corrupt(exc) or (self.path.exists() and not self.path.is_file()):
                raise StateError(f"cannot open the state database {self.path}: {exc}") from exc
            self._set_aside(exc)
        try:
            return self._open()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot start a state database at {self.path}: {exc}") from exc

    def _open(self) -> Database:
        conn = self._connect()
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the integrity check failed")
            db = Database(conn)
            migrate(db)
        except BaseException:
            conn.close()
            raise
        return db

    def _set_aside(self, cause: Exception) -> None:
        lost = "its ledger of processed events, issue history and cached answers"
        if self.scratch or not self.path.exists():
            self.warnings.append(
                f"the state file {self.path} is not a usable database ({cause}): this run "
                f"starts from an empty one, without {lost}; ossbot works from what GitHub shows"
            )
            self._memory_only = True
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(aside)
        except OSError as exc:
            raise StateError(
                f"the state file {self.path} is not a usable database ({cause}) "
                f"and could not be set aside: {exc}"
            ) from exc
        for suffix in ("-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self.warnings.append(
            f"the state file {self.path} was not a usable database ({cause}); it was set aside "
            f"as {aside.name} and a new one started: {lost} are lost, and ossbot works from "
            "what GitHub shows (its markers) until they are rebuilt"
        )

    _memory_only = False

    def _connect(self) -> sqlite3.Connection:
        if not self.scratch and not self._memory_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(
                    f"cannot create the state folder {self.path.parent}: {exc}"
                ) from exc
            return sqlite3.connect(self.path, timeout=30)
        memory = sqlite3.connect(":memory:")
        if self.path.exists() and not self._memory_only:
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                source.backup(memory)
            finally:
                source.close()
        return memory

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()

    def _table(self, name: str) -> Table:
        return self.db.table(name)

    # -- the ledger: which (event, job) was processed, and what it did -----------------------

    def processed(self, key: str, job: str) -> dict[str, Any] | None:
        rows = list(self._table("ledger").rows_where("key = ? AND job = ?", [key, job], limit=1))
        return rows[0] if rows else None

    def record_event(
        self,
        key: str,
        *,
        job: str,
        name: str,
        action: str | None,
        repo: str,
        number: int | None,
        outcome: str,
    ) -> None:
        row = {
            "key": key,
            "job": job,
            "name": name,
            "action": action or "",
            "repo": repo,
            "number": number,
            "outcome": self.redact(outcome),
            "processed_at": _now(),
        }
        self._table("ledger").upsert(row, pk=("key", "job"))

    def record_effect(
        self,
        event_key: str,
        *,
        job: str,
        action: str,
        repo: str,
        number: int | None,
        result: str,
        url: str | None,
        marker: str | None = None,
        object_number: int | None = None,
        object_id: int | None = None,
    ) -> None:
        self._table("effects").insert(
            {
                "event_key": event_key,
                "job": job,
                "action": action,
                "repo": repo,
                "number": number,
                "result": result,
                "url": url or "",
                "marker": marker,
                "object_number": object_number,
                "object_id": object_id,
                "at": _now(),
            }
        )

    def effects(self, event_key: str) -> list[dict[str, Any]]:
        return list(self._table("effects").rows_where("event_key = ?", [event_key], order_by="id"))

    # -- the outbox: a create is recorded as intended before it is sent ---------------------

    def intend(
        self, event_key: str, *, job: str, action: str, repo: str, number: int | None, marker: str
    ) -> int:
        """Record that a create is about to be sent; returns the intent's id."""
        table = self._table("intents")
        table.insert(
            {
                "event_key": event_key,
                "job": job,
                "action": action,
                "repo": repo,
                "number": number,
                "marker": marker,
                "state": "intended",
                "at": _now(),
            }
        )
        return int(table.last_pk or 0)

    def intent_done(
        self, intent: int, *, state: str, number: int | None, object_id: int | None, url: str | None
    ) -> None:
        self._table("intents").update(
            intent, {"state": state, "object_number": number, "object_id": object_id, "url": url}
        )

    def intents(self, repo: str, marker: str) -> list[dict[str, Any]]:
        """Every intent of this marker in the repository, oldest first."""
        return list(
            self._table("intents").rows_where(
                "repo = ? AND marker = ?", [repo, marker], order_by="id"
            )
        )

    # -- a small key/value cache (content-addressed entries never go stale) -----------------

    def cache_get(self, key: str) -> str | None:
        rows = list(self._table("cache").rows_where("key = ?", [key], limit=1))
        return rows[0]["value"] if rows else None

    def cache_set(self, key: str, value: str) -> None:
        self._table("cache").upsert({"key": key, "value": value, "stored_at": _now()}, pk="key")

    # -- LLM answers and calls ---------------------------------------------------------------

    def llm_cached(self, key: str) -> dict[str, Any] | None:
        rows = list(
            self._table("llm_cache").rows_where(
                "key = ? AND expires_at > ?", [key, _now()], limit=1
            )
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
        self._table("llm_cache").upsert(
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
        self._table("llm_calls").insert(
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
        return list(self._table("llm_calls").rows_where(order_by="id"))

    # -- the repository's issue history -------------------------------------------------------

    def history_sync(self, repo: str) -> dict[str, Any] | None:
        rows = list(self._table("history_sync").rows_where("repo = ?", [repo], limit=1))
        return rows[0] if rows else None

    def history_store(self, repo: str, issues: list[dict[str, Any]], *, since: str) -> None:
        """Upsert issues ({number, title, body, labels: [names], state, created_at, updated_at,
        html_url}) and remember how far the history reaches."""
        with self.db.conn:
            self._table("history").upsert_all(
                [
                    {**issue, "repo": repo, "labels": json.dumps(issue["labels"])}
                    for issue in issues
                ],
                pk=("repo", "number"),
            )
            self._table("history_sync").upsert(
                {"repo": repo, "since": since, "synced_at": _now()}, pk="repo"
            )

    def history(self, repo: str) -> list[dict[str, Any]]:
        """Newest update first; `labels` decoded."""
        rows = self._table("history").rows_where(
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
