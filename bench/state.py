"""The state store's cost: REST calls per load and per save of the branch store, measured from the
fake GitHub's request log (the Git Data API's calls, paths with `/git/`), for a save that lands
and for one that finds the head moved and re-applies its changes; and the database's size after
1,000 simulated runs on top of a 1,000-issue history, then after a year of a busy repository
(20 events a day, with the pruning every save does). Prints figures; asserts nothing.

The runs are real `ossbot run` invocations against the fake GitHub; the sizes come from the
store's own API (`StateStore`, `prune`, `to_bytes`), written as triage writes. Issue bodies come
from the NLBSE'24 corpus in ../shared/corpora when it is there (read only, clipped as ossbot
clips them), else are synthesized at realistic lengths (lognormal, median 800 characters).

    python bench/state.py
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
import random
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from typer.testing import CliRunner  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from ossbot.cli import app  # noqa: E402
from ossbot.state.backends import from_bytes, to_bytes  # noqa: E402
from ossbot.state.size import LEDGER_DAYS, prune  # noqa: E402
from ossbot.state.store import StateStore  # noqa: E402
from ossbot.triage.history import BODY_LIMIT, _row  # noqa: E402

REPO = "acme/widgets"
TOKEN = "ghs_bench"
BOT = "github-actions[bot]"
BRANCH = "ossbot-state"
CORPUS = ROOT.parent / "shared" / "corpora" / "issues" / "nlbse24-train.csv"
BODY = (
    "Exporting to CSV crashes with a traceback when a name contains a comma. "
    "It worked in 2.3 and fails since 2.4.\n\n### Steps to reproduce\n1. Export.\n"
)
MB = 1024 * 1024
HISTORY = 1000  # labels.history's default
RUNS = 1000
CACHE_EVERY = 50  # runs between two repo-files cache entries (the default branch moved)
PER_DAY = 20
DAYS = 365
FIRST_COMMENT = 3_500_000_001
LISTING = (("ossbot.yml", "file"), ("workflows", "dir"), ("ISSUE_TEMPLATE", "dir"))


# -- REST calls of the branch store ----------------------------------------------------------------


def _setup(fake: FakeGitHub) -> None:
    fake.add_user(BOT, type="Bot")
    fake.add_token(TOKEN, BOT, kind="installation")
    fake.add_repo(REPO)
    for name in ("bug", "enhancement", "documentation", "question"):
        fake.add_label(REPO, name)


def _triage(fake: FakeGitHub, work: Path) -> None:
    """`ossbot run` on a new issue's `opened` event, the state on the branch."""
    number = fake.add_issue(REPO, "Export crashes on commas", BODY, user="jdoe")["number"]
    issue = fake.issue(REPO, number)
    owner, name = REPO.split("/")
    payload = {
        "action": "opened",
        "issue": issue,
        "repository": {
            "full_name": REPO,
            "name": name,
            "default_branch": "main",
            "private": False,
            "owner": {"login": owner},
        },
        "sender": {"login": issue["user"]["login"], "type": "User"},
    }
    event = work / f"event-{number}.json"
    event.write_text(json.dumps(payload))
    env = {
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": TOKEN,
        "OSSBOT_ACTIONS_TOKEN": "true",  # as the action says of the workflow's token
        "OSSBOT_STATE": "branch",
        "OSSBOT_WRITE_INTERVAL": "0",
        "OSSBOT_RETRY_BACKOFF": "0",
        "HOME": str(work / "home"),
    }
    args = ["run", "--event", str(event), "--event-name", "issues"]
    result = CliRunner().invoke(app, args, env=env)
    if result.exit_code != 0:
        raise SystemExit(f"ossbot run failed ({result.exit_code}): {result.output}")


def _store_calls(fake: FakeGitHub) -> tuple[list[str], list[str]]:
    """The state store's requests since the log was cleared, as (load, save): the load is the
    reads before the first write, the save everything from there (a re-load included)."""
    calls = [f"{r.method} {r.path} {r.status}" for r in fake.calls(path=r"/git/")]
    first_write = next((i for i, c in enumerate(calls) if not c.startswith("GET ")), len(calls))
    return calls[:first_write], calls[first_write:]


def _ledger_rows(fake: FakeGitHub) -> int:
    db = from_bytes(gzip.decompress(fake.files(REPO, BRANCH)["state.db.gz"]))
    try:
        return db["ledger"].count
    finally:
        db.close()


def rest_calls() -> None:
    print("REST calls of the branch state store per run (goal: load <= 3, save <= 4)")
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
        _setup(fake)
        work = Path(tmp)

        fake.clear_log()
        _triage(fake, work)
        load, save = _store_calls(fake)
        print(f"  first run, no branch yet:   load {len(load)}, save {len(save)} (creates the ref)")

        fake.clear_log()
        _triage(fake, work)
        load, save = _store_calls(fake)
        met = "met" if len(load) <= 3 and len(save) <= 4 else "not met"
        print(f"  second run, branch exists:  load {len(load)}, save {len(save)}  goal {met}")
        for call in load + save:
            print(f"    {call}")

        def moved() -> None:  # another run commits between this run's load and its swap
            fake.put_file(REPO, "README.md", "moved", ref=BRANCH)

        fake.before("PATCH", rf"/git/refs/heads/{BRANCH}$", moved, times=1)
        fake.clear_log()
        _triage(fake, work)
        load, save = _store_calls(fake)
        print(
            f"  a save that found the head moved: load {len(load)}, save {len(save)} "
            "(expected 4 + 3 + 4: the refused swap, the re-load, the re-applied save)"
        )
        for call in save:
            print(f"    {call}")
        print(
            f"  ledger rows on the branch after the three runs: {_ledger_rows(fake)} (expected 3)"
        )


# -- the database's size ---------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _github_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _corpus_rows() -> list[dict[str, str]]:
    """HISTORY corpus issues, taken from its repositories in turn."""
    csv.field_size_limit(2**31 - 1)  # some bodies exceed csv's default limit
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_repo: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_repo.setdefault(row["repo"], []).append(row)
    mixed = [row for group in zip(*by_repo.values(), strict=False) for row in group]
    return mixed[:HISTORY]


def _synthetic_body(rng: random.Random, words: list[str]) -> str:
    length = int(rng.lognormvariate(math.log(800), 0.9))
    parts: list[str] = []
    while sum(len(part) + 1 for part in parts) < length:
        parts.append(rng.choices(words, weights=[1 / (i + 1) for i in range(len(words))])[0])
    return " ".join(parts)[:length]


def _history_items() -> tuple[list[dict[str, Any]], str]:
    """HISTORY issues shaped as GitHub answers them, and where their bodies come from."""
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    if CORPUS.is_file():
        source = [(r["title"], r["body"], r["label"]) for r in _corpus_rows()]
        origin = f"bodies from {CORPUS.name}"
    else:
        words = (BODY + " error stack version expected actual python windows linux").split()
        source = [
            (f"Issue {n}", _synthetic_body(rng, words), ("bug", "enhancement", "question")[n % 3])
            for n in range(HISTORY)
        ]
        origin = "synthetic bodies (the corpus is absent)"
    items = []
    for number, (title, body, label) in enumerate(source, start=1):
        created = start + timedelta(hours=8 * number)
        items.append(
            {
                "number": number,
                "title": title,
                "body": body,
                "labels": [{"name": label}],
                "state": "closed" if rng.random() < 0.7 else "open",
                "created_at": _github_time(created),
                "updated_at": _github_time(created + timedelta(hours=rng.uniform(1, 2000))),
                "html_url": f"https://github.com/{REPO}/issues/{number}",
            }
        )
    return items, origin


def _store_history(store: StateStore) -> None:
    items, origin = _history_items()
    issues = [_row(item) for item in items]  # clipped to BODY_LIMIT, as triage stores them
    since = max(issue["updated_at"] for issue in issues)
    store.history_store(REPO, issues, since=since)
    lengths = [len(issue["body"]) for issue in issues]
    clipped = sum(len(item["body"] or "") > BODY_LIMIT for item in items)
    print(
        f"  history: {len(issues)} issues, {origin}; body median {statistics.median(lengths):.0f}"
        f" chars, mean {statistics.mean(lengths):.0f}, {clipped} clipped at {BODY_LIMIT}"
    )


def _simulate(store: StateStore, runs: int, first_number: int) -> list[tuple[str, str | None]]:
    """What `runs` triage runs of new issues write: a ledger row, the labels added and the
    summary comment created, and every CACHE_EVERY runs the `.github` listing of a new head of
    the default branch. Returns each run's event key and cache key (None when it cached nothing)."""
    done: list[tuple[str, str | None]] = []
    for index in range(runs):
        number = first_number + index
        key = "issues:" + hashlib.sha256(f"{REPO}#{number}:opened".encode()).hexdigest()[:32]
        store.record_event(
            key,
            job="triage",
            name="issues",
            action="opened",
            repo=REPO,
            number=number,
            outcome="2 action(s)",
        )
        store.record_effect(
            key,
            job="triage",
            action="add_labels",
            repo=REPO,
            number=number,
            result="added",
            url=None,
        )
        comment = FIRST_COMMENT + index
        store.record_effect(
            key,
            job="triage",
            action="upsert_comment",
            repo=REPO,
            number=number,
            result="created",
            url=f"https://github.com/{REPO}/issues/{number}#issuecomment-{comment}",
            marker="triage-summary",
            object_id=comment,
        )
        cached = None
        if index % CACHE_EVERY == 0:
            cached = f"dir:{REPO}:.github@{_sha(f'head {index}')}"
            listing = {name: (kind, _sha(f"{name} {index}")) for name, kind in LISTING}
            store.cache_set(cached, json.dumps(listing))
        done.append((key, cached))
    return done


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _tables(store: StateStore) -> list[str]:
    return [name for name in store.db.table_names() if not name.startswith("_")]


def _report(store: StateStore, title: str) -> None:
    raw = to_bytes(store.db)  # VACUUMed, as the branch store saves it
    packed = gzip.compress(raw, mtime=0)  # as the branch stores it
    print(f"  {title}")
    print(
        f"    stored (gzip) {_kb(packed)}  goal < 1 MB: "
        f"{'met' if len(packed) < MB else 'not met'};  raw SQLite {_kb(raw)}"
    )
    counts = ", ".join(f"{name} {store.db[name].count:,}" for name in _tables(store))
    print(f"    rows: {counts}")
    try:
        pages = dict(
            store.db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        )
    except sqlite3.OperationalError:  # SQLite built without the dbstat table
        return
    biggest = sorted(pages.items(), key=lambda item: -item[1])[:5]
    print("    raw bytes, largest: " + ", ".join(f"{n} {_kb(b)}" for n, b in biggest))


def _kb(data: bytes | int) -> str:
    count = data if isinstance(data, int) else len(data)
    return f"{count / 1024:,.0f} KB"


@contextmanager
def _store() -> Iterator[StateStore]:
    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(Path(tmp) / "state.db")
        store.db.execute("PRAGMA synchronous = OFF")  # speed only: the size does not change
        try:
            yield store
        finally:
            store.close()


def size() -> None:
    print("State database size (goal: under 1 MB stored)")
    with _store() as store:
        _store_history(store)
        _simulate(store, RUNS, HISTORY + 1)
        prune(store.db)
        _report(store, f"after {RUNS:,} runs on a {HISTORY:,}-issue history:")


def year() -> None:
    """PER_DAY events a day for DAYS days. Every save prunes, so after the year only the last
    LEDGER_DAYS of the ledger are left: the runs are written, their timestamps then spread over
    the year, and the database pruned once."""
    runs = PER_DAY * DAYS
    with _store() as store:
        _store_history(store)
        done = _simulate(store, runs, HISTORY + 1)
        now = datetime.now(UTC)
        stamps = [_stamp(now - timedelta(days=DAYS * (1 - i / runs))) for i in range(runs)]
        conn = store.db.conn
        with conn:
            for sql in (
                "UPDATE ledger SET processed_at = ? WHERE key = ?",
                "UPDATE effects SET at = ? WHERE event_key = ?",
            ):
                conn.executemany(sql, [(w, k) for w, (k, _) in zip(stamps, done, strict=True)])
            conn.executemany(
                "UPDATE cache SET stored_at = ? WHERE key = ?",
                [(w, c) for w, (_, c) in zip(stamps, done, strict=True) if c is not None],
            )
        deleted = prune(store.db)
        pruned = ", ".join(f"{table} {count:,}" for table, count in deleted.items())
        _report(
            store,
            f"after a year of a busy repository ({PER_DAY} events a day, {runs:,} runs, "
            f"ledger kept {LEDGER_DAYS} days; pruned {pruned}):",
        )


if __name__ == "__main__":
    rest_calls()
    size()
    year()
