"""Comments on issues: an onboarding reply to someone who wants to contribute, and an answer to
a question that mentions the bot's handle. Nothing else is answered: ossbot never replies to
every comment.

Intent and mentions are looked for in what the commenter wrote themselves: quoted replies,
code and HTML comments do not count.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from ossbot.commands.job import ANSWERS
from ossbot.commands.parse import parse_commands
from ossbot.context import Context
from ossbot.events import Comment, Event, Issue
from ossbot.github.markers import find_marker
from ossbot.github.own import find_own_comment, own_comments
from ossbot.llm import guard
from ossbot.llm.client import AllProvidersFailed
from ossbot.markdown import prose
from ossbot.plan import Plan, UpsertComment
from ossbot.repo_config import ONBOARDING_PHRASES
from ossbot.text import safe_inline
from ossbot.triage.guides import contributing, guides
from ossbot.triage.history import history
from ossbot.triage.related import Neighbours

_QUESTION_WORDS = re.compile(
    r"^\s*(how|what|why|where|when|which|who|can|could|is|are|does|do|did|should|would|will|"
    r"explain|tell|help|any)\b",
    re.I,
)
RELATED = 3
MENTION = ANSWERS  # the kind of an answer: mention-<comment id>; answers are counted together


class MentionAnswer(BaseModel):
    answer: list[str] = Field(description="The answer, as a few short paragraphs or bullet points.")


def own_words(body: str) -> str:
    """What the commenter wrote themselves (markdown.prose: no block quotes, code of any kind,
    HTML or HTML comments), typographic apostrophes made plain."""
    return prose(body or "").replace("\u2019", "'")


@lru_cache(maxsize=256)
def _phrase_pattern(phrase: str) -> tuple[str, re.Pattern[str]]:
    """The phrase's longest word, looked for first (a substring test is much faster than the
    pattern on a long comment), and the pattern of the whole phrase."""
    words = phrase.lower().replace("\u2019", "'").split()
    pattern = r"(?<![\w'-])" + r"\s+".join(map(re.escape, words)) + r"(?![\w'-])"
    return max(words, key=len, default=""), re.compile(pattern)


def wants_to_contribute(body: str, extra: list[str]) -> bool:
    text = own_words(body).lower()
    for phrase in [*ONBOARDING_PHRASES, *extra]:
        longest, pattern = _phrase_pattern(phrase)
        if phrase.strip() and longest in text and pattern.search(text):
            return True
    return False


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
        return plan.with_(skipped=f"comments are answered when created, not {event.action}")
    if comment.user.is_bot:
        return plan.with_(skipped=f"the comment is by a bot ({comment.user.login})")
    onboarding, mentions, handle = ctx.config.onboarding, ctx.config.mentions, ctx.config.bot.handle
    commands = ctx.config.commands
    if commands.enabled and parse_commands(
        comment.body, handle=handle, slash=commands.slash, names=ctx.command_names
    ):
        return plan.with_(skipped="the comment is a command (`ossbot run` acts on it)")
    if (
        onboarding.enabled
        and not issue.is_pull_request
        and wants_to_contribute(comment.body, onboarding.phrases)
    ):
        return _onboarding(ctx, plan, issue, comment)
    question = question_for(comment.body, handle) if mentions.enabled else None
    if question:
        return _mention(ctx, plan, issue, comment, question)
    return plan.with_(
        skipped=f"the comment neither asks to contribute nor asks {handle} a question"
    )


# -- onboarding -------------------------------------------------------------------------------


def _onboarding(ctx: Context, plan: Plan, issue: Issue, comment: Comment) -> Plan:
    login = comment.user.login
    kind = f"onboarding-{login.lower()}"
    if find_own_comment(ctx.reader, ctx.repo, issue.number, kind, ctx.bot_login):
        return plan.with_(skipped=f"{login} already had an onboarding reply on this issue")
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
    notes = (
        []
        if ctx.online
        else ["no token: linked pull requests, guides and good first issues were not read"]
    )
    return plan.with_(
        actions=[UpsertComment(repo=ctx.repo, number=issue.number, marker=kind, body=body)],
        notes=notes,
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
    kind = f"{MENTION}{comment.id}"
    answered = own_comments(ctx.reader, ctx.repo, issue.number, ctx.bot_login, prefix=MENTION)
    if any(find_marker(c.body, kind) for c in answered):
        return plan.with_(skipped="this comment was answered already")
    if len(answered) >= ctx.config.mentions.max_per_issue:
        return plan.with_(
            skipped=f"{len(answered)} questions were answered on this "
            "issue already (mentions.max_per_issue)"
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
    cap = ctx.config.mentions.max_per_issue
    action = UpsertComment(
        repo=ctx.repo, number=issue.number, marker=kind, body=body, family=MENTION, family_max=cap
    )
    return plan.with_(actions=[action], notes=notes)


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
