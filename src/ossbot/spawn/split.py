"""Splitting a spec into tasks, offline, from its Markdown structure (markdown-it-py's block
parser: no regular expression reads the structure).

The first of these that gives tasks wins:

1. the task-list items (`- [ ] item`, `1. [x] item`) of the top-level lists;
2. the items of the top-level ordered lists;
3. the items of the top-level bullet lists, when there are at least two;
4. the level-2 headings when there are at least two, else the level-3 ones: each with the
   content up to the next heading of the same or a higher level;
5. the whole spec, titled by its first line.

Only the top level counts: items nested in an item go into its body, and lists in block quotes,
code blocks and HTML (comments included) are never tasks. Text hidden after an HTML comment
that is never closed is left out, as GitHub hides it. An item with no visible text is skipped.
Control and invisible characters (bidi controls among them) are removed first (text.sanitize);
mentions are left as written: neutralising them is for whoever posts the tasks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ossbot import markdown
from ossbot.spawn.options import Component, SpawnTemplate, fill_placeholders
from ossbot.text import clip, plain, sanitize

MAX_TITLE = 80
MAX_BODY = 4000
FALLBACK_TITLE = "Untitled task"
TRUNCATED = "\n\n…"

TASK_LIST = "task list"
NUMBERED = "numbered list"
BULLETED = "bulleted list"
HEADINGS = "headings"
WHOLE = "whole spec"
TEMPLATE = "template"

_PARSER = MarkdownIt("commonmark", {"html": True}).disable("inline")
_NEWLINE = re.compile(r"\r\n?|\n")  # markdown-it's lines, as in ossbot.markdown
_CHECKBOXES = ("[ ]", "[x]", "[X]")


@dataclass(frozen=True)
class Task:
    """One issue to spawn. `title` is one line of at most MAX_TITLE characters; `body` is
    Markdown of at most MAX_BODY characters; `depends_on` holds 0-based indexes of other
    tasks (empty offline); `source` says which structure of the spec gave the task (or
    "model"); `labels` are from the allowed set (a model's choice; empty offline)."""

    title: str
    body: str
    depends_on: tuple[int, ...] = ()
    source: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Item:
    """A top-level list item: its lines, its marker, and the text of its first paragraph
    (None when it starts with something else)."""

    start: int
    end: int
    ordered: bool
    marker: int  # the marker's length: `-` is 1, `10.` is 3
    paragraph: str | None


def split_spec(spec: str, *, max_tasks: int) -> list[Task]:
    """The tasks of a spec, at most `max_tasks` of them, and always at least one."""
    if max_tasks < 1:
        raise ValueError(f"max_tasks must be at least 1, got {max_tasks}")
    spec = sanitize(spec)  # no control or invisible characters, in titles or bodies
    lines = _NEWLINE.split(spec)
    doc = markdown.parse(spec)
    if doc.hidden_from < len(lines):
        lines = lines[: doc.hidden_from]
    text = "\n".join(lines)
    tokens = _PARSER.parse(text)
    items = _items(tokens)
    limit = max(max_tasks, 2)  # enough to tell one task from two, no more
    checked = [item for item in items if _checkbox(item.paragraph or "") is not None]
    tasks = _list_tasks(checked, lines, TASK_LIST, limit, checkbox=True)
    if not tasks:
        tasks = _list_tasks([item for item in items if item.ordered], lines, NUMBERED, limit)
    if not tasks:
        bullets = [item for item in items if not item.ordered]
        tasks = _list_tasks(bullets, lines, BULLETED, limit)
        if len(tasks) < 2:
            tasks = []
    if not tasks:
        tasks = _heading_tasks(tokens, lines, 2, limit) or _heading_tasks(tokens, lines, 3, limit)
    if not tasks:
        tasks = [Task(_first_title(text), _bounded(text), source=WHOLE)]
    return tasks[:max_tasks]


def expand_template(
    template: SpawnTemplate,
    components: Sequence[Component],
    *,
    parent_issue: int,
    count: int | None,
) -> list[Task]:
    """One task per component ({index} 1-based, {component_name}, {path} (empty when not
    given), {parent_issue}), the first `count` of them when `count` is given; without
    components, `count` tasks (one when None) where only {index} varies, {component_name} and
    {path} being empty. Titles are clipped to MAX_TITLE, bodies bounded to MAX_BODY."""
    if count is not None and count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    chosen: list[Component | None] = list(components[:count] if count else components)
    if not chosen:
        chosen = [None] * (count or 1)
    tasks = []
    for index, component in enumerate(chosen, 1):
        values = {
            "index": str(index),
            "parent_issue": str(parent_issue),
            "component_name": component.name if component else "",
            "path": component.path if component else "",
        }
        title = clip(sanitize(fill_placeholders(template.title, values)), MAX_TITLE)
        body = _bounded(sanitize(fill_placeholders(template.body, values)))
        tasks.append(Task(title or f"Task {index}", body, source=TEMPLATE))
    return tasks


# -- lists ------------------------------------------------------------------------------------


def _items(tokens: list[Token]) -> list[_Item]:
    """The items of the top-level lists, in order. A top-level list opens at level 0, so its
    items are the list items at level 1 (a list in a block quote has its items deeper)."""
    items = []
    for number, token in enumerate(tokens):
        if token.type != "list_item_open" or token.level != 1 or token.map is None:
            continue
        ordered = token.markup in (".", ")")
        marker = len(token.info) + 1 if ordered else 1
        after = tokens[number + 1] if number + 1 < len(tokens) else None
        paragraph = None
        if after is not None and after.type == "paragraph_open" and number + 2 < len(tokens):
            paragraph = tokens[number + 2].content
        items.append(_Item(token.map[0], token.map[1], ordered, marker, paragraph))
    return items


def _list_tasks(
    items: list[_Item], lines: list[str], source: str, limit: int, *, checkbox: bool = False
) -> list[Task]:
    """The tasks of the items, the first `limit` of them."""
    tasks: list[Task] = []
    for item in items:
        task = _item_task(item, lines, source, checkbox=checkbox)
        if task is not None:
            tasks.append(task)
            if len(tasks) == limit:
                break
    return tasks


def _checkbox(paragraph: str) -> str | None:
    """The paragraph without its task-list checkbox, or None if it has none (GitHub: `[ ]`,
    `[x]` or `[X]`, then a space and some text)."""
    if not paragraph.startswith(_CHECKBOXES):
        return None
    rest = paragraph[3:]
    if not rest[:1].isspace() or not rest.strip():
        return None
    return rest.strip()


def _item_task(
    item: _Item, lines: list[str], source: str, *, checkbox: bool = False
) -> Task | None:
    """The task of one list item: its first line for a title, its own text and its nested
    items (as Markdown, out of the list's indentation) for a body."""
    body_lines = _item_lines(item, lines)
    paragraph = item.paragraph or ""
    if checkbox:
        paragraph = _checkbox(paragraph) or ""
        first = next((n for n, line in enumerate(body_lines) if line.strip()), None)
        if first is not None:
            body_lines[first] = body_lines[first].lstrip()[3:].lstrip(" \t")
    return _task(_title(paragraph), "\n".join(body_lines), source)


def _item_lines(item: _Item, lines: list[str]) -> list[str]:
    """The item's lines without its marker and the indentation of its content."""
    first = lines[item.start]
    pos = len(first) - len(first.lstrip(" \t"))  # up to 3 columns before the marker
    pos += item.marker
    content = pos + len(first[pos:]) - len(first[pos:].lstrip(" \t"))
    prefix = first[:content].expandtabs(4)
    marker_end = len(first[:pos].expandtabs(4))
    spaces = len(prefix) - marker_end
    if content == len(first) or spaces > 4:  # an empty first line, or indented code after it
        width = marker_end + 1
    else:
        width = len(prefix)
    head = " " * max(len(prefix) - width, 0) + first[content:]
    return [head, *(_dedent(line, width) for line in lines[item.start + 1 : item.end])]


def _dedent(line: str, width: int) -> str:
    """The line with up to `width` columns of leading whitespace removed (tabs stop every
    4 columns; a tab cut in the middle leaves its remaining columns as spaces)."""
    column, pos = 0, 0
    while pos < len(line) and column < width and line[pos] in " \t":
        column = column + 1 if line[pos] == " " else (column // 4 + 1) * 4
        pos += 1
    return " " * max(column - width, 0) + line[pos:]


# -- headings ---------------------------------------------------------------------------------


def _heading_tasks(tokens: list[Token], lines: list[str], level: int, limit: int) -> list[Task]:
    """One task per top-level heading of `level` (the first `limit`), with the content up to
    the next heading of that level or a higher one; none unless there are at least two."""
    headings = [
        (int(token.tag[1:]), token.map[0], token.map[1], tokens[number + 1].content)
        for number, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0 and token.map is not None
    ]
    tasks: list[Task] = []
    for number, (depth, _, end, content) in enumerate(headings):
        if depth != level:
            continue
        stop = len(lines)
        for later in range(number + 1, len(headings)):
            if headings[later][0] <= level:
                stop = headings[later][1]
                break
        body = _trim("\n".join(lines[end:stop]))
        task = _task(_title(content), body or content.strip(), HEADINGS)
        if task is not None:
            tasks.append(task)
            if len(tasks) == limit:
                break
    return tasks if len(tasks) >= 2 else []


# -- titles and bodies ------------------------------------------------------------------------


def _task(title: str, body: str, source: str) -> Task | None:
    """A task, titled by `title` or else by the body's first readable line; None when the
    body shows nothing (empty, or only HTML comments)."""
    if not title and not markdown.readable(body).strip() and not markdown.has_code(body):
        return None
    title = title or _title(body) or FALLBACK_TITLE
    return Task(title, _bounded(body), source=source)


def _title(text: str) -> str:
    """The first line of Markdown text that reads as words, clipped: comments, code blocks,
    images and tags left out, links reduced to their text."""
    for line in plain(text).splitlines():
        title = clip(sanitize(line), MAX_TITLE)
        if title:
            return title
    return ""


def _first_title(text: str) -> str:
    """The title of a whole spec: its first paragraph or heading that reads as words, one
    outside block quotes if there is one."""
    blocks = [
        b for b in markdown.parse(text).blocks if b.kind in (markdown.PARAGRAPH, markdown.HEADING)
    ]
    for block in sorted(blocks, key=lambda b: b.quoted):
        title = _title(block.content)
        if title:
            return title
    return FALLBACK_TITLE


def _bounded(body: str, limit: int = MAX_BODY) -> str:
    """The body without blank lines around it, at most `limit` characters: cut at a line end
    when one is near, with an ellipsis after it. A code fence or HTML comment left open at the
    end (by the author or by the cut) is closed, so that nothing added after the body (a
    footer) is swallowed by it."""
    body = _trim(body)
    closing = _closing(body)
    if len(body) + len(closing) <= limit:
        return body + closing
    room = limit - len(TRUNCATED)
    cut = body[:room]
    for _ in range(3):
        line_end = cut.rfind("\n")
        if line_end > len(cut) // 2:
            cut = cut[:line_end]
        cut = cut.rstrip()
        closing = _closing(cut)
        if len(cut) + len(closing) <= room:
            return cut + closing + TRUNCATED
        cut = cut[: room - len(closing)]
    return body[:room] + TRUNCATED


def _trim(text: str) -> str:
    """The text without its leading and trailing blank lines and trailing whitespace; the
    first line keeps its indentation (four spaces make code)."""
    lines = _NEWLINE.split(text.rstrip())
    start = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    return "\n".join(lines[start:])


def _closing(text: str) -> str:
    """What closes a top-level code fence or an HTML comment that is still open at the end of
    the text, so that what follows is not swallowed."""
    if any(block.hides_rest for block in markdown.parse(text).blocks):
        return "\n-->"
    tokens = _PARSER.parse(text)
    last = next((t for t in reversed(tokens) if t.level == 0 and t.map is not None), None)
    if last is None or last.type != "fence" or last.map is None:
        return ""
    lines = _NEWLINE.split(text)
    start, end = last.map
    closing = lines[end - 1].strip(" \t") if end - start >= 2 else ""
    closed = len(closing) >= len(last.markup) and set(closing) == {last.markup[0]}
    return "" if closed else "\n" + last.markup
