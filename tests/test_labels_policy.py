"""Per-label thresholds from the backtest, `labels eval` with triage's eligibility and
thresholds in every mode, labels that can never be applied by the learner, the content-keyed
model cache and the feedback loop (labels ossbot applied are training data only once kept)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from conftest import BOT, REPO, edit_issue, issue_event, ossbot, write_event
from ossbot.labels.evaluate import cross_validate, evaluate
from ossbot.labels.model import Example, LabelModel
from ossbot.labels.policy import policies, threshold
from ossbot.repo_config import LabelsConfig
from ossbot.triage.labelling import Candidate, choose, learned_candidates

# --- choosing a threshold ---------------------------------------------------------------------


def test_the_threshold_is_the_lowest_probability_reaching_the_smoothed_target():
    # 20 right from 0.99 down to 0.80, then a wrong one at 0.79, then 5 right, then negatives.
    probabilities = np.array(
        [0.99 - 0.01 * i for i in range(20)] + [0.79] + [0.78 - 0.01 * i for i in range(5)]
    )
    positive = np.array([True] * 20 + [False] + [True] * 5)
    # Laplace: 20 right of 20 → 21/22 = 0.955 ≥ 0.95; adding the wrong one: 21/23 = 0.913.
    policy = threshold(probabilities, positive, 0.95, 0.5)
    assert policy.why == "" and policy.precision == 1.0
    assert policy.threshold == pytest.approx((0.80 + 0.79) / 2)
    assert policy.recall == pytest.approx(20 / 25)
    # The floor holds however good the backtest: from 0.9, 10 right of 10 → 11/12 = 0.917.
    assert threshold(probabilities, positive, 0.9, 0.9).threshold == pytest.approx(0.9)
    assert threshold(probabilities, positive, 0.95, 0.9).threshold is None
    # Too few examples to ever show 95%: unproven; enough but never precise: imprecise.
    few = threshold(np.array([0.9] * 5), np.array([True] * 5), 0.95, 0.5)
    assert few.threshold is None and few.why == "unproven"
    mixed = threshold(np.linspace(0.99, 0.5, 40), np.array([True, False] * 20), 0.95, 0.5)
    assert mixed.threshold is None and mixed.why == "imprecise" and mixed.support == 20


def test_tied_probabilities_are_taken_together():
    probabilities = np.array([0.9] * 25)
    positive = np.array([True] * 24 + [False])  # (24 + 1) / (25 + 2) = 0.926 < 0.95
    assert threshold(probabilities, positive, 0.95, 0.5).threshold is None
    assert threshold(probabilities, positive, 0.9, 0.5).threshold == pytest.approx(0.5)


def test_a_candidate_without_a_threshold_is_suggested_never_applied():
    cfg = LabelsConfig(apply_threshold=0.5, suggest_threshold=0.3)
    choice = choose(
        [
            Candidate("bug", 0.99, "history", None, "too little history"),
            Candidate("ui", 0.8, "history", 0.85),  # below its own threshold
            Candidate("docs", 0.9, "history", 0.85),
        ],
        cfg,
    )
    assert [c.name for c in choice.apply] == ["docs"]
    assert [c.name for c in choice.suggest] == ["bug", "ui"]


# --- data ---------------------------------------------------------------------------------


def _history(repo: str = "") -> list[Example]:
    """A separable history: 36 export issues, 36 theme issues, all also 'status: confirmed',
    3 'performance' issues (too few to learn), dated in order."""
    export = [
        (f"CSV export problem {i}", f"The CSV export of table {i} writes a broken file.")
        for i in range(36)
    ]
    themes = [
        (f"Theme colours wrong {i}", f"The dark theme sidebar colours look wrong in view {i}.")
        for i in range(36)
    ]
    examples = []
    for i, ((t1, b1), (t2, b2)) in enumerate(zip(export, themes, strict=True)):
        examples.append(Example(t1, b1, ("export", "status: confirmed"), repo, f"2026-01-{i:02d}a"))
        examples.append(Example(t2, b2, ("themes", "status: confirmed"), repo, f"2026-01-{i:02d}b"))
    for i in range(3):
        examples.append(
            Example(
                f"Slow startup {i}",
                "Startup takes a minute.",
                ("performance",),
                repo,
                f"2026-01-{i:02d}c",
            )
        )
    return examples


def _csv(path: Path, examples: list[Example]) -> Path:
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "title": e.title,
                    "body": e.body,
                    "labels": list(e.labels),
                    "created_at": e.created_at,
                }
            )
            for e in examples
        )
    )
    return path


# --- labels eval ------------------------------------------------------------------------------


def test_status_labels_are_excluded_and_unlearnable_labels_listed_apart():
    examples = _history()
    report = evaluate(examples[::2] + examples[1::2][:20], examples[1::2][20:] + examples[::2][:6])
    assert (
        "status: confirmed" not in report["labels"] and report["excluded"]["status: confirmed"] > 0
    )
    assert set(report["labels"]) == {"export", "themes"}
    assert "performance" in report["unlearnable"]
    assert report["unlearnable"]["performance"]["train"] <= 3


def test_an_unlearnable_label_is_never_applied_by_the_learner():
    examples = _history()
    report = cross_validate(examples, folds=3, config=LabelsConfig(cold_start="apply"))
    assert "performance" not in report["labels"]
    assert report["applied"]["labels"] > 0  # the learnable labels are applied
    model = LabelModel.train(examples)
    table = policies(model, 0.95, 0.7)
    assert "performance" not in table and "performance" not in model.labels
    scores = model.scores("Slow startup 9", "Startup takes a minute.")
    cfg = LabelsConfig(cold_start="apply")
    assert "performance" not in {c.name for c in learned_candidates(scores, table, cfg)}


def test_at_the_configured_thresholds_the_report_says_what_triage_would_have_done():
    examples = _history()
    report = cross_validate(examples, folds=3)
    applied = report["applied"]
    # Separable topics: applied, and always right.
    assert applied["precision"] == 1.0 and applied["wrong_issues"] == 0
    assert applied["recall"] is not None and applied["recall"] > 0.5
    assert report["labels"]["export"]["threshold"] is not None
    assert sum(row["count"] for row in report["calibration"]) == 2 * report["issues"]
    # A target no label can reach here (99% needs 98 right calls): nothing applied.
    strict = cross_validate(examples, folds=3, config=LabelsConfig(target_precision=0.99))
    assert strict["applied"]["labels"] == 0 and strict["suggested"]["labels"] > 0
    assert all(row["threshold"] is None for row in strict["labels"].values())


@pytest.mark.parametrize("mode", ["train-and-test", "time-split", "config-allow", "config-deny"])
def test_the_exclusion_applies_in_every_file_mode(tmp_path, mode):
    examples = _history()
    train = _csv(tmp_path / "train.jsonl", examples[:40])
    test = _csv(tmp_path / "test.jsonl", examples[40:])
    args = ["labels", "eval", "--train", str(train), "--format", "json"]
    if mode != "time-split":
        args += ["--test", str(test)]
    if mode == "config-allow":
        config = tmp_path / "ossbot.yml"
        config.write_text("labels:\n  allow: [export, themes, 'status: confirmed']\n")
        args += ["--config", str(config)]
    if mode == "config-deny":
        config = tmp_path / "ossbot.yml"
        config.write_text("labels:\n  deny: [themes]\n")
        args += ["--config", str(config)]
    result = ossbot(*args)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    if mode == "config-allow":  # named in allow: eligible, as in triage
        assert "status: confirmed" in report["labels"]
    else:
        assert "status: confirmed" not in report["labels"]
        assert "status: confirmed" in report["excluded"]
    if mode == "config-deny":
        assert "themes" not in report["labels"] and "themes" in report["excluded"]


def test_the_exclusion_applies_to_a_repository_backtest(tmp_path, gh):
    gh.add_label(REPO, "export")
    gh.add_label(REPO, "themes")
    gh.add_label(REPO, "status: confirmed")
    for e in _history():
        if "performance" not in e.labels:
            gh.add_issue(REPO, e.title, e.body, labels=list(e.labels), state="closed", user="old")
    result = ossbot("labels", "eval", "--repo", REPO, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert set(report["labels"]) == {"export", "themes"}
    assert report["applied"]["precision"] == 1.0


def test_the_text_report_and_the_calibration_table(tmp_path):
    examples = _history()
    train = _csv(tmp_path / "train.jsonl", examples)
    result = ossbot("labels", "eval", "--train", str(train), "--calibration")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Calibration" in out and "0.9–1.0" in out
    assert "got a wrong label" in out and "Not learnable" in out and "performance" in out
    assert "status: confirmed" in out  # listed as never applied


# --- the cache and the feedback loop, end to end -----------------------------------------------


def _seed(gh, count: int = 24) -> None:
    gh.add_label(REPO, "area: export")
    gh.add_label(REPO, "area: themes")
    for e in _history()[: 2 * count]:
        label = "area: export" if "export" in e.labels else "area: themes"
        gh.add_issue(REPO, e.title, e.body, labels=[label], state="closed", user="old")


def _triage(tmp_path: Path, gh, number: int, name: str):
    return ossbot("triage", "--event", write_event(tmp_path / name, issue_event(gh, number)))


def _footer(gh, number: int) -> str:
    own = [c["body"] for c in gh.comments(REPO, number) if c["user"]["login"] == BOT]
    return own[0].split("labels learned from ")[1].split(" ")[0]


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "state.db")


def test_the_model_is_cached_by_content_and_retrained_when_the_history_changes(tmp_path, gh):
    _seed(gh)
    first = gh.add_issue(REPO, "CSV export problem again", "The CSV export is broken.", user="a")
    assert _triage(tmp_path, gh, first["number"], "1.json").exit_code == 0
    key, stored = _db(tmp_path).execute("SELECT key, stored_at FROM label_models").fetchone()
    second = gh.add_issue(REPO, "Theme colours wrong again", "The dark theme is off.", user="b")
    assert _triage(tmp_path, gh, second["number"], "2.json").exit_code == 0
    # The new, unlabelled issue is not training data: the same model, not stored again.
    assert _db(tmp_path).execute("SELECT key, stored_at FROM label_models").fetchone() == (
        key,
        stored,
    )
    gh.add_issue(REPO, "CSV export problem 99", "Broken CSV.", labels=["area: export"], user="c")
    third = gh.add_issue(REPO, "CSV export problem once more", "The CSV file is broken.", user="d")
    assert _triage(tmp_path, gh, third["number"], "3.json").exit_code == 0
    assert _db(tmp_path).execute("SELECT key FROM label_models").fetchone()[0] != key


def test_a_label_ossbot_applied_is_training_data_only_once_a_person_kept_it(tmp_path, gh):
    _seed(gh)
    first = gh.add_issue(REPO, "CSV export problem again", "The CSV export is broken.", user="a")
    number = first["number"]
    assert _triage(tmp_path, gh, number, "1.json").exit_code == 0
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["area: export"]
    rows = _db(tmp_path).execute("SELECT number, label, action FROM label_log").fetchall()
    assert rows == [(number, "area: export", "applied")]
    # Nobody has looked yet: the issue ossbot labelled is not learned from.
    second = gh.add_issue(REPO, "Theme colours wrong again", "The dark theme is off.", user="b")
    assert _triage(tmp_path, gh, second["number"], "2.json").exit_code == 0
    assert _footer(gh, second["number"]) == "48"
    # Past the grace period, the label has been kept: learned from.
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  grace_days: 0\n")
    third = gh.add_issue(REPO, "Theme colours wrong once more", "The theme is off.", user="c")
    assert _triage(tmp_path, gh, third["number"], "3.json").exit_code == 0
    assert _footer(gh, third["number"]) == "50"  # the two issues ossbot labelled, kept


def test_a_person_who_changes_the_labels_confirms_the_ones_kept(tmp_path, gh):
    _seed(gh)
    gh.add_label(REPO, "regression")
    first = gh.add_issue(REPO, "CSV export problem again", "The CSV export is broken.", user="a")
    number = first["number"]
    assert _triage(tmp_path, gh, number, "1.json").exit_code == 0
    edit_issue(gh, number, labels=["area: export", "regression"])  # a maintainer adds one
    second = gh.add_issue(REPO, "Theme colours wrong again", "The dark theme is off.", user="b")
    assert _triage(tmp_path, gh, second["number"], "2.json").exit_code == 0
    assert _footer(gh, second["number"]) == "49"


def test_an_empty_keyword_in_a_rule_is_a_config_error(tmp_path):
    train = _csv(tmp_path / "train.jsonl", _history())
    config = tmp_path / "ossbot.yml"
    config.write_text("labels:\n  rules:\n    perf: [slow, '  ']\n")
    result = ossbot("labels", "eval", "--train", str(train), "--config", str(config))
    assert result.exit_code == 2
    assert "labels.rules" in result.stderr and "empty keyword" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
