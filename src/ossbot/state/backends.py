"""Where the state database lives between runs: a local file, the Actions cache's file, a state
branch, or nowhere. A backend opens the database at the start of a run and saves it once at
the end (see `StateStore.save`).

The branch backend is the one that survives overlapping runs: it keeps the database compressed
on an orphan branch, and saves with compare-and-swap on the ref (Git Data API, never a force
update). When another run moved the head in between, it reloads, re-applies this run's changes
(rows inserted, changed and deleted: `state/merge.py`) and tries again, so no ledger row is
ever lost and the binary file is never merged.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlite_utils import Database

from ossbot.errors import AmbiguousWrite, GitHubError, StateError
from ossbot.state.migrations import migrate

if TYPE_CHECKING:
    from ossbot.github.http import GitHubHTTP

CORRUPT = ("not a database", "malformed", "integrity check failed", "encrypted")
STATE_FILE = "state.db.gz"
LOST = "its ledger of processed events, issue history and cached answers"
README = """# ossbot state

This branch holds ossbot's state database (`state.db.gz`: SQLite, gzip-compressed): the ledger
of the events it processed and what it wrote, and caches (issue history, model answers). ossbot
commits to it with compare-and-swap and never force-pushes; it has no history in common with
the repository's code. Inspect it with `ossbot state show --state branch --repo OWNER/NAME`;
deleting the branch loses only the ledger and caches (ossbot rebuilds what it can from its
markers on GitHub).
"""


@dataclass
class SaveReport:
    saved: bool
    detail: str
    size: int = 0  # bytes of the database
    stored: int = 0  # bytes stored (compressed, on a branch)
    head: str | None = None  # the branch's commit after the save
    attempts: int = 0  # commits tried (more than 1: the head moved and changes were re-applied)


class Backend(Protocol):
    kind: str
    fresh: bool

    def open(self, warnings: list[str]) -> Database: ...

    def save(self, db: Database, warnings: list[str]) -> SaveReport: ...

    def describe(self) -> str: ...


def corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Damage, as opposed to a file that is locked or cannot be opened (never set aside)."""
    return any(words in str(exc) for words in CORRUPT)


def checked(conn: sqlite3.Connection) -> Database:
    """The connection as a migrated Database, after an integrity check (closed on failure)."""
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


def from_bytes(data: bytes | None) -> Database:
    """An in-memory database holding `data` (an empty one for None); raises
    sqlite3.DatabaseError when `data` is not a usable database."""
    conn = sqlite3.connect(":memory:")
    if data:
        try:
            conn.deserialize(data)
        except sqlite3.DatabaseError:
            conn.close()
            raise
    return checked(conn)


def to_bytes(db: Database) -> bytes:
    db.conn.commit()
    db.execute("VACUUM")
    return bytes(db.conn.serialize())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileBackend:
    """A SQLite file used in place (`local`), or the file the composite action restores from and
    saves to the Actions cache (`cache`: `save` says whether it changed, so the action saves a
    new entry only then, and only when it is a usable database)."""

    def __init__(self, path: Path, *, scratch: bool = False, kind: str = "local") -> None:
        self.path = Path(path)
        self.scratch = scratch
        self.kind = kind
        self.fresh = False
        self._memory_only = False
        self._changes_at_open = 0

    def describe(self) -> str:
        return f"{'the Actions cache file' if self.kind == 'cache' else 'the file'} {self.path}"

    def open(self, warnings: list[str]) -> Database:
        self.fresh = not self.path.is_file() or self.path.stat().st_size == 0
        try:
            db = checked(self._connect())
        except sqlite3.DatabaseError as exc:
            if not corrupt(exc) or (self.path.exists() and not self.path.is_file()):
                raise StateError(f"cannot open the state database {self.path}: {exc}") from exc
            self._set_aside(exc, warnings)
            self.fresh = True
            try:
                db = checked(self._connect())
            except sqlite3.DatabaseError as exc:
                raise StateError(f"cannot start a state database at {self.path}: {exc}") from exc
        # Rows changed from here on (a new file: every row) are what makes a save worth it.
        self._changes_at_open = -1 if self.fresh else db.conn.total_changes
        return db

    def _set_aside(self, cause: Exception, warnings: list[str]) -> None:
        if self.scratch or not self.path.exists():
            warnings.append(
                f"the state file {self.path} is not a usable database ({cause}): this run "
                f"starts from an empty one, without {LOST}; ossbot works from what GitHub shows"
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
        warnings.append(
            f"the state file {self.path} was not a usable database ({cause}); it was set aside "
            f"as {aside.name} and a new one started: {LOST} are lost, and ossbot rebuilds what "
            "it can from its markers on GitHub"
        )

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

    def save(self, db: Database, warnings: list[str]) -> SaveReport:
        db.conn.commit()  # written as it went: SQLite's own transactions keep the file whole
        size = self.path.stat().st_size if self.path.is_file() else 0
        if self.kind != "cache":
            return SaveReport(True, f"saved in {self.path}", size=size, stored=size)
        if db.conn.total_changes == self._changes_at_open:
            return SaveReport(False, "unchanged: no new cache entry", size=size)
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            warnings.append(f"the state file {self.path} failed its integrity check: not saved")
            return SaveReport(False, "not a usable database: not saved", size=size)
        return SaveReport(True, f"changed: the action saves {self.path}", size=size, stored=size)


class MemoryBackend:
    """`--state none`: an empty database each run, never saved."""

    kind = "none"
    fresh = False

    def describe(self) -> str:
        return "no store (in memory only)"

    def open(self, warnings: list[str]) -> Database:
        return from_bytes(None)

    def save(self, db: Database, warnings: list[str]) -> SaveReport:
        return SaveReport(False, "not saved (--state none)")


class _Moved(Exception):
    """The branch's head is not the commit this save is based on."""


class BranchBackend:
    """The database on an orphan branch, compressed. Load: the ref, the commit's tree, the blob
    (3 requests). Save: a blob, a tree, a commit whose parent is the loaded head, and the ref
    moved without force (4 requests); when the head moved, reload, re-apply and retry with
    jittered backoff, `attempts` times at most."""

    kind = "branch"

    def __init__(
        self,
        http: GitHubHTTP | None,
        repo: str,
        branch: str,
        *,
        scratch: bool = False,
        attempts: int = 8,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.repo = repo
        self.branch = branch
        self.scratch = scratch
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self.fresh = False
        self.head: str | None = None
        self.loaded = False  # whether the head (or its absence) is known
        self._base: bytes | None = None
        self._changes_at_open = 0
        self.stored = 0  # compressed bytes on the branch, as loaded
        self._tree: str | None = None  # the head's tree: other files on the branch are kept

    def describe(self) -> str:
        return f"the state branch '{self.branch}' of {self.repo}"

    # -- load --------------------------------------------------------------------------------

    def open(self, warnings: list[str]) -> Database:
        if self.http is None:
            warnings.append(
                f"the state branch '{self.branch}' cannot be read without a token: this run "
                "starts from an empty state"
            )
            return self._empty()
        try:
            self.head, data = self._load()
        except GitHubError as exc:
            warnings.append(
                f"the state branch '{self.branch}' could not be read ({exc}): this run starts "
                "from an empty state; a save re-reads it and adds to what it holds"
            )
            return self._empty()
        self.loaded = True
        if data is None:
            self.fresh = True
            return self._empty()
        try:
            raw = gzip.decompress(data)
            db = from_bytes(raw)
        except (OSError, EOFError, sqlite3.DatabaseError) as exc:
            warnings.append(
                f"the state file on the branch '{self.branch}' is not a usable database ({exc}): "
                f"this run starts from an empty one, without {LOST}; ossbot rebuilds what it can "
                "from its markers on GitHub, and its save replaces the file"
            )
            self.fresh = True
            return self._empty()
        self._base = raw
        self.stored = len(data)
        self._changes_at_open = db.conn.total_changes
        return db

    def _empty(self) -> Database:
        db = from_bytes(None)
        self._changes_at_open = -1  # a new database is always worth saving once it holds rows
        return db

    def _get(self, path: str) -> Any:
        assert self.http is not None
        return self.http.call("GET", f"/repos/{self.repo}/{path}")

    def _load(self) -> tuple[str | None, bytes | None]:
        """The head commit and the compressed file (None, None: no branch yet)."""
        try:
            ref = self._get(f"git/ref/heads/{self.branch}")
        except GitHubError as exc:
            if exc.status == 404:
                self._tree = None
                return None, None
            raise
        head = ref["object"]["sha"]
        tree = self._get(f"git/trees/{head}")
        self._tree = tree.get("sha")
        entry = next((e for e in tree.get("tree", []) if e.get("path") == STATE_FILE), None)
        if entry is None:
            return head, None
        blob = self._get(f"git/blobs/{entry['sha']}")
        return head, base64.b64decode(blob.get("content") or "")

    # -- save --------------------------------------------------------------------------------

    def save(self, db: Database, warnings: list[str]) -> SaveReport:
        from ossbot.state.merge import changes

        if self.http is None:
            return SaveReport(False, "not saved: no token")
        db.conn.commit()
        if db.conn.total_changes == self._changes_at_open:
            return SaveReport(False, "unchanged: nothing committed")
        ours = changes(self._base, db)
        current, parent = db, self.head
        if not self.loaded:  # the load failed: this run's changes go on what the branch holds
            parent, current = self._rebase(db, ours)
        for attempt in range(1, self.attempts + 1):
            raw = to_bytes(current)
            packed = gzip.compress(raw, mtime=0)
            try:
                commit = self._commit(packed, parent, attempt)
                self._move(parent, commit)
            except _Moved:
                if attempt == self.attempts:
                    break
                self.sleep(random.uniform(0.5, 1.5) * self.backoff * 2 ** (attempt - 1))
                parent, current = self._rebase(current, ours)
                continue
            self.head = commit
            return SaveReport(
                True,
                f"committed {commit[:12]} to '{self.branch}'"
                + (f" after {attempt - 1} re-applied conflict(s)" if attempt > 1 else ""),
                size=len(raw),
                stored=len(packed),
                head=commit,
                attempts=attempt,
            )
        raise StateError(
            f"the state branch '{self.branch}' moved on every one of {self.attempts} attempts; "
            "this run's state was not saved (ossbot's markers on GitHub still hold what it wrote)"
        )

    def replace(self, raw: bytes, parent: str | None) -> SaveReport:
        """Commit `raw` as the state, on top of `parent` (`ossbot state push`)."""
        packed = gzip.compress(raw, mtime=0)
        commit = self._commit(packed, parent, 1, message="ossbot: state pushed from a terminal")
        try:
            self._move(parent, commit)
        except _Moved:
            raise StateError(
                f"the state branch '{self.branch}' moved during the push: nothing was replaced; "
                "pull again"
            ) from None
        self.head = commit
        return SaveReport(
            True, f"committed {commit[:12]} to '{self.branch}'", len(raw), len(packed), commit, 1
        )

    def _rebase(self, current: Database, ours: list[Any]) -> tuple[str | None, Database]:
        """The new head, and its database with this run's changes applied (a file there that
        is not usable is replaced)."""
        from ossbot.state.merge import apply

        head, data = self._load()
        try:
            theirs = from_bytes(gzip.decompress(data)) if data else from_bytes(None)
        except (OSError, EOFError, sqlite3.DatabaseError):
            theirs = from_bytes(None)
        apply(theirs, ours)
        current.close()
        return head, theirs

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        assert self.http is not None
        return self.http.call("POST", f"/repos/{self.repo}/{path}", body=body)

    def _commit(self, packed: bytes, parent: str | None, attempt: int, *, message: str = "") -> str:
        blob = self._post(
            "git/blobs",
            {"content": base64.b64encode(packed).decode(), "encoding": "base64"},
        )
        entries = [{"path": STATE_FILE, "mode": "100644", "type": "blob", "sha": blob["sha"]}]
        if parent is None or self._tree is None:
            entries.append(
                {"path": "README.md", "mode": "100644", "type": "blob", "content": README}
            )
        body: dict[str, Any] = {"tree": entries}
        if parent is not None and self._tree is not None:
            body["base_tree"] = self._tree
        tree = self._post("git/trees", body)
        message = message or "ossbot: save state" + (f" (attempt {attempt})" if attempt > 1 else "")
        commit = self._post(
            "git/commits",
            {"message": message, "tree": tree["sha"], "parents": [parent] if parent else []},
        )
        return str(commit["sha"])

    def _move(self, parent: str | None, commit: str) -> None:
        """Compare-and-swap: create the branch when there was none, else move it forward from
        `parent` only. A move whose answer was lost is checked by reading the ref."""
        assert self.http is not None
        try:
            if parent is None:
                self.http.call(
                    "POST",
                    f"/repos/{self.repo}/git/refs",
                    body={"ref": f"refs/heads/{self.branch}", "sha": commit},
                )
            else:
                self.http.call(
                    "PATCH",
                    f"/repos/{self.repo}/git/refs/heads/{self.branch}",
                    body={"sha": commit, "force": False},
                )
        except AmbiguousWrite:
            head, _ = self._load()
            if head != commit:
                raise _Moved() from None
        except GitHubError as exc:
            if exc.status == 422 and _moved(str(exc)):
                raise _Moved() from None
            raise


def _moved(message: str) -> bool:
    text = message.lower()
    return any(
        words in text
        for words in ("not a fast forward", "reference already exists", "reference does not exist")
    )
