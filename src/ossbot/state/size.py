"""Keeping the state small: rows pruned by age at every save, and a warning past a size.

Ledger rows outlive any redelivery or re-run of an event by far; cache rows are cheap to
refetch. The issue history is kept to `labels.history` issues by triage itself, with bodies
clipped to what learning needs (`triage/history.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

LEDGER_DAYS = 180  # processed events and their effects
INTENT_DAYS = 30  # finished (or long abandoned) creates
CALL_DAYS = 90  # model calls (usage reports)
CACHE_DAYS = 30  # the key/value cache (repository files by commit, the token's login)
REVIEW_DAYS = 365  # review runs (reports over time)
RUN_DAYS = 365  # spawn runs (a rollback, months later, still knows what a run created)
LABEL_DAYS = 365  # labels ossbot applied (whether people kept them)
JOB_RUN_DAYS = 365  # job runs (ossbot report)
WARN_BYTES = 8 * 1024 * 1024

# (table, time column, days)
RULES = (
    ("ledger", "processed_at", LEDGER_DAYS),
    ("effects", "at", LEDGER_DAYS),
    ("intents", "at", INTENT_DAYS),
    ("llm_calls", "at", CALL_DAYS),
    ("cache", "stored_at", CACHE_DAYS),
    ("reviews", "at", REVIEW_DAYS),
    ("spawn_runs", "updated_at", RUN_DAYS),
    ("label_log", "at", LABEL_DAYS),
    ("job_runs", "at", JOB_RUN_DAYS),
    ("label_models", "stored_at", CACHE_DAYS),
)


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def prune(db: Database, *, ledger_days: float | None = None) -> dict[str, int]:
    """Delete rows past their age (and expired model answers); returns rows deleted per table."""
    deleted: dict[str, int] = {}
    for table, column, days in RULES:
        if not db[table].exists():
            continue
        keep = ledger_days if ledger_days is not None and table in ("ledger", "effects") else days
        cursor = db.execute(f"DELETE FROM [{table}] WHERE [{column}] <= ?", [ago(keep)])
        deleted[table] = cursor.rowcount
    if db["llm_cache"].exists():
        now = datetime.now(UTC).isoformat(timespec="seconds")
        deleted["llm_cache"] = db.execute(
            "DELETE FROM llm_cache WHERE expires_at <= ?", [now]
        ).rowcount
    db.conn.commit()
    return {table: count for table, count in deleted.items() if count > 0}


def size_warning(size: int) -> str | None:
    if size <= WARN_BYTES:
        return None
    return (
        f"the state database is {size / 1024 / 1024:.1f} MB (more than "
        f"{WARN_BYTES // 1024 // 1024} MB): run `ossbot state prune`, or lower labels.history"
    )
