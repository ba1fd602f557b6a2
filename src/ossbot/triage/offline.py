"""The offline triage engine: an extractive summary and keyword labels. No model, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ossbot.markdown import has_code
from ossbot.repo_config import TITLE_ONLY
from ossbot.text import clip, plain, strip_html_comments

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(`])")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|\*\*[^*]+\*\*\s*(?::\s*)?$|[A-Z][\w /]{0,40}:\s*$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_WORD = re.compile(r"[a-z0-9']+")
# `[ \t]`, not `\s`, after a `^` that matches at every line: `\s` would run over the newlines
# that follow, from every line start (quadratic on a body of blank lines).
_STEPS = re.compile(
    r"(?im)^[ \t]*(?:#+[ \t]*|\*\*)?(steps to reproduce|to reproduce|reproduction)\b"
)
_TRACE = re.compile(
    r"(?m)(Traceback \(most recent call last\)|^[ \t]+at [\w.$<>]+\("
    r"|Exception in thread|panicked at)"
)
_VERSION = re.compile(r"\b(?:v|version\s*)\d+(?:\.\d+){1,3}\b", re.I)
_BOILERPLATE = (
    "a clear and concise description",
    "describe the bug",
    "steps to reproduce the behavior",
    "expected behavior",
    "add any other context",
    "if applicable, add screenshots",
    "is your feature request related to a problem",
    "describe the solution you'd like",
    "describe alternatives you've considered",
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "i",
        "we",
        "you",
        "my",
        "our",
        "when",
        "what",
        "how",
        "not",
        "no",
        "do",
        "does",
        "can",
        "could",
        "should",
        "would",
        "will",
        "at",
        "by",
        "from",
        "as",
        "so",
    ]
)
_CUES = frozenset(
    [
        "error",
        "fails",
        "failed",
        "crash",
        "expected",
        "actual",
        "instead",
        "should",
        "wrong",
        "broken",
        "when",
        "after",
        "support",
        "add",
        "want",
        "need",
        "please",
    ]
)


@dataclass(frozen=True)
class Summary:
    bullets: list[str]
    signals: list[str]


def summarize(title: str, body: str, max_bullets: int = 3, limit: int = 220) -> Summary:
    """The body's most telling sentences, in their original order, each clipped to `limit`."""
    sentences = _sentences(body)
    title_words = _words(title)
    ranked = sorted(range(len(sentences)), key=lambda i: -_score(sentences[i], i, title_words))[
        :max_bullets
    ]
    bullets = [clip(sentences[i], limit) for i in sorted(ranked)]
    return Summary(bullets or ["No description was given beyond the title."], _signals(body))


def _sentences(body: str) -> list[str]:
    found: list[str] = []
    for line in plain(body).splitlines():
        if len(line) < 5:  # too short for three words: skipped cheaply (bodies of short lines)
            continue
        if not line.strip() or _HEADING.match(line) or line.lstrip().startswith(">"):
            continue
        line = _LIST_ITEM.sub("", line)
        for sentence in _SENTENCE_END.split(line.strip()):
            if len(_words(sentence)) >= 3 and not _is_boilerplate(sentence):
                found.append(sentence.strip())
    return list(dict.fromkeys(found))


def _is_boilerplate(sentence: str) -> bool:
    lowered = sentence.lower()
    return any(phrase in lowered for phrase in _BOILERPLATE)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def _score(sentence: str, index: int, title_words: set[str]) -> float:
    words = _words(sentence)
    overlap = len(words & title_words) / (len(title_words) or 1)
    cues = len(words & _CUES)
    return 2.0 * overlap + 0.5 * min(cues, 3) + 1.0 / (1 + index)


def _signals(body: str) -> list[str]:
    visible = strip_html_comments(body)
    signals = []
    if _STEPS.search(visible):
        signals.append("has steps to reproduce")
    if _TRACE.search(visible):
        signals.append("includes a stack trace")
    elif has_code(body):
        signals.append("includes code or logs")
    if _VERSION.search(visible):
        signals.append("mentions a version")
    return signals


# -- keyword labels -------------------------------------------------------------------------

# Other names repositories give the default labels, compared after normalising.
ALIASES: dict[str, tuple[str, ...]] = {
    "bug": ("bug", "defect", "kind bug", "type bug", "bug report"),
    "enhancement": (
        "enhancement",
        "feature",
        "feature request",
        "type feature",
        "kind feature",
        "type enhancement",
        "improvement",
    ),
    "documentation": (
        "documentation",
        "docs",
        "doc",
        "type docs",
        "kind documentation",
        "type documentation",
    ),
    "question": ("question", "type question", "kind question", "support"),
}
_NORMALISE = re.compile(r"[^a-z0-9]+")


def normalise(name: str) -> str:
    return " ".join(_NORMALISE.sub(" ", name.lower()).split())


def resolve_label(rule: str, available: list[str]) -> str | None:
    """The repository label a rule stands for: same name first, then a known alias."""
    by_norm = {normalise(name): name for name in available}
    wanted = [normalise(rule), *(normalise(a) for a in ALIASES.get(normalise(rule), ()))]
    for norm in wanted:
        if norm in by_norm:
            return by_norm[norm]
    return None


def keyword_scores(title: str, body: str, rules: dict[str, list[str]]) -> dict[str, float]:
    """rule → score: 2 per keyword found in the title, 2 per keyword found in the issue
    template's fields (`template_fields`; not for a keyword written `title:…`). Words
    elsewhere in the body are not evidence: a bug report mentions errors in passing as often as
    a feature request does."""
    title_text, fields = title.lower(), template_fields(body).lower()
    scores: dict[str, float] = {}
    for rule, keywords in rules.items():
        score = 0.0
        for keyword in keywords:
            if keyword.lower().startswith(TITLE_ONLY):
                score += 2 * _has_keyword(title_text, keyword[len(TITLE_ONLY) :])
                continue
            score += 2 * _has_keyword(title_text, keyword) + 2 * _has_keyword(fields, keyword)
        if score:
            scores[rule] = score
    return scores


# A field this short is a template's choice or a heading naming the kind of issue; longer ones
# are prompts ("Have you reproduced the bug with TF Nightly?") or the reporter's prose.
FIELD_CHARS, FIELD_WORDS = 40, 4


def template_fields(body: str) -> str:
    """What an issue template put in the body, one per line: its headings (`### Describe the
    bug`) and bold-only lines (`**Feature request**`) of at most FIELD_CHARS characters, and the
    short answer right under a heading (how issue forms show a dropdown's choice: `### Type`
    then `Bug`). HTML comments and code blocks are left out."""
    if not body:
        return ""
    lines = plain(strip_html_comments(body)).splitlines()
    fields = []
    after_heading = False
    for line in lines:
        text = line.strip()
        if not text:
            continue
        heading = text.startswith("#") and text.lstrip("#")[:1] in (" ", "\t")
        bold = len(text) > 4 and text.startswith("**") and text.rstrip(":").endswith("**")
        if heading or bold:
            name = text.strip("#*: \t")
            if len(name) <= FIELD_CHARS:
                fields.append(name)
            after_heading = True
            continue
        if after_heading and len(text) <= FIELD_CHARS and len(text.split()) <= FIELD_WORDS:
            fields.append(text)
        after_heading = False
    return "\n".join(fields)


def _has_keyword(text: str, keyword: str) -> bool:
    """Whether the (lower-case) text has the keyword as whole words. Its longest word is looked
    for first: on a long body a substring test is some twenty times faster than the pattern,
    which starts with a look-behind and so is tried at every position."""
    longest, pattern = _keyword_pattern(keyword)
    return longest in text and bool(pattern.search(text))


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> tuple[str, re.Pattern[str]]:
    words = keyword.lower().split()
    pattern = r"(?<![\w-])" + r"\s+".join(map(re.escape, words)) + r"(?![\w-])"
    return max(words, key=len, default=""), re.compile(pattern)
