"""Comments on issues: an onboarding reply to someone who wants to contribute, and an answer to
a question that mentions the bot's handle. Nothing else is answered: ossbot never replies to
every comment.

Intent and mentions are looked for in what the commenter wrote themselves: quoted replies,
code and HTML comments do not count.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from ossbot.context import Context
from ossbot.events import Comment, Event, Issue
from ossbot.github.markers import Marker, find_marker, marker_kinds
from ossbot.llm import guard
from ossbot.llm.client import AllProvidersFailed
from ossbot.plan import Plan, UpsertComment, find_own_comment
from ossbot.repo_config import ONBOARDING_PHRASES
from ossbot.text import safe_inline, strip_code_blocks, strip_html_comments
from ossbot.triage.guides import contributing, guides
from ossbot.triage.history import history
from ossbot.triage.related import Neighbours

_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUESTION_WORDS = re.compile(
    r"^\s*(how|what|why|where|when|which|who|can|could|is|are|does|do|did|should|would|will|"
    r"explain|tell|help|any)\b",
    re.I,
)
RELATED = 3


class MentionAnswer(BaseModel):
    answer: list[str] = Field(description="The answer, as a few short paragraphs or bullet points.")


def own_words(body: str) -> str:
    """The comment without quoted lines, code or HTML comments; typographic apostrophes made plain."""
    text = strip_code_blocks(strip_html_comments(body or ""))
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return _INLINE_CODE.sub(" ", "\n".join(lines)).replace("\u2019", "'")


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in phrase.lower().replace("\u2019", "'").split()]
    return re.compile(r"(?<![\w'-])" + r"\s+".join(words) + r"(?![\w'-])")


def wants_to_contribute(body: str, extra: list[str]) -> bool:
    text = own_words(body).lower()
    return any(_phrase_pattern(p).search(text) for p in [*ONBOARDING_PHRASES, *extra] if p.strip())


def question_for(body: str, handle: str) -> str | None:
    """The question asked of `handle` (e.g. "@ossbot"), or None when the comment does not
    mention it or asks nothing."""
    text = own_words(body)
    pattern = re.compile(r"(?<![\w@/])" + re.escape(handle.strip()) + r"(?![\w-])", re.I)
    if not pattern.search(text):
        return None
    question = " ".join(pattern.sub(" ", text).split()).strip(" ,:")
    if "?" in question or _QUESTION_WORDS.match(question):
        return question
    return None


def plan_comment(ctx: Context, event: Event) -> Plan:
    issue, comment = event.issue, event.comment
    assert issue is not None and comment is not None
    plan = Plan(
        job="triage", event=f"{event.name}.{event.action}", repo=event.repo, number=issue.number
    )
    if event.action != "created":
        return plan.model_copy(
            update={"skipped": f"comments are answered when created, not {event.action}"}
        )
    if comment.user.is_bot:
        return plan.model_copy(
            update={"skipped": f"the comment is by a bot ({comment.user.login})"}
        )
    onboarding, mentions = ctx.config.onboarding, ctx.config.mentions
    if (
        onboarding.enabled
        and not issue.is_pull_request
        and wants_to_contribute(comment.body, onboarding.phrases)
    ):
        return _onboarding(ctx, plan, issue, comment)
    question = question_for(comment.body, mentions.handle) if mentions.enabled else None
    if question:
        return _mention(ctx, plan, issue, comment, question)
    return plan.model_copy(
        update={
            "skipped": "the comment neither asks to contribute nor asks "
            f"{mentions.handle} a question"
        }
    )


# -- onboarding -------------------------------------------------------------------------------


def _onboarding(ctx: Context, plan: Plan, issue: Issue, comment: Comment) -> Plan:
    login = comment.user.login
    kind = f"onboarding-{login.lower()}"
    if find_own_comment(ctx.reader, ctx.repo, issue.number, kind, ctx.bot_login):
        return plan.model_copy(
            update={"skipped": f"{login} already had an onboarding reply on this issue"}
        )
    cfg = ctx.config.onboarding
    pulls = _open_linked_pulls(ctx, issue.number)
    good_first = [
        i
        for i in ctx.reader.open_issues_labelled(ctx.repo, cfg.good_first_label, cfg.max_issues + 1)
        if i["number"] != issue.number and not i.get("pull_request")
    ][: cfg.max_issues]
    guide = contributing(ctx)
    body = ctx.templates.render(
        "onboarding.md.j2",
        commenter=login,
        issue_open=issue.state == "open",
        assignees=[user.login for user in issue.assignees],
        pulls=[
            {
                "number": p["number"],
                "title": safe_inline(p.get("title") or "", 100),
                "url": p.get("html_url") or "",
            }
            for p in pulls
        ],
        contributing=guide.url if guide else None,
        good_first=[
            {
                "number": i["number"],
                "title": safe_inline(i.get("title") or "", 100),
                "url": i.get("html_url") or "",
            }
            for i in good_first
        ],
        good_first_label=cfg.good_first_label,
        checked=ctx.online,
    )
    body += "\n" + Marker(kind).render() + "\n"
    notes = (
        []
        if ctx.online
        else ["no token: linked pull requests, guides and good first issues were not read"]
    )
    return plan.model_copy(
        update={
            "actions": [UpsertComment(repo=ctx.repo, number=issue.number, marker=kind, body=body)],
            "notes": notes,
        }
    )


def _open_linked_pulls(ctx: Context, number: int) -> list[dict[str, Any]]:
    """Open pull requests that reference the issue (its timeline's cross-references)."""
    found: dict[int, dict[str, Any]] = {}
    for event in ctx.reader.timeline(ctx.repo, number):
        source = (event.get("source") or {}).get("issue") or {}
        if (
            event.get("event") == "cross-referenced"
            and source.get("pull_request")
            and source.get("state") == "open"
        ):
            found[source["number"]] = source
    return list(found.values())


# -- mentions ---------------------------------------------------------------------------------


def _mention(ctx: Context, plan: Plan, issue: Issue, comment: Comment, question: str) -> Plan:
    kind = f"mention-{comment.id}"
    answered = [
        c
        for c in ctx.reader.issue_comments(ctx.repo, issue.number)
        if c.user.login.lower() == ctx.bot_login.lower() and _is_mention_answer(c.body)
    ]
    if any(find_marker(c.body, kind) for c in answered):
        return plan.model_copy(update={"skipped": "this comment was answered already"})
    if len(answered) >= ctx.config.mentions.max_per_issue:
        return plan.model_copy(
            update={
                "skipped": f"{len(answered)} questions were answered on this "
                "issue already (mentions.max_per_issue)"
            }
        )
    neighbours = Neighbours(issue, history(ctx).issues)
    related = neighbours.nearest(RELATED, min_score=0.1)
    found = guides(ctx)
    notes: list[str] = []
    answer, engine = None, "offline"
    if ctx.llm.enabled:
        try:
            answer, engine = _ask_model(ctx, issue, question, related, found)
        except AllProvidersFailed as failure:
            engine = "offline (model unavailable)"
            notes.append(f"the model was unavailable, so an offline answer was given: {failure}")
    body = ctx.templates.render(
        "mention-answer.md.j2",
        asker=comment.user.login,
        answer=answer or [],
        related=[
            {
                "number": r.past.number,
                "title": safe_inline(r.past.title, 100),
                "url": r.past.html_url,
                "state": r.past.state,
            }
            for r in related
        ],
        guides=[{"title": g.title, "url": g.url} for g in found],
        engine=engine,
    )
    body += "\n" + Marker(kind).render() + "\n"
    return plan.model_copy(
        update={
            "actions": [UpsertComment(repo=ctx.repo, number=issue.number, marker=kind, body=body)],
            "notes": notes,
        }
    )


def _is_mention_answer(body: str) -> bool:
    return any(kind.startswith("mention-") for kind in marker_kinds(body))


def _ask_model(
    ctx: Context, issue: Issue, question: str, related: list, found: list
) -> tuple[list[str], str]:
    prompt = ctx.prompts.render(
        "mention.j2",
        repo=ctx.repo,
        title=issue.title,
        body=issue.body,
        question=question,
        related=[
            {"number": r.past.number, "title": r.past.title, "state": r.past.state} for r in related
        ],
        guides=[{"title": g.title, "url": g.url} for g in found],
    )
    result = ctx.llm.generate(prompt, MentionAnswer, purpose="mention")
    assert result.value is not None
    lines = guard.clean_lines(result.value.answer, most=6, limit=600)
    return lines, result.model + (" (fallback)" if result.fallback else "")
