"""Backtesting learned labels: load labelled issues, train, score, and report per-label
precision, recall and F1 with their macro average (`ossbot labels eval`, `bench/labels.py`).

With a `repo` column the headline figure is the mean of the repositories' macro-F1 (as the
NLBSE tool competition reports it). By default one model learns from the training issues of
every repository, with a shared and a per-repository copy of each feature (see
`ossbot.labels.model`), and each repository's test issues are scored by its own part;
`pool=False` trains every repository apart instead.

Single-label data (every issue exactly one label) is scored by the most likely label;
multi-label data by every label whose calibrated probability reaches MULTI_LABEL_THRESHOLD.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ossbot.errors import InputError
from ossbot.labels.model import Example, LabelModel

# Probabilities are Platt-calibrated on held-out scores, so 0.5 is "more likely than not": the
# threshold that maximises expected F1 for a calibrated label is at or below it.
MULTI_LABEL_THRESHOLD = 0.5
CSV_FIELD_LIMIT = 2**31 - 1  # issue bodies exceed csv's default 131,072 characters


# --- loading ----------------------------------------------------------------------------------


def load_examples(path: Path) -> list[Example]:
    """CSV (.csv) or JSON lines (.jsonl, .ndjson; .json may hold an array) with title, body, and
    labels (a list, or comma-separated) or label; optional repo, created_at, number. Every
    problem is one InputError with a one-line message naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"dataset not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dataset {path}: {_one_line(exc)}") from None
    records = _csv(text, path) if path.suffix.lower() == ".csv" else _json(text, path)
    if not records:
        raise InputError(f"dataset {path} holds no issues")
    return [_example(record, path, where) for where, record in records]


def _csv(text: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = reader.fieldnames or []
        if fields and not _has_fields(fields):
            raise InputError(
                f"dataset {path}: needs 'title' and 'labels' (or 'label') columns, "
                f"found {', '.join(fields)}"
            )
        return [(f"line {reader.line_num}", row) for row in reader]
    except csv.Error as exc:
        raise InputError(
            f"dataset {path} is not valid CSV (line {reader.line_num}): {exc}"
        ) from None


def _json(text: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    stripped = text.strip()
    if path.suffix.lower() == ".json" and stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"dataset {path} is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise InputError(f"dataset {path}, item {number}: each item must be a JSON object")
        return [(f"item {number}", item) for number, item in enumerate(data, start=1)]
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
        records.append((f"line {number}", record))
    return records


def _has_fields(fields: Sequence[str]) -> bool:
    return "title" in fields and ("labels" in fields or "label" in fields)


def _example(record: dict[str, Any], path: Path, where: str) -> Example:
    if not _has_fields(list(record)):
        raise InputError(
            f"dataset {path}, {where}: needs 'title' and 'labels' (or 'label') "
            f"fields, found {', '.join(sorted(map(str, record))) or 'none'}"
        )
    raw = record.get("labels")
    if raw is None:
        raw = record.get("label")
    if isinstance(raw, str):
        names = raw.split(",")
    elif isinstance(raw, list):  # names, or GitHub's label objects
        names = [str(item.get("name", "")) if isinstance(item, dict) else str(item) for item in raw]
    else:
        names = []
    number = str(record.get("number") or "").strip()
    return Example(
        str(record.get("title") or ""),
        str(record.get("body") or ""),
        tuple(dict.fromkeys(n.strip() for n in names if n.strip())),
        str(record.get("repo") or ""),
        str(record.get("created_at") or ""),
        int(number) if number.isdigit() else None,
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- scoring ----------------------------------------------------------------------------------


def _groups(examples: Sequence[Example]) -> dict[str, list[Example]]:
    grouped: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.repo or "all"].append(example)
    return dict(grouped)


def evaluate(
    train: Sequence[Example], test: Sequence[Example], *, min_examples: int = 5, pool: bool = True
) -> dict[str, Any]:
    """Train, score the test issues, and report per repository (one group without a repo).

    With several repositories and `pool`, one model learns from all the training issues and
    scores each test issue with its repository's part; without `pool`, each repository trains
    its own. Returns {"macro_f1", "groups": {name: {"macro_f1", "train", "test"}}, "labels":
    {label: {"precision", "recall", "f1", "support"}}}, the labels pooled over the groups."""
    single = all(len(e.labels) == 1 for e in [*train, *test])
    train_groups, test_groups = _groups(train), _groups(test)
    shared = (
        LabelModel.train(train, min_examples=min_examples)
        if pool and len(train_groups) > 1
        else None
    )
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    groups = {}
    for name, tests in sorted(test_groups.items()):
        trains = train_groups.get(name, [])
        model = shared or LabelModel.train(trains, min_examples=min_examples)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for example, predicted in zip(tests, _predict(model, tests, single), strict=True):
            for label in set(predicted) | set(example.labels):
                index = (
                    0
                    if label in predicted and label in example.labels
                    else 1
                    if label in predicted
                    else 2
                )
                counts[label][index] += 1
                tallies[label][index] += 1
        groups[name] = {
            "macro_f1": round(_macro(counts), 4),
            "train": len(trains),
            "test": len(tests),
        }
    labels = {label: _scores(*counts) for label, counts in sorted(tallies.items())}
    mean = sum(g["macro_f1"] for g in groups.values()) / len(groups) if groups else 0.0
    return {"macro_f1": round(mean, 4), "groups": groups, "labels": labels}


def _predict(model: LabelModel, examples: Sequence[Example], single: bool) -> list[list[str]]:
    """Single-label data: the most likely label. Multi-label: every label whose calibrated
    probability reaches MULTI_LABEL_THRESHOLD."""
    predicted = []
    issues = [(e.title, e.body) for e in examples]
    for scores in model.scores_many(issues, repos=[e.repo for e in examples]):
        if single:
            predicted.append([max(scores, key=scores.__getitem__)] if scores else [])
        else:
            predicted.append([name for name, p in scores.items() if p >= MULTI_LABEL_THRESHOLD])
    return predicted


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _scores(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall, f1 = _f1(tp, fp, fn)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def _macro(counts: dict[str, list[int]]) -> float:
    """Mean F1 over the labels the test issues carry (a label only ever predicted, never true,
    costs the others precision but is not averaged in)."""
    f1s = [_f1(*c)[2] for c in counts.values() if c[0] + c[2] > 0]
    return sum(f1s) / len(f1s) if f1s else 0.0


# --- splits -----------------------------------------------------------------------------------


def time_split(
    examples: Sequence[Example], test_fraction: float = 0.2
) -> tuple[list[Example], list[Example]]:
    """Per repository: the oldest issues to train on, the newest `test_fraction` to score
    (by created_at, then number; issues without a date count as the oldest)."""
    train: list[Example] = []
    test: list[Example] = []
    for group in _groups(examples).values():
        ordered = sorted(group, key=lambda e: (e.created_at, e.number or 0))
        cut = len(ordered) - max(1, round(len(ordered) * test_fraction))
        train += ordered[:cut]
        test += ordered[cut:]
    return train, test


def cross_validate(
    examples: Sequence[Example],
    folds: int = 5,
    seed: int = 0,
    min_examples: int = 5,
    pool: bool = True,
) -> dict[str, Any]:
    """k-fold, stratified per repository and label set; `evaluate`'s report, averaged over the
    folds (a group's `train` is its mean training size, `test` all its issues, each scored once;
    a label's support is summed)."""
    if folds < 2:
        raise InputError(f"cross-validation needs at least 2 folds, not {folds}")
    assignment: dict[int, int] = {}
    rng = random.Random(seed)
    strata: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        strata[(example.repo, tuple(sorted(example.labels)))].append(index)
    offset = 0
    for _, members in sorted(strata.items()):
        rng.shuffle(members)
        for position, index in enumerate(members):
            assignment[index] = (offset + position) % folds
        offset += len(members)  # small strata do not all start at fold 0
    reports = []
    for fold in range(folds):
        test = [e for i, e in enumerate(examples) if assignment[i] == fold]
        if test:
            train = [e for i, e in enumerate(examples) if assignment[i] != fold]
            reports.append(evaluate(train, test, min_examples=min_examples, pool=pool))
    return _average(reports)


def _average(reports: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    groups = {}
    for name in sorted({name for r in reports for name in r["groups"]}):
        rows = [r["groups"][name] for r in reports if name in r["groups"]]
        groups[name] = {
            "macro_f1": mean([row["macro_f1"] for row in rows]),
            "train": round(sum(row["train"] for row in rows) / len(rows)),
            "test": sum(row["test"] for row in rows),
        }
    labels = {}
    for name in sorted({name for r in reports for name in r["labels"]}):
        rows = [r["labels"][name] for r in reports if name in r["labels"]]
        labels[name] = {
            key: mean([row[key] for row in rows]) for key in ("precision", "recall", "f1")
        }
        labels[name]["support"] = sum(row["support"] for row in rows)
    return {"macro_f1": mean([r["macro_f1"] for r in reports]), "groups": groups, "labels": labels}
