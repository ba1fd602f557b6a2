"""Splitting a spec into tasks offline, from its Markdown structure, and filling a template."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ossbot.spawn.options import Component, SpawnTemplate
from ossbot.spawn.split import (
    BULLETED,
    FALLBACK_TITLE,
    HEADINGS,
    MAX_BODY,
    MAX_TITLE,
    NUMBERED,
    TASK_LIST,
    TEMPLATE,
    WHOLE,
    Task,
    expand_template,
    split_spec,
)


def _split(spec: str, max_tasks: int = 20) -> list[Task]:
    return split_spec(spec, max_tasks=max_tasks)


def _titles(spec: str, max_tasks: int = 20) -> list[str]:
    return [task.title for task in _split(spec, max_tasks)]


def _sources(spec: str) -> set[str]:
    return {task.source for task in _split(spec)}


# -- each structure ---------------------------------------------------------------------------


def test_a_task_list():
    spec = "We need:\n\n- [ ] Write the parser\n- [x] Sketch the design\n- [ ] Add tests\n"
    tasks = _split(spec)
    assert [t.title for t in tasks] == ["Write the parser", "Sketch the design", "Add tests"]
    assert {t.source for t in tasks} == {TASK_LIST}
    assert tasks[0].body == "Write the parser"
    assert all(t.depends_on == () for t in tasks)


def test_a_numbered_list():
    tasks = _split("Steps:\n\n1. Parse the input\n2. Check it\n10) Report\n")
    assert [t.title for t in tasks] == ["Parse the input", "Check it", "Report"]
    assert {t.source for t in tasks} == {NUMBERED}


def test_a_bulleted_list_needs_two_items():
    assert _titles("- Parser\n- Lexer\n\n* Printer\n") == ["Parser", "Lexer", "Printer"]
    assert _sources("- Parser\n- Lexer\n") == {BULLETED}
    tasks = _split("Intro\n\n- only one item\n")
    assert len(tasks) == 1 and tasks[0].source == WHOLE and tasks[0].title == "Intro"


def test_headings_each_with_their_section():
    spec = (
        "# The plan\n\nIntro.\n\n## Parser\nParse it.\n### Errors\nReport them.\n"
        "## Lexer\nTokens.\n# Appendix\nNot a task.\n"
    )
    tasks = _split(spec)
    assert [t.title for t in tasks] == ["Parser", "Lexer"]
    assert {t.source for t in tasks} == {HEADINGS}
    assert tasks[0].body == "Parse it.\n### Errors\nReport them."
    assert tasks[1].body == "Tokens."  # the level-1 heading ends the section


def test_level_3_headings_when_there_are_not_two_level_2_ones():
    spec = "## Work\n\n### Parser\nParse.\n\n### Lexer\nLex.\n"
    assert _titles(spec) == ["Parser", "Lexer"]
    setext = "Parser\n------\nParse.\n\nLexer\n-----\nLex.\n"
    assert _titles(setext) == ["Parser", "Lexer"]
    assert _split("## Empty\n\n## Sections\n")[0].body == "Empty"  # no content: its title


def test_otherwise_one_task_of_the_whole_spec():
    spec = "Make the **CLI** faster.\n\nIt takes 3 seconds to start.\n"
    (task,) = _split(spec)
    assert task == Task("Make the **CLI** faster.", spec.strip(), source=WHOLE)
    assert _split("# [Title](http://x) here\n\nText")[0].title == "Title here"
    assert _split("> quoted first\n\nmine")[0].title == "mine"
    for empty in ("", "   \n\n", "<!-- nothing -->", "```\ncode only\n```"):
        (task,) = _split(empty)
        assert task.title == FALLBACK_TITLE and task.source == WHOLE


# -- priority ---------------------------------------------------------------------------------


def test_task_lists_come_first_then_numbered_then_bulleted_then_headings():
    task_list = "- [ ] task one\n- [ ] task two\n"
    numbered = "1. step one\n2. step two\n"
    bulleted = "- point one\n- point two\n"
    headings = "## Head one\nx\n## Head two\ny\n"
    spec = "\n\n".join([headings, bulleted, numbered, task_list])
    assert _sources(spec) == {TASK_LIST}
    assert _titles(spec) == ["task one", "task two"]
    spec = "\n\n".join([headings, bulleted, numbered])
    assert _titles(spec) == ["step one", "step two"]
    assert _titles("\n\n".join([headings, bulleted])) == ["point one", "point two"]
    assert _titles(headings) == ["Head one", "Head two"]


def test_only_checkbox_items_of_a_mixed_list_are_tasks():
    spec = "- a note\n- [ ] the task\n1. [X] a numbered task\n"
    assert _titles(spec) == ["the task", "a numbered task"]
    # `[ ]` with nothing after it is no checkbox
    assert _sources("- [ ]\n- [ ]\n") == {BULLETED}


# -- what goes into a body --------------------------------------------------------------------


def test_nested_items_go_into_the_body():
    spec = (
        "- [ ] Write the parser\n"
        "  with error recovery\n"
        "  - [ ] expressions\n"
        "  - [ ] statements\n"
        "\n"
        "    ```py\n"
        "    parse()\n"
        "    ```\n"
        "- [ ] Add tests\n"
    )
    tasks = _split(spec)
    assert [t.title for t in tasks] == ["Write the parser", "Add tests"]
    assert tasks[0].body == (
        "Write the parser\nwith error recovery\n- [ ] expressions\n- [ ] statements\n\n"
        "  ```py\n  parse()\n  ```"
    )


def test_bodies_come_out_of_the_list_indentation():
    tasks = _split("1.  Wide marker\n    continued\n10. Ten\n    body\n-\tTabbed\n\tmore\n")
    assert [t.body for t in tasks] == ["Wide marker\ncontinued", "Ten\nbody"]
    tasks = _split("-\tTabbed\n\tmore\n- Next\n")
    assert tasks[0].body == "Tabbed\nmore"


def test_an_item_starting_on_the_next_line():
    tasks = _split("-\n  [ ] Late checkbox\n- [ ] Second\n")
    assert [t.title for t in tasks] == ["Late checkbox", "Second"]
    assert tasks[0].body == "Late checkbox"


def test_code_blocks_quotes_and_comments_never_count():
    spec = (
        "```\n- [ ] in a fence\n- [ ] also\n```\n\n"
        "    - [ ] indented code\n    - [ ] too\n\n"
        "> - [ ] quoted\n> - [ ] quoted too\n\n"
        "<!--\n- [ ] in a comment\n- [ ] also\n-->\n\n"
        "- [ ] <!-- only a comment -->\n"
        "- [ ] The real one\n"
        "- [ ] The other <!-- with a note -->\n"
    )
    assert _titles(spec) == ["The real one", "The other"]


def test_text_hidden_by_an_unclosed_comment_is_left_out():
    spec = "- [ ] Shown\n\n<div><!--\n\n- [ ] hidden\n- [ ] hidden too\n"
    assert _titles(spec) == ["Shown"]


def test_bodies_are_bounded_and_fences_left_open_are_closed():
    (task,) = _split("Long\n\n```\n" + "line\n" * 2000)
    assert len(task.body) <= MAX_BODY
    assert task.body.endswith("```\n\n…")
    (task,) = _split("x " * 3000)
    assert len(task.body) <= MAX_BODY and task.body.endswith("…")
    tasks = _split("- [ ] Open fence\n  ```\n  code\n- [ ] Next\n")
    assert tasks[0].body == "Open fence\n```\ncode\n```"  # closed: a footer would be code
    assert _split("Text\n<!-- open")[0].body == "Text\n<!-- open\n-->"


def test_bodies_lose_invisible_characters():
    (task,) = _split("Fix\u202e it\x00 now")
    assert task.title == "Fix it now"
    assert "\u202e" not in task.body and "\x00" not in task.body


# -- limits -----------------------------------------------------------------------------------


def test_max_tasks_is_respected():
    spec = "".join(f"- [ ] task {n}\n" for n in range(1, 51))
    assert _titles(spec, max_tasks=5) == [f"task {n}" for n in range(1, 6)]
    assert len(_split(spec, max_tasks=1)) == 1
    with pytest.raises(ValueError):
        split_spec(spec, max_tasks=0)


def test_titles_are_clipped_at_a_word_boundary():
    words = "Refactor the configuration loader so that every section validates " * 3
    (title,) = _titles(words)
    assert len(title) <= MAX_TITLE
    assert title.endswith("…")
    assert words.startswith(title[:-1])
    assert title[:-1] == title[:-1].rstrip() and words[len(title) - 1] == " "
    long_word = "x" * 200
    assert _titles(f"- [ ] {long_word}\n- [ ] b")[0] == "x" * (MAX_TITLE - 1) + "…"


# -- templates --------------------------------------------------------------------------------


def test_a_template_per_component():
    template = SpawnTemplate(
        title="Port {component_name} ({index}) for #{parent_issue}",
        body="Path: `{path}`\nPart of #{parent_issue}. Literal {{braces}}.",
    )
    components = [Component(name="parser", path="src/parser"), Component(name="lexer")]
    tasks = expand_template(template, components, parent_issue=12, count=None)
    assert tasks == [
        Task(
            "Port parser (1) for #12",
            "Path: `src/parser`\nPart of #12. Literal {braces}.",
            source=TEMPLATE,
        ),
        Task("Port lexer (2) for #12", "Path: ``\nPart of #12. Literal {braces}.", source=TEMPLATE),
    ]
    assert len(expand_template(template, components, parent_issue=1, count=1)) == 1


def test_a_template_without_components_repeats_with_the_index():
    template = SpawnTemplate(
        title="Chunk {index} of #{parent_issue}{component_name}", body="{path}"
    )
    tasks = expand_template(template, [], parent_issue=3, count=3)
    assert [t.title for t in tasks] == ["Chunk 1 of #3", "Chunk 2 of #3", "Chunk 3 of #3"]
    assert [t.body for t in tasks] == ["", "", ""]
    assert len(expand_template(template, [], parent_issue=3, count=None)) == 1
    with pytest.raises(ValueError):
        expand_template(template, [], parent_issue=3, count=0)


def test_a_template_is_filled_once_and_clipped():
    template = SpawnTemplate(title="{component_name} " + "word " * 30, body="{component_name}")
    (task,) = expand_template(
        template, [Component(name="{path}", path="p")], parent_issue=1, count=None
    )
    assert task.title.startswith("{path} word") and len(task.title) <= MAX_TITLE
    assert task.body == "{path}"
    (task,) = expand_template(
        SpawnTemplate(title="{component_name}"), [], parent_issue=1, count=None
    )
    assert task.title == "Task 1"  # nothing left of the title


# -- properties -------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_PIECES = st.sampled_from(
    [
        "- [ ] ",
        "- [x] ",
        "- ",
        "* ",
        "1. ",
        "2) ",
        "## ",
        "### ",
        "# ",
        "> ",
        "```",
        "~~~",
        "<!--",
        "-->",
        "<div>",
        "    ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r\n",
        "---",
        "===",
        "[",
        "]",
        "`",
        "word ",
        "x" * 90,
    ]
)
_MARKDOWN = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join)


def _check(spec: str, max_tasks: int) -> None:
    tasks = split_spec(spec, max_tasks=max_tasks)
    assert 1 <= len(tasks) <= max_tasks
    for task in tasks:
        assert task.title.strip() and len(task.title) <= MAX_TITLE
        assert "\n" not in task.title
        assert len(task.body) <= MAX_BODY
        assert task.depends_on == ()


@PROPERTIES
@given(st.text(), st.integers(1, 12))
def test_any_text_gives_between_one_and_max_tasks(spec, max_tasks):
    _check(spec, max_tasks)


@PROPERTIES
@given(_MARKDOWN, st.integers(1, 12))
def test_any_markdown_gives_between_one_and_max_tasks(spec, max_tasks):
    _check(spec, max_tasks)
