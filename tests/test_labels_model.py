"""The label classifier, the similarity index and the backtest harness, on small data written
here (the NLBSE corpus is used only by the cross-validation test, which skips without it)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import CORPORA, ossbot
from ossbot.errors import InputError
from ossbot.labels import evaluate as evaluation
from ossbot.labels.evaluate import cross_validate, evaluate, load_examples, time_split
from ossbot.labels.model import Example, LabelModel, SimilarityIndex

CRASHES = [
    "App crashes on start",
    "Crash when saving a file",
    "Segfault crash in the renderer",
    "Crash after update",
    "The editor crashes when closing a tab",
    "Crash on export with a traceback",
]
FEATURES = [
    "Add dark mode",
    "Add an option to export PDF",
    "Support for plugins would be nice",
    "Add keyboard shortcut for search",
    "Feature request: tabs",
    "Please add a setting for fonts",
]


def _toy(repo: str = "") -> list[Example]:
    crash = [
        Example(
            t,
            "It crashes with a stack trace and the app closes.",
            ("bug",),
            repo,
            f"2026-01-{i + 1:02d}",
        )
        for i, t in enumerate(CRASHES)
    ]
    feature = [
        Example(
            t,
            "It would be nice to have this feature, please add it.",
            ("enhancement",),
            repo,
            f"2026-02-{i + 1:02d}",
        )
        for i, t in enumerate(FEATURES)
    ]
    return crash + feature


# --- the classifier ---------------------------------------------------------------------------


def test_a_separable_set_is_learned_with_confident_scores():
    model = LabelModel.train(_toy())
    assert model.labels == ["bug", "enhancement"]
    assert model.best("The app crashes on open", "A crash and a stack trace.") == "bug"
    assert model.best("Add a dark theme option", "Please add this feature.") == "enhancement"
    scores = model.scores("The app crashes on open", "A crash and a stack trace.")
    assert set(scores) == {"bug", "enhancement"}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["bug"] > 0.6 > scores["enhancement"]


def test_scores_are_probabilities_even_for_text_unlike_any_example():
    model = LabelModel.train(_toy())
    for title, body in [
        ("", ""),
        ("zzz qqq", "nothing known here at all"),
        ("?" * 50, "!" * 10_000),
        ("Crash", "crash " * 5_000),
    ]:
        scores = model.scores(title, body)
        assert set(scores) == {"bug", "enhancement"}
        assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_labels_with_too_few_examples_or_not_allowed_are_not_learned():
    examples = _toy() + [Example("Docs typo", "Typo in the docs.", ("documentation",))] * 3
    assert "documentation" not in LabelModel.train(examples, min_examples=5).labels
    assert "documentation" in LabelModel.train(examples, min_examples=3).labels
    assert LabelModel.train(examples, allowed=lambda name: name != "bug").labels == ["enhancement"]
    empty = LabelModel.train([])
    assert empty.labels == [] and empty.scores("a", "b") == {} and empty.best("a", "b") is None


def test_multi_label_examples_score_each_label():
    examples = [
        Example(f"Crash in export {i}", "Export crashes.", ("bug", "area: export"))
        for i in range(6)
    ]
    examples += [
        Example(f"Theme colour {i}", "The theme colour is wrong.", ("bug", "area: themes"))
        for i in range(6)
    ]
    scores = LabelModel.train(examples).scores("Export crash again", "The export crashes.")
    # "bug" is on every example: nothing to tell apart, a constant near-certainty.
    assert scores["bug"] > 0.8 and scores["area: export"] > 0.6 > scores["area: themes"]


def test_a_rare_label_needs_more_evidence_than_a_common_one():
    """Calibration on held-out scores: a label seen 5 times in 60 is not proposed as readily."""
    examples = [Example(f"Crash number {i}", "It crashes.", ("bug",)) for i in range(25)]
    examples += [
        Example(f"Please add option {i}", "Would be nice.", ("enhancement",)) for i in range(30)
    ]
    examples += [
        Example(f"Typo in the docs page {i}", "The docs have a typo.", ("documentation",))
        for i in range(5)
    ]
    model = LabelModel.train(examples)
    vague = model.scores("Something about it", "Not sure what to say.")
    assert vague["documentation"] < vague["enhancement"] and vague["documentation"] < 0.5
    assert model.best("Typo in the docs", "The docs page has a typo.") == "documentation"


def test_scoring_many_issues_at_once_gives_the_same_figures():
    model = LabelModel.train(_toy())
    issues = [("The app crashes", "stack trace"), ("Add tabs", "please add"), ("", "")]
    batch = model.scores_many(issues)
    for (title, body), scores in zip(issues, batch, strict=True):
        assert scores == pytest.approx(model.scores(title, body))


def test_pooled_repositories_keep_what_each_one_means():
    """Trained on two repositories, the same words can mean different labels in each, while
    what both share is learned from both (and an unknown repository gets the shared part)."""
    examples = []
    for repo, label in (("a/one", "bug"), ("b/two", "enhancement")):
        examples += [
            Example(f"Widget gizmo {i}", "The widget gizmo.", (label,), repo) for i in range(8)
        ]
    for repo in ("a/one", "b/two"):
        examples += [
            Example(
                f"How do I configure it {i}?", "How can I do this? Any help?", ("question",), repo
            )
            for i in range(8)
        ]
    model = LabelModel.train(examples)
    assert model.best("Widget gizmo", "The widget gizmo.", repo="a/one") == "bug"
    assert model.best("Widget gizmo", "The widget gizmo.", repo="b/two") == "enhancement"
    for repo in ("a/one", "b/two", "c/unknown", ""):
        assert model.best("How do I set this up?", "How can I? Any help?", repo=repo) == "question"


def test_examples_without_any_usable_text_still_train():
    examples = [Example("", "", ("a",)), Example("", "", ("b",))] * 5
    scores = LabelModel.train(examples).scores("", "")
    assert set(scores) == {"a", "b"} and all(0.0 <= s <= 1.0 for s in scores.values())


# --- similarity -------------------------------------------------------------------------------


def test_nearest_ranks_the_obvious_duplicate_first():
    docs = [
        ("Login button misaligned", "The login button is misaligned on mobile."),
        (
            "PDF export has blank pages",
            "Exporting a report to PDF gives blank pages after page two.",
        ),
        ("Dark mode request", "Please add a dark mode."),
    ]
    index = SimilarityIndex.build(docs)
    found = index.nearest(
        "Blank pages in PDF export", "PDF export of the report: pages after two are blank.", k=2
    )
    assert found[0][0] == 1 and 0.3 < found[0][1] <= 1.0
    assert all(found[0][1] >= score for _, score in found)
    assert index.nearest(*docs[2])[0] == (2, pytest.approx(1.0))
    assert index.nearest("Blank pages in PDF export", "x", k=3, min_score=0.99) == []
    assert index.nearest("entirely unrelated words", "nothing shared") == []
    assert SimilarityIndex.build([]).nearest("a", "b") == []


# --- loading ----------------------------------------------------------------------------------


def _write_csv(path: Path, rows, header="repo,created_at,label,title,body") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


def test_csv_with_huge_fields_and_jsonl_with_label_lists_load(tmp_path):
    huge = "x" * 200_000  # beyond csv's default field limit of 131,072
    path = _write_csv(tmp_path / "d.csv", [("o/r", "2026-01-01", "bug", "Crash", huge)])
    [example] = load_examples(path)
    assert example.labels == ("bug",) and len(example.body) == 200_000 and example.repo == "o/r"
    assert example.created_at == "2026-01-01"
    lines = [
        {"title": "A", "body": "b", "labels": ["bug", "ui"], "number": 7},
        {"title": "B", "labels": "docs, ui"},
    ]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    loaded = load_examples(jsonl)
    assert [e.labels for e in loaded] == [("bug", "ui"), ("docs", "ui")]
    assert loaded[0].number == 7 and loaded[1].number is None and loaded[1].body == ""


def test_csv_labels_column_json_arrays_and_github_label_objects_load(tmp_path):
    path = _write_csv(
        tmp_path / "d.csv",
        [("Crash", "body\nover lines", "bug, ui,", "12")],
        header="title,body,labels,number",
    )
    [example] = load_examples(path)
    assert (example.labels, example.body, example.number, example.repo) == (
        ("bug", "ui"),
        "body\nover lines",
        12,
        "",
    )
    array = tmp_path / "d.json"
    array.write_text(
        json.dumps(
            [
                {"title": "A", "labels": [{"name": "bug"}, {"name": "ui"}]},
                {"title": "B", "label": "question"},
            ]
        )
    )
    assert [e.labels for e in load_examples(array)] == [("bug", "ui"), ("question",)]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufefftitle,label\nA,bug\n".encode())
    assert load_examples(bom)[0].labels == ("bug",)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("d.jsonl", '{"title": "a", "labels": ["x"]}\n{not json\n', "line 2"),
        ("d.jsonl", '{"body": "no title"}\n', "needs 'title'"),
        ("d.jsonl", '{"title": "t", "body": "no labels"}\n', "line 1: needs 'title' and 'labels'"),
        ("d.csv", "", "holds no issues"),
        ("d.jsonl", "\n\n", "holds no issues"),
        (
            "d.csv",
            "title,body\nA,b\n",
            "needs 'title' and 'labels' (or 'label') columns, found title, body",
        ),
        ("d.jsonl", "[1, 2]\n", "JSON object"),
        ("d.json", '[{"title": "a", "label": "x"}, 3]', "item 2"),
        ("d.json", '[{"title": "a",', "not valid JSON"),
    ],
)
def test_malformed_datasets_are_one_line_input_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        load_examples(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_or_undecodable_dataset_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_examples(tmp_path / "missing.csv")
    binary = tmp_path / "d.csv"
    binary.write_bytes(b"title,label\n\xff\xfe,bug\n")
    with pytest.raises(InputError, match="cannot read"):
        load_examples(binary)


# --- metrics and splits -----------------------------------------------------------------------


class _Fixed:
    """A stand-in model whose scores are written in the test, by issue title."""

    def __init__(self, scores: dict[str, dict[str, float]]) -> None:
        self.table = scores
        self.labels = sorted({name for row in scores.values() for name in row})
        self.learned = self.labels

    def train(self, examples, *, min_examples=5):
        return self

    def held_out(self, repo=None):  # no backtest: every label is only suggested
        import numpy as np

        return np.zeros((0, len(self.labels))), np.zeros((0, len(self.labels)), bool)

    def scores_many(self, issues, *, repos=None):
        return [self.table[title] for title, _ in issues]


def _f1s(report, label):
    return {k: report["labels"][label][k] for k in ("precision", "recall", "f1", "support")}


def test_metrics_on_a_hand_checked_single_label_case(monkeypatch):
    fixed = {
        "1": {"a": 0.9, "b": 0.1},
        "2": {"a": 0.4, "b": 0.6},
        "3": {"a": 0.2, "b": 0.8},
        "4": {"a": 0.3, "b": 0.7},
    }
    monkeypatch.setattr(evaluation, "LabelModel", _Fixed(fixed))
    test = [
        Example("1", "", ("a",)),
        Example("2", "", ("a",)),
        Example("3", "", ("b",)),
        Example("4", "", ("b",)),
    ]
    report = evaluate(test, test)
    # a: 1 of 2 found, no false alarm (F1 2/3); b: both found, one false alarm (F1 0.8).
    assert _f1s(report, "a") == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert _f1s(report, "b") == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)
    assert report["groups"] == {
        "all": {"macro_f1": pytest.approx(0.7333, abs=1e-4), "train": 4, "test": 4}
    }


def test_metrics_on_a_hand_checked_multi_label_case(monkeypatch):
    """Multi-label data: every label at or above the threshold (0.5) is predicted."""
    fixed = {
        "1": {"bug": 0.9, "ui": 0.7, "docs": 0.1},
        "2": {"bug": 0.5, "ui": 0.2, "docs": 0.3},
        "3": {"bug": 0.2, "ui": 0.1, "docs": 0.49},
    }
    monkeypatch.setattr(evaluation, "LabelModel", _Fixed(fixed))
    test = [
        Example("1", "", ("bug",)),
        Example("2", "", ("bug", "ui")),
        Example("3", "", ("docs",)),
    ]
    report = evaluate(test, test)
    assert _f1s(report, "bug") == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert _f1s(report, "ui") == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert _f1s(report, "docs") == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx(1 / 3, abs=1e-4)


def test_metrics_average_the_repositories(monkeypatch):
    fixed = {"r1": {"a": 0.9, "b": 0.1}, "r2": {"a": 0.9, "b": 0.1}}
    monkeypatch.setattr(evaluation, "LabelModel", _Fixed(fixed))
    test = [Example("r1", "", ("a",), "x/one"), Example("r2", "", ("b",), "y/two")]
    report = evaluate(test, test)
    # x/one: a right (1.0); y/two: b missed (0.0; the false alarm on a is not averaged in).
    assert {n: g["macro_f1"] for n, g in report["groups"].items()} == {"x/one": 1.0, "y/two": 0.0}
    assert report["macro_f1"] == 0.5


def test_a_real_model_scores_the_toy_test_as_expected():
    test = [
        Example("The app crashes", "crash stack trace", ("bug",)),
        Example("Crash in the renderer", "it crashes", ("bug",)),
        Example("Add tabs", "please add this feature", ("enhancement",)),
        Example("Add a dark theme, it crashes", "would be nice to have, please add", ("bug",)),
    ]
    report = evaluate(_toy(), test, min_examples=2)
    # bug: 2 of 3 found, no false alarm; enhancement: 1 right, 1 false alarm.
    assert _f1s(report, "bug") == {"precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3}
    assert report["labels"]["enhancement"]["precision"] == 0.5


def test_time_split_trains_on_the_oldest_of_each_repository():
    examples = _toy("a/one") + _toy("b/two")[:6] + [Example("Undated", "x", ("bug",), "b/two")]
    train, test = time_split(examples, 0.25)
    for repo in ("a/one", "b/two"):
        trained = [e.created_at for e in train if e.repo == repo]
        tested = [e.created_at for e in test if e.repo == repo]
        assert tested and max(trained) <= min(tested)
    assert len([e for e in test if e.repo == "a/one"]) == 3  # a quarter of 12
    assert "" not in [e.created_at for e in test]  # undated issues count as the oldest
    assert sorted(map(id, train + test)) == sorted(map(id, examples))


def test_per_repository_groups_and_cross_validation():
    examples = _toy("a/one") + _toy("b/two")
    for pool in (True, False):
        report = cross_validate(examples, folds=3, min_examples=2, pool=pool)
        assert set(report) >= {"macro_f1", "groups", "labels", "applied", "calibration"}
        assert set(report["groups"]) == {"a/one", "b/two"} and report["macro_f1"] > 0.5
        assert (
            report["groups"]["a/one"]["test"] == 12 and report["groups"]["a/one"]["train"] == 8
        )  # its own, per fold
        assert report["labels"]["bug"]["support"] == 12
    with pytest.raises(InputError):
        cross_validate(examples, folds=1)


def test_labels_eval_command_on_files(tmp_path):
    rows = [("a/one", e.created_at, e.labels[0], e.title, e.body) for e in _toy()]
    train = _write_csv(tmp_path / "train.csv", rows)
    test = _write_csv(tmp_path / "test.csv", rows[:3] + rows[-3:])
    result = ossbot(
        "labels",
        "eval",
        "--train",
        str(train),
        "--test",
        str(test),
        "--format",
        "json",
        "--min-examples",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    assert set(result.json()) >= {"macro_f1", "groups", "labels", "applied", "suggested"}
    text = ossbot("labels", "eval", "--train", str(train), "--min-examples", "2")
    assert text.exit_code == 0 and "macro-F1" in text.stdout
    apart = ossbot(
        "labels",
        "eval",
        "--train",
        str(train),
        "--test",
        str(test),
        "--apart",
        "--format",
        "json",
        "--min-examples",
        "2",
    )
    assert apart.exit_code == 0 and set(apart.json()["groups"]) == {"a/one"}
    bad = ossbot("labels", "eval", "--train", str(tmp_path / "missing.csv"))
    assert bad.exit_code == 2 and "not found" in bad.stderr
    both = ossbot("labels", "eval")
    assert both.exit_code == 2 and "--train" in both.stderr


# --- the benchmark corpus ---------------------------------------------------------------------


def test_cross_validation_on_the_nlbse_training_issues():
    corpus = CORPORA / "issues" / "nlbse24-train.csv"
    if not corpus.exists():
        pytest.skip("the NLBSE'24 corpus is not beside this checkout (../shared/corpora)")
    report = cross_validate(load_examples(corpus), folds=5, seed=0)
    assert len(report["groups"]) == 5 and all(g["test"] == 300 for g in report["groups"].values())
    # Measured (bench/labels.py): 0.803 with this seed; 0.797-0.803 over seeds 0-4, mean 0.800.
    assert report["macro_f1"] >= 0.80
    assert all(g["macro_f1"] >= 0.70 for g in report["groups"].values())
