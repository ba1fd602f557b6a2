"""No input makes the offline text pipeline slow: a 65,536-character body (GitHub's largest) made
of any one printable character, or of a pattern that once made a regular expression quadratic,
goes through it within 5× of the time a normal-looking body of the same length takes.

Bodies that are nothing but block boundaries (a list item or a paragraph line every two
characters) are the one exception: their cost is the Markdown block parser's, some 10 µs per
block, and they have fifteen times the blocks of a normal body, so they take 6-15 times as long.
They are held to linear growth instead: four times the length, at most eight times the time (a
quadratic step would take sixteen).

Times are compared, never asserted absolutely. A body is run once, and again (best of 3, against
the normal body measured again in turns) only when it is over its bar: noise only ever makes a
run slower.
"""

from __future__ import annotations

import gc
import time

from ossbot import markdown
from ossbot.github.markers import find_marker, marker_kinds, strip_markers
from ossbot.labels.model import SimilarityIndex, features
from ossbot.repo_config import DEFAULT_RULES
from ossbot.text import neutralize_mentions, plain, safe_inline, sanitize
from ossbot.triage.comments import own_words, question_for, wants_to_contribute
from ossbot.triage.offline import keyword_scores, summarize

LENGTH = 65_536
BAR = 5.0
TITLE = "Saving unicode file names raises an error"
PATTERNS = [chr(code) for code in range(0x20, 0x7F)] + ["\t", "\n", "\r"]
PATTERNS += ["[](", "![", "<!--", "```\n", "*a", "> "]
# Between a head and a tail: runs that the regexes of a heading or of a `key: value` line
# backtracked over (one of them cubically).
FRAMED = [("# a", " ", "x"), ("**a**", " ", "x"), ("- a", " ", ": x"), ("a", "\t", "x")]
BLOCK_DENSE = ["-\n", "a\n", "1.\n", "- a\n  "]
GROWTH_BAR = 8.0  # linear is 4, quadratic 16
NORMAL = """### Describe the bug

Saving a file with a unicode name raises an error in v1.2.0 on Linux and macOS, see [the
docs](https://example.com/docs) and `config.yaml`. It worked before the upgrade, @alice said so.

### Steps to reproduce

1. Create a file named `é.txt` in an empty folder.
2. Press **save** in the editor.
   - with the default settings, see [#12](https://example.com/12)

```python
Traceback (most recent call last):
  File "x.py", line 3, in <module>
    save(path)
UnicodeEncodeError: 'ascii' codec can't encode character
```

> Quoted from the docs: file names are UTF-8 everywhere.

<!-- Please fill in the template -->
Expected: the file is saved. Actual: an error dialog appears and the file is lost.

"""

Pattern = str | tuple[str, str, str]


def body_of(pattern: Pattern, length: int = LENGTH) -> str:
    head, fill, tail = pattern if isinstance(pattern, tuple) else ("", pattern, "")
    middle = length - len(head) - len(tail)
    return head + (fill * (middle // len(fill) + 1))[:middle] + tail


def pipeline(body: str) -> None:
    summarize(TITLE, body)
    keyword_scores(TITLE, body, DEFAULT_RULES)
    own_words(body)
    wants_to_contribute(body, [])
    question_for(body, "@ossbot")
    markdown.command_lines(body)
    markdown.code_blocks(body)
    features(TITLE, body)
    SimilarityIndex.build([(TITLE, body)])
    plain(body)
    safe_inline(body)
    sanitize(body)
    neutralize_mentions(body)
    find_marker(body, "triage-summary")
    marker_kinds(body)
    strip_markers(body)


def run_time(body: str) -> float:
    for cached in (markdown.parse, markdown.prose, markdown.readable):
        cached.cache_clear()  # every run parses afresh, as a new event would
    gc.collect()
    gc.disable()  # what earlier tests left behind must not be collected during the run
    try:
        start = time.perf_counter()
        pipeline(body)
        return time.perf_counter() - start
    finally:
        gc.enable()


def best(body: str, runs: int = 3) -> float:
    return min(run_time(body) for _ in range(runs))


def ratio(body: str, other: str, bar: float, first: float | None = None) -> float:
    """How many times `other`'s time `body` takes. Over the bar, both are measured twice more,
    in turns, so that a change of load since `other` was measured does not count."""
    taken, reference = run_time(body), first if first is not None else best(other)
    if taken <= bar * reference:
        return taken / reference
    mine, theirs = [taken], []
    for _ in range(2):
        theirs.append(run_time(other))
        mine.append(run_time(body))
    return min(mine) / min(theirs)


def test_bodies_are_within_five_times_a_normal_body_of_the_same_length():
    normal = body_of(NORMAL)
    reference = best(normal)
    ratios = {repr(p): ratio(body_of(p), normal, BAR, reference) for p in [*PATTERNS, *FRAMED]}
    slow = {pattern: round(r, 1) for pattern, r in ratios.items() if r > BAR}
    assert not slow, f"bodies over {BAR}× a normal one: {slow}"


def test_bodies_of_nothing_but_blocks_grow_linearly():
    for pattern in BLOCK_DENSE:
        body, quarter = body_of(pattern), body_of(pattern, LENGTH // 4)
        assert len(body) == LENGTH and len(quarter) == LENGTH // 4
        fulls, quarters = [], []
        for _ in range(3):  # in turns, so that a change of load counts for both
            quarters.append(run_time(quarter))
            fulls.append(run_time(body))
        growth = min(fulls) / min(quarters)
        assert growth <= GROWTH_BAR, f"{pattern!r}: 4× the length takes {growth:.1f}× the time"
