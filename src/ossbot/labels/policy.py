"""Per label, from which probability the learner applies it: chosen on the training issues'
leave-one-out probabilities (each scored by a model that did not see it, in closed form, see
`ossbot.labels.model`), so that a label is applied only where its backtested precision reaches
`labels.target_precision`, and suggested otherwise.

The precision at a threshold is smoothed by Laplace's rule, (correct + 1) / (applied + 2): with
a target of 0.95 a label needs at least 18 backtested applications, all right, before it is
applied at all (and 38 with one wrong). A label with too few examples to show that is
"unproven" (only suggested, unless `labels.cold_start: apply`); one with enough examples whose
backtest stays below the target is "imprecise" (only ever suggested).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

    from ossbot.labels.model import LabelModel

PROVEN = 20  # training issues carrying a label, from which a failed backtest means "imprecise"

Why = Literal["", "unproven", "imprecise", "constant"]


@dataclass(frozen=True)
class Policy:
    threshold: float | None  # apply from this probability; None: only suggested
    precision: float  # backtested (leave-one-out) precision at the threshold, or at the floor
    recall: float  # backtested recall at the threshold (0 without one)
    support: int  # training issues carrying the label
    why: Why = ""  # why there is no threshold

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Policy:
        return cls(
            None if data.get("threshold") is None else float(data["threshold"]),
            float(data.get("precision", 0.0)),
            float(data.get("recall", 0.0)),
            int(data.get("support", 0)),
            data.get("why", ""),
        )


def threshold(
    probabilities: np.ndarray, positive: np.ndarray, target: float, floor: float
) -> Policy:
    """The lowest probability (at least `floor`) from which the smoothed precision of the
    issues scored at or above it reaches `target`."""
    import numpy as np

    support = int(positive.sum())
    order = np.argsort(-probabilities, kind="stable")
    scores, hits = probabilities[order], positive[order]
    correct = np.cumsum(hits)
    applied = np.arange(1, len(scores) + 1)
    # A threshold takes every issue at its probability: only the last of a run of equal ones.
    ends = np.r_[scores[1:] != scores[:-1], True] if len(scores) else np.zeros(0, bool)
    smoothed = (correct + 1) / (applied + 2)
    above = ends & (scores >= floor)
    good = above & (smoothed >= target)
    if good.any():
        i = int(np.flatnonzero(good)[-1])
        # Anywhere between this probability and the next lower one takes the same
        # issues: the middle of that gap (not below the floor), so that a new issue as close
        # to the label as the weakest backtested one is not left out by a hair.
        below = float(scores[i + 1]) if i + 1 < len(scores) else 0.0
        return Policy(
            math.floor(max((float(scores[i]) + below) / 2, floor) * 1e6) / 1e6,  # never above
            round(float(correct[i] / applied[i]), 4),
            round(float(correct[i] / max(support, 1)), 4),
            support,
        )
    at_floor = np.flatnonzero(above)
    precision = float(correct[at_floor[-1]] / applied[at_floor[-1]]) if len(at_floor) else 0.0
    why: Why = "imprecise" if support >= PROVEN else "unproven"
    return Policy(None, round(precision, 4), 0.0, support, why)


def policies(
    model: LabelModel, target: float, floor: float, *, repo: str | None = None
) -> dict[str, Policy]:
    """label → Policy for every label of the model (those every example carries are never
    applied by the learner: nothing tells their issues apart)."""
    probabilities, positive = model.held_out(repo)
    out = {
        name: threshold(probabilities[:, j], positive[:, j], target, floor)
        for j, name in enumerate(model.learned)
    }
    for name in model.labels:
        if name not in out:
            out[name] = Policy(None, 1.0, 0.0, model.examples, "constant")
    return out
