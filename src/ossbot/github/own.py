"""ossbot's own comments: written by the bot's login AND carrying its marker. A marker pasted by
anyone else is ignored, so nobody can hijack or suppress ossbot's output."""

from __future__ import annotations

from typing import Any

from ossbot.events import Comment
from ossbot.github.markers import marker_kinds


def own_comments(
    reader: Any,
    repo: str,
    number: int,
    bot_login: str,
    *,
    kind: str | None = None,
    prefix: str | None = None,
    fresh: bool = False,
) -> list[Comment]:
    """The bot's comments with a marker of this `kind` (or whose kind starts with `prefix`),
    oldest first (ids grow with time)."""
    found = []
    for comment in reader.issue_comments(repo, number, fresh=fresh):
        if comment.user.login.lower() != bot_login.lower():
            continue
        kinds = marker_kinds(comment.body)
        if (kind is not None and kind in kinds) or (
            prefix is not None and any(k.startswith(prefix) for k in kinds)
        ):
            found.append(comment)
    return sorted(found, key=lambda comment: comment.id)


def find_own_comment(
    reader: Any, repo: str, number: int, kind: str, bot_login: str
) -> Comment | None:
    """The oldest of ossbot's comments of this marker kind, or None."""
    found = own_comments(reader, repo, number, bot_login, kind=kind)
    return found[0] if found else None
