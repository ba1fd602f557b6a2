"""The options of `@ossbot spawn`, read from the text that follows the command line.

They are either a fenced ```yaml (or ```yml) block right after the command line (blank lines
may come between), or consecutive `key: value` lines there whose keys are all option names. A
run of `key: value` lines with any other key is the spec's own text, and so is everything
after the options: `key: value` lines and URLs further down never count. In the fenced block an
unknown key is an error (the block can only be options).

YAML is read with PyYAML's safe loader, with YAML 1.1's implicit typing narrowed to whole
numbers and null: every other plain scalar stays the text that was written, so a label `on`,
`no` or `010`, or a milestone `1.10`, keeps its name, and booleans are read only where an
option is a boolean (true/false/yes/no). Before loading, the event stream is checked: anchors,
aliases, merge keys and tags are refused, and so are duplicate keys, keys that are not names,
more than one document and nesting deeper than MAX_DEPTH.

Every problem is one SpawnOptionsError of one line that names the option and says why.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from ossbot.errors import InputError
from ossbot.text import clip, one_line

MAX_YAML_BYTES = 10 * 1024
MAX_DEPTH = 4  # mappings and lists inside each other, the options' own mapping included
MAX_LABELS = 20
MAX_LABEL_LENGTH = 50  # GitHub's limit for a label's name
MAX_ASSIGNEES = 10  # GitHub's limit per issue
MAX_MILESTONE_LENGTH = 255
MAX_NAME_LENGTH = 200  # a component's name or path
MAX_DIGITS = 18

PLACEHOLDERS = ("index", "parent_issue", "component_name", "path")
UNIQUE_BY = ("title", "body", "hash")

_NEWLINE = re.compile(r"\r\n?|\n")  # markdown-it's lines, as in ossbot.markdown
_PARSER = MarkdownIt("commonmark", {"html": True}).disable("inline")
_OPTION_LINE = re.compile(r" {0,3}([A-Za-z][A-Za-z0-9_-]*)[ \t]*:[ \t]+(\S.*?)[ \t]*")
_INT = re.compile(rf"0|[-+]?[1-9][0-9]{{0,{MAX_DIGITS - 1}}}")
_NULL = re.compile(r"~|null|Null|NULL|")
# `{name}` is a placeholder; `{{` and `}}` are literal braces; other braces are text.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}\s]+)\}")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


class SpawnOptionsError(InputError):
    """A spawn option that cannot be used. The message is one line naming the option."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class _Loader(yaml.SafeLoader):
    """The safe loader, typing plain scalars only as whole numbers and null."""


_Loader.yaml_implicit_resolvers = {}  # its own: the safe loader's stay as they are
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(f"^(?:{_INT.pattern})$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(f"^(?:{_NULL.pattern})$"), ["~", "n", "N", ""]
)


# -- placeholders -----------------------------------------------------------------------------


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """The text with each `{name}` of `values` replaced, in one pass (a value is never filled in
    again); `{{` and `}}` become `{` and `}`; any other braces are left as they are."""

    def filled(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group()[0]
        return values.get(name, match.group())

    return _PLACEHOLDER.sub(filled, text)


def unknown_placeholders(text: str) -> list[str]:
    """The `{...}` of the text that are not placeholders, as written, in order."""
    return [
        match.group()
        for match in _PLACEHOLDER.finditer(text)
        if match.group(1) is not None and match.group(1) not in PLACEHOLDERS
    ]


# -- the options ------------------------------------------------------------------------------


def _error(message: str) -> PydanticCustomError:
    # The message goes in as context: braces in it (a placeholder, a value) stay as written.
    return PydanticCustomError("spawn", "{why}", {"why": message})


def _shown(value: Any) -> str:
    """A value as an error message shows it: short and on one line."""
    if isinstance(value, str):
        return repr(clip(value, 40))
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return clip(repr(value), 40)


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _error(f"must be {what}, got {_shown(value)}")


def _single_line(text: str) -> bool:
    return len(text.splitlines()) <= 1


def _whole(value: Any) -> int:
    """A whole number, from an int or a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        digits = value.strip().removeprefix("+")
        if digits.isascii() and digits.isdigit():
            if len(digits) > MAX_DIGITS:
                raise _error(f"is far too large, got {_shown(value)}")
            return int(digits)
    raise _error(f"must be a whole number, got {_shown(value)}")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes"):
            return True
        if word in ("false", "no"):
            return False
    raise _error(f"must be true or false (yes or no), got {_shown(value)}")


def _items(value: Any, what: str) -> list[Any]:
    """A list's items, or a comma-separated string's parts (`[a, b]` too), empty ones left out."""
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]  # `labels: 12`
    if isinstance(value, str):
        listed = value.strip()
        if listed.startswith("[") and listed.endswith("]"):
            listed = listed[1:-1]
        return [part.strip() for part in listed.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [item for item in value if not (isinstance(item, str) and not item.strip())]
    raise _error(f"must be a list of {what} or a comma-separated string, got {_shown(value)}")


def _names(value: Any, what: str, *, limit: int, longest: int) -> tuple[str, ...]:
    """Names (labels, logins): one line each, at most `longest` characters and `limit` names,
    duplicates (ignoring case) dropped."""
    names: dict[str, str] = {}
    for number, item in enumerate(_items(value, what), 1):
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise _error(f"item {number} must be a name, got {_shown(item)}")
        name = str(item).strip()
        if not _single_line(name):
            raise _error(f"item {number} must be on one line, got {_shown(name)}")
        if len(name) > longest:
            raise _error(f"item {number} is longer than {longest} characters, got {_shown(name)}")
        names.setdefault(name.lower(), name)
    if len(names) > limit:
        raise _error(f"at most {limit} {what}, got {len(names)}")
    return tuple(names.values())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpawnTemplate(_Model):
    """The title and body of each spawned issue, with placeholders {index} (1-based),
    {parent_issue}, {component_name} and {path}."""

    title: str
    body: str = ""

    @field_validator("title", "body", mode="before")
    @classmethod
    def _is_text(cls, value: Any) -> str:
        return _text(value, "text")

    @field_validator("title")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise _error("must not be empty")
        return value

    @field_validator("title", "body")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        unknown = unknown_placeholders(value)
        if unknown:
            name = unknown[0][1:-1]
            close = difflib.get_close_matches(name, PLACEHOLDERS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            valid = ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)
            raise _error(
                f"unknown placeholder {clip(unknown[0], 40)}{hint}; the placeholders are {valid} "
                "(write {{ and }} for literal braces)"
            )
        return value


class Component(_Model):
    """One entry of components_list: a name, and a path that may be empty."""

    name: str
    path: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _is_name(cls, value: Any) -> str:
        name = _text(value, "a name").strip()
        if not name:
            raise _error("must not be empty")
        if not _single_line(name) or len(name) > MAX_NAME_LENGTH:
            raise _error(f"must be one line of at most {MAX_NAME_LENGTH} characters")
        return name

    @field_validator("path", mode="before")
    @classmethod
    def _is_path(cls, value: Any) -> str:
        path = "" if value is None else _text(value, "a path").strip()
        if not _single_line(path) or len(path) > MAX_NAME_LENGTH:
            raise _error(f"must be one line of at most {MAX_NAME_LENGTH} characters")
        return path


class SpawnOptions(_Model):
    """What a spawn comment asked for. `notes` are not an option: they say what was adjusted
    (a rate limit above the configured one, clamped)."""

    count: int | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: str | int | None = None
    template: SpawnTemplate | None = None
    components_list: tuple[Component, ...] = ()
    unique_by: Literal["title", "body", "hash"] = "hash"
    dry_run: bool = False
    rate_limit_per_minute: int | None = None
    sub_issues: bool = True
    notes: tuple[str, ...] = ()

    @field_validator("count", "rate_limit_per_minute", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> int | None:
        if value is None:
            return None
        number = _whole(value)
        if number < 1:
            raise _error(f"must be at least 1, got {number}")
        return number

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> tuple[str, ...]:
        return _names(value, "labels", limit=MAX_LABELS, longest=MAX_LABEL_LENGTH)

    @field_validator("assignees", mode="before")
    @classmethod
    def _assignees(cls, value: Any) -> tuple[str, ...]:
        items = _items(value, "assignees")
        items = [
            item.strip().removeprefix("@") if isinstance(item, str) else item for item in items
        ]
        logins = _names(items, "assignees", limit=MAX_ASSIGNEES, longest=39)
        for login in logins:
            if not _LOGIN.fullmatch(login):
                raise _error(f"{login!r} is not a GitHub login")
        return logins

    @field_validator("milestone", mode="before")
    @classmethod
    def _milestone(cls, value: Any) -> str | int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise _error(f"a milestone number must be at least 1, got {value}")
            return value
        title = _text(value, "a milestone's title or number").strip()
        if not _single_line(title) or len(title) > MAX_MILESTONE_LENGTH:
            raise _error(f"must be one line of at most {MAX_MILESTONE_LENGTH} characters")
        return title or None

    @field_validator("template", mode="before")
    @classmethod
    def _template(cls, value: Any) -> Any:
        if value is None or isinstance(value, Mapping | SpawnTemplate):
            return value
        raise _error(
            f"must be a mapping with 'title' and 'body' (in a ```yaml block), got {_shown(value)}"
        )

    @field_validator("components_list", mode="before")
    @classmethod
    def _components(cls, value: Any) -> list[Any]:
        entries: list[Any] = []
        for number, item in enumerate(_items(value, "components"), 1):
            if isinstance(item, Mapping | Component):
                entries.append(item)
            elif isinstance(item, str | int) and not isinstance(item, bool):
                entries.append({"name": item})
            else:
                raise _error(
                    f"item {number} must be a name or a mapping with 'name' and 'path', "
                    f"got {_shown(item)}"
                )
        return entries

    @field_validator("unique_by", mode="before")
    @classmethod
    def _unique_by(cls, value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in UNIQUE_BY:
            return value.strip().lower()
        raise _error(f"must be one of {', '.join(UNIQUE_BY)}, got {_shown(value)}")

    @field_validator("dry_run", "sub_issues", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> bool:
        return _flag(value)


OPTION_NAMES: tuple[str, ...] = tuple(name for name in SpawnOptions.model_fields if name != "notes")
_FIELDS: dict[str, tuple[str, ...]] = {
    "": OPTION_NAMES,
    "template": tuple(SpawnTemplate.model_fields),
    "components_list": tuple(Component.model_fields),
}


# -- reading them -----------------------------------------------------------------------------


def parse_options(
    text_after_command: str, *, max_issues: int, max_rate: int
) -> tuple[SpawnOptions, str]:
    """The options at the start of the text that follows a spawn command's line (from the next
    line on), and the rest of that text: the spec, leading blank lines dropped. Without
    options: the defaults and the whole text. `max_issues` bounds count and components_list
    (an error above it); a rate limit above `max_rate` is lowered to it, with a note."""
    lines = _NEWLINE.split(text_after_command)
    first = next((n for n, line in enumerate(lines) if line.strip(" \t")), len(lines))
    fence = _yaml_fence(text_after_command, lines, first)
    if fence is not None:
        content, end = fence
        data = _load_yaml(content)
    else:
        found = _option_lines(lines, first)
        if found is None:
            return SpawnOptions(), _spec(lines[first:])
        data, end = found
    options = _validate(data)
    return _limited(options, max_issues=max_issues, max_rate=max_rate), _spec(lines[end:])


def _spec(lines: list[str]) -> str:
    start = next((n for n, line in enumerate(lines) if line.strip(" \t")), len(lines))
    return "\n".join(lines[start:])


def _canonical(key: str) -> str:
    return key.replace("-", "_")  # dry-run is dry_run


def _option_lines(lines: list[str], first: int) -> tuple[dict[str, Any], int] | None:
    """The `key: value` lines from `first` on, when every key is an option's name."""
    found: list[tuple[str, str]] = []
    end = first
    while end < len(lines) and (match := _OPTION_LINE.fullmatch(lines[end])):
        found.append((_canonical(match.group(1)), match.group(2)))
        end += 1
    if not found or any(key not in OPTION_NAMES for key, _ in found):
        return None  # lines of the spec that happen to look like options, or no lines
    data: dict[str, Any] = {}
    for key, raw in found:
        if key in data:
            raise SpawnOptionsError(f"spawn option '{key}': given twice")
        data[key] = _scalar(raw)
    return data, end


def _scalar(raw: str) -> Any:
    """A value written on an option line, typed as a plain YAML scalar is (whole numbers and
    null); quotes around it make it text. Read as text otherwise: `@alice` or `a: b` are not
    YAML, but they are fine values here."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if _INT.fullmatch(raw):
        return int(raw)
    if _NULL.fullmatch(raw):
        return None
    return raw


def _yaml_fence(text: str, lines: list[str], first: int) -> tuple[str, int] | None:
    """The content of a ```yaml block that starts at line `first`, and the line after it."""
    if first == len(lines) or not lines[first].lstrip(" ").startswith(("```", "~~~")):
        return None
    tokens = _PARSER.parse(text)
    if not tokens or tokens[0].type != "fence" or tokens[0].map is None:
        return None
    fence = tokens[0]
    info = fence.info.split()
    if not info or info[0].lower() not in ("yaml", "yml") or fence.map is None:
        return None
    start, end = fence.map
    closing = lines[end - 1].strip(" \t") if end - start >= 2 else ""
    if len(closing) < len(fence.markup) or set(closing) != {fence.markup[0]}:
        raise SpawnOptionsError(
            f"spawn options: the ```yaml block is not closed; end it with a line {fence.markup}"
        )
    return fence.content, end


def _load_yaml(content: str) -> dict[Any, Any]:
    size = len(content.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise SpawnOptionsError(
            f"spawn options: the ```yaml block is {size / 1024:.1f} KB; "
            f"at most {MAX_YAML_BYTES // 1024} KB"
        )
    try:
        _check_events(content)
        data = yaml.load(content, Loader=_Loader)  # a SafeLoader: no object is built
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpawnOptionsError(
            "spawn options: the ```yaml block must be a mapping of options "
            f"(count: 3, labels: [bug]), not {_shown(data)}"
        )
    return data


def _yaml_error(exc: yaml.YAMLError) -> SpawnOptionsError:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    if "'\\t'" in problem or "tab character" in problem:
        return SpawnOptionsError(
            f"spawn options: a tab in the ```yaml block{where}; YAML indents and separates "
            "with spaces"
        )
    return SpawnOptionsError(f"spawn options: invalid YAML in the ```yaml block{where}: {problem}")


@dataclass
class _Frame:
    """A mapping or list being read, for the event check."""

    path: str
    mapping: bool
    key: str | None = None  # the mapping's current key, None while a key is expected
    keys: set[str] = field(default_factory=set)
    index: int = 0

    def child(self) -> str:
        if self.mapping:
            return f"{self.path}.{self.key}" if self.path else str(self.key)
        return f"{self.path}[{self.index}]"


def _check_events(content: str) -> None:
    """Refuse what the options never need and what could blow up or mislead: anchors and
    aliases (`&a`, `*a`), merge keys (`<<:`), tags, duplicate or non-name keys, several
    documents, nesting deeper than MAX_DEPTH. Events come from PyYAML's parser, which keeps
    its own stack: no recursion, however deep the input."""
    stack: list[_Frame] = []
    documents = 0
    for event in yaml.parse(content, Loader=_Loader):
        mark = event.start_mark
        line = f"line {mark.line + 1 if mark else '?'} of the ```yaml block"
        top = stack[-1] if stack else None
        here = top.path if top is not None else ""
        if top is not None and (not top.mapping or top.key is not None):
            here = top.child()  # the value of a key, or an item of a list
        where = f"spawn option '{here}'" if here else "spawn options"
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise SpawnOptionsError(
                    f"spawn options: the ```yaml block holds more than one YAML document ({line})"
                )
        elif isinstance(event, yaml.AliasEvent):
            raise SpawnOptionsError(
                f"{where}: YAML aliases (*{clip(event.anchor or '', 20)}) are not supported; "
                f"write the value out ({line})"
            )
        elif isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            if event.anchor is not None:
                raise SpawnOptionsError(
                    f"{where}: YAML anchors (&{clip(event.anchor, 20)}) are not supported; "
                    f"write the value out ({line})"
                )
            if event.tag is not None:
                raise SpawnOptionsError(
                    f"{where}: YAML tags ({clip(event.tag, 40)}) are not supported ({line})"
                )
            if top is not None and top.mapping and top.key is None:
                _check_key(event, top, where, line)
                continue
            path = top.child() if top is not None else ""
            if top is not None:
                top.key, top.index = None, top.index + 1
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(_Frame(path, isinstance(event, yaml.MappingStartEvent)))
                if len(stack) > MAX_DEPTH:
                    raise SpawnOptionsError(
                        f"{where}: nested more than {MAX_DEPTH} levels deep ({line})"
                    )


def _check_key(event: yaml.Event, frame: _Frame, where: str, line: str) -> None:
    if not isinstance(event, yaml.ScalarEvent):
        raise SpawnOptionsError(f"{where}: a key must be a name, not a list or mapping ({line})")
    if event.value == "<<" and event.implicit[0]:
        raise SpawnOptionsError(
            f"{where}: YAML merge keys (<<) are not supported; write the keys out ({line})"
        )
    frame.key = clip(event.value, 40)
    if event.value in frame.keys:
        raise SpawnOptionsError(f"spawn option '{frame.child()}': given twice ({line})")
    frame.keys.add(event.value)


def _validate(data: Mapping[Any, Any]) -> SpawnOptions:
    options: dict[str, Any] = {}
    for key, value in data.items():
        name = _canonical(key) if isinstance(key, str) else "null" if key is None else str(key)
        if name not in OPTION_NAMES:
            raise SpawnOptionsError(f"spawn option '{clip(name, 40)}': unknown{_suggest(name)}")
        if name in options:
            raise SpawnOptionsError(f"spawn option '{name}': given twice")
        options[name] = value
    try:
        return SpawnOptions.model_validate(options)
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key first: the missing one it leaves is its consequence.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        raise SpawnOptionsError(_describe(first)) from None


def _suggest(name: str, valid: tuple[str, ...] = OPTION_NAMES, what: str = "options") -> str:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{hint}; valid {what} are {', '.join(valid)}"


def _describe(error: Any) -> str:
    """One pydantic error as one line: the option's path, and why."""
    loc = [part for part in error["loc"] if part != "__root__"]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    kind = error["type"]
    if kind == "spawn":
        why = error["ctx"]["why"]
    elif kind == "missing":
        why = "required"
    elif kind == "extra_forbidden":
        parent = str(loc[0]) if len(loc) > 1 else ""
        valid = _FIELDS.get(parent, ())
        why = "unknown" + (_suggest(str(loc[-1]), valid, "keys") if valid else "")
    else:
        why = f"{error['msg']}, got {_shown(error.get('input'))}"
    return f"spawn option '{clip(path, 60)}': {why}"


def _limited(options: SpawnOptions, *, max_issues: int, max_rate: int) -> SpawnOptions:
    """The limits of the repository's configuration: count and components_list bounded by
    max_issues (an error), the rate limit by max_rate (lowered, with a note)."""
    count, components = options.count, options.components_list
    if count is not None and count > max_issues:
        raise SpawnOptionsError(
            f"spawn option 'count': must be at most {max_issues} (spawn.max_issues), got {count}"
        )
    if len(components) > max_issues:
        raise SpawnOptionsError(
            f"spawn option 'components_list': at most {max_issues} components "
            f"(spawn.max_issues), got {len(components)}"
        )
    if count is not None and components and count != len(components):
        raise SpawnOptionsError(
            f"spawn option 'count': {count} does not match the {len(components)} entries of "
            "components_list; give one or the other"
        )
    rate = options.rate_limit_per_minute
    if rate is None or rate <= max_rate:
        return options
    note = (
        f"rate_limit_per_minute {rate} is above the limit of {max_rate} (spawn.max_rate); "
        f"using {max_rate}"
    )
    return options.model_copy(update={"rate_limit_per_minute": max_rate, "notes": (note,)})
