"""Review of the offline labeller: the model cache's round trip and damage, the Nyström path,
token ids, thresholds at their edges, `labels eval` eligibility, and hostile issue text. Real
code throughout; end-to-end tests go through the CLI and the fake GitHub over HTTP."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ossbot.labels.model as model_module
from conftest import REPO, issue_event, ossbot, write_event
from ossbot.labels.evaluate import evaluate
from ossbot.labels.model import ID_BITS, Example, LabelModel, _Encoder
from ossbot.labels.policy import threshold
from ossbot.repo_config import LabelsConfig
from ossbot.state.store import StateStore
from ossbot.triage.history import Past
from ossbot.triage.labelling import Candidate, choose, unconfirmed
from test_triage_learned_e2e import _labels, _new_export_issue, _seed_history

_RNG = random.Random(0)
VOCAB = [
    "".join(_RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_RNG.randint(3, 9)))
    for _ in range(3000)
]


def _random_issues(n: int, seed: int, labels: tuple[str, ...] = ("bug", "enhancement")):
    """n distinct issues of random words (title, body, label)."""
    rng = random.Random(seed)
    return [
        (
            " ".join(rng.choice(VOCAB) for _ in range(6)),
            " ".join(rng.choice(VOCAB) for _ in range(60)),
            rng.choice(labels),
        )
        for _ in range(n)
    ]


def _toy(repo: str = "", unicode: bool = False) -> list[Example]:
    crash = ["App crashes on start", "Crash when saving", "Segfault crash", "Crash after update"]
    feature = ["Add dark mode", "Add PDF export", "Support plugins", "Add a font setting"]
    accent = " — café naïve 日本語 🐛" if unicode else ""
    return [
        Example(t + accent, f"It crashes badly.{accent}", ("bug",), repo) for t in crash * 2
    ] + [
        Example(t + accent, f"Please add this.{accent}", ("enhancement",), repo)
        for t in feature * 2
    ]


QUERIES = [
    ("The app crashes", "A crash on start."),
    ("", ""),
    ("Ünïcödé tïtle — 日本語のタイトル 🐛", "本文 ✓ ñ"),
    ("Add something", "please " * 200_000),  # a huge body
    ("Crash" * 50, "<!-- x -->\n### Type\nBug\n" * 1000),
]


def _same_scores(model: LabelModel, repos: list[str]) -> None:
    copy = LabelModel.from_bytes(model.to_bytes())
    assert copy.labels == model.labels and copy.learned == model.learned
    for repo in repos:
        for title, body in QUERIES:
            assert copy.scores(title, body, repo=repo) == model.scores(title, body, repo=repo)


# --- the cached model scores exactly as the fresh one --------------------------------------------


@pytest.mark.parametrize(
    "examples, repos",
    [
        (_toy(), [""]),
        (_toy(unicode=True), [""]),
        (_toy("a/one") + _toy("b/two", unicode=True), ["a/one", "b/two", "c/unseen", ""]),
        # a constant label (every example carries it) beside learned ones
        ([Example(e.title, e.body, (*e.labels, "triaged")) for e in _toy()], [""]),
        # nothing learned at all: only a constant label
        ([Example(e.title, e.body, ("bug",)) for e in _toy()], [""]),
        # nothing learnable: every label below min_examples
        (_toy()[:2], [""]),
        # empty bodies and titles
        ([Example("", "", ("bug",))] * 3 + [Example("x", "", ("enhancement",))] * 3, [""]),
    ],
)
def test_a_cached_model_scores_exactly_as_the_model_it_was_saved_from(examples, repos):
    model = LabelModel.train(examples, min_examples=3)
    _same_scores(model, repos)


def test_a_pooled_nystroem_model_round_trips_and_gives_probabilities(monkeypatch):
    monkeypatch.setattr(model_module, "LANDMARKS", 12)
    examples = [
        Example(t, b, (label,), repo)
        for repo, seed in (("a/one", 1), ("b/two", 2))
        for t, b, label in _random_issues(40, seed, ("bug", "enhancement", "question"))
    ]
    model = LabelModel.train(examples, min_examples=3)
    held, _ = model.held_out()
    assert held.shape == (80, 3)
    assert np.isfinite(held).all() and (held >= 0).all() and (held <= 1).all()
    scored = model.scores_many(
        [(e.title, e.body) for e in examples], repos=[e.repo for e in examples]
    )
    values = np.array([list(s.values()) for s in scored])
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    _same_scores(model, ["a/one", "b/two", "elsewhere"])


# --- the Nyström path: a history with issues filed twice -------------------------------------------


def _with_duplicates(n: int, twice: int, seed: int) -> list[Example]:
    issues = _random_issues(n, seed)
    issues += issues[:twice]  # reported twice, word for word (as happens)
    random.Random(seed).shuffle(issues)
    return [Example(t, b, (label,)) for t, b, label in issues]


def test_training_beyond_the_landmarks_survives_issues_filed_twice():
    # 1,300 labelled issues (over LANDMARKS = 1200), 100 of them filed twice: the landmark
    # kernel is singular, and the single-precision K_nmᵀ·K_nm is off by more than the 1e-6
    # jitter, so the Cholesky factorisation fails (in float64 the same system is fine).
    examples = _with_duplicates(1200, 100, seed=0)
    assert len(examples) > model_module.LANDMARKS
    model = LabelModel.train(examples)
    held, _ = model.held_out()
    assert np.isfinite(held).all()


def test_triage_with_a_long_history_holding_duplicates_labels_the_issue(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  history: 2000\n")
    for e in _with_duplicates(1200, 100, seed=1):
        gh.add_issue(REPO, e.title, e.body, labels=list(e.labels), state="closed", user="old")
    number = gh.add_issue(REPO, "A new issue", "Something about it.", user="jdoe")["number"]
    event = write_event(tmp_path / "e.json", issue_event(gh, number))
    result = ossbot("triage", "--event", event)
    assert result.exit_code == 0, result.stderr


# --- token ids -----------------------------------------------------------------------------------


def test_token_ids_count_distinct_tokens_not_occurrences():
    # Pairs pack two ids of ID_BITS bits under the kind: ids must stay small. They are taken
    # from a counter that `dict.setdefault` advances for every token seen, not every new one,
    # so after 2**26 occurrences (some 100,000 issues) a new word's pairs spill into the kind
    # bits (an opening pair becomes a character n-gram, and so on).
    encoder = _Encoder()
    encoder.encode([("crash", "crash " * 500)] * 100 + [("zebra", "zebra")], grow=True)
    assert max(encoder.tokens.values()) < len(encoder.tokens) < 2**ID_BITS


def test_character_ngrams_of_non_ascii_titles_encode():
    encoder = _Encoder()
    titles = ["Ünïcödé ÇÀFÉ", "日本語", "İstanbul KELVIN", "𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "ﬁle ﬂow", "١٢٣ ４５"]
    rows, codes, n = encoder.encode([(t, t) for t in titles], grow=True)
    assert n == len(titles) and len(rows) == len(codes)
    model = LabelModel.train([Example(t, t, ("bug",)) for t in titles] + _toy(), min_examples=3)
    for t in titles:
        assert all(0 <= p <= 1 for p in model.scores(t, t).values())


# --- thresholds and choices at their edges ----------------------------------------------------------


def test_threshold_edge_cases():
    empty = threshold(np.zeros(0), np.zeros(0, bool), 0.95, 0.7)
    assert empty.threshold is None and empty.support == 0 and empty.why == "unproven"
    negatives = threshold(np.linspace(0.9, 0.1, 30), np.zeros(30, bool), 0.95, 0.7)
    assert negatives.threshold is None and negatives.precision == 0.0
    # A tie across a wrong issue takes the wrong one too.
    tie = threshold(np.array([0.9] * 30), np.array([True] * 29 + [False]), 0.95, 0.7)
    assert tie.threshold is None
    # Never below the floor, whatever the gap below the weakest issue.
    alone = threshold(np.array([0.9] * 30), np.ones(30, bool), 0.95, 0.7)
    assert alone.threshold == pytest.approx(0.7)


def test_choose_with_max_zero_applies_and_suggests_nothing():
    cfg = LabelsConfig(max=0)
    choice = choose(
        [Candidate("bug", 0.99, "history", 0.5), Candidate("docs", 0.6, "keywords", None)], cfg
    )
    assert choice.apply == [] and choice.suggest == []


# --- evaluate: eligibility as in triage --------------------------------------------------------------


def test_evaluate_with_no_training_issues_or_a_label_never_seen_in_training():
    test = [Example("Crash", "x", ("bug",)), Example("Docs", "y", ("documentation",))]
    report = evaluate([], test)
    assert report["issues"] == 2 and report["labels"] == {}
    assert set(report["unlearnable"]) == {"bug", "documentation"}
    report = evaluate(_toy(), test)
    assert report["unlearnable"] == {"documentation": {"train": 0, "test": 1}}


def test_evaluate_learns_only_from_issues_with_a_label_triage_may_apply():
    # Triage learns only from issues carrying a label it may apply (`training_examples`): from
    # a history where every such issue is a bug, 'bug' is constant and never applied. evaluate
    # keeps the status-only issues as negatives, learns 'bug', and reports it applied.
    bugs = [Example(f"Crash {t}", b, ("bug",)) for t, b, _ in _random_issues(30, 3)]
    statuses = [
        Example(f"Status only {t}", b, ("status: confirmed",)) for t, b, _ in _random_issues(30, 4)
    ]
    test = [Example("Crash here", "A crash.", ("bug",))]
    as_triage = evaluate(bugs, test)
    with_statuses = evaluate(bugs + statuses, test)
    assert as_triage["labels"]["bug"]["threshold"] is None  # constant: suggested only
    assert with_statuses["labels"]["bug"] == as_triage["labels"]["bug"]
    assert with_statuses["applied"] == as_triage["applied"]


def test_labels_eval_with_test_issues_whose_labels_are_all_excluded(tmp_path):
    train = tmp_path / "train.jsonl"
    rows = [{"title": e.title, "body": e.body, "labels": list(e.labels)} for e in _toy()]
    train.write_text("\n".join(map(json.dumps, rows)))
    test = tmp_path / "test.jsonl"
    rows = [
        {"title": "The app crashes", "body": "x", "labels": ["status: confirmed"]},
        {"title": "Add dark mode", "body": "y", "labels": ["wontfix"]},
    ]
    test.write_text("\n".join(map(json.dumps, rows)))
    result = ossbot(
        "labels", "eval", "--train", str(train), "--test", str(test), "--format", "json"
    )
    # As `--repo` does, issues without a label triage may apply are not backtested: either
    # nothing to score (an error saying so) or a report that counts none of them.
    if result.exit_code == 2:
        assert "nothing to backtest" in result.stderr or "no " in result.stderr
    else:
        assert result.exit_code == 0, result.stderr
        report = result.json()
        assert report["issues"] == 0 and report["suggested"]["labels"] == 0


# --- a damaged cache entry --------------------------------------------------------------------------


def _corrupt_deflate() -> bytes:
    """A zip holding meta.npy whose compressed data is garbage."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.npy", b"x" * 1000)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("meta.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(data)


DAMAGED = {"empty": b"", "bad deflate stream": _corrupt_deflate(), "garbage": b"garbage"}


@pytest.mark.parametrize("data", list(DAMAGED.values()), ids=list(DAMAGED))
def test_from_bytes_reports_damage_as_value_error(data):
    with pytest.raises(ValueError):
        LabelModel.from_bytes(data)


def _triage(tmp_path: Path, gh, number: int, name: str):
    return ossbot("triage", "--event", write_event(tmp_path / name, issue_event(gh, number)))


@pytest.mark.parametrize(
    "column, value",
    [
        ("model", b""),
        ("model", None),
        ("model", _corrupt_deflate()),
        ("policies", "[]"),
        ("policies", "not json"),
    ],
    ids=["empty model", "null model", "bad deflate", "policies a list", "policies not json"],
)
def test_a_damaged_cached_model_is_retrained_not_fatal(tmp_path, gh, column, value):
    _seed_history(gh)
    first = _new_export_issue(gh)
    assert _triage(tmp_path, gh, first, "1.json").exit_code == 0
    db = sqlite3.connect(tmp_path / "state.db")
    key = db.execute("SELECT key FROM label_models").fetchone()[0]
    db.execute(f"UPDATE label_models SET {column} = ?", [value])
    db.commit()
    db.close()
    second = _new_export_issue(gh)  # the same history: the same key, so the cache is read
    result = _triage(tmp_path, gh, second, "2.json")
    assert result.exit_code == 0, result.stderr
    assert "area: export" in _labels(gh, second)
    db = sqlite3.connect(tmp_path / "state.db")
    key_after, model = db.execute("SELECT key, model FROM label_models").fetchone()
    assert key_after == key and LabelModel.from_bytes(model).labels  # retrained and stored


# --- the cache key ------------------------------------------------------------------------------------


def _key(tmp_path: Path) -> str:
    return (
        sqlite3.connect(tmp_path / "state.db").execute("SELECT key FROM label_models").fetchone()[0]
    )


def test_a_new_target_precision_retrains(tmp_path, gh):
    _seed_history(gh)
    first = _new_export_issue(gh)
    assert _triage(tmp_path, gh, first, "1.json").exit_code == 0
    key = _key(tmp_path)
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  target_precision: 0.8\n")
    second = _new_export_issue(gh)
    assert _triage(tmp_path, gh, second, "2.json").exit_code == 0
    assert _key(tmp_path) != key
    policies = json.loads(
        sqlite3.connect(tmp_path / "state.db")
        .execute("SELECT policies FROM label_models")
        .fetchone()[0]
    )
    assert policies["area: export"]["threshold"] is not None


def test_a_comment_on_an_old_issue_does_not_retrain(tmp_path, gh):
    # The history is ordered by last update and the key hashes the examples in that order: any
    # activity on an old labelled issue (a comment) changes the key though no example changed.
    _seed_history(gh)
    first = _new_export_issue(gh)
    assert _triage(tmp_path, gh, first, "1.json").exit_code == 0
    key = _key(tmp_path)
    gh.add_comment(REPO, 1, "Still happens for me.", user="someone")
    second = _new_export_issue(gh)
    assert _triage(tmp_path, gh, second, "2.json").exit_code == 0
    assert _key(tmp_path) == key


# --- the feedback loop ----------------------------------------------------------------------------------


def test_unconfirmed_ignores_log_rows_of_issues_not_in_the_history(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.log_labels(REPO, 404, ["bug"], action="applied", after=["bug"], event_key="e1")
    store.log_labels(REPO, 7, ["bug"], action="applied", after=["bug", "Area"], event_key="e2")
    past = [Past(7, "t", "b", ("Bug", "area"), "open", "", "", "")]
    assert unconfirmed(store, REPO, past, grace_days=7) == {7}
    assert unconfirmed(store, REPO, [], grace_days=7) == set()
    assert unconfirmed(store, REPO, past, grace_days=0) == set()
