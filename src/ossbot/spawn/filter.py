"""The content filter of spawn: prohibited keywords (whole words, case-insensitive) found in
the spec and in every generated task. A hit never refuses anything: it forces a preview, where
each hit is shown, and a maintainer's confirm still creates the plan.

Keywords match on word boundaries (`pass` is not found in `password`), across runs of spaces
and line breaks in the text (`drop  table` matches `drop table`); a keyword may hold several
words. Matching is linear in the text: one compiled alternation, no backtracking between
keywords."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ossbot.text import sanitize

CONTEXT = 30  # characters shown around a hit


@dataclass(frozen=True)
class FilterHit:
    keyword: str  # as configured
    where: str  # "spec", or "task 3 title", "task 3 body"
    excerpt: str  # the hit with some context, on one line


class ContentFilter:
    def __init__(self, keywords: Iterable[str]) -> None:
        words = sorted(
            {" ".join(k.split()).lower() for k in keywords if k and k.strip()},
            key=lambda k: (-len(k), k),
        )
        self.keywords = words
        self._by_lower = {w: w for w in words}
        alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        self._pattern = (
            re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if words else None
        )

    def scan(self, text: str, where: str) -> list[FilterHit]:
        """Every hit in `text`, in order (each keyword once per place)."""
        if self._pattern is None or not text:
            return []
        clean = sanitize(text)
        hits: list[FilterHit] = []
        seen: set[str] = set()
        for match in self._pattern.finditer(clean):
            keyword = " ".join(match.group(0).split()).lower()
            if keyword in seen:
                continue
            seen.add(keyword)
            start, end = max(match.start() - CONTEXT, 0), min(match.end() + CONTEXT, len(clean))
            excerpt = " ".join(clean[start:end].split())
            prefix = "…" if start > 0 else ""
            suffix = "…" if end < len(clean) else ""
            hits.append(
                FilterHit(self._by_lower.get(keyword, keyword), where, prefix + excerpt + suffix)
            )
        return hits

    def scan_tasks(self, spec: str, tasks: Sequence[tuple[str, str]]) -> list[FilterHit]:
        """Hits in the spec and in each task's title and body (numbered from 1)."""
        hits = self.scan(spec, "spec")
        for number, (title, body) in enumerate(tasks, start=1):
            hits += self.scan(title, f"task {number} title")
            hits += self.scan(body, f"task {number} body")
        return hits
