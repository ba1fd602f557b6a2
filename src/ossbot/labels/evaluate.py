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
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ossbot.errors import InputError
from ossbot.labels.model import Example, LabelModel
from ossbot.repo_config import LabelsConfig

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

BINS = 10  # of the calibration table


def _groups(examples: Sequence[Example]) -> dict[str, list[Example]]:
    grouped: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        grouped[example.repo or "all"].append(example)
    return dict(grouped)


@dataclass
class _Tally:
    """Counts over scored test issues, summed over groups and folds."""

    issues: int = 0
    # macro-F1 over learnable labels (top-1 or ≥ MULTI_LABEL_THRESHOLD): label → [tp, fp, fn]
    predicted: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    # at the configured thresholds: label → [tp, fp, fn] applied, [right, wrong] suggested
    applied: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    suggested: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    wrong_issues: int = 0  # issues with at least one wrong applied label
    bins: list[list[float]] = field(default_factory=lambda: [[0, 0.0, 0] for _ in range(BINS)])
    group_counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    group_sizes: dict[str, list[int]] = field(default_factory=dict)  # train, test, runs
    learnable: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # label → runs
    unlearnable: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    excluded: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    thresholds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sources: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # applied by source


def _count(counts: dict[str, list[int]], predicted: set[str], truth: set[str]) -> None:
    for label in predicted | truth:
        index = 0 if label in predicted and label in truth else 1 if label in predicted else 2
        counts[label][index] += 1


def _eligible(
    examples: Sequence[Example], cfg: LabelsConfig, tally: _Tally | None
) -> list[Example]:
    """The examples with only the labels triage may apply (allow, deny, exclude), and only
    those that keep one, as triage learns (`training_examples`)."""
    out = []
    for e in examples:
        kept = tuple(name for name in e.labels if cfg.permits(name))
        if tally is not None:
            for name in set(e.labels) - set(kept):
                tally.excluded[name] += 1
        if kept:
            out.append(replace(e, labels=kept))
    return out


def _tally(
    train: Sequence[Example],
    test: Sequence[Example],
    cfg: LabelsConfig,
    pool: bool,
    tally: _Tally,
) -> None:
    from ossbot.labels.policy import policies
    from ossbot.triage.labelling import by_keywords, choose, learned_candidates

    _eligible(test, cfg, tally)  # counts what the test issues carry that triage never applies
    train, test = _eligible(train, cfg, None), _eligible(test, cfg, None)
    single = all(len(e.labels) == 1 for e in [*train, *test])
    names = sorted({name for e in [*train, *test] for name in e.labels})
    train_groups, test_groups = _groups(train), _groups(test)
    shared = (
        LabelModel.train(train, min_examples=cfg.min_examples)
        if pool and len(train_groups) > 1
        else None
    )
    for group, tests in sorted(test_groups.items()):
        trains = train_groups.get(group, [])
        model = shared or LabelModel.train(trains, min_examples=cfg.min_examples)
        table = policies(
            model, cfg.target_precision, cfg.apply_threshold, repo=group if shared else None
        )
        learnable = set(model.labels)
        for name in learnable:
            tally.learnable[name] += 1
            policy = table[name]
            if policy.threshold is not None:
                tally.thresholds[name].append(policy.threshold)
        trained_counts = Counter(name for e in trains for name in set(e.labels))
        counts = tally.group_counts.setdefault(group, defaultdict(lambda: [0, 0, 0]))
        sizes = tally.group_sizes.setdefault(group, [0, 0, 0])
        sizes[0] += len(trains)
        sizes[1] += len(tests)
        sizes[2] += 1
        issues = [(e.title, e.body) for e in tests]
        scored = model.scores_many(issues, repos=[e.repo for e in tests]) if issues else []
        for example, scores in zip(tests, scored, strict=True):
            truth = set(example.labels)
            tally.issues += 1
            for name in truth - learnable:
                tally.unlearnable[name][1] += 1
            # macro-F1 over what can be learned
            if single:
                top = {max(scores, key=scores.__getitem__)} if scores else set()
            else:
                top = {n for n, p in scores.items() if p >= MULTI_LABEL_THRESHOLD}
            _count(tally.predicted, top, truth & learnable)
            _count(counts, top, truth & learnable)
            for name, p in scores.items():
                if name in model.learned:
                    row = tally.bins[min(int(p * BINS), BINS - 1)]
                    row[0] += 1
                    row[1] += p
                    row[2] += name in truth
            # what triage would do at the configured thresholds
            candidates = learned_candidates(scores, table, cfg)
            keywords, _ = by_keywords(example.title, example.body, names, cfg, learnable, [])
            choice = choose(candidates + keywords, cfg)
            applied = {c.name for c in choice.apply}
            _count(tally.applied, applied, truth)
            for c in choice.apply:
                tally.sources[c.source] += 1
            if applied - truth:
                tally.wrong_issues += 1
            for c in choice.suggest:
                tally.suggested[c.name][0 if c.name in truth else 1] += 1
        for name, k in trained_counts.items():
            if name not in learnable:
                tally.unlearnable[name][0] += k


def evaluate(
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    config: LabelsConfig | None = None,
    min_examples: int | None = None,
    pool: bool = True,
) -> dict[str, Any]:
    """Train, score the test issues as triage would, and report.

    The labels are those triage may apply (`labels.allow`, `deny`, `exclude`); a label is
    learnable with at least `min_examples` training issues. With several repositories and
    `pool`, one model learns from all the training issues and scores each test issue with its
    repository's part (and its repository's thresholds); without `pool`, each trains its own.
    See `report` for what is returned."""
    cfg = _config(config, min_examples)
    tally = _Tally()
    _tally(train, test, cfg, pool, tally)
    return report(_scored(tally), cfg)


def _scored(tally: _Tally) -> _Tally:
    if not tally.issues:
        raise InputError(
            "none of the issues to score carries a label triage may apply "
            "(see labels.allow, labels.deny and labels.exclude): nothing to backtest"
        )
    return tally


def _config(config: LabelsConfig | None, min_examples: int | None) -> LabelsConfig:
    cfg = config or LabelsConfig()
    if min_examples is not None:
        cfg = cfg.model_copy(update={"min_examples": min_examples})
    return cfg


def report(tally: _Tally, cfg: LabelsConfig) -> dict[str, Any]:
    """{"macro_f1": mean of the groups' macro-F1 over learnable labels, "groups": {name:
    {"macro_f1", "train", "test"}}, "labels": {learnable label: {"precision", "recall", "f1",
    "support", "applied": {...}, "suggested": {...}, "threshold"}}, "unlearnable": {label:
    {"train", "test"}}, "excluded": {label: test issues}, "applied": {"precision", "recall",
    "labels", "wrong_issues", "wrong_share"}, "suggested": {"precision", "labels"},
    "calibration": [{"from", "to", "count", "predicted", "observed"}], "issues", "settings"}."""
    groups = {}
    for name, counts in sorted(tally.group_counts.items()):
        train, test, runs = tally.group_sizes[name]
        groups[name] = {
            "macro_f1": round(_macro(counts), 4),
            "train": round(train / max(runs, 1)),
            "test": test,
        }
    labels = {}
    for name in sorted(tally.learnable):
        row = _scores(*tally.predicted.get(name, [0, 0, 0]))
        tp, fp, fn = tally.applied.get(name, [0, 0, 0])
        right, wrong = tally.suggested.get(name, [0, 0])
        thresholds = tally.thresholds.get(name, [])
        row["applied"] = {
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "labels": tp + fp,
        }
        row["suggested"] = {"precision": _ratio(right, right + wrong), "labels": right + wrong}
        row["threshold"] = round(sum(thresholds) / len(thresholds), 4) if thresholds else None
        labels[name] = row
    unlearnable = {
        name: {"train": counts[0], "test": counts[1]}
        for name, counts in sorted(tally.unlearnable.items())
        if name not in tally.learnable
    }
    tp = sum(c[0] for c in tally.applied.values())
    fp = sum(c[1] for c in tally.applied.values())
    fn = sum(c[2] for c in tally.applied.values())
    right = sum(c[0] for c in tally.suggested.values())
    wrong = sum(c[1] for c in tally.suggested.values())
    mean = sum(g["macro_f1"] for g in groups.values()) / len(groups) if groups else 0.0
    return {
        "macro_f1": round(mean, 4),
        "groups": groups,
        "labels": labels,
        "unlearnable": unlearnable,
        "excluded": dict(sorted(tally.excluded.items())),
        "applied": {
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "labels": tp + fp,
            "by_source": dict(sorted(tally.sources.items())),
            "wrong_issues": tally.wrong_issues,
            "wrong_share": _ratio(tally.wrong_issues, tally.issues),
        },
        "suggested": {"precision": _ratio(right, right + wrong), "labels": right + wrong},
        "calibration": [
            {
                "from": round(i / BINS, 2),
                "to": round((i + 1) / BINS, 2),
                "count": int(count),
                "predicted": round(total / count, 4) if count else None,
                "observed": round(hits / count, 4) if count else None,
            }
            for i, (count, total, hits) in enumerate(tally.bins)
        ],
        "issues": tally.issues,
        "settings": {
            "apply_threshold": cfg.apply_threshold,
            "suggest_threshold": cfg.suggest_threshold,
            "target_precision": cfg.target_precision,
            "min_examples": cfg.min_examples,
            "max": cfg.max,
            "cold_start": cfg.cold_start,
            "mode": cfg.mode,  # the figures are those of mode apply whatever it is
        },
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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
    """Mean F1 over the learnable labels the test issues carry (a label only ever predicted,
    never true, costs the others precision but is not averaged in)."""
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
    min_examples: int | None = None,
    pool: bool = True,
    *,
    config: LabelsConfig | None = None,
) -> dict[str, Any]:
    """k-fold, stratified per repository and label set: `evaluate`'s report over every issue,
    each scored once by the fold that held it out (a group's `train` is its mean training size)."""
    if folds < 2:
        raise InputError(f"cross-validation needs at least 2 folds, not {folds}")
    cfg = _config(config, min_examples)
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
    tally = _Tally()
    for fold in range(folds):
        test = [e for i, e in enumerate(examples) if assignment[i] == fold]
        if test:
            train = [e for i, e in enumerate(examples) if assignment[i] != fold]
            _tally(train, test, cfg, pool, tally)
    return report(_scored(tally), cfg)
