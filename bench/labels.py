"""Label learning, measured as a maintainer lives with it. Prints figures; asserts nothing.

1. Cross-validation on the NLBSE'24 training issues (1,500: bug / feature / question, five
   repositories; per repository, averaged, as the competition reports it): macro-F1; then, at
   the default thresholds, what triage would have done: applied precision and recall, the share
   of issues with a wrong applied label, the suggestions' precision, by label; the calibration
   table; and the same at other `labels.target_precision` values.
2. Cold start: no history (keyword rules only), and 10 / 25 / 50 labelled issues per repository.
3. Cost: time and peak memory to train on 1,000 / 2,000 / 5,000 issues and score one, each in a
   fresh process on one core (the histories are recombined from the corpus: title and body
   halves of two issues of the same label, plus area labels at random), and the cached model.

The corpus is read from ../shared/corpora (evaluation only: never shipped, nor a model of it).

    python bench/labels.py [--quick]     # --quick: one cross-validation seed instead of five
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core, as the budget says (set before numpy is imported)

import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "issues" / "nlbse24-train.csv"
PUBLISHED = "published on the test split: fastText 0.718, RoBERTa 0.792, SetFit 0.827; goal 0.80"
AREAS = ("area: ui", "area: core", "area: docs", "platform: linux", "platform: windows", "perf")


def _short(repo: str) -> str:
    return repo.split("/")[-1]


def _rate(value: float | None) -> str:
    return "  —  " if value is None else f"{value:.3f}"


def _decisions(report: dict) -> str:
    applied, suggested = report["applied"], report["suggested"]
    return (
        f"applied {applied['labels']:4d} (precision {_rate(applied['precision'])}, recall "
        f"{_rate(applied['recall'])}), issues with a wrong applied label "
        f"{applied['wrong_issues']:3d} ({100 * (applied['wrong_share'] or 0):.1f}%), suggested "
        f"{suggested['labels']:4d} (precision {_rate(suggested['precision'])})"
    )


def cross_validation(examples: list, seeds: list[int]) -> None:
    from ossbot.labels.evaluate import cross_validate
    from ossbot.repo_config import LabelsConfig

    print(f"\n1. 5-fold cross-validation, stratified per repository and label ({PUBLISHED})")
    first = None
    for pool in (True, False):
        means = []
        for seed in seeds:
            start = time.perf_counter()
            report = cross_validate(examples, folds=5, seed=seed, pool=pool)
            first = first or report
            means.append(report["macro_f1"])
            groups = "  ".join(
                f"{_short(name)} {g['macro_f1']:.3f}"
                for name, g in sorted(report["groups"].items())
            )
            print(
                f"  {'pooled' if pool else 'apart '} seed {seed}: {groups}  macro-F1 "
                f"{report['macro_f1']:.3f}  [{time.perf_counter() - start:.1f} s]"
            )
        if len(means) > 1:
            print(
                f"  {'pooled' if pool else 'apart '} over {len(means)} seeds: mean "
                f"{statistics.mean(means):.3f}, min {min(means):.3f}, max {max(means):.3f}"
            )
    print(
        "  pooled: one model on every repository's training issues, shared + per-repository"
        " features; apart: one model per repository"
    )
    assert first is not None
    settings = first["settings"]
    print(
        f"\n  at the default thresholds (apply_threshold {settings['apply_threshold']}, "
        f"target_precision {settings['target_precision']}, suggest_threshold "
        f"{settings['suggest_threshold']}, thresholds backtested per repository), pooled, seed "
        f"{seeds[0]}, {first['issues']} issues:"
    )
    print(f"    {_decisions(first)}")
    for name, row in first["labels"].items():
        applied, suggested = row["applied"], row["suggested"]
        print(
            f"    {name:9s} applied {applied['labels']:4d}, precision {_rate(applied['precision'])}"
            f", recall {_rate(applied['recall'])}; suggested {suggested['labels']:4d}, precision "
            f"{_rate(suggested['precision'])}; mean threshold {_rate(row['threshold'])}"
        )
    print("\n  calibration (every learned label of every issue, held out):")
    print("    confidence    labels   mean confidence   observed")
    for row in first["calibration"]:
        print(
            f"    {row['from']:.1f}–{row['to']:.1f}     {row['count']:6d}   "
            f"{_rate(row['predicted']):>15s}   {_rate(row['observed']):>8s}"
        )
    print("\n  other targets (labels.target_precision), pooled, same folds:")
    for target in (0.8, 0.85, 0.9, 0.95, 0.98):
        cfg = LabelsConfig(target_precision=target)
        report = cross_validate(examples, folds=5, seed=seeds[0], config=cfg)
        print(f"    target {target:.2f}: {_decisions(report)}")


def cold_start(examples: list) -> None:
    from ossbot.labels.evaluate import evaluate
    from ossbot.repo_config import LabelsConfig

    print("\n2. Cold start")
    for mode in ("suggest", "apply"):
        cfg = LabelsConfig(cold_start=mode)
        report = evaluate([], examples, config=cfg)
        print(f"  no history, keyword rules only, cold_start: {mode:7s}: {_decisions(report)}")
    rng = random.Random(0)
    groups: dict[str, list] = {}
    for example in examples:
        groups.setdefault(example.repo, []).append(example)
    for size in (10, 25, 50):
        for mode in ("suggest", "apply"):
            train, test = [], []
            for group in groups.values():
                picked = set(rng.sample(range(len(group)), size))
                train += [e for i, e in enumerate(group) if i in picked]
                test += [e for i, e in enumerate(group) if i not in picked]
            report = evaluate(train, test, config=LabelsConfig(cold_start=mode), pool=False)
            print(
                f"  {size:2d} labelled issues per repository, cold_start: {mode:7s}: "
                f"{_decisions(report)}"
            )


def synthetic(n: int, examples: list, seed: int = 0) -> list:
    """n issues recombined from the corpus (timing only)."""
    from ossbot.labels.model import Example

    rng = random.Random(seed)
    by: dict[str, list] = {}
    for e in examples:
        by.setdefault(e.labels[0], []).append(e)
    out = []
    for i in range(n):
        label = rng.choice(sorted(by))
        a, b = rng.sample(by[label], 2)
        pa, pb = a.body.split("\n\n"), b.body.split("\n\n")
        ta, tb = a.title.split(), b.title.split()
        body = "\n\n".join(pa[: len(pa) // 2 + 1] + pb[len(pb) // 2 :])
        title = " ".join(ta[: max(1, len(ta) // 2)] + tb[len(tb) // 2 :])
        labels = (label, *(area for area in AREAS if rng.random() < 0.12))
        out.append(Example(title, body, labels, "", f"2025-{i:06d}", i))
    return out


CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from labels import synthetic
from ossbot.labels.evaluate import load_examples
from ossbot.labels.model import LabelModel
import numpy
data = synthetic({n}, load_examples({corpus!r}))
def high_water():  # this process's peak RSS in kB (VmHWM starts afresh at exec; ru_maxrss not)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
before = high_water()
cpu, wall = time.process_time(), time.perf_counter()
model = LabelModel.train(data)
model.scores(data[0].title, data[0].body)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = high_water()
import tracemalloc  # a second training, traced: what it allocates at its peak (numpy included)
tracemalloc.start()
LabelModel.train(data).scores(data[0].title, data[0].body)
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
blob = model.to_bytes()
start = time.perf_counter()
LabelModel.from_bytes(blob).scores(data[1].title, data[1].body)
print(json.dumps(dict(wall=wall, cpu=cpu, before=before / 1024, peak=peak / 1024,
                      traced=traced / 2**20,
                      size=len(blob), cached=time.perf_counter() - start,
                      labels=len(model.labels))))
"""


def cost() -> None:
    print(
        "\n3. Cost: train on n issues and score one, one core, each n in a fresh process, best of 3"
    )
    print(
        "      n   wall     CPU    peak RSS (before training)   training's peak allocation"
        "   cached model: size, load+score"
    )
    rows = []
    for n in (1000, 2000, 5000):
        runs = []
        for _ in range(3):
            code = CHILD.format(bench=str(ROOT / "bench"), n=n, corpus=str(CORPUS))
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(out.stdout))
        best = min(runs, key=lambda r: r["wall"])
        rows.append((n, best))
        print(
            f"  {n:5d}  {best['wall']:5.2f} s  {best['cpu']:5.2f} s  {best['peak']:6.0f} MB"
            f" ({best['before']:4.0f} MB)          {best['traced']:6.0f} MB                   "
            f"{best['size'] / 1024:6.0f} KB, {1000 * best['cached']:.0f} ms"
        )
    (n1, r1), (n2, r2) = rows[0], rows[-1]
    import math

    exponent = math.log(r2["wall"] / r1["wall"]) / math.log(n2 / n1)
    print(f"  growth from {n1} to {n2}: time ∝ n^{exponent:.2f}")
    print(f"  ({rows[0][1]['labels']} labels; goal: linear, ≤ 1 s and ≤ 300 MB at 5,000)")


def main() -> None:
    from ossbot.labels.evaluate import load_examples

    if not CORPUS.exists():
        print(f"corpus absent ({CORPUS}): nothing to measure")
        return
    examples = load_examples(CORPUS)
    print(
        f"NLBSE'24 training issues: {len(examples)} from {len({e.repo for e in examples})} "
        "repositories"
    )
    cross_validation(examples, [0] if "--quick" in sys.argv else [0, 1, 2, 3, 4])
    cold_start(examples)
    cost()


if __name__ == "__main__":
    main()
