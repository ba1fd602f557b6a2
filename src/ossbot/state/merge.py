"""A run's changes to the state as logical operations, re-applied on top of a newer database.

`changes(base, ours)` compares the database as loaded (`base`, bytes) with the database at the
end of the run (`ours`), table by table: rows inserted, changed and deleted. `apply(theirs, ops)`
replays them on the database another run saved meanwhile. Rows are matched by primary key;
rows of tables keyed by an integer `id` (effects, intents, model calls) that this run inserted
are inserted afresh (their ids may be taken), rows it changed are updated by id.

The ledger (what was done) and the caches (droppable) are kept apart: the ledger's operations
are applied first and must succeed; a cache operation that no longer fits is dropped, so a
conflict can only ever cost a cache row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from ossbot.state.migrations import MIGRATIONS_TABLE

# What was done: never dropped on a conflict. Every other table is a cache.
LEDGER = ("ledger", "effects", "intents", "reviews", "spawn_runs", "label_log", "job_runs")


@dataclass(frozen=True)
class Op:
    table: str
    kind: str  # "upsert" (by key), "insert" (a new id row), "update" (by id), "delete" (by key)
    key: tuple[Any, ...]  # primary key values (empty for "insert")
    row: dict[str, Any]

    @property
    def ledger(self) -> bool:
        return self.table in LEDGER


def tables(db: Database) -> list[str]:
    return [
        name
        for name in db.table_names()
        if name != MIGRATIONS_TABLE and not name.startswith(("sqlite_", "_"))
    ]


def primary_key(db: Database, table: str) -> list[str]:
    info = db.execute(f"PRAGMA table_info([{table}])").fetchall()
    keyed = sorted((row[5], row[1]) for row in info if row[5] > 0)
    return [name for _, name in keyed]


def _rows(db: Database, table: str, pk: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM [{table}]")
    names = [d[0] for d in cursor.description]
    out = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        out[tuple(row[k] for k in pk) if pk else tuple(values)] = row
    return out


def changes(base: bytes | None, ours: Database) -> list[Op]:
    """This run's changes; with no base, every row is new."""
    from ossbot.state.backends import from_bytes

    before = from_bytes(base) if base else None
    ops: list[Op] = []
    try:
        for table in tables(ours):
            pk = primary_key(ours, table)
            mine = _rows(ours, table, pk)
            theirs = (
                _rows(before, table, pk) if before is not None and before[table].exists() else {}
            )
            by_id = pk == ["id"]
            for key, row in mine.items():
                old = theirs.get(key)
                if old == row:
                    continue
                if by_id and old is None:
                    ops.append(Op(table, "insert", (), {k: v for k, v in row.items() if k != "id"}))
                elif by_id:
                    ops.append(Op(table, "update", key, row))
                elif pk:
                    ops.append(Op(table, "upsert", key, row))
                else:
                    ops.append(Op(table, "insert", (), row))
            if pk:
                ops += [Op(table, "delete", key, {}) for key in theirs if key not in mine]
    finally:
        if before is not None:
            before.close()
    return sorted(ops, key=lambda op: not op.ledger)  # the ledger first


def apply(theirs: Database, ops: list[Op]) -> int:
    """Replay `ops`; returns how many cache operations were dropped. A ledger operation that
    fails raises (the save is then not made)."""
    dropped = 0
    columns: dict[str, set[str]] = {}
    for op in ops:
        if op.table not in columns:
            table = theirs[op.table]
            columns[op.table] = set(table.columns_dict) if table.exists() else set()
        known = columns[op.table]
        if not known:
            if op.ledger:
                raise sqlite3.OperationalError(f"the ledger table {op.table} is missing")
            dropped += 1
            continue
        try:
            _apply(theirs, op, known)
        except sqlite3.DatabaseError:
            if op.ledger:
                raise
            dropped += 1
    theirs.conn.commit()
    return dropped


def _apply(db: Database, op: Op, known: set[str]) -> None:
    if op.kind == "delete":
        where = " AND ".join(f"[{k}] = ?" for k in primary_key(db, op.table))
        db.execute(f"DELETE FROM [{op.table}] WHERE {where}", list(op.key))
        return
    row = {k: v for k, v in op.row.items() if k in known}
    names = ", ".join(f"[{k}]" for k in row)
    marks = ", ".join("?" for _ in row)
    # An insert gets a fresh id; an upsert by key or update by id replaces the row (or adds it
    # again if it is gone).
    verb = "INSERT" if op.kind == "insert" else "INSERT OR REPLACE"
    db.execute(f"{verb} INTO [{op.table}] ({names}) VALUES ({marks})", list(row.values()))
