"""The options of `@ossbot spawn`: a ```yaml block or `key: value` lines right after the command,
each option coerced carefully, every problem one line naming the option."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ossbot.errors import InputError
from ossbot.spawn.options import (
    OPTION_NAMES,
    Component,
    SpawnOptions,
    SpawnOptionsError,
    SpawnTemplate,
    fill_placeholders,
    parse_options,
)

LIMITS = {"max_issues": 100, "max_rate": 30}


def _parse(text: str) -> tuple[SpawnOptions, str]:
    return parse_options(text, **LIMITS)


def _yaml(body: str, spec: str = "") -> str:
    return f"```yaml\n{body}```\n{spec}"


def _error(text: str) -> str:
    with pytest.raises(SpawnOptionsError) as caught:
        _parse(text)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


# -- the two syntaxes -------------------------------------------------------------------------


def test_no_options_gives_the_defaults_and_the_whole_spec():
    options, spec = _parse("\n\nSplit this:\n\n- [ ] a\n- [ ] b\n")
    assert options == SpawnOptions()
    assert spec == "Split this:\n\n- [ ] a\n- [ ] b\n"
    assert (options.unique_by, options.sub_issues, options.dry_run) == ("hash", True, False)
    assert options.count is None and options.labels == () and options.notes == ()


def test_a_yaml_block_right_after_the_command_is_options():
    text = _yaml("count: 3\nlabels: [bug, ui]\n", spec="\nThe spec\n- a\n")
    options, spec = _parse(text)
    assert options.count == 3 and options.labels == ("bug", "ui")
    assert spec == "The spec\n- a\n"


@pytest.mark.parametrize(
    "text",
    [
        "```yml\ncount: 2\n```\nspec",
        "\n\n  ```yaml\n  count: 2\n  ```\nspec",
        "~~~yaml\ncount: 2\n~~~\nspec",
        "````YAML\ncount: 2\n````\nspec",
        "```yaml title=options\ncount: 2\n```\r\nspec",
    ],
)
def test_the_yaml_block_may_be_fenced_in_any_way(text):
    options, spec = _parse(text)
    assert options.count == 2
    assert spec == "spec"


def test_key_value_lines_right_after_the_command_are_options():
    options, spec = _parse("count: 3\nlabels: bug, ui\ndry-run: yes\n\nThe spec: here\n")
    assert (options.count, options.labels, options.dry_run) == (3, ("bug", "ui"), True)
    assert spec == "The spec: here\n"
    # the lines may run straight into the spec
    options, spec = _parse("labels: docs\nWrite the guide")
    assert options.labels == ("docs",) and spec == "Write the guide"


def test_both_syntaxes_give_the_same_options():
    lines = "count: 2\nlabels: bug, on\nassignees: @alice, bob\nmilestone: 3\nunique_by: title\n"
    lines += "dry_run: no\nrate_limit_per_minute: 10\nsub_issues: false\ncomponents_list: a, b\n"
    block = "count: 2\nlabels: [bug, 'on']\nassignees: ['@alice', bob]\nmilestone: 3\n"
    block += "unique_by: title\ndry_run: no\nrate_limit_per_minute: 10\nsub_issues: false\n"
    block += "components_list: [a, b]\n"
    from_lines, _ = _parse(lines)
    from_block, _ = _parse(_yaml(block))
    assert from_lines == from_block
    assert from_lines.components_list == (Component(name="a"), Component(name="b"))


@pytest.mark.parametrize(
    "text",
    [
        "colour: red\ncount: 3\n\nspec",  # an unknown key: the lines are the spec's
        "count: 3\ncount: 4\nowner: me\n",  # even with a key given twice
        "count: 3\nPriority: high\n",
        "Count: 3\n",  # option names are lowercase
        "Goal: split the parser\nOwner: me\n",
        "count:3\n",  # no space after the colon: not an option line
        "    count: 3\n",  # indented code
        "> count: 3\n",
        "- count: 3\n",
    ],
)
def test_key_value_lines_with_any_other_key_are_spec(text):
    options, spec = _parse(text)
    assert options == SpawnOptions()
    assert spec == text.lstrip("\n")


def test_urls_and_key_value_lines_in_free_text_stay_spec():
    text = "See https://example.com/a:b for the design.\n\ncount: 3\nlabels: bug\n"
    options, spec = _parse(text)
    assert options == SpawnOptions() and spec == text
    options, spec = _parse("count: 2\n\nDocs: https://example.com\nlabels: x\n")
    assert options.count == 2 and options.labels == ()
    assert spec == "Docs: https://example.com\nlabels: x\n"


def test_a_fence_of_another_language_or_later_in_the_text_is_spec():
    for text in ('```json\n{"count": 3}\n```\n', "Spec first\n\n```yaml\ncount: 3\n```\n"):
        options, spec = _parse(text)
        assert options == SpawnOptions() and spec == text


def test_only_one_syntax_is_read():
    options, spec = _parse("count: 2\n```yaml\nlabels: [x]\n```\n")
    assert options.count == 2 and options.labels == ()
    assert spec.startswith("```yaml")


# -- each option ------------------------------------------------------------------------------


def test_labels_are_strings_whatever_yaml_1_1_would_make_of_them():
    options, _ = _parse(_yaml("labels: [on, off, yes, no, 010, 1.10, 2024-01-01, null-ish]\n"))
    assert options.labels == ("on", "off", "yes", "no", "010", "1.10", "2024-01-01", "null-ish")
    options, _ = _parse("labels: on, off\n")
    assert options.labels == ("on", "off")
    options, _ = _parse(_yaml("labels: 12\n"))
    assert options.labels == ("12",)


def test_labels_accept_a_comma_separated_string_and_drop_duplicates():
    options, _ = _parse(_yaml("labels: 'bug, Bug, good first issue,'\n"))
    assert options.labels == ("bug", "good first issue")
    options, _ = _parse("labels: [bug, ui]\n")
    assert options.labels == ("bug", "ui")
    assert SpawnOptions(labels="a, b").labels == ("a", "b")  # type: ignore[arg-type]


def test_assignees_are_logins_with_or_without_the_at_sign():
    options, _ = _parse("assignees: @alice, bob-2, @Alice\n")
    assert options.assignees == ("alice", "bob-2")
    assert _parse("assignees: [@alice, @bob]\n")[0].assignees == ("alice", "bob")
    options, _ = _parse(_yaml("assignees:\n  - '@carol'\n  - dave\n"))
    assert options.assignees == ("carol", "dave")


def test_milestone_is_a_number_or_a_title():
    assert _parse("milestone: 4\n")[0].milestone == 4
    assert _parse("milestone: '4'\n")[0].milestone == "4"  # quoted: a title
    assert _parse(_yaml("milestone: 1.10\n"))[0].milestone == "1.10"  # not the float 1.1
    assert _parse(_yaml("milestone: v2 beta\n"))[0].milestone == "v2 beta"
    assert _parse(_yaml("milestone:\n"))[0].milestone is None


def test_count_and_booleans():
    assert _parse("count: 100\n")[0].count == 100  # max_issues itself is fine
    assert _parse(_yaml("count: '7'\n"))[0].count == 7
    for word, value in (("true", True), ("yes", True), ("False", False), ("no", False)):
        options, _ = _parse(_yaml(f"dry_run: {word}\nsub_issues: {word}\n"))
        assert options.dry_run is value and options.sub_issues is value


def test_unique_by():
    for value in ("title", "body", "hash", "Title"):
        assert _parse(f"unique_by: {value}\n")[0].unique_by == value.lower()


def test_template_with_the_known_placeholders():
    text = _yaml(
        "template:\n"
        "  title: 'Port {component_name} (#{parent_issue}, {index})'\n"
        "  body: |\n    Path: {path}\n    Literal {{braces}} and { spaced } text\n"
    )
    template = _parse(text)[0].template
    assert template == SpawnTemplate(
        title="Port {component_name} (#{parent_issue}, {index})",
        body="Path: {path}\nLiteral {{braces}} and { spaced } text\n",
    )
    assert _parse(_yaml("template: {title: Fix it}\n"))[0].template == SpawnTemplate(title="Fix it")


def test_components_list_of_names_or_mappings():
    text = _yaml("components_list:\n  - parser\n  - {name: lexer, path: src/lexer}\n  - 42\n")
    assert _parse(text)[0].components_list == (
        Component(name="parser"),
        Component(name="lexer", path="src/lexer"),
        Component(name="42"),
    )
    assert _parse("components_list: a, b\n")[0].components_list == (
        Component(name="a"),
        Component(name="b"),
    )


def test_a_rate_limit_above_the_configured_one_is_clamped_with_a_note():
    options, _ = _parse("rate_limit_per_minute: 500\n")
    assert options.rate_limit_per_minute == 30
    assert len(options.notes) == 1
    assert "500" in options.notes[0] and "30" in options.notes[0]
    options, _ = _parse("rate_limit_per_minute: 30\n")
    assert options.rate_limit_per_minute == 30 and options.notes == ()
    assert _parse("count: 1\n")[0].rate_limit_per_minute is None  # unset: the configured one


def test_notes_are_not_an_option():
    assert "notes" not in OPTION_NAMES
    assert "unknown" in _error(_yaml("notes: [x]\n"))


def test_options_are_frozen():
    options = _parse("count: 2\n")[0]
    with pytest.raises(ValueError):
        options.count = 3  # type: ignore[misc]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, why",
    [
        ("count: 500\n", "count", "must be at most 100 (spawn.max_issues), got 500"),
        ("count: 0\n", "count", "must be at least 1, got 0"),
        ("count: -2\n", "count", "must be at least 1"),
        ("count: many\n", "count", "must be a whole number, got 'many'"),
        (_yaml("count: 2.5\n"), "count", "must be a whole number"),
        (_yaml("count: 99999999999999999999999\n"), "count", "far too large"),
        (_yaml("count: [1]\n"), "count", "must be a whole number, got a list"),
        (_yaml("colour: red\n"), "colour", "unknown; valid options are count, labels"),
        (_yaml("lables: [x]\n"), "lables", "did you mean 'labels'?"),
        (_yaml("labels: {a: 1}\n"), "labels", "must be a list of labels"),
        (_yaml("labels: [[a]]\n"), "labels", "item 1 must be a name"),
        (_yaml("labels: [bug, ~]\n"), "labels", "item 2 must be a name"),
        (_yaml(f"labels: [{'x' * 51}]\n"), "labels", "longer than 50"),
        (_yaml('labels: ["a\\nb"]\n'), "labels", "one line"),
        ("assignees: not a login!\n", "assignees", "is not a GitHub login"),
        (
            _yaml("assignees: [" + ", ".join(f"u{n}" for n in range(11)) + "]\n"),
            "assignees",
            "at most 10",
        ),
        ("milestone: 0\n", "milestone", "at least 1"),
        (_yaml("milestone: [1]\n"), "milestone", "must be a milestone's title or number"),
        ("template: Fix it\n", "template", "must be a mapping with 'title' and 'body'"),
        (_yaml("template: {body: x}\n"), "template.title", "required"),
        (_yaml("template: {title: ''}\n"), "template.title", "must not be empty"),
        (_yaml("template: {titel: x}\n"), "template.titel", "did you mean 'title'?"),
        (
            _yaml("template: {title: 'For {name}'}\n"),
            "template.title",
            "unknown placeholder {name}",
        ),
        (_yaml("template: {title: x, body: '{idx}'}\n"), "template.body", "did you mean {index}?"),
        (_yaml("template: {title: x, body: [a]}\n"), "template.body", "must be text"),
        (_yaml("components_list: [{path: x}]\n"), "components_list[0].name", "required"),
        (_yaml("components_list: [a, {nmae: b}]\n"), "components_list[1].nmae", "'name'"),
        (_yaml("components_list: [a, [b]]\n"), "components_list", "item 2 must be a name"),
        (_yaml("count: 2\ncomponents_list: [a, b, c]\n"), "count", "does not match the 3"),
        ("unique_by: titel\n", "unique_by", "must be one of title, body, hash, got 'titel'"),
        (_yaml("dry_run: on\n"), "dry_run", "must be true or false (yes or no), got 'on'"),
        ("sub_issues: 1\n", "sub_issues", "must be true or false"),
        ("rate_limit_per_minute: 0\n", "rate_limit_per_minute", "at least 1"),
        ("count: 1\ncount: 2\n", "count", "given twice"),
        (_yaml("count: 1\ncount: 2\n"), "count", "given twice"),
        (_yaml("dry-run: yes\ndry_run: no\n"), "dry_run", "given twice"),
        (_yaml("template: {title: a, title: b}\n"), "template.title", "given twice"),
    ],
)
def test_each_error_is_one_line_naming_the_option(text, key, why):
    message = _error(text)
    assert message.startswith(f"spawn option '{key}': "), message
    assert why in message, message


def test_components_beyond_max_issues():
    names = ", ".join(f"c{n}" for n in range(4))
    with pytest.raises(SpawnOptionsError, match=r"'components_list': at most 3 components"):
        parse_options(f"components_list: {names}\n", max_issues=3, max_rate=30)


@pytest.mark.parametrize(
    "body, why",
    [
        ("base: &b {count: 1}\n", "YAML anchors (&b) are not supported"),
        ("labels: [*b]\n", "YAML aliases (*b) are not supported"),
        ("a: &x 1\nlabels: *x\n", "anchors (&x)"),
        ("<<: {count: 2}\n", "merge keys (<<) are not supported"),
        ("template:\n  <<: {title: x}\n", "merge keys"),
        ("count: !!int 3\n", "YAML tags"),
        ("labels: !custom x\n", "YAML tags"),
        ("- count\n", "must be a mapping of options"),
        ("just words\n", "must be a mapping of options"),
        ("count: 1\n---\ncount: 2\n", "more than one YAML document"),
        ("? [a, b]\n: 1\n", "a key must be a name"),
        ("components_list: [[[[x]]]]\n", "nested more than 4 levels deep"),
        ("template:\n\ttitle: x\n", "a tab in the ```yaml block at line 2"),
        ("count:\t3\n", "a tab"),
        ("labels: [a\n", "invalid YAML in the ```yaml block"),
        ("count: 1\n  labels: x\n", "invalid YAML"),
        ("a: 'b\x07'\n", "invalid YAML"),
    ],
)
def test_yaml_problems_are_refused_in_one_line(body, why):
    assert why in _error(_yaml(body))


def test_anchors_are_found_in_the_event_stream_not_the_text():
    # `&` and `*` inside strings are fine
    options, _ = _parse(_yaml("labels: ['&a', '*a', 'R&D']\n"))
    assert options.labels == ("&a", "*a", "R&D")
    assert _parse(_yaml("labels: ['<<']\n"))[0].labels == ("<<",)


def test_a_large_or_unclosed_yaml_block():
    big = "labels: [" + ", ".join(["a"] * 6000) + "]\n"
    assert "at most 10 KB" in _error(_yaml(big))
    assert "is not closed" in _error("```yaml\ncount: 3\n\nThe spec\n")


def test_an_empty_yaml_block_is_no_options():
    assert _parse("```yaml\n```\nspec") == (SpawnOptions(), "spec")
    assert _parse("```yaml\n# nothing yet\n```\nspec") == (SpawnOptions(), "spec")


def test_the_error_is_an_input_error():
    with pytest.raises(InputError):
        _parse("count: 0\n")


def test_placeholders_are_filled_once():
    values = {"index": "1", "component_name": "{path}", "path": "src", "parent_issue": "9"}
    assert fill_placeholders("{component_name} {path} {{index}} {other}", values) == (
        "{path} src {index} {other}"
    )


# -- properties -------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SPECIAL = ["on", "off", "yes", "no", "010", "1.10", "~", "<<", "&a", "*a", "{index}", "{x}", "@a"]
_KEYS = st.one_of(
    st.sampled_from([*OPTION_NAMES, "title", "body", "name", "path", "colour", "<<"]),
    st.text(max_size=10),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(_SPECIAL),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=4)
    ),
    max_leaves=20,
)
_DOCUMENTS = st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=6), _VALUES)
_PREFIXES = st.sampled_from(["", "\n", "count: ", "labels: ", "```yaml\n", "```yaml\ncount: "])


def _single_line_or_valid(text: str) -> None:
    try:
        options, spec = _parse(text)
    except SpawnOptionsError as exc:
        assert len(str(exc).splitlines()) == 1, str(exc)
        return
    assert isinstance(options, SpawnOptions) and isinstance(spec, str)
    assert options.count is None or 1 <= options.count <= LIMITS["max_issues"]
    rate = options.rate_limit_per_minute
    assert rate is None or 1 <= rate <= LIMITS["max_rate"]


@PROPERTIES
@given(st.text())
def test_any_text_gives_options_or_one_line_error(text):
    _single_line_or_valid(text)


@PROPERTIES
@given(_PREFIXES, st.text())
def test_any_text_after_an_option_start_gives_options_or_one_line_error(prefix, text):
    _single_line_or_valid(prefix + text)


@PROPERTIES
@given(_DOCUMENTS, st.text(max_size=30))
def test_any_yaml_block_gives_options_or_one_line_error(document, spec):
    dumped = yaml.safe_dump(document, allow_unicode=True)
    _single_line_or_valid(f"```yaml\n{dumped}```\n{spec}")


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda s: s.strip("-") == s and "--" not in s
)
_VALID = st.fixed_dictionaries(
    {},
    optional={
        "count": st.integers(1, 100),
        "labels": st.lists(st.sampled_from(["bug", "on", "yes", "010", "ui"]), unique=True),
        "assignees": st.lists(_NAME, max_size=5, unique=True),
        "milestone": st.one_of(st.integers(1, 50), st.sampled_from(["v1.10", "1.10", "next"])),
        "unique_by": st.sampled_from(["title", "body", "hash"]),
        "dry_run": st.booleans(),
        "sub_issues": st.booleans(),
        "rate_limit_per_minute": st.integers(1, 1000),
    },
)


@PROPERTIES
@given(_VALID)
def test_valid_options_read_back_from_either_syntax(document):
    from_block, _ = _parse(_yaml(yaml.safe_dump(document)))
    for key, value in document.items():
        if key == "rate_limit_per_minute":
            value = min(value, LIMITS["max_rate"])
        elif isinstance(value, list):
            value = tuple(value)
        assert getattr(from_block, key) == value
    lines = "".join(
        f"{key}: {', '.join(value) if isinstance(value, list) else value}\n"
        for key, value in document.items()
        if value != []
    )
    from_lines, spec = _parse(lines + "\nspec")
    assert spec == "spec"
    assert from_lines == from_block
