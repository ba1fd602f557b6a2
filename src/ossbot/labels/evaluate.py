"""Backtesting learned labels: load labelled issues, train, score, and report per-label
precision, recall and F1 with their macro average (`ossbot labels eval`, `bench/labels.py`).

With a `repo` column every repository is trained and scored apart, and the headline figure is
the mean of the repositories' macro-F1 (as the NLBSE tool competition reports it).
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from ossbot.errors import InputError
from ossbot.labels.model import Example, LabelModel

MULTI_LABEL_THRESHOLD = 0.5  # a label is predicted when its confidence reaches this


def load_examples(path: Path) -> list[Example]:
    """CSV (.csv) or JSON lines (.jsonl, .ndjson; .json may hold an array) with title, body, and
    labels (a list, or comma-separated) or label; optional repo, created_at, number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"dataset not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dataset {path}: {exc}") from None
    records = _csv(text, path) if path.suffix.lower() == ".csv" else _json(text, path)
    if not records:
        raise InputError(f"dataset {path} holds no issues")
    return [_example(record, path, index) for index, record in enumerate(records, start=1)]


def _csv(text: str, path: Path) -> list[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)  # issue bodies can be far beyond csv's default limit
    try:
        return list(csv.DictReader(text.splitlines(keepends=True)))
    except csv.Error as exc:
        raise InputError(f"dataset {path} is not valid CSV: {exc}") from None


def _json(text: str, path: Path) -> list[dict[str, Any]]:
    stripped = text.strip()
    if path.suffix.lower() == ".json" and stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"dataset {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        return [r for r in data if isinstance(r, dict)]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"dataset {path}, line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise InputError(f"dataset {path}, line {number}: each line must be a JSON object")
        records.append(record)
    return records


def _example(record: dict[str, Any], path: Path, index: int) -> Example:
    if "title" not in record or ("labels" not in record and "label" not in record):
        raise InputError(f"dataset {path}, issue {index}: needs 'title' and 'labels' (or 'label') "
                         f"fields, found {', '.join(sorted(record)) or 'none'}")
    raw = record.get("labels", record.get("label"))
    if isinstance(raw, str):
        labels = [name.strip() for name in raw.split(",")]
    elif isinstance(raw, list):
        labels = [str(name).strip() for name in raw]
    else:
        labels = []
    number = record.get("number")
    return Example(str(record.get("title") or ""), str(record.get("body") or ""),
                   tuple(dict.fromkeys(n for n in labels if n)), str(record.get("repo") or ""),
                   str(record.get("created_at") or ""), int(number) if str(number or "").isdigit() else None)


def _groups(examples: Sequence[Example]) -> dict[str, list[Example]]:
    grouped: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.repo or "all"].append(example)
    return dict(grouped)


def evaluate(train: Sequence[Example], test: Sequence[Example], *, min_examples: int = 5) -> dict[str, Any]:
    """Train per repository (one group without a repo column), score its test issues."""
    single = all(len(e.labels) == 1 for e in [*train, *test])
    train_groups, test_groups = _groups(train), _groups(test)
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    groups = {}
    for name, tests in sorted(test_groups.items()):
        trains = train_groups.get(name, [])
        model = LabelModel.train(trains, min_examples=min_examples)
        group: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for example in tests:
            predicted = _predict(model, example, single)
            for label in set(predicted) | set(example.labels):
                hit = label in predicted, label in example.labels
                index = 0 if all(hit) else 1 if hit[0] else 2
                group[label][index] += 1
                tallies[label][index] += 1
        groups[name] = {"macro_f1": _macro(group), "train": len(trains), "test": len(tests)}
    labels = {label: _scores(*counts) for label, counts in sorted(tallies.items())}
    mean = sum(g["macro_f1"] for g in groups.values()) / len(groups) if groups else 0.0
    return {"macro_f1": round(mean, 4), "groups": groups, "labels": labels}


def _predict(model: LabelModel, example: Example, single: bool) -> list[str]:
    if single:
        best = model.best(example.title, example.body)
        return [best] if best else []
    return [n for n, s in model.scores(example.title, example.body).items() if s >= MULTI_LABEL_THRESHOLD]


def _scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": tp + fn}


def _macro(counts: dict[str, list[int]]) -> float:
    """Mean F1 over the labels the test issues carry (a label never true does not count)."""
    f1s = [_scores(*c)["f1"] for c in counts.values() if c[0] + c[2] > 0]
    return round(sum(f1s) / len(f1s), 4) if f1s else 0.0


def time_split(examples: Sequence[Example], test_fraction: float = 0.2) -> tuple[list[Example], list[Example]]:
    """Per repository: the oldest issues to train on, the newest `test_fraction` to score."""
    train: list[Example] = []
    test: list[Example] = []
    for group in _groups(examples).values():
        ordered = sorted(group, key=lambda e: (e.created_at, e.number or 0))
        cut = len(ordered) - max(1, round(len(ordered) * test_fraction))
        train += ordered[:cut]
        test += ordered[cut:]
    return train, test


def cross_validate(examples: Sequence[Example], folds: int = 5, seed: int = 0,
                   min_examples: int = 5) -> dict[str, Any]:
    """k-fold, stratified per repository and label; the reports of the folds averaged."""
    assignment: dict[int, int] = {}
    rng = random.Random(seed)
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        strata[(example.repo, ",".join(sorted(example.labels)))].append(index)
    for members in strata.values():
        rng.shuffle(members)
        for position, index in enumerate(members):
            assignment[index] = position % folds
    reports = []
    for fold in range(folds):
        train = [e for i, e in enumerate(examples) if assignment[i] != fold]
        test = [e for i, e in enumerate(examples) if assignment[i] == fold]
        reports.append(evaluate(train, test, min_examples=min_examples))
    return _average(reports)


def _average(reports: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4)

    groups = {name: {"macro_f1": mean([r["groups"][name]["macro_f1"] for r in reports]),
                     "train": reports[0]["groups"][name]["train"],
                     "test": reports[0]["groups"][name]["test"]}
              for name in reports[0]["groups"]}
    labels = {}
    for name in reports[0]["labels"]:
        rows = [r["labels"][name] for r in reports if name in r["labels"]]
        labels[name] = {key: mean([row[key] for row in rows]) for key in ("precision", "recall", "f1")}
        labels[name]["support"] = sum(row["support"] for row in rows)
    return {"macro_f1": mean([r["macro_f1"] for r in reports]), "groups": groups, "labels": labels}
