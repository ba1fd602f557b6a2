"""Schema migrations: a list of named functions, applied in order, each once, recorded by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

MIGRATIONS_TABLE = "_ossbot_migrations"


def _m0001_ledger(db: Database) -> None:
    db.table("events").create(
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
    db.table("effects").create(
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
    db.table("effects").create_index(["repo", "number"])
    db.table("cache").create({"key": str, "value": str, "stored_at": str}, pk="key")


def _m0002_llm(db: Database) -> None:
    db.table("llm_cache").create(
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
    db.table("llm_calls").create(
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
    db.table("history").create(
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
    db.table("history_sync").create({"repo": str, "since": str, "synced_at": str}, pk="repo")


def _m0004_jobs(db: Database) -> None:
    """The ledger per (event, job): one event may concern several jobs. Creates are recorded as
    intents before they are sent (an outbox), and effects carry the created object."""
    db.execute("""CREATE TABLE ledger (
        key TEXT NOT NULL, job TEXT NOT NULL, name TEXT, action TEXT, repo TEXT, number INTEGER,
        outcome TEXT, processed_at TEXT, PRIMARY KEY (key, job))""")
    db.execute(
        "INSERT INTO ledger SELECT key, job, name, action, repo, number, outcome, processed_at "
        "FROM events"
    )
    db.execute("DROP TABLE events")
    for column in ("job TEXT", "marker TEXT", "object_number INTEGER", "object_id INTEGER"):
        db.execute(f"ALTER TABLE effects ADD COLUMN {column}")
    db.execute("""CREATE TABLE intents (
        id INTEGER PRIMARY KEY, event_key TEXT, job TEXT, action TEXT, repo TEXT, number INTEGER,
        marker TEXT, state TEXT, object_number INTEGER, object_id INTEGER, url TEXT, at TEXT)""")
    db.execute("CREATE INDEX intents_marker ON intents (repo, marker)")


def _m0005_reviews(db: Database) -> None:
    """Each review run (one row per event, so a re-review of a head is a row of its own): the
    head it reviewed, what it covered, its findings, what the model said, and its scores (JSON),
    for incremental reviews and reports over time."""
    db.execute("""CREATE TABLE reviews (
        repo TEXT NOT NULL, number INTEGER NOT NULL, head_sha TEXT NOT NULL, base_sha TEXT,
        base_ref TEXT, since_sha TEXT, mode TEXT, engine TEXT, category TEXT, files INTEGER, reviewed INTEGER,
        tokens INTEGER, findings TEXT, model_findings TEXT, model TEXT, scores TEXT,
        event_key TEXT NOT NULL, at TEXT, PRIMARY KEY (repo, number, head_sha, event_key))""")


def _m0006_spawn_runs(db: Database) -> None:
    """Spawn runs: the plan (JSON) a confirm creates, the issues created so far, the state."""
    db.execute("""CREATE TABLE spawn_runs (
        repo TEXT NOT NULL, run TEXT NOT NULL, parent INTEGER, state TEXT, plan TEXT,
        plan_hash TEXT, spec_hash TEXT, planned INTEGER, created TEXT, skipped INTEGER,
        errors TEXT, requested_by TEXT, event_key TEXT, started_at TEXT, finished_at TEXT,
        updated_at TEXT, PRIMARY KEY (repo, run))""")
    db.execute("CREATE INDEX spawn_runs_parent ON spawn_runs (repo, parent)")


def _m0007_labels(db: Database) -> None:
    """Labels ossbot applied (what it added and the issue's labels after it, to tell whether a
    person has kept them), and the learned label model, cached by the content it learned from."""
    db.execute("""CREATE TABLE label_log (
        id INTEGER PRIMARY KEY, repo TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL,
        action TEXT NOT NULL, confidence REAL, source TEXT, after TEXT, event_key TEXT, at TEXT)""")
    db.execute("CREATE INDEX label_log_issue ON label_log (repo, number)")
    db.execute("""CREATE TABLE label_models (
        repo TEXT PRIMARY KEY, key TEXT NOT NULL, model BLOB, policies TEXT, examples INTEGER,
        stored_at TEXT)""")


def _m0008_job_runs(db: Database) -> None:
    """One row per job run (what `ossbot report` counts): its outcome, the REST requests and
    model tokens it cost; and the check run's conclusion of each review."""
    db.execute("""CREATE TABLE job_runs (
        id INTEGER PRIMARY KEY, repo TEXT NOT NULL, job TEXT NOT NULL, event TEXT, event_key TEXT,
        number INTEGER, outcome TEXT NOT NULL, requests INTEGER, llm_calls INTEGER,
        prompt_tokens INTEGER, completion_tokens INTEGER, models TEXT, at TEXT)""")
    db.execute("CREATE INDEX job_runs_at ON job_runs (repo, at)")
    db.execute("ALTER TABLE reviews ADD COLUMN check_conclusion TEXT")
    db.execute("ALTER TABLE label_log ADD COLUMN actor TEXT")  # the login ossbot acted as


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("0001_ledger", _m0001_ledger),
    ("0002_llm", _m0002_llm),
    ("0003_history", _m0003_history),
    ("0004_jobs", _m0004_jobs),
    ("0005_reviews", _m0005_reviews),
    ("0006_spawn_runs", _m0006_spawn_runs),
    ("0007_labels", _m0007_labels),
    ("0008_job_runs", _m0008_job_runs),
]


def applied(db: Database) -> set[str]:
    if not db[MIGRATIONS_TABLE].exists():
        return set()
    return {row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}


def migrate(db: Database) -> list[str]:
    """Apply the migrations not yet applied; returns their names. Runs that open the same file
    for the first time at once are serialised by a write lock (BEGIN IMMEDIATE), and each checks
    again what is applied once it holds the lock."""
    names = [name for name, _ in MIGRATIONS]
    if set(names) <= applied(db):
        return []
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = applied(db)
        if not db[MIGRATIONS_TABLE].exists():
            db.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)")
        new = []
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(db)
            db.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?)",
                [name, datetime.now(UTC).isoformat()],
            )
            new.append(name)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return new
