"""A welcome for an author's first issue, or first pull request, in the repository.

Issues and pull requests are counted apart: someone who filed issues before but opens a first
pull request is a first-time pull request author, and the other way round (GitHub's
first-interaction action counts both together and misses them). Off by default.
"""

from __future__ import annotations

from ossbot.context import Context
from ossbot.events import Event
from ossbot.plan import UpsertComment

WELCOME_MARKER = "welcome"


def plan_welcome(
    ctx: Context, event: Event, author: str, *, is_pull_request: bool, new: bool = False
) -> list[UpsertComment]:
    """`new`: the issue was read live with no comment at all (see UpsertComment.new)."""
    cfg = ctx.config.welcome
    wanted = cfg.pull_requests if is_pull_request else cfg.issues
    number = event.number
    if not (cfg.enabled and wanted and event.action == "opened" and number is not None):
        return []
    if author.lower().endswith("[bot]") or not _first_time(ctx, author, number, is_pull_request):
        return []
    kind = "pull request" if is_pull_request else "issue"
    message = cfg.pr_message if is_pull_request else cfg.issue_message
    values = {"author": author, "repo": ctx.repo, "kind": kind}
    if message:
        body = ctx.templates.render_text(
            message, f"welcome.{'pr' if is_pull_request else 'issue'}_message", **values
        )
    else:
        body = ctx.templates.render(
            "welcome-pr.md.j2" if is_pull_request else "welcome-issue.md.j2", **values
        )
    return [UpsertComment(repo=ctx.repo, number=number, marker=WELCOME_MARKER, body=body, new=new)]


def _first_time(ctx: Context, author: str, number: int, is_pull_request: bool) -> bool:
    """No other issue (or pull request) by this author, open or closed. Unknown without a token."""
    items = ctx.reader.issues_by(ctx.repo, author)
    if items is None:
        return False
    same_kind = [i for i in items if bool(i.get("pull_request")) == is_pull_request]
    return all(i["number"] == number for i in same_kind)
