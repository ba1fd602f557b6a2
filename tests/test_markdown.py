"""Markdown structure: what is prose, what is code, which lines may carry a command."""

from __future__ import annotations

import pytest

from ossbot.markdown import code_blocks, code_spans, command_lines, has_code, prose, readable


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize(
    "body",
    [
        "- item\n  ```\n  secret\n  ```\n- next",  # a fence inside a list item
        "1. item\n\n   ```py\n   secret\n   ```",
        "- a\n  - b\n    ~~~\n    secret\n    ~~~",  # in a nested list
        "````\nsecret\n```\nstill secret\n````",  # four backticks: three do not close it
        "~~~\nsecret\n~~~",
        "~~~~ info\nsecret\n~~~~",
        "text\n\n    secret\n    secret too",  # indented code
        "```\nsecret to the end",  # an unclosed fence runs to the end
    ],
)
def test_code_blocks_of_every_kind_are_found_and_left_out_of_prose(body):
    assert has_code(body)
    assert any("secret" in code for code in code_blocks(body))
    assert "secret" not in prose(body)
    assert "secret" not in readable(body)
    assert not any("secret" in line for line in command_lines(body))


def test_code_blocks_content():
    assert code_blocks("a\n\n```py\nx = 1\n```\n\n    y = 2\n") == ["x = 1\n", "y = 2\n"]
    assert not has_code("no code, only `inline` code")


def test_prose_keeps_lines_in_place():
    body = "one\n```\ncode\n```\ntwo\r\nthree"
    assert prose(body).split("\n") == ["one", "", "", "", "two", "three"]


def test_block_quotes_are_not_prose_but_are_readable():
    body = "> quoted words\n> > nested\n\nmine"
    assert lines(prose(body)) == ["mine"]
    assert "quoted words" in readable(body)


def test_a_lazy_line_after_a_quote_is_the_authors_own_but_no_command():
    body = "> quoted\n@ossbot close"
    assert lines(prose(body)) == ["@ossbot close"]
    assert command_lines(body) == []


def test_html_comments_and_blocks_are_not_prose():
    body = (
        "<!-- template text\nspanning lines -->\n"
        "visible <!-- inline hidden --> words\n\n"
        "<details>\n<summary>Logs</summary>\nhtml words\n</details>\n"
    )
    text = prose(body)
    assert "template" not in text and "spanning" not in text and "inline hidden" not in text
    assert "html words" not in text and "visible" in text and "words" in text
    assert "html words" in readable(body) and "inline hidden" not in readable(body)


def test_an_unclosed_comment_in_html_hides_the_rest():
    body = "shown\n\n<!-- a --> <!-- open\n\n@ossbot close\n\nmore"
    assert lines(prose(body)) == ["shown"]
    assert command_lines(body) == ["shown"]


def test_inline_code_is_replaced_by_a_space_in_prose():
    assert prose("`can I work on this` please") == "  please"
    assert prose("run `assign\nme` now") == "run  \n  now"
    assert prose("``a ` b`` c") == "  c"
    assert prose("\\`not code` here") == "\\`not code` here"  # an escaped backtick opens nothing


def test_command_lines():
    body = (
        "@ossbot label bug\n"
        "- @ossbot assign me\n"
        "  1. @ossbot nested\n"
        "> @ossbot quoted\n\n"
        "```\n@ossbot in code\n```\n"
        "    @ossbot indented\n\n"
        "<!-- @ossbot hidden -->\n"
        "`@ossbot inline code` at the start\n"
        "a span `starts\n@ossbot inside` it\n"
        "# @ossbot heading\n"
        "<div>\n@ossbot html\n</div>\n"
    )
    assert command_lines(body) == [
        "@ossbot label bug",
        "@ossbot assign me",
        "@ossbot nested",
        "`@ossbot inline code` at the start",
        "a span `starts",
    ]


def test_command_lines_keep_inline_code_arguments():
    assert command_lines("@ossbot label `good first issue`") == ["@ossbot label `good first issue`"]


def test_code_spans_are_offsets_in_the_text():
    text = "a\r\nsee `@x` and ``y``"
    assert [text[start:end] for start, end in code_spans(text)] == ["`@x`", "``y``"]


def test_code_spans_are_not_trusted_after_html_or_across_a_table_cell():
    assert code_spans("<a title='`'>`@x`") == []
    assert code_spans("| `a | @b` |") == []
