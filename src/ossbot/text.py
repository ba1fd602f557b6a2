"""Handling untrusted text (issue bodies, comments, model output) before it reaches a comment
or a terminal. Every function here takes time linear in the length of its input."""

from __future__ import annotations

import re
from bisect import bisect_right

from ossbot import markdown

ZWSP = "\u200b"

# What GitHub reads as `@`: the sign itself, its numeric and named character references
# (decoded before mentions are looked for; without `;` too, as browsers decode them in raw
# HTML), and the full-width and small look-alikes. A mention is `@` at the start or after a
# character that is not an ASCII letter or digit (GitHub's `\W` is ASCII; `_` may close
# emphasis, which also starts a new text node), followed by a login character. Followed by
# `&` (`&#97;` is `a`) or by another sign (`@@user`), it is neutralised too.
_AT = (
    r"(?:@|\uff20|\ufe6b"
    r"|&#0*64(?:;|(?![0-9]))"
    r"|&#[xX]0*40(?:;|(?![0-9A-Fa-f]))"
    r"|&(?i:commat);)"
)
_MENTION = re.compile(_AT + r"(?=[A-Za-z0-9&@\uff20\ufe6b])")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_MENTION_HINT = re.compile(r"[@\uff20\ufe6b]|&#|&(?i:commat)")

_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\([^()\n]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")

# sanitize: terminal escape sequences, then characters to drop. Bodies of string sequences
# (OSC, DCS, SOS, PM, APC) stop at any introducer or terminator, so no text is scanned twice.
_STRING_BODY = r"[^\x07\x1b\x90\x98\x9b-\x9f]*(?:\x07|\x1b\\|\x9c)"
_ESCAPES = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_]" + _STRING_BODY + r"|\x1b[ -/]*[0-~]"  # OSC... ; other ESC sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x98\x9d-\x9f]" + _STRING_BODY
)
# Controls (C0 but tab and newline, DEL, C1) and invisible format characters: bidi controls,
# joiners other than ZWSP, ZWNJ and ZWJ (ZWJ and ZWNJ are parts of emoji and of words),
# invisible operators, BOM, annotation marks, tags (kept only in an emoji tag sequence).
_DROPPED = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_FLAG = r"\U0001f3f4[\U000e0020-\U000e007e]{1,8}\U000e007f"  # an emoji tag sequence (flags)
_STRIP = re.compile(f"(?P<flag>{_FLAG})|{_ESCAPES}|{_DROPPED}")
_LONE_CR = re.compile(r"\r(?!\n)")  # it rewrites a terminal's line: a newline instead
_SURROGATE = re.compile("[\ud800-\udfff]")  # cannot be encoded: the replacement character
_SUSPECT = re.compile("[\r\ud800-\udfff]|" + _DROPPED)  # what any of the above starts with


def sanitize(text: str) -> str:
    """Text without bidi controls, other invisible format or control characters (tab and
    newline stay) or terminal escape sequences. ZWSP, ZWNJ and ZWJ stay (emoji sequences and
    neutralised mentions need them); `\\r\\n` stays, a lone `\\r` becomes `\\n`; a lone
    surrogate becomes U+FFFD. Idempotent, and three passes of the regular expression engine
    with no Python code per match."""
    if not _SUSPECT.search(text):
        return text
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)
    text = _SURROGATE.sub("\ufffd", text)
    return _STRIP.sub(r"\g<flag>", text)


def neutralize_mentions(text: str) -> str:
    """`@user` → `@\u200buser`: still readable, but notifies nobody. Entity-encoded and
    look-alike signs are neutralised the same way, and so are team mentions; an email address
    and `@` inside inline code are left as they are. Sanitizes the text first (an invisible
    character removed later could otherwise join `@` to a login). Idempotent."""
    text = sanitize(text)
    if not _MENTION_HINT.search(text):
        return text
    spans = markdown.code_spans(text) if "`" in text else []
    starts = [start for start, _ in spans]

    def neutralised(match: re.Match[str]) -> str:
        at = match.start()
        index = bisect_right(starts, at) - 1
        if _after_word(text, at) or (index >= 0 and at < spans[index][1]):
            return match.group(0)
        return match.group(0) + ZWSP

    return _MENTION.sub(neutralised, text)


def _after_word(text: str, at: int) -> bool:
    """Whether `at` follows an ASCII letter or digit that is not the end of a character
    reference (`&#64`, `&amp`: the sign after it starts a mention once decoded). The run looked
    back over ends at a sign, so no character is looked at twice."""
    start = at
    while start > 0 and text[start - 1] in _ALNUM:
        start -= 1
    if start == at:
        return False
    return not (text[start - 1 : start] == "&" or text[max(start - 2, 0) : start] == "&#")


def strip_html(text: str) -> str:
    """The text without HTML comments and tags (Markdown, links included, is kept)."""
    return _HTML_TAG.sub("", strip_html_comments(text))


def strip_html_comments(text: str) -> str:
    """The text without its HTML comments; an unclosed one runs to the end."""
    pieces, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        pieces.append(text[pos:start])
        close = text.find("-->", start + 4)
        if close < 0:
            return "".join(pieces)
        pos = close + 3
    pieces.append(text[pos:])
    return "".join(pieces)


def strip_code_blocks(text: str) -> str:
    """The text with its code blocks (fenced or indented, at any depth) blanked."""
    return markdown.without_code(text)


def has_code_block(text: str) -> bool:
    return markdown.has_code(text)


def plain(text: str) -> str:
    """Markdown reduced to the words a reader sees: no comments, code blocks, images or tags.
    Lines stay where they were (a code block leaves blank lines)."""
    text = markdown.readable(text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    return _HTML_TAG.sub("", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary, with an ellipsis when cut."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def safe_inline(text: str, limit: int = 300) -> str:
    """Untrusted text made fit for one line of a comment: plain, clipped, no mentions, no
    markup that could open a block or close ours (no `<`, `>` or newline, so no marker)."""
    text = clip(plain(text), limit)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return neutralize_mentions(text)  # which sanitizes it
