"""Properties of the text handling, checked on generated input (hypothesis)."""

from __future__ import annotations

import html
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ossbot.github.markers import Marker, find_marker, marker_kinds, strip_markers
from ossbot.markdown import code_spans, command_lines, prose, readable
from ossbot.text import ZWSP, neutralize_mentions, safe_inline, sanitize

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- sanitize ---------------------------------------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
SPECIAL = [
    *BIDI,
    "\x1b",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b]8;;https://x\x1b\\",
    "\x1bP",
    "\x9b1m",
    "\x9d",
    "\x9c",
    "\x07",
    "\x00",
    "\r",
    "\r\n",
    "\n",
    "\t",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\U000e0041",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "\U0001f469\u200d\U0001f4bb",
    "[",
    "@",
    "a",
    " ",
]
pieces = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=5))
mixed = st.lists(pieces, max_size=30).map("".join)

# What may remain: tab, newline, CR only before a newline; format characters only ZWSP, ZWNJ,
# ZWJ, the prepended concatenation marks, and tags inside an emoji tag sequence.
KEPT_FORMAT = set("\u200b\u200c\u200d\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u08e2")
KEPT_FORMAT |= {"\u0890", "\u0891", "\U000110bd", "\U000110cd"}
FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]{1,8}\U000e007f")


def leftovers(text: str) -> list[str]:
    text = FLAG.sub("", text).replace("\r\n", "\n")
    return [
        ch
        for ch in text
        if ch not in "\t\n"
        and ch not in KEPT_FORMAT
        and unicodedata.category(ch) in ("Cc", "Cf", "Cs")
    ]


@SETTINGS
@given(mixed)
def test_sanitize_is_idempotent_and_leaves_no_controls(text):
    once = sanitize(text)
    assert sanitize(once) == once
    assert leftovers(once) == []
    assert not any(ch in once for ch in BIDI + "\x1b\x9b\x9d")


@SETTINGS
@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs"))))
def test_sanitize_leaves_ordinary_text_alone(text):
    assert sanitize(text) == text


def test_sanitize_removes_every_other_control_and_format_character():
    for code in range(0x110000):
        ch = chr(code)
        if ch in "\t\n\r" or ch in KEPT_FORMAT:
            continue
        if unicodedata.category(ch) in ("Cc", "Cf"):  # (before a newline: ESC b is a sequence)
            assert sanitize(f"a{ch}\n") == "a\n", hex(code)


# -- mentions ---------------------------------------------------------------------------------

AT_FORMS = ["@", "\uff20", "\ufe6b", "&#64;", "&#064;", "&#x40;", "&#X40;", "&#64", "&commat;"]
mention_pieces = st.one_of(
    st.sampled_from([*AT_FORMS, "a", "Z", "9", "-", "_", "/", " ", "\n", ".", "é", "&#97;", "&"]),
    st.text(max_size=3),
)
mention_text = st.lists(mention_pieces, max_size=40).map("".join)
RENDERED_MENTION = re.compile(r"(?<![A-Za-z0-9])@[A-Za-z0-9]")


def rendered(text: str) -> str:
    """What GitHub's mention finder reads: character references decoded, look-alikes as `@`."""
    return html.unescape(text).replace("\uff20", "@").replace("\ufe6b", "@")


@SETTINGS
@given(mention_text)
def test_no_mention_survives_outside_code(text):
    text = text.replace("`", "")
    out = neutralize_mentions(text)
    assert neutralize_mentions(out) == out
    assert not RENDERED_MENTION.search(rendered(out))


@SETTINGS
@given(
    st.lists(st.one_of(mention_pieces, st.sampled_from(["`", "``", "\\", "<", "|"])), max_size=40)
)
def test_mentions_left_alone_are_inside_code_spans(parts):
    out = neutralize_mentions("".join(parts))
    assert neutralize_mentions(out) == out
    spans = code_spans(out)
    for match in re.finditer(r"(?<![A-Za-z0-9])@(?=[A-Za-z0-9&])", out):
        assert any(start < match.start() < end for start, end in spans), out


def test_mentions_examples():
    assert neutralize_mentions("&#64;alice &#x40;bob &commat;carol ＠dave ﹫erin") == (
        f"&#64;{ZWSP}alice &#x40;{ZWSP}bob &commat;{ZWSP}carol ＠{ZWSP}dave ﹫{ZWSP}erin"
    )
    assert neutralize_mentions("@&#97;lice") == f"@{ZWSP}&#97;lice"
    assert neutralize_mentions("_a_@bob é@carol") == f"_a_@{ZWSP}bob é@{ZWSP}carol"
    assert neutralize_mentions("`x`@bob") == f"`x`@{ZWSP}bob"  # after a span, not in it
    assert neutralize_mentions("@\u2060bob") == f"@{ZWSP}bob"  # sanitized first


# -- safe_inline ------------------------------------------------------------------------------

inline_pieces = st.one_of(
    st.sampled_from(
        ["<", ">", "<!--", "-->", "<!-- ossbot:x a=b -->", "\n", "\r", "\u2028", "```", "`", "@a"]
    ),
    st.text(max_size=5),
)


@SETTINGS
@given(st.lists(inline_pieces, max_size=30).map("".join), st.integers(min_value=1, max_value=80))
def test_safe_inline_is_one_line_without_markup(text, limit):
    out = safe_inline(text, limit)
    assert not any(ch in out for ch in "<>\n\r")
    assert "<!-- ossbot:" not in out and marker_kinds(out) == []


# -- markers ----------------------------------------------------------------------------------

kinds = st.from_regex(r"\A[a-z0-9-]{1,20}\Z")
keys = st.from_regex(r"\A[a-z0-9_-]{1,12}\Z")
values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["a b", "a,b", "-->", "<!--", "ünï", "%20", " ", "=", "x>y"]),
)
lists = st.lists(st.one_of(st.text(min_size=1, max_size=10), st.sampled_from(["a,b", "-->"])))


@SETTINGS
@given(kinds, st.dictionaries(keys, st.one_of(values, lists), max_size=5), st.text(max_size=30))
def test_markers_round_trip(kind, attrs, around):
    around = around.replace("<!--", "")
    text = f"{around}\n{Marker(kind, attrs).render()}\n{around}"
    found = find_marker(text, kind)
    assert found is not None and found.kind == kind
    for key, value in attrs.items():
        if isinstance(value, list):
            assert found.get_list(key) == value
        else:
            assert found.get(key) == value
    assert marker_kinds(text) == [kind]
    assert strip_markers(text) == f"{around}\n\n{around}"


# -- structure --------------------------------------------------------------------------------

words = st.text(alphabet="abcdefghij klm.,!?", min_size=1, max_size=30).filter(str.strip)


@st.composite
def fenced(draw, secret: str) -> str:
    char = draw(st.sampled_from("`~"))
    length = draw(st.integers(3, 6))
    indent = " " * draw(st.integers(0, 3))
    info = draw(st.sampled_from(["", "py", " text"])) if char == "`" else draw(st.text("ab`"))
    body = [f"{secret} {draw(words)}" for _ in range(draw(st.integers(1, 3)))]
    closing = char * (length + draw(st.integers(0, 2)))
    fence = [indent + char * length + info, *body, indent + closing]
    return "\n".join(fence)


@st.composite
def placed(draw, block: str) -> str:
    """A block at the top level, in a list item (maybe nested) or in a block quote."""
    where = draw(st.sampled_from(["top", "bullet", "ordered", "nested", "quote"]))
    lines = block.split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip(" "))  # continuation lines go to the content
    if where in ("bullet", "ordered", "nested"):
        marker = {"bullet": "- ", "ordered": "1. ", "nested": "  - "}[where]
        rest = " " * (len(marker) + indent)
        head = ["- item"] if where == "nested" else []
        return "\n".join([*head, marker + lines[0], *(rest + line for line in lines[1:])])
    if where == "quote":
        return "\n".join("> " + line for line in lines)
    return f"{draw(words)}\n\n{block}" if indent else block  # a margin ends any list above


@st.composite
def documents(draw) -> tuple[str, list[str]]:
    """A document of paragraphs and fenced blocks; the secrets are in the fenced blocks."""
    blocks, secrets = [], []
    for number in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            secret = f"SECRET{number}"
            secrets.append(secret)
            blocks.append(draw(placed(draw(fenced(secret)))))
        else:
            blocks.append(draw(words))
    separator = draw(st.sampled_from(["\n\n", "\n"]))
    return separator.join(blocks), secrets


@SETTINGS
@given(documents())
def test_prose_never_contains_fenced_text(document):
    text, secrets = document
    for secret in secrets:
        assert secret not in prose(text)
        assert secret not in readable(text)
        assert not any(secret in line for line in command_lines(text))


@st.composite
def hidden_block(draw, number: int) -> str:
    secret = f"@ossbot hidden{number}"
    kind = draw(st.sampled_from(["fence", "indented", "quote", "comment", "inline-comment"]))
    if kind == "fence":
        return draw(placed(draw(fenced(secret))))
    if kind == "indented":  # after a paragraph at the left margin, which ends any list
        return f"{draw(words)}\n\n    {secret}\n    {draw(words)}"
    if kind == "quote":
        return f"> {secret}\n> {draw(words)}"
    if kind == "comment":
        return f"<!--\n{secret}\n-->"
    return f"{draw(words)} <!--\n{secret} -->"


@st.composite
def command_documents(draw) -> tuple[str, list[str]]:
    blocks, visible = [], []
    for number in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            blocks.append(draw(hidden_block(number)))
        else:
            line = f"@ossbot visible{number} {draw(words).strip()}"
            visible.append(line)
            blocks.append(draw(st.sampled_from(["", "- ", "1. "])) + line)
    return "\n\n".join(blocks), visible


@SETTINGS
@given(command_documents())
def test_command_lines_come_from_paragraphs_only(document):
    text, visible = document
    found = command_lines(text)
    assert not any("hidden" in line for line in found)
    assert [line for line in found if line.startswith("@ossbot")] == visible
