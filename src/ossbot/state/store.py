"""The state store: one SQLite database (sqlite-utils), opened on first use."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table

from ossbot.state.backends import Backend, SaveReport


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    """The state's tables and what ossbot does with them, over one SQLite database that a
    backend (see `state/backends.py`) opens and, at the end of a run, saves.

    `scratch=True` (a dry run) works on an in-memory copy: the real ledger and cache are read,
    and nothing is ever saved. A database that is not usable (corrupt, truncated, from something
    else) never stops a job: a fresh one is started, `warnings` says what was lost, and `fresh`
    tells the run to rebuild what it can from ossbot's markers on GitHub."""

    def __init__(
        self,
        where: Path | Backend,
        *,
        scratch: bool = False,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        from ossbot.state.backends import FileBackend

        self.backend: Backend = (
            FileBackend(Path(where), scratch=scratch) if isinstance(where, Path | str) else where
        )
        self.scratch = scratch
        self.redact = redact or (lambda text: text)
        self.warnings: list[str] = []
        self.saved: SaveReport | None = None
        self.reconciled = False  # see state/reconcile.py
        self.rebuilt = 0
        self.behind_noted = False

    @property
    def path(self) -> Path | None:
        return getattr(self.backend, "path", None)

    @cached_property
    def db(self) -> Database:
        return self.backend.open(self.warnings)

    @property
    def fresh(self) -> bool:
        """Whether the database had to start empty because the stored one was missing or not
        usable (never for `none`, which is empty by choice). Opens the database."""
        self.db  # noqa: B018
        return self.backend.fresh

    @property
    def opened(self) -> bool:
        return "db" in self.__dict__

    def save(self) -> SaveReport:
        """Save this run's changes once (a dry run never saves). Old rows are pruned first."""
        if self.saved is not None:
            return self.saved
        if self.scratch or not self.opened:
            self.saved = SaveReport(False, "nothing to save" if not self.scratch else "dry run")
            return self.saved
        from ossbot.state.size import prune, size_warning

        prune(self.db)
        self.saved = self.backend.save(self.db, self.warnings)
        warning = size_warning(self.saved.size)
        if warning:
            self.warnings.append(warning)
        return self.saved

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

    def record_rebuilt(
        self,
        key: str,
        *,
        job: str,
        repo: str,
        number: int | None,
        kind: str,
        comment_id: int | None,
        url: str | None,
        at: str | None,
    ) -> None:
        """A processed event known from one of ossbot's markers on GitHub (state/reconcile.py)."""
        when = at or _now()
        self._table("ledger").upsert(
            {
                "key": key,
                "job": job,
                "name": key.partition(":")[0],
                "action": "",
                "repo": repo,
                "number": number,
                "outcome": f"rebuilt from its {kind} marker on GitHub",
                "processed_at": when,
            },
            pk=("key", "job"),
        )
        self.record_effect(
            key,
            job=job,
            action="upsert_comment",
            repo=repo,
            number=number,
            result="rebuilt",
            url=url,
            marker=kind,
            object_number=number,
            object_id=comment_id,
        )
        self.rebuilt += 1

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

    # -- reviews --------------------------------------------------------------------------------

    def record_review(self, row: dict[str, Any]) -> None:
        """One review run (keyed by pull request, head and event)."""
        self._table("reviews").upsert(
            {**row, "at": _now()}, pk=("repo", "number", "head_sha", "event_key")
        )

    def last_review(self, repo: str, number: int) -> dict[str, Any] | None:
        rows = list(
            self._table("reviews").rows_where(
                "repo = ? AND number = ?", [repo, number], order_by="at DESC, rowid DESC", limit=1
            )
        )
        return rows[0] if rows else None

    # -- spawn runs -----------------------------------------------------------------------------

    def save_run(self, row: dict[str, Any]) -> None:
        """Upsert a spawn run by (repo, run); JSON columns (plan, created, errors) as given."""
        self._table("spawn_runs").upsert(
            {**row, "updated_at": _now()}, pk=("repo", "run"), alter=True
        )

    def run(self, repo: str, run: str) -> dict[str, Any] | None:
        if not self._table("spawn_runs").exists():
            return None
        rows = list(
            self._table("spawn_runs").rows_where("repo = ? AND run = ?", [repo, run], limit=1)
        )
        return rows[0] if rows else None

    def runs(self, repo: str, parent: int | None = None) -> list[dict[str, Any]]:
        """Newest first."""
        args: list[Any]
        if not self._table("spawn_runs").exists():
            return []
        where, args = "repo = ?", [repo]
        if parent is not None:
            where, args = "repo = ? AND parent = ?", [repo, parent]
        return list(
            self._table("spawn_runs").rows_where(
                where, args, order_by="started_at DESC, rowid DESC"
            )
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

    # -- labels ---------------------------------------------------------------------------------

    def log_labels(
        self,
        repo: str,
        number: int,
        labels: list[str],
        *,
        action: str,
        after: list[str],
        event_key: str,
        confidence: dict[str, float] | None = None,
        source: dict[str, str] | None = None,
        by: str | None = None,
    ) -> None:
        """Labels ossbot applied on an issue (`action`: "applied") or suggested, the issue's
        labels after, and the login it acted as (`by`: whose label events are its own)."""
        at = _now()
        self._table("label_log").insert_all(
            {
                "repo": repo,
                "number": number,
                "label": label,
                "action": action,
                "confidence": (confidence or {}).get(label),
                "source": (source or {}).get(label),
                "after": json.dumps(sorted(after, key=str.lower)),
                "event_key": event_key,
                "at": at,
                "actor": by,
            }
            for label in labels
        )

    def labels_logged(self, repo: str, *, since: str = "") -> list[dict[str, Any]]:
        """Every label ossbot applied or suggested in `repo` after `since`, oldest first."""
        if not self._table("label_log").exists():
            return []
        return list(
            self._table("label_log").rows_where("repo = ? AND at > ?", [repo, since], order_by="id")
        )

    # -- job runs (ossbot report) -------------------------------------------------------------

    def record_job_run(self, row: dict[str, Any]) -> None:
        self._table("job_runs").insert({**row, "at": row.get("at") or _now()})

    def job_runs(self, repo: str, *, since: str = "") -> list[dict[str, Any]]:
        if not self._table("job_runs").exists():
            return []
        return list(
            self._table("job_runs").rows_where("repo = ? AND at > ?", [repo, since], order_by="id")
        )

    def reviews_since(self, repo: str, since: str = "") -> list[dict[str, Any]]:
        """Review runs after `since`, oldest first."""
        if not self._table("reviews").exists():
            return []
        return list(
            self._table("reviews").rows_where(
                "repo = ? AND at > ?", [repo, since], order_by="at, rowid"
            )
        )

    def labels_applied(self, repo: str, *, since: str = "") -> list[dict[str, Any]]:
        """Labels ossbot applied in `repo` after `since`, oldest first."""
        return list(
            self._table("label_log").rows_where(
                "repo = ? AND action = 'applied' AND at > ?", [repo, since], order_by="id"
            )
        )

    def label_model(self, repo: str) -> dict[str, Any] | None:
        rows = list(self._table("label_models").rows_where("repo = ?", [repo], limit=1))
        return rows[0] if rows else None

    def label_model_store(
        self, repo: str, *, key: str, model: bytes, policies: str, examples: int
    ) -> None:
        """The one cached label model of `repo` (a newer one replaces it)."""
        self._table("label_models").upsert(
            {
                "repo": repo,
                "key": key,
                "model": model,
                "policies": policies,
                "examples": examples,
                "stored_at": _now(),
            },
            pk="repo",
        )

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
