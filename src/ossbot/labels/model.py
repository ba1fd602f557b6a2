"""Labels learned from a repository's own labelled issues: a small multi-label text classifier
and a similarity index, trained at every run in well under a second, with no model download.

Features are TF-IDF weighted word unigrams and bigrams of the title and of the body (code
blocks, URLs and HTML comments replaced by placeholders), plus the issue's structure (template
headings, a question mark, the title's first word), each block normalised apart so a long body
cannot drown the title. The classifier is one-vs-rest regularised least squares on 0/1 targets
(a linear estimate of each label's probability, clipped to [0, 1]), solved by conjugate
gradients on the sparse matrix. numpy does the arithmetic: pure Python was ten times slower
than the time budget on a thousand issues.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

BODY_CHARS = 3000
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_FENCE = re.compile(r"^\s*(```|~~~).*?(?:^\s*\1[^\n]*$|\Z)", re.S | re.M)
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[a-z][a-z0-9_']*|\d+|\?")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*|\*\*)([A-Za-z][^\n#*]{1,60}?)\s*(?:\*\*)?\s*:?\s*$", re.M)
_LETTERS = re.compile(r"[a-z]+")
# Block weights, after each block is normalised to unit length.
WEIGHTS = {"t": 1.0, "b": 1.0, "x": 0.5}


@dataclass(frozen=True)
class Example:
    title: str
    body: str
    labels: tuple[str, ...]
    repo: str = ""
    created_at: str = ""        # sortable timestamp text
    number: int | None = None


def _clean(body: str) -> str:
    body = _HTML_COMMENT.sub(" ", body or "")[: 2 * BODY_CHARS]
    body = _FENCE.sub(" zzcode ", body)
    return _URL.sub(" zzurl ", body)[:BODY_CHARS]


def _grams(words: list[str], prefix: str) -> list[str]:
    return [prefix + w for w in words] + [f"{prefix}{a} {b}" for a, b in zip(words, words[1:])]


def features(title: str, body: str) -> dict[str, list[str]]:
    """Tokens of an issue, by block: title (t), body (b), structure (x)."""
    title_words = _WORD.findall((title or "").lower())
    body_text = _clean(body)
    structure = ["x:h " + " ".join(_LETTERS.findall(h.lower())[:4]) for h in _HEADING.findall(body_text)]
    if "?" in (title or ""):
        structure.append("x:title?")
    if title_words:
        structure.append("x:first " + title_words[0])
    return {"t": _grams(title_words, "t:"), "b": _grams(_WORD.findall(body_text.lower()), "b:"),
            "x": structure}


class _Matrix:
    """A sparse matrix (CSR) of documents by terms, with the products the solvers need."""

    def __init__(self, rows: list[dict[int, float]], width: int) -> None:
        self.shape = (len(rows), width)
        counts = np.array([len(r) for r in rows], dtype=np.int64)
        self.row_of = np.repeat(np.arange(len(rows)), counts)
        self.cols = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(counts.sum()))
        self.data = np.fromiter((v for r in rows for v in r.values()), dtype=np.float64,
                                count=int(counts.sum()))
        self.row_starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        order = np.argsort(self.cols, kind="stable")  # the same values by column, for X.T
        self.data_t, self.rows_t, sorted_cols = self.data[order], self.row_of[order], self.cols[order]
        self.present, self.col_starts = np.unique(sorted_cols, return_index=True)

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w, w of shape (terms, k). Every row has a value (the intercept column)."""
        return np.add.reduceat(self.data[:, None] * w[self.cols], self.row_starts, axis=0)

    def tdot(self, g: np.ndarray) -> np.ndarray:
        """X.T @ g, g of shape (docs, k). Every column has a value (terms come from the rows)."""
        out = np.zeros((self.shape[1], g.shape[1]))
        products = self.data_t[:, None] * g[self.rows_t]
        out[self.present] = np.add.reduceat(products, self.col_starts, axis=0)
        return out


class _Vectoriser:
    """TF-IDF (sublinear tf, smooth idf) per block; each block of a document normalised to unit
    length, then weighted; one constant column for the intercept."""

    def __init__(self, docs: Sequence[dict[str, list[str]]], min_df: int = 1) -> None:
        df: Counter[str] = Counter()
        for doc in docs:
            for tokens in doc.values():
                df.update(set(tokens))
        n = len(docs)
        terms = sorted(t for t, c in df.items() if c >= min_df)
        self.index = {t: i + 1 for i, t in enumerate(terms)}  # column 0: the intercept
        self.idf = {t: math.log((1 + n) / (1 + df[t])) + 1 for t in terms}

    @property
    def width(self) -> int:
        return len(self.index) + 1

    def row(self, doc: dict[str, list[str]]) -> dict[int, float]:
        row: dict[int, float] = {0: 1.0}
        for block, tokens in doc.items():
            weights = {t: (1 + math.log(c)) * self.idf[t] for t, c in Counter(tokens).items() if t in self.idf}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            scale = WEIGHTS.get(block, 1.0) / norm
            for term, value in weights.items():
                row[self.index[term]] = value * scale
        return row

    def matrix(self, docs: Iterable[dict[str, list[str]]]) -> _Matrix:
        return _Matrix([self.row(doc) for doc in docs], self.width)


def _ridge(x: _Matrix, targets: np.ndarray, lam: float, iterations: int = 60) -> np.ndarray:
    """Solve (XᵀX + λI) W = XᵀY by conjugate gradients, all columns at once."""
    w = np.zeros((x.shape[1], targets.shape[1]))
    r = x.tdot(targets)
    p = r.copy()
    rr = (r * r).sum(0)
    for _ in range(iterations):
        q = x.tdot(x.dot(p)) + lam * p
        alpha = rr / np.maximum((p * q).sum(0), 1e-12)
        w += alpha * p
        r -= alpha * q
        new = (r * r).sum(0)
        if new.max() < 1e-10:
            break
        p = r + (new / np.maximum(rr, 1e-12)) * p
        rr = new
    return w


class LabelModel:
    """One-vs-rest regularised least squares over the issue's features."""

    LAMBDA = 1.0

    def __init__(self, labels: list[str], vectoriser: _Vectoriser | None, weights: np.ndarray | None) -> None:
        self.labels = labels
        self._vectoriser = vectoriser
        self._weights = weights

    @classmethod
    def train(cls, examples: Sequence[Example], *, min_examples: int = 5,
              allowed: Callable[[str], bool] | None = None) -> LabelModel:
        """Learn every label with at least `min_examples` examples (and passing `allowed`)."""
        counts = Counter(label for e in examples for label in set(e.labels))
        labels = sorted(n for n, c in counts.items() if c >= min_examples and (allowed is None or allowed(n)))
        if not labels:
            return cls([], None, None)
        docs = [features(e.title, e.body) for e in examples]
        vectoriser = _Vectoriser(docs, min_df=2 if len(docs) >= 50 else 1)
        x = vectoriser.matrix(docs)
        y = np.array([[1.0 if label in e.labels else 0.0 for label in labels] for e in examples])
        return cls(labels, vectoriser, _ridge(x, y, cls.LAMBDA))

    def _raw(self, title: str, body: str) -> np.ndarray:
        assert self._vectoriser is not None and self._weights is not None
        row = self._vectoriser.row(features(title, body))
        cols = np.fromiter(row, dtype=np.int64)
        values = np.fromiter(row.values(), dtype=np.float64)
        return values @ self._weights[cols]

    def scores(self, title: str, body: str) -> dict[str, float]:
        """label → confidence in [0, 1] (the least-squares estimate of its probability, clipped)."""
        if not self.labels:
            return {}
        raw = np.clip(self._raw(title, body), 0.0, 1.0)
        return {label: float(value) for label, value in zip(self.labels, raw)}

    def best(self, title: str, body: str) -> str | None:
        """The single most likely label (for data where each issue has exactly one)."""
        if not self.labels:
            return None
        return self.labels[int(np.argmax(self._raw(title, body)))]


class SimilarityIndex:
    """Cosine similarity of TF-IDF vectors (title weighted like the body)."""

    def __init__(self, vectoriser: _Vectoriser, matrix: _Matrix) -> None:
        self._vectoriser = vectoriser
        self._matrix = matrix

    @staticmethod
    def _doc(title: str, body: str) -> dict[str, list[str]]:
        doc = features(title, body)
        return {"t": doc["t"], "b": doc["b"]}

    @classmethod
    def build(cls, docs: Sequence[tuple[str, str]]) -> SimilarityIndex:
        parsed = [cls._doc(t, b) for t, b in docs]
        vectoriser = _Vectoriser(parsed)
        return cls(vectoriser, vectoriser.matrix(parsed))

    def nearest(self, title: str, body: str, k: int = 5, *, min_score: float = 0.0) -> list[tuple[int, float]]:
        """(index, similarity in [0, 1]) of the `k` most similar documents, best first."""
        if self._matrix.shape[0] == 0:
            return []
        query = self._vectoriser.row(self._doc(title, body))
        query.pop(0)
        dense = np.zeros((self._matrix.shape[1], 1))
        for col, value in query.items():
            dense[col, 0] = value
        # Each document is two unit blocks (title, body) weighted 1: its norm is √2 at most.
        sims = self._matrix.dot(dense)[:, 0] / 2.0
        order = np.argsort(-sims, kind="stable")[:k]
        return [(int(i), float(min(sims[i], 1.0))) for i in order if sims[i] >= min_score and sims[i] > 0]
