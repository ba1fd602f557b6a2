"""Label learning: the cross-validated macro-F1 on the NLBSE'24 training issues (per repository,
averaged over the five repositories, as the competition reports it), the time to train and
predict 1,500 issues on one core, and the classifier's import time. Prints figures; asserts
nothing. The corpus is read from ../shared/corpora (evaluation only; it is never shipped).

    python bench/labels.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the budget says
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "issues" / "nlbse24-train.csv"


def main() -> None:
    from ossbot.labels.evaluate import _groups, cross_validate, load_examples
    from ossbot.labels.model import LabelModel

    if not CORPUS.exists():
        print(f"corpus absent ({CORPUS}): nothing to measure")
        return
    examples = load_examples(CORPUS)
    start = time.perf_counter()
    report = cross_validate(examples, folds=5, seed=0)
    cv_seconds = time.perf_counter() - start
    print(f"NLBSE'24 training issues: {len(examples)}; 5-fold cross-validation, per repository")
    for name, group in sorted(report["groups"].items()):
        print(f"  {name:24} macro-F1 {group['macro_f1']:.3f}")
    print(f"  mean macro-F1 {report['macro_f1']:.3f} (published on the test split: fastText 0.718, "
          f"RoBERTa 0.792, SetFit 0.827; target 0.80)  [{cv_seconds:.1f} s]")

    start = time.perf_counter()
    for group in _groups(examples).values():
        model = LabelModel.train(group)
        for example in group:
            model.best(example.title, example.body)
    print(f"train and predict {len(examples)} issues (5 models): {time.perf_counter() - start:.2f} s")

    code = "import time; t = time.perf_counter(); import ossbot.labels.model; print(time.perf_counter() - t)"
    taken = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(f"import ossbot.labels.model (numpy included): {float(taken.stdout) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
