"""Handling untrusted text (issue bodies, comments, model output) before it reaches a comment."""

from __future__ import annotations

import re

_MENTION = re.compile(r"(?<![\w`/])@(?=[A-Za-z0-9][A-Za-z0-9-]*)")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
ZWSP = "\u200b"


def neutralize_mentions(text: str) -> str:
    """`@user` → `@\u200buser`: still readable, but notifies nobody."""
    return _MENTION.sub("@" + ZWSP, text)


def strip_html_comments(text: str) -> str:
    return _HTML_COMMENT.sub("", text)


def strip_code_blocks(text: str) -> str:
    return _FENCE.sub("", text)


def has_code_block(text: str) -> bool:
    return bool(_FENCE.search(text))


def plain(text: str) -> str:
    """Markdown reduced to the words a reader sees: no comments, code blocks, images or tags."""
    text = strip_code_blocks(strip_html_comments(text))
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
    markup that could open a block or close ours."""
    text = clip(plain(text), limit)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return neutralize_mentions(text)
