"""Labels learned from a repository's own labelled issues: a small multi-label text classifier
and a similarity index, trained afresh at every run (a thousand issues in about half a second on
one core), with no model download.

Features. Four blocks of TF-IDF features (sublinear tf, smooth idf), each normalised to unit
length and then weighted, so that a long body cannot drown the rest:

- words: unigrams and bigrams of the body (code blocks and URLs replaced by placeholders; HTML
  comments kept, since issue templates name themselves there) and of the title;
- structure: template headings and the short answers under them, `key: value` lines, template
  names, and a few shape flags (a question mark, a code block, a stack trace, the title's
  first words or `[prefix]`, the body's length);
- title characters: 3- to 5-grams, for the morphology and spelling a small sample cannot teach;
- opening: the words of the first lines of the body, where reporters say what they want.

Classifier. One-vs-rest kernel ridge regression on ±1 targets (a linear model; the dual form is
cheap because there are far fewer issues than features). Training issues from several
repositories are pooled with "frustratingly easy domain adaptation" (Daumé III, 2007): every
feature has a shared copy and a per-repository copy, which makes the kernel
K·(1 + β·same_repo)/(1 + β). The leave-one-out scores of ridge regression come in closed form;
a Platt sigmoid fitted on them per label turns scores into calibrated probabilities (checked:
issues scored 0.6-0.7 carry the label about 70% of the time), so that rare labels are not
over-confident and a threshold of 0.5-0.7 means what it says. A label seen k times is never
given more than (k + 1)/(k + 2).

On the NLBSE'24 training issues (bug / feature / question, five repositories) 5-fold
cross-validation gives a mean macro-F1 of 0.80 (bench/labels.py). Every block and constant
here was chosen by that cross-validation; nothing is derived from the corpus otherwise.

numpy does the linear algebra (a Cholesky factorisation of a 1,500 × 1,500 kernel, dense and
sparse products); pure Python is two orders of magnitude too slow for that. It is imported
when a model is trained, not when this module is: the similarity index is pure Python.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count, repeat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BODY_CHARS = 3000  # the body's head: where templates and descriptions are; logs come later
OPENING_CHARS = 300
LAMBDA = 0.7  # ridge penalty (cross-validated: 0.5 to 1 are within noise of each other)
BETA = 1.0  # weight of the per-repository copy of the features, when pooling
BLOCK_WEIGHTS = {"w": 1.0, "s": 0.25, "c": 0.25, "f": 0.25}  # words, structure, chars, opening
_UNSEEN = "\0unseen"  # the weights for a repository a pooled model was not trained on

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[a-z][a-z0-9_']*|\d+|[?!]")
_LETTERS = re.compile(r"[a-z]+")
_TAG = re.compile(r"<[^<>]*>")  # `[^<>]`: from each `<`, a scan stops at the next one
# Never two `[ \t]*` in a row (an optional part between them is folded into one): over a long
# run of spaces such pairs backtrack quadratically, and three of them cubically.
_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*|\*\*)([A-Za-z][^\n#*]{1,60}?)[ \t]*(?:\*\*[ \t]*)?(?::[ \t]*)?\r?\n"
    r"(?:[ \t]*\r?\n)*[ \t]*([^\n]{0,60})",
    re.M,
)
_KEY_VALUE = re.compile(
    r"^[ \t]*(?:[-*][ \t]*)?([A-Za-z][\w ./-]{1,30}?)[ \t]*(?:=>|:)[ \t]*(\S[^\n]{0,60})$", re.M
)
_TEMPLATE = re.compile(r"\b\w+_template\b|\btag:\w+", re.I)
_TITLE_PREFIX = re.compile(r"\s*\[([^\]]{2,20})\]|\s*([A-Za-z][A-Za-z ]{1,19}):")
_LIST = re.compile(r"^[ \t]*(?:\d+\.|[-*])\s", re.M)


@dataclass(frozen=True)
class Example:
    title: str
    body: str
    labels: tuple[str, ...]
    repo: str = ""
    created_at: str = ""  # sortable timestamp text
    number: int | None = None


# --- features ---------------------------------------------------------------------------------


def _words(text: str, limit: int = 0) -> list[str]:
    """Lower-case letter runs, HTML tags left out (`<b>Bug</b>` → bug)."""
    words = _LETTERS.findall(_TAG.sub(" ", text.lower()) if "<" in text else text.lower())
    return words[:limit] if limit else words


def _grams(words: list[str], prefix: str = "") -> list[str]:
    """Unigrams and bigrams."""
    first = [prefix + w for w in words] if prefix else words
    return first + list(map(" ".join, zip(first, words[1:], strict=False)))


def _chars(title: str) -> list[str]:
    """Character 3- to 5-grams of the title's words, with the spaces between them."""
    text = f" {' '.join(_LETTERS.findall(title.lower()))} "
    return [text[i : i + n] for n in range(3, 6) for i in range(len(text) - n + 1)]


def _structure(title: str, body: str, head: str, text: str) -> list[str]:
    """Template and shape tokens. `head` is the raw start of the body, `text` the body's start
    with code blocks and URLs taken out (the body itself only gives its length)."""
    tokens = []
    for heading, answer in _HEADING.findall(text):
        name = " ".join(_words(heading, 4))
        if name:
            tokens.append("h:" + name)
            value = " ".join(_words(answer, 3))
            if value and len(answer.strip()) < 40:  # a short answer: a template's choice
                tokens.append(f"hv:{name}={value}")
    for key, value in _KEY_VALUE.findall(text):
        key, value = " ".join(_words(key, 3)), " ".join(_words(value, 2))
        if key and value:
            tokens.append(f"kv:{key}={value}")
    if "_template" in head or "tag:" in head:  # a cheap test first: the regex is slow
        tokens += ["tpl:" + name.lower() for name in _TEMPLATE.findall(head)]
    words = _words(title, 2)
    if words:
        tokens += ["first:" + words[0], "first2:" + " ".join(words)]
    prefix = _TITLE_PREFIX.match(title)
    if prefix:
        tokens.append("prefix:" + " ".join(_words(prefix.group(1) or prefix.group(2), 3)))
    lower = head.lower()
    flags = {
        "title?": "?" in title,
        "body?": "?" in text,
        "code": "```" in head,
        "image": "![" in head or "<img" in lower,
        "url": "http" in lower,
        "trace": "traceback" in lower or "exception" in lower or "error:" in lower,
        "list": bool(_LIST.search(text)),
        "checklist": "- [" in head,
        "empty": not head.strip(),
    }
    tokens += ["f:" + name for name, on in flags.items() if on]
    tokens.append(f"len:{min(int(math.log2(1 + len(body.strip()))), 16)}")
    return tokens


def _strip_code(text: str) -> str:
    """Fenced code blocks (an unclosed one runs to the end) replaced by a placeholder. Splitting
    on the fences is several times faster than a regular expression."""
    return " zzcode ".join(text.split("```")[::2]) if "```" in text else text


def features(title: str, body: str) -> dict[str, list[str]]:
    """An issue's tokens, by block: words (w), structure (s), title characters (c), opening (f)."""
    title = title or ""
    head = (body or "")[: 2 * BODY_CHARS]
    # Code blocks out first, from the whole body: the words after a long log still count.
    text = _URL.sub(" zzurl ", _strip_code(body or "")[: 2 * BODY_CHARS])[:BODY_CHARS]
    title_words = _WORD.findall(title.lower())
    body_words = _WORD.findall(text.lower())
    opening = _WORD.findall(_HTML_COMMENT.sub(" ", text)[:OPENING_CHARS].lower())
    return {
        "w": _grams(body_words, "") + _grams(title_words, "t:") + ["s:" + w for w in title_words],
        "s": _structure(title, body or "", head, text),
        "c": _chars(title),
        "f": _grams(opening, ""),
    }


class _Sparse:
    """A documents × features matrix as coordinate lists (numpy arrays)."""

    def __init__(
        self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
    ) -> None:
        self.rows, self.cols, self.values, self.shape = rows, cols, values, shape

    def gram(self) -> np.ndarray:
        """X·Xᵀ. Columns in many documents go through a dense product; the many rare ones pair
        by pair (a dense product over all 30,000 columns would take ten times longer)."""
        import numpy as np

        n, width = self.shape
        df = np.bincount(self.cols, minlength=width)
        frequent = df > max(8, n // 45)  # where a dense column costs about what its pairs do
        dense_cols = np.flatnonzero(frequent)
        position = np.zeros(width, dtype=np.int64)
        position[dense_cols] = np.arange(len(dense_cols))
        in_dense = frequent[self.cols]
        dense = np.zeros((n, len(dense_cols)), dtype=np.float32)
        dense[self.rows[in_dense], position[self.cols[in_dense]]] = self.values[in_dense]
        gram = (dense @ dense.T).astype(np.float64)
        # The rare columns: every pair of entries within a column adds to one cell.
        order = np.argsort(self.cols[~in_dense], kind="stable")
        rows, cols, values = (a[~in_dense][order] for a in (self.rows, self.cols, self.values))
        length = df[cols]
        first = np.repeat(np.arange(len(cols)), length)
        start = np.searchsorted(cols, cols)  # each entry's column starts here
        offset = np.arange(len(first)) - np.repeat(np.cumsum(length) - length, length)
        second = np.repeat(start, length) + offset
        cells = np.bincount(
            rows[first] * n + rows[second], weights=values[first] * values[second], minlength=n * n
        )
        return gram + cells.reshape(n, n)

    def t_dot(self, dual: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Xᵀ·dual (features × labels), over the given rows only when `rows` (a mask) is given."""
        import numpy as np

        keep = np.ones(len(self.rows), bool) if rows is None else rows[self.rows]
        r, c, v = self.rows[keep], self.cols[keep], self.values[keep]
        out = np.zeros((self.shape[1], dual.shape[1]), dtype=np.float32)
        for label in range(dual.shape[1]):
            out[:, label] = np.bincount(c, weights=v * dual[r, label], minlength=self.shape[1])
        return out


class _Vectoriser:
    """TF-IDF per block: sublinear tf, smooth idf, each block of a document at unit length times
    √weight (so that dot products are the weighted sum of the blocks' cosines)."""

    def __init__(
        self,
        columns: dict[str, dict[str, int]],
        idf: np.ndarray,
        block_of: np.ndarray,
        weights: dict[str, float],
    ) -> None:
        import numpy as np

        self.columns = columns  # block → token → column
        self.blocks = list(columns)
        self.width = len(idf)
        self.idf = idf
        self.block_of = block_of
        self.scale = np.array(
            [math.sqrt(weights.get(b, 1.0)) for b in self.blocks], dtype=np.float32
        )

    @classmethod
    def fit(
        cls, docs: Sequence[dict[str, list[str]]], min_df: int, weights: dict[str, float]
    ) -> tuple[_Vectoriser, _Sparse]:
        """The vocabulary of `docs` (tokens in at least `min_df` of them) and their matrix."""
        import numpy as np

        n = len(docs)
        columns: dict[str, dict[str, int]] = {}
        parts = []  # per block: rows, columns, counts
        idf = []
        for block in sorted({b for doc in docs for b in doc}):
            vocabulary: dict[str, int] = {}  # token → where it first occurs (map() is fast)
            seen: list[int] = []
            position = count()
            for doc in docs:
                seen += map(vocabulary.setdefault, doc.get(block, ()), position)
            if not vocabulary:
                continue
            compact = np.zeros(len(seen) + 1, dtype=np.int64)
            compact[list(vocabulary.values())] = np.arange(len(vocabulary))
            ids = compact[np.array(seen, dtype=np.int64)]
            rows = np.repeat(np.arange(n), [len(doc.get(block, ())) for doc in docs])
            size = len(vocabulary)
            cells, counts = np.unique(rows * size + ids, return_counts=True)
            rows, cols = cells // size, cells % size
            df = np.bincount(cols, minlength=size)
            kept = df >= min_df
            offset = sum(len(c) for c in columns.values())
            renumber = np.cumsum(kept) - 1 + offset
            names = list(vocabulary)
            columns[block] = {names[i]: int(renumber[i]) for i in np.flatnonzero(kept)}
            idf.append(np.log((1 + n) / (1 + df[kept])) + 1.0)
            parts.append((rows[kept[cols]], renumber[cols[kept[cols]]], counts[kept[cols]]))
        idf_all = np.concatenate(idf).astype(np.float32) if idf else np.zeros(0, np.float32)
        block_of = np.repeat(np.arange(len(columns)), [len(c) for c in columns.values()])
        vectoriser = cls(columns, idf_all, block_of, weights)
        rows, cols, counts = (
            (np.concatenate([p[i] for p in parts]) for i in range(3))
            if parts
            else (np.zeros(0, np.int64),) * 3
        )
        return vectoriser, vectoriser._weigh(rows, cols, counts, n)

    def matrix(self, docs: Sequence[dict[str, list[str]]]) -> _Sparse:
        """The rows of new documents (tokens outside the vocabulary are ignored)."""
        import numpy as np

        ids: list[int] = []
        lengths: list[int] = []
        missing = repeat(-1)
        for doc in docs:
            before = len(ids)
            for block, tokens in doc.items():
                ids += map(self.columns.get(block, {}).get, tokens, missing)
            lengths.append(len(ids) - before)
        rows = np.repeat(np.arange(len(docs)), lengths)
        cols = np.array(ids, dtype=np.int64)
        known = cols >= 0
        width = max(self.width, 1)
        cells, counts = np.unique(rows[known] * width + cols[known], return_counts=True)
        return self._weigh(cells // width, cells % width, counts, len(docs))

    def _weigh(self, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n: int) -> _Sparse:
        """Term counts → sublinear tf × idf, each (document, block) scaled to length √weight."""
        import numpy as np

        values = (1 + np.log(counts.astype(np.float32))) * self.idf[cols]
        blocks = self.block_of[cols]
        group = rows * len(self.blocks) + blocks
        norms = np.sqrt(np.bincount(group, weights=values * values, minlength=n * len(self.blocks)))
        values = values * self.scale[blocks] / norms[group].astype(np.float32)
        return _Sparse(rows, cols, values.astype(np.float32), (n, self.width))


# --- the classifier ---------------------------------------------------------------------------


def _platt(
    scores: np.ndarray, positive: np.ndarray, iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Per column, a and b of the sigmoid 1/(1 + exp(-(a·s + b))) fitted to the 0/1 column of
    `positive` by Newton's method, with Platt's smoothed targets (so a perfect separation still
    gives finite, slightly hedged probabilities)."""
    import numpy as np

    n_pos = positive.sum(0)
    n_neg = positive.shape[0] - n_pos
    target = np.where(positive, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a = np.ones(scores.shape[1])
    b = np.zeros(scores.shape[1])
    for _ in range(iterations):
        p = _sigmoid(a * scores + b)
        w = np.maximum(p * (1 - p), 1e-9)
        residual = p - target
        g_a, g_b = (residual * scores).sum(0), residual.sum(0)
        h_aa = (w * scores * scores).sum(0) + 1e-6
        h_ab = (w * scores).sum(0)
        h_bb = w.sum(0) + 1e-6
        det = h_aa * h_bb - h_ab * h_ab
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        a, b = a - step_a, b - step_b
        if max(abs(step_a).max(), abs(step_b).max()) < 1e-6:
            break
    # A label whose held-out scores run against it has learned nothing: its base rate, then.
    useless = ~(a > 0)
    a[useless] = 0.0
    b[useless] = np.log((n_pos[useless] + 1) / (n_neg[useless] + 1))
    return a, b


def _sigmoid(z: np.ndarray) -> np.ndarray:
    import numpy as np

    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


class LabelModel:
    """One-vs-rest kernel ridge regression with Platt-calibrated leave-one-out probabilities."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self._learned: list[str] = []  # labels with a fitted model
        self._constant: dict[str, float] = {}  # labels every example carries
        self._vectoriser: _Vectoriser | None = None
        self._weights: dict[str, np.ndarray] = {}  # repo ("" unless pooled) → features × labels
        self._platt: tuple[np.ndarray, np.ndarray] | None = None  # sigmoid a, b per label
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None  # least, most probability

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        min_examples: int = 5,
        allowed: Callable[[str], bool] | None = None,
    ) -> LabelModel:
        """Learn every label with at least `min_examples` examples (and passing `allowed`).
        Examples without a label are negatives for every label. With examples from two or more
        repositories, `scores(..., repo=R)` adds what was learned from R to what all share."""
        counts = Counter(label for e in examples for label in set(e.labels))
        labels = sorted(
            name
            for name, c in counts.items()
            if c >= min_examples and (allowed is None or allowed(name))
        )
        model = cls(labels)
        n = len(examples)
        model._constant = {name: (n + 1) / (n + 2) for name in labels if counts[name] == n}
        learned = [name for name in labels if name not in model._constant]
        if learned:
            model._fit(examples, learned)
        return model

    def _fit(self, examples: Sequence[Example], labels: list[str]) -> None:
        import numpy as np

        docs = [features(e.title, e.body) for e in examples]
        self._vectoriser, x = _Vectoriser.fit(
            docs, min_df=_min_df(len(docs)), weights=BLOCK_WEIGHTS
        )
        kernel = x.gram()
        repos = np.array([e.repo for e in examples])
        pooled = len(set(repos)) > 1
        if pooled:
            kernel *= (1 + BETA * (repos[:, None] == repos[None, :])) / (1 + BETA)
        positive = np.array([[name in e.labels for name in labels] for e in examples])
        targets = np.where(positive, 1.0, -1.0)
        # (K + λI)⁻¹ = L⁻ᵀ·L⁻¹ with L its Cholesky factor: six times faster than inv().
        lower_inverse = _lower_inverse(np.linalg.cholesky(kernel + LAMBDA * np.eye(len(examples))))
        dual = lower_inverse.T @ (lower_inverse @ targets)
        # Leave-one-out scores of ridge regression, in closed form: y_i - dual_i / (K + λI)⁻¹_ii.
        held_out = targets - dual / (lower_inverse * lower_inverse).sum(0)[:, None]
        self._platt = _platt(held_out, positive)
        # Never surer than Laplace's rule of succession allows: seven examples of a label give at
        # most 8/9, however close the issue is to them.
        n_pos = positive.sum(0)
        self._bounds = (1 / (len(examples) - n_pos + 2), (n_pos + 1) / (n_pos + 2))
        self._learned = labels
        if not pooled:
            self._weights[""] = x.t_dot(dual)
            return
        # Pooled: a repository's weights are the shared part plus its own; a repository the
        # model has not seen gets the shared part alone, scaled as if it were the whole model.
        shared = x.t_dot(dual / (1 + BETA))
        self._weights[_UNSEEN] = shared * (1 + BETA)
        for repo in set(repos.tolist()):
            self._weights[repo] = shared + x.t_dot(dual * BETA / (1 + BETA), rows=repos == repo)

    def _raw(self, docs: list[dict[str, list[str]]], repos: Sequence[str]) -> np.ndarray:
        """Ridge scores, documents × learned labels."""
        import numpy as np

        assert self._vectoriser is not None
        x = self._vectoriser.matrix(docs)
        if len(self._weights) == 1:
            weights = self._weights[""][x.cols]  # entries × labels
        else:
            weights = np.empty((len(x.cols), len(self._learned)), dtype=np.float32)
            entry_repo = np.array([r if r in self._weights else _UNSEEN for r in repos])[x.rows]
            for repo in set(entry_repo.tolist()):
                mine = entry_repo == repo
                weights[mine] = self._weights[repo][x.cols[mine]]
        contributions = x.values[:, None] * weights
        return np.stack(
            [
                np.bincount(x.rows, weights=contributions[:, j], minlength=len(docs))
                for j in range(len(self._learned))
            ],
            axis=1,
        )

    def scores_many(
        self, issues: Sequence[tuple[str, str]], *, repos: Sequence[str] | None = None
    ) -> list[dict[str, float]]:
        """`scores` of many (title, body) issues at once: the same figures, faster."""
        if repos is not None and len(repos) != len(issues):
            raise ValueError(f"{len(issues)} issues but {len(repos)} repositories")
        out = [dict(self._constant) for _ in issues]
        if self._learned and issues:
            import numpy as np

            assert self._platt is not None and self._bounds is not None
            a, b = self._platt
            for start in range(0, len(issues), 500):  # bounded memory for many labels
                chunk = issues[start : start + 500]
                docs = [features(title, body) for title, body in chunk]
                raw = self._raw(docs, (repos or [""] * len(issues))[start : start + 500])
                probabilities = np.clip(_sigmoid(a * raw + b), *self._bounds)
                for row, values in zip(out[start:], probabilities.tolist(), strict=False):
                    row.update(zip(self._learned, values, strict=True))
        return [{name: row[name] for name in self.labels} for row in out]

    def scores(self, title: str, body: str, *, repo: str = "") -> dict[str, float]:
        """label → probability in [0, 1] that the issue carries it (one-vs-rest, calibrated on
        held-out scores: a rare label needs strong evidence to score high)."""
        return self.scores_many([(title, body)], repos=[repo])[0]

    def best(self, title: str, body: str, *, repo: str = "") -> str | None:
        """The single most likely label (for data where each issue has exactly one)."""
        scores = self.scores(title, body, repo=repo)
        return max(scores, key=scores.__getitem__) if scores else None


def _lower_inverse(lower: np.ndarray) -> np.ndarray:
    """The inverse of a lower triangular matrix, by halves (numpy has no triangular solver):
    [[A, 0], [B, C]]⁻¹ = [[A⁻¹, 0], [-C⁻¹·B·A⁻¹, C⁻¹]], all in matrix products."""
    import numpy as np

    n = len(lower)
    if n <= 128:
        return np.linalg.inv(lower)
    half = n // 2
    first, second = _lower_inverse(lower[:half, :half]), _lower_inverse(lower[half:, half:])
    out = np.zeros_like(lower)
    out[:half, :half] = first
    out[half:, half:] = second
    out[half:, :half] = -second @ (lower[half:, :half] @ first)
    return out


def _min_df(n: int) -> int:
    """Features seen in fewer documents than this are dropped: noise, and width."""
    return 1 if n < 50 else 2 if n < 1000 else 3


# --- similarity -------------------------------------------------------------------------------


class SimilarityIndex:
    """Cosine similarity of TF-IDF word vectors (title words counted twice), by an inverted
    index in pure Python: building it for a thousand issues takes a fraction of a second."""

    def __init__(self, vectors: list[dict[str, float]], idf: dict[str, float]) -> None:
        self._idf = idf
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, vector in enumerate(vectors):
            for term, value in vector.items():
                self._postings[term].append((i, value))

    @staticmethod
    def _terms(title: str, body: str) -> Counter[str]:
        head = (body or "")[: 2 * BODY_CHARS]
        text = _HTML_COMMENT.sub(" ", _URL.sub(" ", _strip_code(head)))[:BODY_CHARS]
        title_words = _LETTERS.findall((title or "").lower())
        return Counter(_LETTERS.findall(text.lower()) + title_words + title_words)

    @staticmethod
    def _vector(terms: Counter[str], idf: dict[str, float]) -> dict[str, float]:
        vector = {t: (1 + math.log(c)) * idf[t] for t, c in terms.items() if t in idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}

    @classmethod
    def build(cls, docs: Sequence[tuple[str, str]]) -> SimilarityIndex:
        terms = [cls._terms(title, body) for title, body in docs]
        df = Counter(t for doc in terms for t in doc)
        n = len(docs)
        idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        return cls([cls._vector(doc, idf) for doc in terms], idf)

    def nearest(
        self, title: str, body: str, k: int = 5, *, min_score: float = 0.0
    ) -> list[tuple[int, float]]:
        """(index into the docs, cosine similarity in [0, 1]) of the `k` most similar, best first."""
        query = self._vector(self._terms(title, body), self._idf)
        sums: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            for doc, value in self._postings.get(term, ()):
                sums[doc] += weight * value
        ranked = sorted(
            ((min(s, 1.0), -i) for i, s in sums.items() if s > 0 and s >= min_score), reverse=True
        )
        return [(-i, s) for s, i in ranked[:k]]
