"""Labels learned from a repository's own labelled issues: a small multi-label text classifier
and a similarity index, with no model download. Learning takes about 0.4 s for a thousand
issues on one core and grows linearly; triage caches the model by what it learned from.

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
import zipfile
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import count, repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

BODY_CHARS = 3000  # the body's head: where templates and descriptions are; logs come later
OPENING_CHARS = 300
# What reading a damaged archive can raise (numpy, zipfile and zlib are not specific about it).
DAMAGE = (
    OSError,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)
FORMAT = 2  # of `LabelModel.to_bytes`: a cached model of another format is trained afresh
LANDMARKS = 1200  # beyond this many examples the model is spanned by a sample of them
LAMBDA = 0.7  # ridge penalty (cross-validated: 0.5 to 1 are within noise of each other)
BETA = 1.0  # weight of the per-repository copy of the features, when pooling
BLOCKS = ("c", "f", "s", "w")  # title characters, opening, structure, words
BLOCK_WEIGHTS = {"w": 1.0, "s": 0.25, "c": 0.25, "f": 0.25}  # words, structure, chars, opening
# Everything a learned model depends on besides its examples: a cached model learned with other
# settings is learned again.
TRAINER = repr((FORMAT, LANDMARKS, LAMBDA, BETA, sorted(BLOCK_WEIGHTS.items()), BODY_CHARS))
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


@dataclass(frozen=True)
class Pieces:
    """An issue as the features are made from it: its words (title, body head, opening lines),
    its template and shape tokens, and the title's letters (for character n-grams)."""

    title: list[str]
    body: list[str]
    opening: list[str]
    structure: list[str]
    letters: str


def features(title: str, body: str) -> Pieces:
    """The pieces of an issue the features are made of (see the module docstring)."""
    title = title or ""
    head = (body or "")[: 2 * BODY_CHARS]
    # Code blocks out first, from the whole body: the words after a long log still count.
    text = _URL.sub(" zzurl ", _strip_code(body or "")[: 2 * BODY_CHARS])[:BODY_CHARS]
    lowered = title.lower()
    return Pieces(
        _WORD.findall(lowered),
        _WORD.findall(text.lower()),
        _WORD.findall(_HTML_COMMENT.sub(" ", text)[:OPENING_CHARS].lower()),
        _structure(title, body or "", head, text),
        f" {' '.join(_LETTERS.findall(lowered))} ",
    )


# Every feature is one 64-bit code: its kind in the top bits, then one or two token ids (26 bits
# each) or the packed bytes of a character n-gram. Word pairs and n-grams are computed from the
# ids in numpy, never built as strings: most of the features, at a fraction of the cost.
KIND_SHIFT, ID_BITS = 52, 26
BODY_WORD, BODY_PAIR, TITLE_WORD, TITLE_PAIR, TITLE_AGAIN, OPEN_WORD, OPEN_PAIR, CHARS, SHAPE = (
    range(9)
)
# The block of each kind, as an index into BLOCKS (c, f, s, w).
KIND_BLOCK = (3, 3, 3, 3, 3, 1, 1, 0, 2)
CHAR_GRAMS = (3, 4, 5)


class _Encoder:
    """Issues → (row, code) arrays. Training grows the token table; scoring only looks up (an
    unknown token, and any pair with one, gives no feature)."""

    def __init__(self, tokens: dict[str, int] | None = None) -> None:
        self.tokens: dict[str, int] = {} if tokens is None else tokens
        self._next = count(len(self.tokens))

    def _densify(self, streams: dict[str, array[int]]) -> None:
        """Token ids as 0, 1, 2… in order of first sight. `setdefault` with a counter (the fast
        way to grow the table) numbers every occurrence; the pair codes need ids below 2**26."""
        import numpy as np

        table = self.tokens
        positions = np.fromiter(table.values(), np.int64, len(table))
        compact = np.zeros(int(positions.max()) + 1 if len(positions) else 1, dtype=np.int64)
        compact[positions] = np.arange(len(table))
        for name, ids in streams.items():
            values = np.frombuffer(ids, dtype=np.int64)
            streams[name] = array("q", compact[values].tobytes()) if len(values) else ids
        self.tokens = dict(zip(table, range(len(table)), strict=True))
        if len(table) >= 1 << ID_BITS:
            raise ValueError(f"{len(table)} distinct tokens: more than a label model holds")
        self._next = count(len(table))

    def encode(
        self, issues: Iterable[tuple[str, str]], *, grow: bool
    ) -> tuple[np.ndarray, np.ndarray, int]:
        import numpy as np

        streams = {name: array("q") for name in ("title", "body", "opening", "structure")}
        lengths = {name: array("q") for name in streams}
        letters: list[str] = []
        table = self.tokens
        look = (
            (lambda tokens: map(table.setdefault, tokens, self._next))
            if grow
            else (lambda tokens: map(table.get, tokens, repeat(-1)))
        )
        n = 0
        for title, body in issues:
            n += 1
            pieces = features(title, body)
            for name in streams:
                tokens = getattr(pieces, name)
                streams[name].extend(look(tokens))
                lengths[name].append(len(tokens))
            letters.append(pieces.letters)
        if grow:
            self._densify(streams)
        rows: list[np.ndarray] = []
        codes: list[np.ndarray] = []

        def add(kind: int, which: str, pair: int | None = None, again: int | None = None) -> None:
            ids = np.frombuffer(streams[which], dtype=np.int64)
            doc = np.repeat(np.arange(n), np.frombuffer(lengths[which], dtype=np.int64))
            known = ids >= 0
            for k in (kind, again):
                if k is not None:
                    rows.append(doc[known])
                    codes.append((k << KIND_SHIFT) | ids[known])
            if pair is not None and len(ids) > 1:
                ok = (doc[:-1] == doc[1:]) & known[:-1] & known[1:]
                rows.append(doc[:-1][ok])
                codes.append((pair << KIND_SHIFT) | (ids[:-1][ok] << ID_BITS) | ids[1:][ok])

        add(BODY_WORD, "body", BODY_PAIR)
        add(TITLE_WORD, "title", TITLE_PAIR, TITLE_AGAIN)
        add(OPEN_WORD, "opening", OPEN_PAIR)
        add(SHAPE, "structure")
        # Character n-grams of the titles' letters, all titles at once.
        text = np.frombuffer("".join(letters).encode("ascii"), dtype=np.uint8).astype(np.int64)
        sizes = np.array([len(t) for t in letters], dtype=np.int64)
        doc = np.repeat(np.arange(n), sizes)
        end = np.repeat(np.cumsum(sizes), sizes)  # where each position's title ends
        for size in CHAR_GRAMS:
            starts = np.flatnonzero(np.arange(len(text)) + size <= end)
            packed = np.zeros(len(starts), dtype=np.int64)
            for k in range(size):
                packed = (packed << 8) | text[starts + k]
            rows.append(doc[starts])
            codes.append((CHARS << KIND_SHIFT) | packed)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), n
        return np.concatenate(rows), np.concatenate(codes), n


class _Sparse:
    """A documents × features matrix as coordinate lists (numpy arrays)."""

    def __init__(
        self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
    ) -> None:
        self.rows, self.cols, self.values, self.shape = rows, cols, values, shape

    def cross(self, marks: np.ndarray) -> np.ndarray:
        """X·X_marksᵀ (documents × the rows `marks`). Columns in many documents go through a
        dense product; the many rare ones pair by pair (a dense product over all 30,000 columns
        would take ten times longer). The pairs are taken a slice of columns at a time, so that
        memory stays bounded however many documents there are."""
        import numpy as np

        n, width = self.shape
        m = len(marks)
        mark_of = np.full(n, -1, dtype=np.int64)
        mark_of[marks] = np.arange(m)
        df = np.bincount(self.cols, minlength=width)
        frequent = df > max(8, n // 45)  # where a dense column costs about what its pairs do
        dense_cols = np.flatnonzero(frequent)
        position = np.zeros(width, dtype=np.int64)
        position[dense_cols] = np.arange(len(dense_cols))
        in_dense = frequent[self.cols]
        dense = np.zeros((n, len(dense_cols)), dtype=np.float32)
        dense[self.rows[in_dense], position[self.cols[in_dense]]] = self.values[in_dense]
        out = (dense @ dense[marks].T).astype(np.float64)
        del dense
        # The rare columns: every (document, landmark) pair of entries within a column adds to
        # one cell.
        order = np.argsort(self.cols[~in_dense], kind="stable")
        rows, cols, values = (a[~in_dense][order] for a in (self.rows, self.cols, self.values))
        marked = mark_of[rows] >= 0
        m_rows, m_cols, m_values = mark_of[rows[marked]], cols[marked], values[marked]
        start = np.searchsorted(m_cols, cols, "left")
        length = np.searchsorted(m_cols, cols, "right") - start
        flat = out.reshape(-1)
        ends = np.cumsum(length)
        step = 1_000_000  # pairs per slice
        lo = 0
        while lo < len(cols):
            hi = int(np.searchsorted(ends, ends[lo] - length[lo] + step, "right"))
            hi = max(hi, lo + 1)
            part = length[lo:hi]
            first = np.repeat(np.arange(lo, hi), part)
            offset = np.arange(len(first)) - np.repeat(np.cumsum(part) - part, part)
            second = np.repeat(start[lo:hi], part) + offset
            flat += np.bincount(
                rows[first] * m + m_rows[second],
                weights=values[first] * m_values[second],
                minlength=n * m,
            )
            lo = hi
        return out

    def gram(self) -> np.ndarray:
        """X·Xᵀ."""
        import numpy as np

        return self.cross(np.arange(self.shape[0]))

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
    √weight (so that dot products are the weighted sum of the blocks' cosines). Columns are the
    kept feature codes, in ascending order."""

    def __init__(
        self,
        encoder: _Encoder,
        codes: np.ndarray,
        idf: np.ndarray,
        weights: dict[str, float],
    ) -> None:
        import numpy as np

        self.encoder = encoder
        self.codes = codes  # sorted
        self.idf = idf
        self.width = len(codes)
        self.weights = {b: weights.get(b, 1.0) for b in BLOCKS}
        self.block_of = np.array(KIND_BLOCK, dtype=np.int64)[codes >> KIND_SHIFT]
        self.scale = np.array([math.sqrt(self.weights[b]) for b in BLOCKS], dtype=np.float32)

    @classmethod
    def fit(
        cls, issues: Iterable[tuple[str, str]], min_df: int, weights: dict[str, float]
    ) -> tuple[_Vectoriser, _Sparse]:
        """The vocabulary of the issues (features in at least `min_df` of them) and their
        matrix. `issues` is read once: only one issue's words are held at a time."""
        import numpy as np

        encoder = _Encoder()
        rows, codes, n = encoder.encode(issues, grow=True)
        unique, inverse = np.unique(codes, return_inverse=True)
        size = max(len(unique), 1)
        cells, counts = np.unique(rows * size + inverse, return_counts=True)
        rows, cols = cells // size, cells % size
        df = np.bincount(cols, minlength=len(unique))
        kept = df >= min_df
        renumber = np.cumsum(kept) - 1
        keep = kept[cols]
        idf = (np.log((1 + n) / (1 + df[kept])) + 1.0).astype(np.float32)
        vectoriser = cls(encoder, unique[kept], idf, weights)
        vectoriser._prune()
        return vectoriser, vectoriser._weigh(rows[keep], renumber[cols[keep]], counts[keep], n)

    def _prune(self) -> None:
        """Forget the tokens no kept feature uses (most words of a large history)."""
        import numpy as np

        kinds = self.codes >> KIND_SHIFT
        payload = self.codes & ((1 << KIND_SHIFT) - 1)
        mask = (1 << ID_BITS) - 1
        ids = [payload[(kinds != CHARS)] & mask]
        pairs = np.isin(kinds, (BODY_PAIR, TITLE_PAIR, OPEN_PAIR))
        ids.append(payload[pairs] >> ID_BITS)
        used = set(np.concatenate(ids).tolist())
        tokens = self.encoder.tokens
        self.encoder.tokens = {t: i for t, i in tokens.items() if i in used}

    def matrix(self, issues: Sequence[tuple[str, str]]) -> _Sparse:
        """The rows of new issues (features outside the vocabulary are ignored)."""
        import numpy as np

        rows, codes, n = self.encoder.encode(issues, grow=False)
        at = np.searchsorted(self.codes, codes)
        at[at >= self.width] = 0
        known = (self.codes[at] == codes) if self.width else np.zeros(len(codes), bool)
        width = max(self.width, 1)
        cells, counts = np.unique(rows[known] * width + at[known], return_counts=True)
        return self._weigh(cells // width, cells % width, counts, n)

    def _weigh(self, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n: int) -> _Sparse:
        """Term counts → sublinear tf × idf, each (document, block) scaled to length √weight."""
        import numpy as np

        values = (1 + np.log(counts.astype(np.float32))) * self.idf[cols]
        blocks = self.block_of[cols]
        group = rows * len(BLOCKS) + blocks
        norms = np.sqrt(np.bincount(group, weights=values * values, minlength=n * len(BLOCKS)))
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
        self.examples = 0  # learned from
        self._learned: list[str] = []  # labels with a fitted model
        self._constant: dict[str, float] = {}  # labels every example carries
        self._vectoriser: _Vectoriser | None = None
        self._weights: dict[str, np.ndarray] = {}  # repo ("" unless pooled) → features × labels
        self._platt: tuple[np.ndarray, np.ndarray] | None = None  # sigmoid a, b per label
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None  # least, most probability
        # The training issues' leave-one-out probabilities (issues × learned labels), whether
        # they carry each label, and their repositories: the backtest thresholds are chosen on.
        self._held_out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

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
        n = model.examples = len(examples)
        model._constant = {name: (n + 1) / (n + 2) for name in labels if counts[name] == n}
        learned = [name for name in labels if name not in model._constant]
        if learned:
            model._fit(examples, learned)
        return model

    def _fit(self, examples: Sequence[Example], labels: list[str]) -> None:
        import numpy as np

        self._vectoriser, x = _Vectoriser.fit(
            ((e.title, e.body) for e in examples),
            min_df=_min_df(len(examples)),
            weights=BLOCK_WEIGHTS,
        )
        n = len(examples)
        repos = np.array([e.repo for e in examples])
        pooled = len(set(repos)) > 1
        positive = np.array([[name in e.labels for name in labels] for e in examples])
        targets = np.where(positive, 1.0, -1.0)
        marks = _landmarks(positive, LANDMARKS)
        kernel = x.cross(marks)  # n × m
        if pooled:
            kernel *= (1 + BETA * (repos[:, None] == repos[marks][None, :])) / (1 + BETA)
        if len(marks) == n:  # exact kernel ridge
            # (K + λI)⁻¹ = L⁻ᵀ·L⁻¹ with L its Cholesky factor: six times faster than inv().
            lower_inverse = _lower_inverse(np.linalg.cholesky(kernel + LAMBDA * np.eye(n)))
            dual = lower_inverse.T @ (lower_inverse @ targets)
            # Leave-one-out scores in closed form: y_i - dual_i / (K + λI)⁻¹_ii.
            held_out = targets - dual / (lower_inverse * lower_inverse).sum(0)[:, None]
        else:  # Nyström: the same ridge restricted to the span of the landmarks
            dual, held_out = _nystroem(kernel, marks, targets)
        self._platt = _platt(held_out, positive)
        # Never surer than Laplace's rule of succession allows: seven examples of a label give at
        # most 8/9, however close the issue is to them.
        n_pos = positive.sum(0)
        self._bounds = (1 / (len(examples) - n_pos + 2), (n_pos + 1) / (n_pos + 2))
        self._learned = labels
        self._held_out = (
            np.clip(_sigmoid(self._platt[0] * held_out + self._platt[1]), *self._bounds),
            positive,
            repos,
        )
        marked = np.zeros(n, bool)
        marked[marks] = True
        if len(marks) < n:  # the dual weights of the landmarks, spread over all rows
            spread = np.zeros((n, len(labels)))
            spread[marks] = dual
            dual = spread
        if not pooled:
            self._weights[""] = _half(x.t_dot(dual, rows=marked))
            return
        # Pooled: a repository's weights are the shared part plus its own; a repository the
        # model has not seen gets the shared part alone, scaled as if it were the whole model.
        shared = x.t_dot(dual / (1 + BETA), rows=marked)
        self._weights[_UNSEEN] = _half(shared * (1 + BETA))
        for repo in set(repos.tolist()):
            mine = marked & (repos == repo)
            self._weights[repo] = _half(shared + x.t_dot(dual * BETA / (1 + BETA), rows=mine))

    @property
    def learned(self) -> list[str]:
        """The labels with a fitted model (the others in `labels` every example carries)."""
        return list(self._learned)

    def held_out(self, repo: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Leave-one-out probabilities of the training issues (of `repo` only, when given) and
        whether each carries the label: issues × `learned`, as if each had been scored by a
        model trained without it."""
        import numpy as np

        if self._held_out is None:
            return np.zeros((0, 0)), np.zeros((0, 0), bool)
        probabilities, positive, repos = self._held_out
        if repo is None:
            return probabilities, positive
        return probabilities[repos == repo], positive[repos == repo]

    # -- a compact copy, for the content-keyed cache --------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as a compressed archive (weights as half-precision floats, which is what
        a fresh model computes with too, so a cached model scores exactly alike). The held-out
        probabilities are left out: a cached model is only ever used to score."""
        import io
        import json as jsonlib

        import numpy as np

        meta: dict[str, object] = {
            "version": FORMAT,
            "labels": self.labels,
            "learned": self._learned,
            "constant": self._constant,
            "repos": sorted(self._weights),
        }
        arrays: dict[str, np.ndarray] = {}
        if self._vectoriser is not None and self._platt is not None and self._bounds is not None:
            vectoriser = self._vectoriser
            meta["block_weights"] = vectoriser.weights
            tokens = vectoriser.encoder.tokens
            arrays["tokens"] = np.frombuffer("\0".join(tokens).encode(), np.uint8)
            arrays["token_ids"] = np.fromiter(tokens.values(), np.int64, len(tokens))
            arrays["codes"] = vectoriser.codes
            arrays["idf"] = vectoriser.idf
            arrays["platt"] = np.stack(self._platt)
            arrays["bounds"] = np.stack(self._bounds)
            for number, repo in enumerate(sorted(self._weights)):
                arrays[f"weights_{number}"] = self._weights[repo].astype(np.float16)
        arrays["meta"] = np.frombuffer(jsonlib.dumps(meta).encode(), np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LabelModel:
        """The model `to_bytes` wrote; ValueError when the data is not one (of this format)."""
        import io
        import json as jsonlib

        import numpy as np

        if not isinstance(data, bytes | bytearray | memoryview) or not data:
            raise ValueError("not a label model: no data")
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            meta = jsonlib.loads(arrays["meta"].tobytes())
        except DAMAGE as exc:
            raise ValueError(f"not a label model: {exc}") from None
        if not isinstance(meta, dict) or meta.get("version") != FORMAT:
            raise ValueError("a label model of another format")
        try:
            return cls._restore(meta, arrays)
        except DAMAGE as exc:
            raise ValueError(f"a damaged label model: {exc}") from None

    @classmethod
    def _restore(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> LabelModel:
        import numpy as np

        model = cls(list(meta["labels"]))
        model._learned = list(meta["learned"])
        model._constant = {str(k): float(v) for k, v in meta["constant"].items()}
        if "block_weights" in meta:
            text = arrays["tokens"].tobytes().decode()
            names = text.split("\0") if text or len(arrays["token_ids"]) else []
            encoder = _Encoder(dict(zip(names, arrays["token_ids"].tolist(), strict=True)))
            model._vectoriser = _Vectoriser(
                encoder, arrays["codes"], arrays["idf"], dict(meta["block_weights"])
            )
            model._platt = (arrays["platt"][0], arrays["platt"][1])
            model._bounds = (arrays["bounds"][0], arrays["bounds"][1])
            for number, repo in enumerate(meta["repos"]):
                model._weights[repo] = arrays[f"weights_{number}"].astype(np.float32)
        return model

    def _raw(self, issues: Sequence[tuple[str, str]], repos: Sequence[str]) -> np.ndarray:
        """Ridge scores, issues × learned labels."""
        import numpy as np

        assert self._vectoriser is not None
        x = self._vectoriser.matrix(issues)
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
                np.bincount(x.rows, weights=contributions[:, j], minlength=len(issues))
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
                raw = self._raw(chunk, (repos or [""] * len(issues))[start : start + 500])
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


def _half(weights: np.ndarray) -> np.ndarray:
    """Weights rounded to half precision (kept as float32 for the arithmetic)."""
    import numpy as np

    return weights.astype(np.float16).astype(np.float32)


def _landmarks(positive: np.ndarray, most: int) -> np.ndarray:
    """Which examples span the model: all of them up to `most`; beyond, a fixed pseudo-random
    sample in which every label keeps up to its share of positives (so a rare label is not
    sampled away)."""
    import numpy as np

    n, labels = positive.shape
    if n <= most:
        return np.arange(n)
    order = np.random.default_rng(n).permutation(n)
    chosen = np.zeros(n, bool)
    share = max(1, most // (2 * max(labels, 1)))
    for j in range(labels):
        chosen[order[positive[order, j]][:share]] = True
    for index in order:
        if chosen.sum() >= most:
            break
        chosen[index] = True
    return np.flatnonzero(chosen)


def _nystroem(
    kernel: np.ndarray, marks: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel ridge with the weights on the landmarks only: minimise
    ‖y − K_nm·β‖² + λ·βᵀK_mm·β, i.e. (K_mn·K_nm + λK_mm)·β = K_mn·y, in O(n·m²). Returns β
    (landmarks × labels) and the leave-one-out scores, in closed form as for any ridge:
    y_i − (y_i − ŷ_i)/(1 − h_i), h_i = k_iᵀ·B⁻¹·k_i."""
    import numpy as np

    m = len(marks)
    # Issues filed twice make K_mm singular: the system needs double precision (single
    # precision's rounding is larger than any jitter that leaves the model alone) and a jitter
    # relative to its scale.
    system = kernel.T @ kernel + LAMBDA * kernel[marks]
    system += 1e-9 * max(float(np.trace(system)) / m, 1.0) * np.eye(m)
    lower_inverse = _lower_inverse(np.linalg.cholesky(system))
    dual = lower_inverse.T @ (lower_inverse @ (kernel.T @ targets))
    # The leverages only need single precision (the larger of the two products).
    whitened = kernel.astype(np.float32) @ lower_inverse.T.astype(np.float32)  # n × m
    leverage = np.minimum((whitened * whitened).sum(1, dtype=np.float64), 1 - 1e-6)
    fitted = kernel @ dual
    held_out = targets - (targets - fitted) / (1 - leverage)[:, None]
    return dual, held_out


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
