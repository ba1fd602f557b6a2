from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from ossbot.errors import StateError
from ossbot.state.migrations import MIGRATIONS, MIGRATIONS_TABLE, migrate
from ossbot.state.store import StateStore


def test_migrations_from_a_blank_database_and_again_are_idempotent():
    db = Database(memory=True)
    assert migrate(db) == [name for name, _ in MIGRATIONS]
    assert migrate(db) == []
    assert {"ledger", "effects", "intents", "cache", MIGRATIONS_TABLE} <= set(db.table_names())


def test_ledger_and_cache_survive_reopening(tmp_path):
    path = tmp_path / "s" / "state.db"
    store = StateStore(path)
    store.record_event(
        "k1", name="issues", action="opened", repo="o/r", number=1, job="triage", outcome="ok"
    )
    store.record_effect(
        "k1", job="triage", action="add_labels", repo="o/r", number=1, result="added", url=None
    )
    store.cache_set("blob:abc", "text")
    store.close()
    again = StateStore(path)
    assert again.processed("k1", "triage")["outcome"] == "ok"
    assert again.processed("k1", "review") is None  # the ledger is per (event, job)
    assert [e["action"] for e in again.effects("k1")] == ["add_labels"]
    assert again.cache_get("blob:abc") == "text" and again.cache_get("nope") is None


def test_scratch_store_reads_the_file_but_never_writes_it(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path).record_event(
        "k", name="issues", action="opened", repo="o/r", number=1, job="triage", outcome="ok"
    )
    before = path.read_bytes()
    scratch = StateStore(path, scratch=True)
    assert scratch.processed("k", "triage") is not None
    scratch.cache_set("x", "y")
    scratch.close()
    assert path.read_bytes() == before
    assert StateStore(tmp_path / "absent.db", scratch=True).processed("k", "triage") is None
    assert not (tmp_path / "absent.db").exists()


def test_a_file_that_is_not_a_database_is_set_aside_with_a_warning(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    store = StateStore(path)
    assert store.processed("k", "triage") is None
    store.close()
    [aside] = tmp_path.glob("state.db.corrupt-*")
    assert aside.read_bytes() == b"this is not sqlite" * 100
    assert "set aside" in store.warnings[0] and "lost" in store.warnings[0]
    assert StateStore(path).processed("k", "triage") is None  # a usable database now


def test_a_corrupt_file_in_a_dry_run_is_left_alone(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage" * 100)
    store = StateStore(path, scratch=True)
    assert store.processed("k", "triage") is None
    assert path.read_bytes() == b"garbage" * 100 and not list(tmp_path.glob("*.corrupt-*"))
    assert "empty one" in store.warnings[0]


def test_a_folder_in_the_way_is_a_state_error(tmp_path):
    path = tmp_path / "state.db"
    path.mkdir()
    with pytest.raises(StateError):
        StateStore(path).processed("k", "triage")


def test_the_ledger_of_an_older_schema_is_kept(tmp_path):
    path = tmp_path / "state.db"
    db = Database(path)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    db.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, step in MIGRATIONS[:3]:
        step(db)
        db.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, 'then')", [name])
    db.execute(
        "INSERT INTO events VALUES ('k', 'issues', 'opened', 'o/r', 1, 'triage', 'ok', 'then')"
    )
    conn.execute("COMMIT")
    conn.close()
    assert StateStore(path).processed("k", "triage")["outcome"] == "ok"


def test_an_old_database_is_brought_up_to_date(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)")
    conn.commit()
    conn.close()
    assert StateStore(path).processed("k", "triage") is None
    names = [row["name"] for row in Database(path)[MIGRATIONS_TABLE].rows]
    assert names == [name for name, _ in MIGRATIONS]


def _issue(number: int, labels: list[str], updated: str) -> dict:
    return {
        "number": number,
        "title": f"t{number}",
        "body": "b",
        "labels": labels,
        "state": "open",
        "created_at": updated,
        "updated_at": updated,
        "html_url": f"https://x/{number}",
    }


def test_history_is_upserted_ordered_and_trimmed_per_kind(tmp_path):
    store = StateStore(tmp_path / "state.db")
    assert store.history_sync("o/r") is None
    store.history_store(
        "o/r",
        [_issue(n, ["bug"] if n % 2 else [], f"2026-01-{n:02d}") for n in range(1, 9)],
        since="2026-01-08",
    )
    store.history_store("o/r", [_issue(3, ["docs"], "2026-02-01")], since="2026-02-01")  # updated
    assert [row["number"] for row in store.history("o/r")][:2] == [3, 8]
    assert store.history("o/r")[0]["labels"] == ["docs"]
    assert store.history_sync("o/r")["since"] == "2026-02-01"
    store.history_trim("o/r", keep=2)
    kept = store.history("o/r")
    assert sorted(row["number"] for row in kept) == [3, 6, 7, 8]  # 2 labelled, 2 unlabelled
    assert store.history("other/repo") == []


def test_a_database_of_the_first_schema_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    db[MIGRATIONS_TABLE].create({"name": str, "applied_at": str}, pk="name")
    MIGRATIONS[0][1](db)
    db[MIGRATIONS_TABLE].insert({"name": MIGRATIONS[0][0], "applied_at": "2026-01-01"})
    db["cache"].insert({"key": "k", "value": "v", "stored_at": "2026-01-01"})
    db.close()
    store = StateStore(path)
    assert store.cache_get("k") == "v"
    assert store.history("o/r") == [] and store.llm_calls() == []
