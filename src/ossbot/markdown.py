"""The structure of a Markdown text (an issue body, a comment), from a real parser.

Blocks come from markdown-it-py's CommonMark block parser, run without its inline rules: block
parsing is linear and fast even on GitHub's largest bodies, where full inline parsing of some
inputs is not. What is needed of inline structure (code spans and HTML comments) is found here
by a linear scan, paragraph by paragraph.

Every function reads the same cached parse, so several steps over one body parse it once. Line
numbers are markdown-it's: the text split at `\\r\\n`, `\\r` and `\\n`.

Text after an HTML block that opens a comment it does not close is hidden on GitHub (the browser
treats the rest of the page as the comment), so it is treated as hidden here too.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_NEWLINE = re.compile(r"\r\n?|\n")
_BACKTICKS = re.compile(r"`+")
_BLANK_PIECE = re.compile(r"[^\n]+")
_PARSER = MarkdownIt("commonmark", {"html": True}).disable("inline")

# Block kinds
PARAGRAPH, HEADING, CODE, HTML, COMMENT = "paragraph", "heading", "code", "html", "comment"


@dataclass(frozen=True)
class Region:
    """Part of a block's text: an inline code span (`code`) or an HTML comment."""

    start: int
    end: int
    code: bool


@dataclass(frozen=True)
class Block:
    """A leaf block: lines `start` to `end` (exclusive) of the text. `content` is a paragraph's
    or heading's text without container markers, or a code block's code; `regions` are the code
    spans and comments of the block's raw lines joined with newlines."""

    kind: str
    start: int
    end: int
    quoted: bool
    content: str
    regions: tuple[Region, ...] = ()
    hides_rest: bool = False  # an HTML block that leaves a comment open


@dataclass(frozen=True)
class Document:
    lines: tuple[str, ...]
    blocks: tuple[Block, ...]
    quotes: tuple[tuple[int, int], ...]  # line ranges of the outermost block quotes
    hidden_from: int  # the first line hidden by an unclosed comment (len(lines) if none)

    def raw(self, block: Block) -> str:
        return "\n".join(self.lines[block.start : block.end])


@lru_cache(maxsize=16)
def parse(text: str) -> Document:
    """The text's blocks. Cached: several steps read the same body."""
    lines = tuple(_NEWLINE.split(text))
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    quotes: list[tuple[int, int]] = []
    depth = 0
    for previous, token in zip([None, *tokens], tokens, strict=False):
        if token.type in ("blockquote_open", "blockquote_close"):
            if token.nesting > 0 and depth == 0 and token.map:
                quotes.append((token.map[0], token.map[1]))
            depth += token.nesting
            continue
        block = _leaf(token, previous, lines, quoted=depth > 0)
        if block is not None:
            blocks.append(block)
            if block.hides_rest:
                return Document(lines, tuple(blocks), tuple(quotes), block.end)
    return Document(lines, tuple(blocks), tuple(quotes), len(lines))


def _leaf(
    token: Token, previous: Token | None, lines: tuple[str, ...], quoted: bool
) -> Block | None:
    """The leaf block a token stands for, or None (containers, closing tokens, rules)."""
    if token.map is None:
        return None
    start, end = token.map
    if token.type == "inline" and previous is not None:
        start, end = previous.map or token.map  # a setext heading's underline is the heading's
        kind = PARAGRAPH if previous.type == "paragraph_open" else HEADING
        raw = "\n".join(lines[start:end])
        return Block(kind, start, end, quoted, token.content, inline_regions(raw))
    if token.type in ("fence", "code_block"):
        return Block(CODE, start, end, quoted, token.content)
    if token.type == "html_block":
        comments, unclosed = _comments("\n".join(lines[start:end]))
        kind = COMMENT if token.content.lstrip(" ").startswith("<!--") else HTML
        return Block(kind, start, end, quoted, token.content, comments, hides_rest=unclosed)
    return None


def inline_regions(text: str) -> tuple[Region, ...]:
    """The code spans and HTML comments of one paragraph's text, left to right, whichever
    starts first winning (CommonMark's rule). Linear: each backtick run is looked up once,
    and the searches for `<!--` and `-->` never cover the same text twice."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for number, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(number)
    regions: list[Region] = []
    pos, run, comment, closable = 0, 0, text.find("<!--"), True
    while True:
        while run < len(runs) and runs[run][0] < pos:
            run += 1
        if 0 <= comment < pos:
            comment = text.find("<!--", pos)
        run_at = runs[run][0] if run < len(runs) else -1
        if comment < 0 and run_at < 0:
            break
        if comment >= 0 and (run_at < 0 or comment < run_at):
            close = text.find("-->", comment + 4) if closable else -1
            if close < 0:  # not a comment: literal text, and so is every later `<!--`
                closable, pos = False, comment + 4
                continue
            regions.append(Region(comment, close + 3, code=False))
            pos = close + 3
            continue
        start, end = runs[run]
        escapes = 0
        while start - escapes - 1 >= pos and text[start - escapes - 1] == "\\":
            escapes += 1
        start += escapes % 2  # a backslash-escaped backtick opens nothing
        closers = by_length.get(end - start, [])
        closer = bisect_right(closers, run)
        if end > start and closer < len(closers):
            pos = runs[closers[closer]][1]
            regions.append(Region(start, pos, code=True))
        else:
            pos = end
    return tuple(regions)


def _comments(html: str) -> tuple[tuple[Region, ...], bool]:
    """The comments of raw HTML, and whether the last one is left open."""
    regions: list[Region] = []
    pos = 0
    while (start := html.find("<!--", pos)) >= 0:
        close = html.find("-->", start + 4)
        if close < 0:
            regions.append(Region(start, len(html), code=False))
            return tuple(regions), True
        regions.append(Region(start, close + 3, code=False))
        pos = close + 3
    return tuple(regions), False


def _blank(text: str, regions: tuple[Region, ...], *, code: bool) -> str:
    """The text with its comments (and, if `code`, its code spans) replaced by a space, the
    newlines inside them kept."""
    pieces, last = [], 0
    for region in regions:
        if region.code and not code:
            continue
        pieces += [
            text[last : region.start],
            _BLANK_PIECE.sub(" ", text[region.start : region.end]),
        ]
        last = region.end
    pieces.append(text[last:])
    return "".join(pieces)


def _render(doc: Document, *, quotes: bool, html: bool, code_spans: bool) -> str:
    """The lines of the text, each in its place: code blocks, HTML comments and hidden text
    blanked; block quotes, HTML blocks and code spans blanked unless kept."""
    out = list(doc.lines)
    for block in doc.blocks:
        if block.kind in (CODE, COMMENT) or (block.kind == HTML and not html):
            out[block.start : block.end] = [""] * (block.end - block.start)
        elif block.regions:
            blanked = _blank(doc.raw(block), block.regions, code=not code_spans)
            out[block.start : block.end] = blanked.split("\n")
    if not quotes:  # a lazy continuation line (no `>`) is the author's own, as in a reply
        for start, end in doc.quotes:
            for line in range(start, end):
                if doc.lines[line].lstrip().startswith(">"):
                    out[line] = ""
    out[doc.hidden_from :] = [""] * (len(out) - doc.hidden_from)
    return "\n".join(out)


@lru_cache(maxsize=16)
def prose(text: str) -> str:
    """What the author wrote themselves: code blocks (fenced with any fence, or indented, at
    any depth), HTML blocks, HTML comments and block quotes blanked, inline code replaced by a
    space. Each line stays on its line, so per-line heuristics still work. A line that follows a
    quote without a `>` of its own (a lazy continuation, rendered inside the quote) is kept:
    that is how a reply under a quote is often typed."""
    return _render(parse(text), quotes=False, html=False, code_spans=False)


@lru_cache(maxsize=16)
def readable(text: str) -> str:
    """The text a reader sees, without code blocks: HTML comments and hidden text blanked;
    block quotes, HTML blocks (their tags left in) and inline code kept. Lines stay in place."""
    return _render(parse(text), quotes=True, html=True, code_spans=True)


def without_code(text: str) -> str:
    """The text with the lines of its code blocks blanked, everything else as written."""
    doc = parse(text)
    out = list(doc.lines)
    for block in doc.blocks:
        if block.kind == CODE:
            out[block.start : block.end] = [""] * (block.end - block.start)
    return "\n".join(out)


def code_blocks(text: str) -> list[str]:
    """The code of each fenced or indented code block, in order (an unclosed fence runs to the
    end, as GitHub shows it)."""
    return [block.content for block in parse(text).blocks if block.kind == CODE]


def has_code(text: str) -> bool:
    return any(block.kind == CODE for block in parse(text).blocks)


def command_lines(text: str) -> list[str]:
    """The lines that may carry a command to the bot, stripped: the lines of paragraphs (list
    items' included, without their markers) outside code, block quotes (lazy continuation lines
    included: GitHub shows them in the quote) and HTML. HTML comments
    are blanked; inline code is kept (a command may quote an argument), but a line that starts
    inside a code span spanning lines is left out."""
    found: list[str] = []
    for block in parse(text).blocks:
        if block.kind != PARAGRAPH or block.quoted:
            continue
        content = block.content
        regions = inline_regions(content)
        blanked = _blank(content, regions, code=False)
        codes = [region for region in regions if region.code]
        offset, code = 0, 0
        for line in blanked.split("\n"):
            while code < len(codes) and codes[code].end <= offset:
                code += 1
            inside = code < len(codes) and codes[code].start < offset
            offset += len(line) + 1
            if line.strip() and not inside:
                found.append(line.strip())
    return found


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets in `text` of the inline code spans that GitHub surely renders as
    code: spans in a paragraph or heading with no `<` before them (raw HTML or an autolink
    could take the backticks) and no `|` in them (a table cell could split them)."""
    doc = parse(text)
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]  # where each line starts
    spans = []
    for block in doc.blocks:
        if block.kind not in (PARAGRAPH, HEADING):
            continue
        raw = doc.raw(block)
        first_tag = raw.find("<")
        joined = [0]
        for line in doc.lines[block.start : block.end - 1]:
            joined.append(joined[-1] + len(line) + 1)
        for region in block.regions:
            if (
                not region.code
                or 0 <= first_tag < region.start
                or "|" in raw[region.start : region.end]
            ):
                continue
            spans.append(
                (
                    _offset(region.start, joined, starts, block),
                    _offset(region.end, joined, starts, block),
                )
            )
    return spans


def _offset(pos: int, joined: list[int], starts: list[int], block: Block) -> int:
    """A position in a block's joined lines as an offset in the original text."""
    line = bisect_right(joined, pos) - 1
    return starts[block.start + line] + pos - joined[line]
