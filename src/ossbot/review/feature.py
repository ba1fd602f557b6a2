"""The review of a pull request: one snapshot (the paginated files endpoint, patches parsed with
unidiff), a selection within the token budget, the offline engine and optionally a model, and
the plan: one comment (updated in place), a check run, inline comments (off by default) and a
record in the state. Never checks out or runs the pull request's code.

The offline checks run on what fits the budget (and secrets and conflict markers on every
patch); the model reads within the same budget, in at most `review.max_calls` calls.

Incremental: the head reviewed last is known from the state (or, when the state was lost, from
the comment's marker); the compare endpoint tells the commits since and the files they changed.
Only those files go to the model again; the model's findings on the others are kept while the
lines they point at are still in the diff. Offline findings are recomputed at every run, so
findings that no longer apply disappear. A force push (the old head is not an ancestor, or GitHub
no longer knows it) is a full review."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ossbot.context import Context
from ossbot.events import Event, PullRequest
from ossbot.github.markers import find_marker
from ossbot.github.own import find_own_comment
from ossbot.llm.client import AllProvidersFailed
from ossbot.plan import (
    Annotation,
    Finding,
    InlineComment,
    Plan,
    PostReview,
    RecordReview,
    UpsertCheckRun,
    UpsertComment,
)
from ossbot.repo_config import ReviewConfig
from ossbot.review.diff import FileDiff, parse_files
from ossbot.review.model import ModelReview, plan_calls, review_with_model
from ossbot.review.offline import (
    FileNote,
    category,
    file_note,
    finding_key,
    line_findings,
    pull_findings,
    scores,
)
from ossbot.review.select import REASONS, Selection, select
from ossbot.text import safe_inline, sanitize

REVIEW_MARKER = "review"
CHECK_NAME = "ossbot review"
MAX_FILES = 3000  # GitHub lists at most this many files of a pull request
COMPARE_FILES = 300  # ... and at most this many of a comparison
MAX_ANNOTATIONS = 150
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
FILE_ROWS = 15  # per-file notes shown
LEFT_OUT_SHOWN = 20  # paths shown per reason in the coverage section


@dataclass
class Scope:
    """What this run covers: the whole pull request, or the commits since the last review."""

    mode: str  # full, incremental, same
    since: str | None = None  # the head reviewed last
    commits: list[dict[str, str]] = field(default_factory=list)  # since then: sha, message
    total_commits: int = 0
    changed: set[str] | None = None  # files changed since (None: all of them)
    why: str = ""
    previous: dict[str, Any] | None = None  # the last review's record
    listed: bool = False  # the comments were listed to find the last reviewed head


def plan_review(ctx: Context, event: Event, *, forced: bool = False) -> Plan:
    """`forced`: asked for by a command (a full review, whatever review.actions says)."""
    pull = event.pull_request
    assert pull is not None
    plan = Plan(
        job="review", event=f"{event.name}.{event.action}", repo=event.repo, number=pull.number
    )
    reason = _skip(ctx, event, pull, forced)
    if reason:
        return plan.with_(skipped=reason)
    entries = ctx.reader.pull_files(ctx.repo, pull.number, MAX_FILES)
    if entries is None:
        return plan.with_(skipped="the pull request's files cannot be read (or it is gone)")
    early: list[str] = []
    listed = _listed_head(entries)
    if listed is not None and listed != pull.head.sha:  # a push landed since the event
        early.append(
            f"the files were listed at {listed[:7]}, not at the event's {pull.head.sha[:7]} "
            "(the branch moved meanwhile): that commit is the one reviewed"
        )
        pull = pull.model_copy(update={"head": pull.head.model_copy(update={"sha": listed})})
    files = parse_files(entries)
    cfg = ctx.config.review
    scope = _scope(ctx, pull, forced)
    model_budget = cfg.budget
    selection = select(files, cfg.ignored(), model_budget)
    review = _review(ctx, pull, files, selection, scope)
    actions: list[Any] = [
        UpsertComment(
            repo=ctx.repo,
            number=pull.number,
            marker=REVIEW_MARKER,
            attrs={"head": pull.head.sha, "base": pull.base.sha},
            body=review.body,
            new=pull.comments == 0 and scope.previous is None and scope.mode == "full",
            # Planning listed the comments just now (no model in between): that read will do.
            fresh=not (scope.listed and review.model is None),
            reread=False,
            version=pull.updated_at,
            optional=True,  # a fork's read-only token: the review goes to the job summary
        )
    ]
    conclusion = None
    if cfg.check_run:
        check = _check_run(ctx, pull, review, cfg)
        conclusion = check.conclusion
        if (
            event.action in ("opened", "synchronize")
            and not forced
            and scope.since != pull.head.sha
        ):
            check = check.model_copy(update={"new_commit": REVIEW_MARKER})  # see UpsertCheckRun
        actions.append(check)
    if cfg.inline:
        inline = _inline(ctx, pull, review, cfg)
        if inline is not None:
            actions.append(inline)
    actions.append(
        RecordReview(
            repo=ctx.repo,
            number=pull.number,
            row={**_record(ctx, pull, scope, review), "check_conclusion": conclusion},
        )
    )
    notes = (
        early
        + review.notes
        + (
            ["a dry run: nothing is recorded, so the next real run reviews in full"]
            if ctx.dry_run
            else []
        )
    )
    return plan.with_(actions=actions, notes=notes)


def _listed_head(entries: list[dict[str, Any]]) -> str | None:
    """The commit the files were listed at (each entry's `contents_url` names it as `ref`): a
    push that landed after the event makes it differ from the event's head."""
    for entry in entries:
        if entry.get("status") == "removed":  # its contents_url names the merge base
            continue
        query = urlsplit(str(entry.get("contents_url") or "")).query
        ref = (parse_qs(query).get("ref") or [""])[0]
        return ref if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref) else None
    return None


def _skip(ctx: Context, event: Event, pull: PullRequest, forced: bool) -> str | None:
    cfg = ctx.config.review
    if not cfg.enabled:
        return "review is turned off (review.enabled: false)"
    if not forced and event.action not in cfg.actions:
        return f"review does not run on '{event.action}' (review.actions)"
    if pull.state != "open":
        return "the pull request is closed"
    if pull.draft and not cfg.drafts and not forced:
        return "the pull request is a draft (review.drafts: false); it is reviewed when ready"
    if pull.user.is_bot and not cfg.bots and not forced:
        return f"the pull request is by a bot ({pull.user.login}; review.bots: false)"
    if not ctx.online and ctx.reader.pull_files(ctx.repo, pull.number, 1) is None:
        return (
            "without a token the pull request's changed files cannot be read "
            "(preview a local change with --diff)"
        )
    return None


# -- scope: the whole pull request, or what changed since the last review ----------------------


def _scope(ctx: Context, pull: PullRequest, forced: bool) -> Scope:
    scope = _scope_of(ctx, pull, forced)
    scope.listed = scope.previous is None and pull.comments != 0
    return scope


def _scope_of(ctx: Context, pull: PullRequest, forced: bool) -> Scope:
    previous = ctx.store.last_review(ctx.repo, pull.number)
    if previous is not None and previous.get("base_ref") not in (None, pull.base.ref):
        previous = None  # the base branch changed: what was said against the old one is moot
    since = previous["head_sha"] if previous else _marker_head(ctx, pull)
    if forced:
        return Scope("full", since=since, why="asked for", previous=previous)
    if since is None:
        return Scope("full", why="first review", previous=previous)
    if since == pull.head.sha:
        return Scope("same", since=since, why="the head was reviewed already", previous=previous)
    compared = ctx.reader.compare(ctx.repo, since, pull.head.sha)
    if compared is None:
        why = f"force-pushed: {since[:7]} is no longer known to GitHub"
        return Scope("full", since=since, why=why, previous=previous)
    status = compared.get("status")
    if status not in ("ahead", "identical"):
        why = f"force-pushed: {since[:7]} is not in the branch's history any more"
        return Scope("full", since=since, why=why, previous=previous)
    commits = [
        {
            "sha": str(c.get("sha") or ""),
            "message": safe_inline(
                ((c.get("commit") or {}).get("message") or "").split("\n")[0], 80
            ),
        }
        for c in compared.get("commits") or []
        if isinstance(c, dict)
    ]
    listed = [f.get("filename") for f in compared.get("files") or [] if isinstance(f, dict)]
    changed = {str(name) for name in listed if name} if len(listed) < COMPARE_FILES else None
    return Scope(
        "incremental",
        since=since,
        commits=commits,
        total_commits=int(compared.get("total_commits") or len(commits)),
        changed=changed,
        why=f"{len(commits)} new commit(s) since {since[:7]}",
        previous=previous,
    )


def _marker_head(ctx: Context, pull: PullRequest) -> str | None:
    """The head the comment says it reviewed (when the state was lost)."""
    if pull.comments == 0:
        return None
    found = find_own_comment(ctx.reader, ctx.repo, pull.number, REVIEW_MARKER, ctx.bot_login)
    marker = find_marker(found.body, REVIEW_MARKER) if found else None
    head = marker.get("head") if marker else None
    return head if head and len(head) == 40 and all(c in "0123456789abcdef" for c in head) else None


# -- the review itself ----------------------------------------------------------------------


@dataclass
class Review:
    category: str
    summary: list[str]
    notes_by_file: list[FileNote]
    findings: list[Finding]
    scores: dict[str, float]
    selection: Selection
    files: list[FileDiff]
    engine: str
    model: ModelReview | None
    scope: Scope
    body: str = ""
    notes: list[str] = field(default_factory=list)
    safety_scanned: int = 0
    said: dict[str, Any] = field(default_factory=dict)


def _review(
    ctx: Context, pull: PullRequest, files: list[FileDiff], selection: Selection, scope: Scope
) -> Review:
    cfg = ctx.config.review
    by_path = {f.path: f for f in files}
    chosen = set(selection.chosen)
    findings: list[Finding] = []
    scanned = 0
    for diff in files:
        if not diff.hunks:
            continue
        scanned += 1
        findings += _keyed(diff, line_findings(diff, safety_only=diff.path not in chosen))
    findings += pull_findings(files, large_lines=cfg.large_pr_lines)
    notes_by_file = [file_note(by_path[path]) for path in selection.chosen]
    summary = _offline_summary(pull, files, selection)
    engine, model, notes = "offline", None, []
    kind = category(pull.title, files)
    said: dict[str, Any] = {}  # what the model said of the whole pull request, for the record
    if ctx.llm.enabled and selection.chosen:
        earlier, reread = _earlier(scope, by_path)
        to_read = [
            (path, hunk) for path, hunk in selection.ranked if reread is None or path in reread
        ]
        try:
            model = _ask_model(ctx, pull, by_path, to_read)
        except AllProvidersFailed as failure:
            engine = "offline (model unavailable)"
            notes.append(f"the model was unavailable, so the offline review was used: {failure}")
            if earlier is not None:  # what it said before still holds where nothing changed
                findings += _merge(findings, earlier.findings)
        else:
            if model.failed:
                notes.append(
                    f"{model.failed} of the model's calls got no answer: "
                    "their files were read offline only"
                )
            if earlier is None and not model.read:
                model = None  # nothing could be sent (a hunk larger than llm.input_budget)
            else:
                engine = model.engine or (earlier.engine if earlier else "") or "model (cached)"
                model_notes = dict(model.notes)
                if earlier is not None:
                    kind = earlier.category or model.category or kind
                    summary = list(earlier.summary) or model.summary or summary
                    said = {"category": kind, "summary": list(summary)}
                    if model.summary and earlier.summary and scope.since:
                        summary = [*summary[:4], f"Since {scope.since[:7]}: {model.summary[0]}"]
                    model_notes = {**earlier.notes, **model.notes}
                    found = model.findings + earlier.findings
                else:
                    kind = model.category or kind
                    summary = model.summary or summary
                    said = {"category": kind, "summary": list(summary)}
                    found = model.findings
                read = set(earlier.read if earlier else ()) | _wholly_read(model, to_read)
                model.unread = [p for p in selection.chosen if p not in read]
                said["notes"], said["read"] = model_notes, sorted(read)
                for note in notes_by_file:
                    if note.path in model_notes:
                        note.note, note.by_model = model_notes[note.path][0], True
                        note.risk = _worse(note.risk, model_notes[note.path][1])
                findings += _merge(findings, found)
                if model.dropped:
                    notes.append(
                        f"{model.dropped} model finding(s) pointed outside the diff: dropped"
                    )
    worst: dict[str, str] = {}
    for finding in findings:
        if finding.file:
            worst[finding.file] = _worse(worst.get(finding.file, "low"), finding.severity)
    for note in notes_by_file:
        note.risk = _worse(note.risk, worst.get(note.path, "low"))
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.file or "", f.line or 0))
    card = scores(findings, notes_by_file)
    review = Review(
        category=kind,
        summary=summary,
        notes_by_file=notes_by_file,
        findings=findings,
        scores=card,
        selection=selection,
        files=files,
        engine=engine,
        model=model,
        scope=scope,
        notes=notes,
        safety_scanned=scanned,
        said=said,
    )
    review.body = _render(ctx, pull, review)
    return review


def _keyed(diff: FileDiff, found: list[Finding]) -> list[Finding]:
    """Keys that survive a push which moves the line: the rule and the line's text."""
    text = dict(diff.added)
    return [
        f.model_copy(
            update={
                "key": finding_key(f.kind, f.title, diff.path, text.get(f.line or 0, "").strip())
            }
        )
        for f in found
    ]


@dataclass
class Earlier:
    """What the model said at the last review, where it still applies."""

    findings: list[Finding]
    notes: dict[str, tuple[str, str]]
    category: str | None
    summary: list[str]
    read: set[str]  # files it had read wholly, unchanged since
    engine: str


def _earlier(scope: Scope, by_path: dict[str, FileDiff]) -> tuple[Earlier | None, set[str] | None]:
    """The model's earlier output on the files unchanged since the last review, and the files
    it must read: those changed since, and those it has not read yet (None: all, in full)."""
    previous = scope.previous
    if scope.mode not in ("incremental", "same") or not previous or not previous.get("engine"):
        return None, None
    changed = scope.changed if scope.mode == "incremental" else set()
    if changed is None:
        return None, None
    said = json.loads(previous.get("model") or "{}")
    findings = []
    for item in json.loads(previous.get("model_findings") or "[]"):
        finding = Finding(**item)
        diff = by_path.get(finding.file or "")
        if diff is not None and finding.file not in changed and finding.line in diff.right_lines:
            findings.append(finding)
    notes = {
        path: (str(value[0]), str(value[1]))
        for path, value in (said.get("notes") or {}).items()
        if path in by_path and path not in changed
    }
    read = {path for path in said.get("read") or [] if path in by_path and path not in changed}
    earlier = Earlier(
        findings,
        notes,
        said.get("category"),
        list(said.get("summary") or []),
        read,
        str(previous.get("engine") or ""),
    )
    return earlier, set(by_path) - read


def _ask_model(
    ctx: Context, pull: PullRequest, by_path: dict[str, FileDiff], ranked: list[Any]
) -> ModelReview:
    """The model reads `ranked` (what changed since the last review or was not read yet, or
    everything), most important first, in at most `review.max_calls` calls."""
    calls = plan_calls(ctx, pull, by_path, ranked) if ranked else []
    return review_with_model(ctx, pull, by_path, calls) if calls else ModelReview(engine="")


def _wholly_read(model: ModelReview, ranked: list[Any]) -> set[str]:
    wanted: dict[str, int] = {}
    for path, _ in ranked:
        wanted[path] = wanted.get(path, 0) + 1
    return {path for path, count in wanted.items() if model.read.get(path, 0) >= count}


def _merge(offline: list[Finding], model: list[Finding]) -> list[Finding]:
    """The model's findings that no offline finding already makes (same file and line)."""
    taken = [(f.file, f.line) for f in offline if f.file and f.line]
    out: list[Finding] = []
    seen: set[str] = set()
    for finding in model:
        if finding.key in seen:
            continue
        if any(path == finding.file and line == finding.line for path, line in taken):
            continue
        seen.add(finding.key)
        out.append(finding)
    return out


def _worse(a: str, b: str) -> str:
    return a if SEVERITY_RANK.get(a, 2) <= SEVERITY_RANK.get(b, 2) else b


def _offline_summary(pull: PullRequest, files: list[FileDiff], selection: Selection) -> list[str]:
    kinds: dict[str, int] = {}
    for diff in files:
        kinds[diff.kind] = kinds.get(diff.kind, 0) + 1
    added = sum(f.additions for f in files)
    removed = sum(f.deletions for f in files)
    if not files:
        return ["Changes no file."]
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    lines = [f"Changes {len(files)} file(s) ({parts}): +{added:,} −{removed:,} lines."]
    new = [f.path for f in files if f.status == "added"]
    gone = [f.path for f in files if f.status == "removed"]
    if new:
        lines.append(
            f"Adds {len(new)} file(s)" + (f", e.g. `{_path(new[0])}`" if new else "") + "."
        )
    if gone:
        lines.append(f"Deletes {len(gone)} file(s).")
    return lines


def _path(path: str) -> str:
    """A file name fit for a code span: one line, no backtick, bounded (a code span shows the
    rest as it is, HTML and all; markers are stripped from the whole comment)."""
    shown = "".join(c if c.isprintable() else " " for c in sanitize(path)).replace("`", "'")
    return shown if len(shown) <= 120 else shown[:119] + "…"


def _cell(path: str) -> str:
    """A file name in a table cell: `|` would end the cell, even inside a code span."""
    return _path(path).replace("\\", "⧵").replace("|", "\\|")


# -- what is written -------------------------------------------------------------------------


MAX_BODY = 60_000  # GitHub takes 65,536 characters in a comment, 65,535 in a check run's text


def _render(ctx: Context, pull: PullRequest, review: Review) -> str:
    """The comment, shortened (fewer findings and paths listed, each list saying how many more)
    until it fits GitHub's limits whatever the pull request holds."""
    shown, paths = ctx.config.review.max_findings, LEFT_OUT_SHOWN
    while True:
        text = _render_with(ctx, pull, review, shown, paths)
        if len(text) <= MAX_BODY or (shown <= 1 and paths <= 1):
            return text[:MAX_BODY]
        shown, paths = max(shown // 2, 1), max(paths // 2, 1)


def _render_with(
    ctx: Context, pull: PullRequest, review: Review, most: int, paths_shown: int
) -> str:
    selection, scope = review.selection, review.scope
    shown = review.findings[:most]
    rows = sorted(
        review.notes_by_file, key=lambda n: (SEVERITY_RANK[n.risk], -(n.additions + n.deletions))
    )
    rows = [n for n in rows if n.risk != "low" or n.by_model]  # short when little to say
    left = selection.left_out()
    model = review.model
    return ctx.templates.render(
        "review.md.j2",
        category=review.category,
        summary=review.summary,
        findings=[
            {
                "severity": f.severity,
                "title": safe_inline(f.title, 160),
                "details": safe_inline(f.details, 600),
                "file": _path(f.file) if f.file else None,
                "line": f.line,
                "source": "model" if f.kind == "model" else "offline",
            }
            for f in shown
        ],
        more_findings=len(review.findings) - len(shown),
        files=[
            {"path": _cell(n.path), "risk": n.risk, "note": safe_inline(n.note, 200)}
            for n in rows[:FILE_ROWS]
        ],
        more_files=max(len(review.notes_by_file) - min(len(rows), FILE_ROWS), 0),
        scores=review.scores,
        total_files=len(review.files),
        reviewed=len(selection.reviewed),
        partial=sum(1 for c in selection.coverage if c.status == "partial"),
        tokens=selection.tokens,
        budget=selection.budget,
        safety_scanned=review.safety_scanned,
        left_out=[
            {
                "reason": REASONS.get(status, status),
                "count": len(items),
                "paths": [
                    _path(c.path) + (f" ({c.detail})" if status == "unreadable" else "")
                    for c in items[:paths_shown]
                ],
                "more": max(len(items) - paths_shown, 0),
            }
            for status, items in left.items()
        ]
        + (
            [
                {
                    "reason": "read offline only, in whole or part (the model's calls were full)",
                    "count": len(model.unread),
                    "paths": [_path(p) for p in model.unread[:paths_shown]],
                    "more": max(len(model.unread) - paths_shown, 0),
                }
            ]
            if model and model.unread
            else []
        ),
        capped=len(review.files) >= MAX_FILES,
        head=pull.head.sha,
        base_ref=safe_inline(pull.base.ref, 80),
        scope={
            "mode": scope.mode,
            "since": scope.since,
            "why": scope.why,
            "commits": scope.commits[-10:],  # the newest
            "more_commits": max(scope.total_commits - 10, 0),
        },
        engine=review.engine,
        model_calls=model.calls if model else 0,
        model_tokens=model.tokens if model else 0,
    )


def _check_run(
    ctx: Context, pull: PullRequest, review: Review, cfg: ReviewConfig
) -> UpsertCheckRun:
    counts = {s: sum(1 for f in review.findings if f.severity == s) for s in SEVERITY_RANK}
    failing = {"never": set(), "high": {"high"}, "medium": {"high", "medium"}}[cfg.fail_on]
    if cfg.fail_on == "never":
        conclusion = "neutral"
    else:
        conclusion = "failure" if any(counts[s] for s in failing) else "success"
    found = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    title = f"{review.category} · {found} · overall {review.scores['overall']}/10"
    summary = (
        f"Advisory review of {len(review.selection.reviewed)} of {len(review.files)} file(s) "
        f"at {pull.head.sha[:7]} ({review.engine}). "
        + ("" if cfg.fail_on == "never" else f"Fails on {cfg.fail_on}-severity findings. ")
        + "The pull request's comment has the details."
    )
    annotations = [
        Annotation(
            path=f.file,
            start_line=f.line,
            end_line=f.line,
            annotation_level={"high": "failure", "medium": "warning", "low": "notice"}[f.severity],
            title=safe_inline(f.title, 200),
            message=safe_inline(f.details or f.title, 1000),
        )
        for f in review.findings
        if f.file and f.line
    ][:MAX_ANNOTATIONS]
    return UpsertCheckRun(
        repo=ctx.repo,
        head_sha=pull.head.sha,
        name=CHECK_NAME,
        conclusion=conclusion,
        title=title,
        summary=summary,
        text=review.body,
        annotations=annotations,
        optional=True,
    )


def _inline(
    ctx: Context, pull: PullRequest, review: Review, cfg: ReviewConfig
) -> PostReview | None:
    by_path = {f.path: f for f in review.files}
    comments = []
    for f in review.findings:
        diff = by_path.get(f.file or "")
        if diff is None or f.line is None or f.line not in diff.right_lines:
            continue
        text = f"**{f.severity}** · {safe_inline(f.title, 160)}"
        if f.details:
            text += f"\n\n{safe_inline(f.details, 600)}"
        comments.append(InlineComment(key=f.key, path=f.file or "", line=f.line, body=text))
    if not comments:
        return None
    return PostReview(
        repo=ctx.repo,
        number=pull.number,
        commit_id=pull.head.sha,
        body=f"ossbot review at {pull.head.sha[:7]}: new findings inline (advisory).",
        comments=comments[:MAX_ANNOTATIONS],
        limit=cfg.inline_max,
    )


def _record(ctx: Context, pull: PullRequest, scope: Scope, review: Review) -> dict[str, Any]:
    model_findings = [f for f in review.findings if f.kind == "model"]
    return {
        "repo": ctx.repo,
        "number": pull.number,
        "head_sha": pull.head.sha,
        "base_sha": pull.base.sha,
        "base_ref": pull.base.ref,
        "since_sha": scope.since,
        "mode": scope.mode,
        "engine": review.engine if review.model is not None else "",
        "category": review.category,
        "files": len(review.files),
        "reviewed": len(review.selection.reviewed),
        "tokens": review.selection.tokens,
        "findings": json.dumps([f.model_dump() for f in review.findings]),
        "model_findings": json.dumps([f.model_dump() for f in model_findings]),
        "model": json.dumps(review.said),
        "scores": json.dumps(review.scores),
    }
