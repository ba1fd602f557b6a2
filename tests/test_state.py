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
    assert {"events", "effects", "cache", MIGRATIONS_TABLE} <= set(db.table_names())


def test_ledger_and_cache_survive_reopening(tmp_path):
    path = tmp_path / "s" / "state.db"
    store = StateStore(path)
    store.record_event("k1", name="issues", action="opened", repo="o/r", number=1, job="triage", outcome="ok")
    store.record_effect("k1", action="add_labels", repo="o/r", number=1, result="added", url=None)
    store.cache_set("blob:abc", "text")
    store.close()
    again = StateStore(path)
    assert again.processed("k1")["outcome"] == "ok"
    assert [e["action"] for e in again.effects("k1")] == ["add_labels"]
    assert again.cache_get("blob:abc") == "text" and again.cache_get("nope") is None


def test_scratch_store_reads_the_file_but_never_writes_it(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path).record_event("k", name="issues", action="opened", repo="o/r", number=1,
                                  job="triage", outcome="ok")
    before = path.read_bytes()
    scratch = StateStore(path, scratch=True)
    assert scratch.processed("k") is not None
    scratch.cache_set("x", "y")
    scratch.close()
    assert path.read_bytes() == before
    assert StateStore(tmp_path / "absent.db", scratch=True).processed("k") is None
    assert not (tmp_path / "absent.db").exists()


def test_a_file_that_is_not_a_database_is_a_state_error(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError):
        StateStore(path).processed("k")


def test_an_old_database_is_brought_up_to_date(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)")
    conn.commit()
    conn.close()
    assert StateStore(path).processed("k") is None
    names = [row["name"] for row in Database(path)[MIGRATIONS_TABLE].rows]
    assert names == [name for name, _ in MIGRATIONS]
