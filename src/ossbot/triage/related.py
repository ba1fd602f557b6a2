"""Issues of the history that read like this one: possible duplicates (open ones above a
similarity threshold) and the nearest labelled issues, shown to a model as examples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ossbot.events import Issue
from ossbot.labels.model import SimilarityIndex
from ossbot.triage.history import Past


@dataclass(frozen=True)
class Related:
    past: Past
    score: float

    @property
    def percent(self) -> int:
        return round(100 * self.score)


class Neighbours:
    """A similarity index over the history, the issue itself left out. Built on first use."""

    def __init__(self, issue: Issue, past: Sequence[Past]) -> None:
        self.issue = issue
        self.past = [p for p in past if p.number != issue.number]
        self._index: SimilarityIndex | None = None

    def nearest(
        self, k: int, *, min_score: float = 0.0, where: Callable[[Past], bool] = lambda p: True
    ) -> list[Related]:
        if not self.past:
            return []
        if self._index is None:
            self._index = SimilarityIndex.build([(p.title, p.body) for p in self.past])
        found = self._index.nearest(
            self.issue.title, self.issue.body, k=len(self.past), min_score=min_score
        )
        related = [Related(self.past[i], score) for i, score in found if where(self.past[i])]
        return related[:k]

    def duplicates(self, k: int, threshold: float) -> list[Related]:
        return self.nearest(k, min_score=threshold, where=lambda p: p.state == "open")

    def labelled(self, k: int, names: set[str]) -> list[Related]:
        return self.nearest(k, min_score=0.05, where=lambda p: bool(set(p.labels) & names))
