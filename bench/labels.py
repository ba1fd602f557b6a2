"""Label learning: the cross-validated macro-F1 on the NLBSE'24 training issues (per repository,
averaged over the five repositories, as the competition reports it), the time to train and
predict 1,500 issues on one core, and the import times. Prints figures; asserts nothing. The
corpus is read from ../shared/corpora (evaluation only; it is never shipped or copied).

    python bench/labels.py [--quick]     # --quick: one cross-validation instead of five
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core, as the budget says (set before numpy is imported)

import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "issues" / "nlbse24-train.csv"
PUBLISHED = "published on the test split: fastText 0.718, RoBERTa 0.792, SetFit 0.827; target 0.80"


def _short(repo: str) -> str:
    return repo.split("/")[-1]


def cross_validation(examples: list, seeds: list[int]) -> None:
    from ossbot.labels.evaluate import cross_validate

    print(f"5-fold cross-validation, stratified per repository and label ({PUBLISHED})")
    for pool in (True, False):
        means = []
        for seed in seeds:
            start = time.perf_counter()
            report = cross_validate(examples, folds=5, seed=seed, pool=pool)
            means.append(report["macro_f1"])
            groups = "  ".join(
                f"{_short(name)} {g['macro_f1']:.3f}"
                for name, g in sorted(report["groups"].items())
            )
            print(
                f"  {'pooled' if pool else 'apart '} seed {seed}: {groups}  mean {report['macro_f1']:.3f}"
                f"  [{time.perf_counter() - start:.1f} s]"
            )
        if len(means) > 1:
            print(
                f"  {'pooled' if pool else 'apart '} over {len(means)} seeds: mean {statistics.mean(means):.3f}, "
                f"min {min(means):.3f}, max {max(means):.3f}"
            )
    print(
        "  pooled: one model on every repository's training issues, shared + per-repository features;"
        " apart: one model per repository"
    )


def timing(examples: list) -> None:
    from ossbot.labels.model import LabelModel

    issues = [(e.title, e.body) for e in examples]
    repos = [e.repo for e in examples]
    runs = []  # (wall, cpu) of training, then of predicting
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        model = LabelModel.train(examples)
        trained = time.perf_counter(), time.process_time()
        model.scores_many(issues, repos=repos)
        runs.append(
            (
                trained[0] - wall,
                time.perf_counter() - trained[0],
                trained[1] - cpu,
                time.process_time() - trained[1],
            )
        )
    best = min(runs, key=lambda r: r[0] + r[1])
    print(
        f"train on {len(examples)} issues and predict {len(issues)}, one core, best of 3: "
        f"{best[0] + best[1]:.2f} s wall (train {best[0]:.2f} s, predict {best[1]:.2f} s), "
        f"{best[2] + best[3]:.2f} s CPU; median {statistics.median(r[0] + r[1] for r in runs):.2f} s wall"
    )
    start = time.perf_counter()
    for title, body in issues[:300]:
        model.scores(title, body)
    each = (time.perf_counter() - start) / 300
    print(f"one issue at a time, as triage scores: {1000 * each:.2f} ms per issue")
    apart = time.perf_counter()
    groups: dict[str, list] = {}
    for example in examples:
        groups.setdefault(example.repo, []).append(example)
    for group in groups.values():
        LabelModel.train(group).scores_many([(e.title, e.body) for e in group])
    print(f"the same with one model per repository: {time.perf_counter() - apart:.2f} s")


def imports() -> None:
    for module in ("ossbot.labels.model", "numpy"):
        code = (
            f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        )
        taken = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        print(
            f"import {module}: {float(taken.stdout) * 1000:.0f} ms"
            + (" (numpy is imported only when a model is trained)" if module != "numpy" else "")
        )


def main() -> None:
    from ossbot.labels.evaluate import load_examples

    if not CORPUS.exists():
        print(f"corpus absent ({CORPUS}): nothing to measure")
        return
    examples = load_examples(CORPUS)
    print(
        f"NLBSE'24 training issues: {len(examples)} from {len({e.repo for e in examples})} repositories"
    )
    cross_validation(examples, [0] if "--quick" in sys.argv else [0, 1, 2, 3, 4])
    timing(examples)
    imports()


if __name__ == "__main__":
    main()
