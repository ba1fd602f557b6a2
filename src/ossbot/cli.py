"""The `ossbot` command line. A thin shell: parse flags, run the jobs, show the outcomes, and turn
typed errors into one-line messages and exit codes (0 done, 1 run-time failure, 2 bad input).

Every command takes its options from one set (`OPTIONS`), added by the `options` decorator and
handed over as one `Options` value; what was asked (an event file, or a live issue or pull
request) is one `Subject`."""

from __future__ import annotations

import inspect
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console

from ossbot import __version__
from ossbot.errors import (
    GitHubError,
    InputError,
    OssbotError,
    ProviderCheckFailed,
    UnsupportedEvent,
)

if TYPE_CHECKING:
    from ossbot.context import Session
    from ossbot.llm.check import CheckResult
    from ossbot.runner import Outcome
    from ossbot.secrets import Secrets
    from ossbot.settings import Settings


def _flags_without_a_type() -> None:
    """Typer's help gives a flag (--dry-run, --help) the type `<bool>`, which reads as if it
    took a value (`--dry-run true` is refused): a flag shows none."""
    from typer.core import TyperOption

    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "ossbot", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag and self.metavar is None else shown(self, ctx)

    display_type_rich.ossbot = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_a_type()

app = typer.Typer(
    name="ossbot",
    help="A maintainer's bot for GitHub: triage issues, review pull requests, split specs into "
    "issues and act on commands, from your repository's Actions or a terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"


class ReportFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


# -- the options every command shares -----------------------------------------------------------

OPTIONS: dict[str, tuple[Any, Any]] = {
    "event": (
        Annotated[
            Path | None,
            typer.Option(
                "--event",
                help="Webhook payload file. Default: $GITHUB_EVENT_PATH.",
                show_default=False,
            ),
        ],
        None,
    ),
    "event_name": (
        Annotated[
            str | None,
            typer.Option(
                "--event-name",
                help="Event type (issues, issue_comment, pull_request, ...). "
                "Default: $GITHUB_EVENT_NAME, else inferred from the payload.",
                show_default=False,
            ),
        ],
        None,
    ),
    "repo": (
        Annotated[
            str | None,
            typer.Option(
                "--repo",
                help="owner/name of a repository, to work on a live issue (--issue) or pull "
                "request (--pr).",
                show_default=False,
            ),
        ],
        None,
    ),
    "issue": (
        Annotated[
            int | None,
            typer.Option(
                "--issue",
                min=1,
                help="Issue number in --repo; the event is built by fetching it.",
                show_default=False,
            ),
        ],
        None,
    ),
    "pr": (
        Annotated[
            int | None,
            typer.Option(
                "--pr",
                min=1,
                help="Pull request number in --repo; the event is built by fetching it.",
                show_default=False,
            ),
        ],
        None,
    ),
    "dry_run": (
        Annotated[
            bool,
            typer.Option("--dry-run", help="Compute everything, write nothing, show the plan."),
        ],
        False,
    ),
    "format": (
        Annotated[
            Format, typer.Option("--format", help="text, or json: the plan as one JSON document.")
        ],
        Format.text,
    ),
    "config": (
        Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Config file. Default: .github/ossbot.yml on the repository's default branch.",
                show_default=False,
            ),
        ],
        None,
    ),
    "token": (
        Annotated[
            str | None,
            typer.Option(
                "--token", help="GitHub token. Default: $GITHUB_TOKEN.", show_default=False
            ),
        ],
        None,
    ),
    "app_id": (
        Annotated[
            str | None,
            typer.Option(
                "--app-id",
                help="Act as this GitHub App (its ID or Client ID), with --app-key: its "
                "installation token for the repository, instead of --token. Default: "
                "$OSSBOT_APP_ID.",
                show_default=False,
            ),
        ],
        None,
    ),
    "app_key": (
        Annotated[
            str | None,
            typer.Option(
                "--app-key",
                help="The GitHub App's private key: a .pem file's path, or its text. Default: "
                "$OSSBOT_APP_KEY.",
                show_default=False,
            ),
        ],
        None,
    ),
    "state": (
        Annotated[
            str | None,
            typer.Option(
                "--state",
                help="Where the state lives: a path or local:PATH, branch[:NAME] (a branch of "
                "the repository, default ossbot-state), cache:PATH (the Actions cache's file) "
                "or none. Default: $OSSBOT_STATE, else ~/.local/state/ossbot/state.db.",
                show_default=False,
            ),
        ],
        None,
    ),
    "bot_login": (
        Annotated[
            str | None,
            typer.Option(
                "--bot-login",
                help="The bot's login, to recognise its own comments. Default: "
                "$OSSBOT_BOT_LOGIN, bot.login in the config, else derived from the token.",
                show_default=False,
            ),
        ],
        None,
    ),
    "debug": (Annotated[bool, typer.Option("--debug", help="Show tracebacks.")], False),
}
JOB_OPTIONS = tuple(OPTIONS)
# Commands that act as the token's user (a person): an app's installation token is nobody.
PERSON_OPTIONS = (
    "repo", "issue", "dry_run", "format", "config", "token", "state", "bot_login", "debug"
)  # fmt: skip


@dataclass(frozen=True)
class Options:
    event: Path | None = None
    event_name: str | None = None
    repo: str | None = None
    issue: int | None = None
    pr: int | None = None
    dry_run: bool = False
    format: Format = Format.text
    config: Path | None = None
    token: str | None = None
    app_id: str | None = None
    app_key: str | None = None
    state: str | None = None
    bot_login: str | None = None
    debug: bool = False

    def settings(self) -> Settings:
        from ossbot.settings import load_settings

        return load_settings(
            github_event_path=self.event,
            github_event_name=self.event_name,
            github_token=self.token,
            ossbot_app_id=self.app_id,
            ossbot_app_key=self.app_key,
            ossbot_state=self.state,
            ossbot_bot_login=self.bot_login,
        )


def options(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the shared options `names` to a command; it receives them as `opts: Options`."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = [
            p
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.name != "opts"
        ]
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=OPTIONS[name][1],
                annotation=OPTIONS[name][0],
            )
            for name in names
        ]

        def run(**values: Any) -> None:
            opts = Options(**{name: values.pop(name) for name in names})
            with _errors(opts.debug):
                command(opts=opts, **values)

        run.__name__, run.__doc__ = command.__name__, command.__doc__
        run.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
        return run

    return decorate


# -- what was asked -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFile:
    path: Path
    name: str | None


@dataclass(frozen=True)
class LiveItem:
    repo: str
    number: int
    pull: bool


@dataclass(frozen=True)
class TerminalCommand:
    """A comment command typed in a terminal: `name` on the live item, as the token's user."""

    item: LiveItem
    name: str
    args: tuple[str, ...]


Subject = EventFile | LiveItem | TerminalCommand


def subject_of(opts: Options, settings: Settings) -> Subject:
    from ossbot.events import check_repo

    if opts.issue is not None and opts.pr is not None:
        raise InputError("give --issue or --pr, not both")
    number = opts.issue if opts.issue is not None else opts.pr
    if opts.repo is not None or number is not None:
        if opts.repo is None or number is None:
            raise InputError("--repo goes with --issue N or --pr N")
        if opts.event is not None:
            raise InputError("give --event, or --repo with --issue or --pr, not both")
        return LiveItem(check_repo(opts.repo), number, pull=opts.pr is not None)
    if settings.github_event_path is None:
        raise InputError(
            "no event: pass --event PATH, or --repo owner/name --issue N "
            "(GITHUB_EVENT_PATH is not set)"
        )
    return EventFile(settings.github_event_path, settings.github_event_name)


# -- the commands ---------------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ossbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """ossbot: summarize and label issues, act on commands, from Actions or a terminal."""


@app.command()
@options(*JOB_OPTIONS)
def run(opts: Options) -> None:
    """Handle the GitHub Actions event ($GITHUB_EVENT_NAME, $GITHUB_EVENT_PATH): run every job
    that handles it (commands, then triage, then review). What the Action calls."""
    _execute(opts, only=None)


@app.command()
@options("pr", *PERSON_OPTIONS)
def command(
    opts: Options,
    name: Annotated[
        str, typer.Argument(help="The command, as after the handle in a comment: triage, help, ...")
    ],
    args: Annotated[
        list[str] | None, typer.Argument(help="Its arguments.", show_default=False)
    ] = None,
) -> None:
    """Run a comment command from a terminal (--repo with --issue or --pr), as the token's user:
    the same permission check and the same writes as `@ossbot <command>` in a comment."""
    settings = opts.settings()
    with _redacted(settings):
        item = subject_of(opts, settings)
        if not isinstance(item, LiveItem):
            raise InputError("a command needs --repo owner/name with --issue N or --pr N")
        subject = TerminalCommand(item, name.lower(), tuple(args or ()))
    _execute(opts, only="commands", subject=subject)


@app.command()
@options(*JOB_OPTIONS)
def triage(opts: Options) -> None:
    """Summarize an issue and label it from the repository's own labels (the triage job only)."""
    _execute(opts, only="triage")


@app.command()
@options(*JOB_OPTIONS)
def review(
    opts: Options,
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff",
            help="Review this unified diff (a file, or - for standard input: `git diff main |`) "
            "instead of the pull request's files on GitHub; needs --dry-run, works offline.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
) -> None:
    """Review a pull request: one comment kept up to date, a check run, optional inline comments
    (the review job only). Locally: --repo owner/name --pr N, with --dry-run to preview."""
    _execute(opts, only="review", diff=_read_diff(diff, opts) if diff is not None else None)


def _read_diff(source: str, opts: Options) -> list[dict[str, Any]]:
    from ossbot.review.diff import files_from_diff

    if not opts.dry_run:
        raise InputError("--diff previews a review of a local change: add --dry-run")
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        text = raw.decode("utf-8", errors="replace")  # a Latin-1 file in the diff is no error
    except (OSError, AttributeError) as exc:
        raise InputError(f"--diff: cannot read {source}: {exc}") from None
    return files_from_diff(text)


@app.command()
@options("dry_run", "format", "debug")
def init(
    opts: Options,
    path: Annotated[
        Path,
        typer.Argument(
            help="The repository's checkout (a directory).", metavar="PATH", show_default=False
        ),
    ] = Path("."),
    workflow: Annotated[
        list[str] | None,
        typer.Option(
            "--workflow",
            help="A workflow to write, repeatable: ossbot (every job in one workflow, the "
            "default), or triage, review, spawn, triage-preview, report (the examples in "
            "workflows-examples/).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflow files that differ.")
    ] = False,
) -> None:
    """Write ossbot's workflows (pinned to commits) and a commented .github/ossbot.yml into a
    checkout (--dry-run prints them). Nothing is overwritten without --force; an existing
    config file is kept. No token, no network."""
    from ossbot.init import init as write_files

    shown = write_files(
        path, workflow, dry_run=opts.dry_run, force=force, as_json=opts.format is Format.json
    )
    typer.echo(shown, nl=False)


# -- spawn and its runs ---------------------------------------------------------------------------

RUN_ARGUMENT = typer.Argument(help="The run's id (from its preview or summary comment).")


@app.command()
@options(*JOB_OPTIONS)
def spawn(
    opts: Options,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            help="Finish a run that stopped half-way (with --repo; --issue when the state "
            "does not know the run), without duplicates.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Split the spec in an issue into issues: created at once when small, previewed (a comment
    listing them, waiting for `@ossbot confirm`) when large or flagged. Locally: --repo
    owner/name --issue N, with --dry-run to see the plan in the terminal."""
    if resume is not None:
        _run_command(opts, "confirm", (_run_arg(resume),))
        return
    _execute(opts, only="spawn", terminal=True)


@app.command()
@options(*PERSON_OPTIONS)
def confirm(opts: Options, run: Annotated[str | None, RUN_ARGUMENT] = None) -> None:
    """Create the issues of a previewed spawn run (or finish a stopped one), as the token's
    user: the same checks as `@ossbot confirm RUN` in a comment."""
    _run_command(opts, "confirm", (_run_arg(run),) if run else ())


@app.command()
@options(*PERSON_OPTIONS)
def cancel(opts: Options, run: Annotated[str | None, RUN_ARGUMENT] = None) -> None:
    """Drop a previewed spawn run (`@ossbot cancel RUN`)."""
    _run_command(opts, "cancel", (_run_arg(run),) if run else ())


@app.command()
@options(*PERSON_OPTIONS)
def rollback(
    opts: Options,
    run: Annotated[str, typer.Argument(help="The run's id, or last.")] = "last",
) -> None:
    """Close every issue a spawn run created, as not planned, with a note on each, unlinked
    from the parent (`@ossbot rollback RUN`). Running it again does nothing more."""
    if run.lower() == "last" and opts.issue is None:
        raise InputError("rollback last needs --issue N (the issue whose last run to undo)")
    _run_command(opts, "rollback", (_run_arg(run),))


@app.command()
@options(
    "repo", "issue", "format", "config", "token", "app_id", "app_key", "state", "bot_login", "debug"
)
def status(opts: Options) -> None:
    """The spawn runs of a repository (--repo), or of one issue (--issue, which also reads the
    run comments on it, so it works when the state was lost): id, state, created / planned,
    started, links. Reads only."""
    from ossbot.events import check_repo

    settings = opts.settings()
    with _redacted(settings):
        repo = opts.repo or settings.github_repository
        if not repo:
            raise InputError("status needs --repo owner/name")
        repo = check_repo(repo)
        document = _runs_document(opts, settings, repo)
    if opts.format is Format.json:
        typer.echo(json.dumps(document, indent=2))
        return
    _show_runs(document)


@app.command()
@options("repo", "dry_run", "config", "token", "app_id", "app_key", "state", "bot_login", "debug")
def report(
    opts: Options,
    since: Annotated[
        str,
        typer.Option("--since", help="The period: 30d, 12h, 2w, or a date (2026-11-01)."),
    ] = "30d",
    output: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="text (tables), markdown (tables and Mermaid charts, as GitHub renders "
            "them), or json.",
        ),
    ] = ReportFormat.text,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Keep the report in one issue of the repository (found by its marker, "
            "updated in place; pinned when created). Needs issues: write.",
        ),
    ] = False,
) -> None:
    """What ossbot did in a repository over a period and how well: runs, outcomes, requests,
    tokens and cost per job; labels applied and suggested and how people kept them (live
    precision beside the backtest's); review findings and fixes; spawn runs. From the state
    database and one bounded list of the repository's issue events."""
    from ossbot.context import build_session
    from ossbot.events import check_repo
    from ossbot.plan import Plan, UpsertIssue
    from ossbot.report import REPORT_MARKER, build, markdown, period_start

    settings = opts.settings()
    with _redacted(settings) as secrets:
        repo = opts.repo or settings.github_repository
        if not repo:
            raise InputError("report needs --repo owner/name (or GITHUB_REPOSITORY)")
        repo = check_repo(repo)
        start = period_start(since)
        writes = publish and not opts.dry_run
        session = build_session(
            settings,
            repo,
            dry_run=not writes,
            config_path=opts.config,
            anonymous_reads=True,
            need_token=writes,
            keep_state=False,
        )
        published: dict[str, Any] | None = None
        try:
            ctx = session.ctx
            document = build(ctx, start)
            read = ctx.reader.total_requests
            text = markdown(document, read, ctx.templates.render)
            if publish:
                action = UpsertIssue(
                    repo=repo,
                    marker=REPORT_MARKER,
                    title=ctx.config.report.title,
                    body=text,
                    pin=True,
                )
                published = {"action": action.describe(), "dry_run": not writes}
                if document["warnings"]:  # an empty state would overwrite a real report
                    published |= {"result": "not published", "note": document["warnings"][0]}
                elif writes:
                    published |= _publish(
                        session,
                        Plan(job="report", event="report", repo=repo, actions=[action]),
                        secrets,
                    )
        finally:  # the report reads the state and never saves it (the publish needs no ledger)
            warnings = list(session.ctx.store.warnings)
            session.close()
        requests = ctx.reader.total_requests
        document |= {"requests": {"read": read, "total": requests}, "published": published}
        _append(settings.github_step_summary, text + "\n")
        if output is ReportFormat.json:
            typer.echo(json.dumps(document, indent=2))
        elif output is ReportFormat.markdown:
            typer.echo(text, nl=False)
        else:
            _show_usage_report(document)
        if published and published.get("url"):
            _append(settings.github_output, f"report-url={published['url']}\n")
        for warning in warnings:
            typer.echo(f"warning: {warning}", err=True)


def _publish(session: Session, plan: Any, secrets: Secrets) -> dict[str, Any]:
    from ossbot.executor import Executor
    from ossbot.runner import _cleaner

    ctx = session.ctx
    assert session.writer is not None
    executor = Executor(
        session.writer,
        ctx.store,
        ctx.bot_login,
        job="report",
        event_key=f"report:{ctx.repo}",
        clean=_cleaner(secrets.redact),
        handle=ctx.config.bot.handle,
    )
    result = executor.apply(plan)[0]
    return {
        "result": result.result,
        "number": result.number,
        "url": result.url,
        "note": result.note,
    }


def _show_usage_report(document: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]ossbot report[/bold] · {document['repo']} · {document['since'][:10]} to "
        f"{document['until'][:10]}"
    )
    for warning in document["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    jobs = Table(title="Jobs", title_justify="left")
    for column in (
        "job",
        "runs",
        "done",
        "nothing to do",
        "refused",
        "failed",
        "REST requests",
        "model calls",
        "tokens in / out",
        "cost",
    ):
        jobs.add_column(column, justify="left" if column == "job" else "right")
    for j in document["jobs"]:
        o = j["outcomes"]
        cost = f"${j['cost']:.2f}" if j["cost"] is not None else "—"
        jobs.add_row(
            j["job"],
            str(j["runs"]),
            str(o["done"]),
            str(o["nothing"]),
            str(o["refused"]),
            str(o["failed"]),
            str(j["requests"]),
            str(j["llm_calls"]),
            f"{j['prompt_tokens']} / {j['completion_tokens']}",
            cost,
        )
    console.print(jobs if document["jobs"] else "No job ran in this period.")
    triage = document["triage"]
    labels = Table(title="Triage labels", title_justify="left")
    for column in (
        "label",
        "applied",
        "removed by a person",
        "live precision",
        "backtest precision",
        "suggested",
        "added by a person",
    ):
        labels.add_column(column, justify="left" if column == "label" else "right")

    def percent(value: float | None) -> str:
        return f"{100 * value:.0f}%" if value is not None else "—"

    for row in triage["labels"]:
        labels.add_row(
            escape(row["label"]),
            str(row["applied"]),
            str(row["removed"]),
            percent(row["live_precision"]),
            percent(row["backtest_precision"]),
            str(row["suggested"]),
            str(row["accepted"]),
        )
    console.print(labels if triage["labels"] else "No label was applied or suggested.")
    if triage["labels"] and not triage["events_complete"]:
        console.print(
            f"Only the newest {triage['events_read']} issue events were read "
            f"(report.event_pages): {triage['not_covered']} label(s) applied before them are "
            "left out of the counts."
        )
    review = document["review"]
    severity = review["by_severity"]
    console.print(
        f"[bold]Review[/bold]: {review['pulls']} pull request(s), {review['reviews']} run(s), "
        f"{review['findings']} finding(s) ({severity['high']} high, {severity['medium']} medium, "
        f"{severity['low']} low), {review['fixed']} gone by a later push"
        + (
            "; check runs: " + ", ".join(f"{k} {v}" for k, v in review["check_runs"].items())
            if review["check_runs"]
            else ""
        )
    )
    if review["by_kind"]:
        kinds = Table(title="Review findings", title_justify="left")
        kinds.add_column("finding")
        kinds.add_column("count", justify="right")
        for kind, count in review["by_kind"].items():
            kinds.add_row(escape(kind), str(count))
        console.print(kinds)
    spawn = document["spawn"]
    console.print(
        f"[bold]Spawn[/bold]: {spawn['runs']} run(s)"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in spawn["by_state"].items()) + ")"
            if spawn["by_state"]
            else ""
        )
        + f", {spawn['issues_created']} issue(s) created, {spawn['issues_rolled_back']} rolled "
        f"back, {spawn['duplicates_skipped']} duplicate(s) skipped"
    )
    if document["published"]:
        done = document["published"]
        console.print(
            escape(
                f"published: {done.get('result', 'would ' + done['action'])}"
                + (f" {done['url']}" if done.get("url") else "")
                + (f" ({done['note']})" if done.get("note") else "")
            )
        )
    requests = document["requests"]
    console.print(f"GitHub requests: {requests['total']} ({requests['read']} to read)")


def _run_arg(value: str | None) -> str:
    from ossbot.spawn.feature import check_run_arg

    return check_run_arg(value) if value else ""


def _run_command(opts: Options, name: str, args: tuple[str, ...]) -> None:
    """A run's command typed in a terminal: on the run's parent issue (--issue, else the one the
    state database knows for the run), as the token's user."""
    from ossbot.events import check_repo

    settings = opts.settings()
    with _redacted(settings):
        repo = opts.repo or settings.github_repository
        if not repo:
            raise InputError(f"{name} needs --repo owner/name")
        repo = check_repo(repo)
        number = opts.issue
        if number is None:
            number = _parent_of(opts, settings, repo, args[0] if args else "")
        item = LiveItem(repo, number, pull=False)
        subject = TerminalCommand(item, name, tuple(a for a in args if a))
    _execute(opts, only="commands", subject=subject)


def _parent_of(opts: Options, settings: Settings, repo: str, run: str) -> int:
    from ossbot.context import make_http, open_store, with_app_token

    spec = settings.state_spec()
    if spec.kind == "branch":
        settings = with_app_token(settings, repo)
    http = make_http(settings) if spec.kind == "branch" else None
    store = open_store(spec, settings, http, repo, scratch=True)
    try:
        rows = [r for r in store.runs(repo) if run and str(r["run"]).startswith(run)]
    finally:
        store.close()
        if http is not None:
            from ossbot.github.app import revoke

            revoke(http)
            http.close()
    if len(rows) != 1:
        raise InputError(
            f"the state database does not know spawn run '{run or '?'}' of {repo}: "
            "pass --issue N (the issue it was spawned from)"
        )
    return int(rows[0]["parent"])


def _runs_document(opts: Options, settings: Settings, repo: str) -> dict[str, Any]:
    from ossbot.context import build_session
    from ossbot.spawn.feature import KnownRun, known_runs, status_row

    session = build_session(
        settings, repo, dry_run=True, config_path=opts.config, anonymous_reads=True
    )
    try:
        ctx = session.ctx
        if opts.issue is not None:
            runs = known_runs(ctx, opts.issue)
            rows = [{**status_row(r), "parent": opts.issue} for r in runs]
        else:
            rows = []
            for row in ctx.store.runs(repo):
                known = KnownRun(
                    row["run"],
                    row["state"],
                    None,
                    row.get("plan_hash"),
                    [],
                    row.get("started_at"),
                    row.get("updated_at"),
                )
                shown = status_row(known)
                created = json.loads(row.get("created") or "[]")
                shown.update(
                    parent=row["parent"],
                    planned=row.get("planned"),
                    created=len(created),
                )
                rows.append(shown)
    finally:
        session.close()
    return {"repo": repo, "runs": rows}


def _show_runs(document: dict[str, Any]) -> None:
    from rich.table import Table

    from ossbot.text import sanitize

    console = Console()
    if not document["runs"]:
        console.print(f"{document['repo']}: no spawn run is known")
        return
    table = Table("run", "issue", "state", "created / planned", "started (UTC)", "link")
    for row in document["runs"]:
        planned = row.get("planned")
        table.add_row(
            row["run"],
            f"#{row['parent']}",
            row["state"] + (" (stopped)" if row.get("stale") else ""),
            f"{row['created']} / {planned if planned is not None else '?'}",
            row.get("started") or "",
            sanitize(row.get("url") or ""),
        )
    console.print(table)


llm_app = typer.Typer(help="The LLM layer: check the configured providers.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("check")
@options("config", "format", "debug")
def llm_check(opts: Options) -> None:
    """Make one small call to each configured provider: latency, tokens, structured output."""
    from ossbot.llm.check import check
    from ossbot.llm.config import resolve
    from ossbot.repo_config import RepoConfig, load_repo_config_file

    settings = opts.settings()
    with _redacted(settings):
        repo_config = load_repo_config_file(opts.config) if opts.config else RepoConfig()
        setup = resolve(settings, repo_config.llm)
        if not setup.enabled:
            typer.echo(
                "No provider is configured (LLM_PROVIDER is none): ossbot uses its offline engine."
            )
            return
        results = check(setup)
        _show_check(results, opts.format)
        failed = [r for r in results if not r.ok]
        if failed:
            raise ProviderCheckFailed("; ".join(r.error for r in failed))


state_app = typer.Typer(
    help="The state store (ledger and caches): show it, pull it to a file, push a file back, "
    "prune it.",
    no_args_is_help=True,
)
app.add_typer(state_app, name="state")


@state_app.command("show")
@options("repo", "format", "token", "app_id", "app_key", "state", "debug")
def state_show(opts: Options) -> None:
    """The store, its head, its size, and the rows of each table."""
    from ossbot.state.admin import show

    _with_store(opts, show, scratch=True, render=_show_state)


@state_app.command("pull")
@options("repo", "format", "token", "app_id", "app_key", "state", "debug")
def state_pull(
    opts: Options,
    path: Annotated[Path, typer.Argument(help="Where to write the database (plain SQLite).")],
) -> None:
    """Copy the store's database to PATH, to inspect or repair it (then `ossbot state push`)."""
    from ossbot.state.admin import pull

    _with_store(opts, lambda store, spec: pull(store, path), scratch=True)


@state_app.command("push")
@options("repo", "format", "token", "app_id", "app_key", "state", "debug")
def state_push(
    opts: Options,
    path: Annotated[Path, typer.Argument(help="A state database, as `state pull` wrote it.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the store even if it moved since the pull."),
    ] = False,
) -> None:
    """Replace the store's database with PATH. Refused when the store moved since PATH was
    pulled, unless --force (on a branch: a new commit on top, never a force push)."""
    from ossbot.state.admin import push

    _with_store(opts, lambda store, spec: push(store, path, force=force), scratch=False)


@state_app.command("prune")
@options("repo", "format", "token", "app_id", "app_key", "state", "debug")
def state_prune(
    opts: Options,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            min=0,
            help="Days of processed events to keep (default 180).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Delete old events, finished intents, old model calls and expired cache rows; save."""
    from ossbot.state.admin import prune_store

    _with_store(opts, lambda store, spec: prune_store(store, ledger_days=older_than), scratch=False)


@state_app.command("choose", hidden=True)
@options("repo", "token", "dry_run", "debug")
def state_choose(
    opts: Options,
    requested: Annotated[str, typer.Argument(help="auto, branch[:NAME], cache or none.")] = "auto",
    cache_path: Annotated[
        Path, typer.Option("--cache-path", help="The file the Actions cache keeps.")
    ] = Path("ossbot-state/state.db"),
) -> None:
    """The composite action's first step: which store this run uses (GITHUB_OUTPUT: store,
    spec), and why (the job summary)."""
    from ossbot.context import make_http
    from ossbot.state.admin import choose

    settings = opts.settings()
    with _redacted(settings):
        repo = opts.repo or settings.github_repository
        http = make_http(settings) if settings.token else None
        try:
            spec, why = choose(
                requested, http=http, repo=repo, cache_path=cache_path, dry_run=opts.dry_run
            )
        finally:
            if http is not None:
                http.close()
        line = f"ossbot state: {spec.describe()} ({why})"
        typer.echo(line)
        _append(settings.github_output, f"store={spec.kind}\nspec={spec.text()}\n")
        _append(settings.github_step_summary, f"<sub>{line}</sub>\n\n")


@state_app.command("prune-cache", hidden=True)
@options("repo", "token", "debug")
def state_prune_cache(
    opts: Options,
    prefix: Annotated[str, typer.Option("--prefix", help="The entries' key prefix.")],
    keep: Annotated[int, typer.Option("--keep", min=1, help="Newest entries kept.")] = 1,
) -> None:
    """The composite action's last step: superseded state cache entries are deleted."""
    from ossbot.context import make_http
    from ossbot.state.admin import prune_cache

    settings = opts.settings()
    with _redacted(settings):
        repo = opts.repo or settings.github_repository
        if not repo or not settings.token:
            raise InputError("prune-cache needs --repo (or GITHUB_REPOSITORY) and a token")
        http = make_http(settings)
        try:
            said = prune_cache(http, repo, prefix, keep)
        finally:
            http.close()
        typer.echo(said)
        _append(settings.github_step_summary, f"<sub>ossbot state: {said}</sub>\n\n")


def _append(path: Path | None, text: str) -> None:
    """Add to a file Actions gives the step (outputs, job summary), when there is one."""
    if path is not None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _with_store(
    opts: Options,
    work: Callable[[Any, Any], dict[str, Any]],
    *,
    scratch: bool,
    render: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Open the store `--state` names (a branch needs --repo or GITHUB_REPOSITORY), do `work`,
    show what it returns."""
    from ossbot.context import make_http, open_store, with_app_token
    from ossbot.events import check_repo

    settings = opts.settings()
    with _redacted(settings) as secrets:
        spec = settings.state_spec()
        repo = opts.repo or settings.github_repository or ""
        http = None
        if spec.kind == "branch":
            if not repo:
                raise InputError("the state branch is a repository's: pass --repo OWNER/NAME")
            repo = check_repo(repo)
            settings = with_app_token(settings, repo)
            http = make_http(settings)
        store = open_store(spec, settings, http, repo, scratch=scratch, redact=secrets.redact)
        try:
            document = work(store, spec)
        finally:
            store.close()
            if http is not None:
                from ossbot.github.app import revoke

                revoke(http)
                http.close()
        if opts.format is Format.json:
            typer.echo(json.dumps(document, indent=2))
        elif render is not None:
            render(document)
        else:
            for key, value in document.items():
                typer.echo(f"{key}: {value}")


def _show_state(document: dict[str, Any]) -> None:
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{document['where']}[/bold]")
    console.print(f"head: {document['head'] or '(none yet)'}")
    size = f"size: {document['size']:,} bytes"
    if document.get("stored"):
        size += f" ({document['stored']:,} stored, compressed)"
    console.print(size)
    table = Table("table", "rows")
    for name, count in sorted(document["tables"].items()):
        table.add_row(name, str(count))
    console.print(table)
    for warning in document["warnings"]:
        typer.echo(f"warning: {warning}", err=True)


labels_app = typer.Typer(
    help="Learned labels: backtest them before trusting them.", no_args_is_help=True
)
app.add_typer(labels_app, name="labels")


@labels_app.command("eval")
@options("repo", "format", "config", "token", "app_id", "app_key", "state", "debug")
def labels_eval(
    opts: Options,
    train: Annotated[
        Path | None,
        typer.Option(
            "--train",
            help="Labelled issues to learn from: CSV or JSONL with title, body, and labels "
            "(or label); an optional repo column scores each repository apart.",
            show_default=False,
        ),
    ] = None,
    test: Annotated[
        Path | None,
        typer.Option(
            "--test",
            help="Labelled issues to score, same format (default: a time split of --train).",
            show_default=False,
        ),
    ] = None,
    test_fraction: Annotated[
        float,
        typer.Option(
            "--test-fraction",
            min=0.05,
            max=0.9,
            help="Newest share of the issues held out (time split).",
        ),
    ] = 0.2,
    min_examples: Annotated[
        int | None,
        typer.Option(
            "--min-examples",
            min=2,
            help="Labels with fewer training examples are not learned (default: the config's "
            "labels.min_examples).",
            show_default=False,
        ),
    ] = None,
    apart: Annotated[
        bool,
        typer.Option(
            "--apart",
            help="With a repo column: train one model per repository instead of one model "
            "with shared and per-repository features.",
        ),
    ] = False,
    calibration: Annotated[
        bool,
        typer.Option(
            "--calibration",
            help="Also show how often labels scored in each confidence band were right.",
        ),
    ] = False,
) -> None:
    """Backtest labelling as triage does it: macro-F1 over the labels that can be learned, and at
    the configured thresholds the applied precision and recall, the share of issues with a wrong
    applied label, and the suggestions' precision.

    From files (--train, --test), or from a repository's own history (--repo: the oldest issues
    teach, the newest are scored, as triage would have labelled them). Either way the labels are
    those triage may apply (labels.allow, deny, exclude of --config or the repository's config),
    and the thresholds are the config's."""
    from ossbot.labels.evaluate import evaluate, load_examples, time_split

    if (train is None) == (opts.repo is None):
        raise InputError("give either --train FILE (with --test FILE) or --repo owner/name")
    if test is not None and train is None:
        raise InputError("--test goes with --train")
    settings = opts.settings()
    with _redacted(settings):
        if opts.repo is not None:
            examples, config = _repo_examples(opts, settings)
            train_set, test_set = time_split(examples, test_fraction)
        else:
            assert train is not None
            config = _local_config(opts.config)
            train_set = load_examples(train)
            loaded = load_examples(test) if test else None
            if loaded is None:
                train_set, loaded = time_split(train_set, test_fraction)
            test_set = loaded
        report = evaluate(
            train_set, test_set, config=config, min_examples=min_examples, pool=not apart
        )
        _show_report(report, opts.format, calibration=calibration)


def _local_config(path: Path | None) -> Any:
    """The labels section of a config file (defaults without one)."""
    from ossbot.repo_config import RepoConfig, load_repo_config_file

    return (load_repo_config_file(path) if path is not None else RepoConfig()).labels


def _repo_examples(opts: Options, settings: Settings) -> tuple[list[Any], Any]:
    """The repository's labelled history as triage learns from it, and its labels config."""
    from ossbot.context import build_session
    from ossbot.events import check_repo
    from ossbot.triage.labelling import labelled_examples

    assert opts.repo is not None
    repo = check_repo(opts.repo)
    session = build_session(
        settings,
        repo,
        dry_run=False,
        config_path=opts.config,
        anonymous_reads=True,
        need_token=False,
    )
    if sys.stderr.isatty():
        session.ctx.progress = _progress_bar()
    try:
        examples = labelled_examples(session.ctx)
        config = session.ctx.config.labels
    except GitHubError as exc:
        if exc.status != 404:
            raise
        raise InputError(
            f"{repo} was not found, or the token cannot see it (set GITHUB_TOKEN "
            "or pass --token for a private repository)"
        ) from exc
    finally:
        session.close()
    if not examples:
        raise InputError(
            f"{repo} has no labelled issues with labels triage may apply "
            "(see labels.allow, labels.deny and labels.exclude): nothing to backtest"
        )
    return examples, config


# -- running jobs ---------------------------------------------------------------------------------


def _execute(
    opts: Options,
    only: str | None,
    subject: Subject | None = None,
    *,
    terminal: bool = False,
    diff: list[dict[str, Any]] | None = None,
) -> None:
    from ossbot.runner import run_jobs

    settings = opts.settings()
    with _redacted(settings) as secrets:
        subject = subject or subject_of(opts, settings)
        prepared = _prepare(subject, opts, settings, only)
        if prepared is None:
            return
        session, event, jobs = prepared
        if diff is not None:
            from ossbot.github.offline import DiffReader

            session.ctx.reader = DiffReader(session.ctx.reader, diff)
        if terminal and isinstance(subject, LiveItem):  # typed by the token's user
            event = event.model_copy(update={"terminal": True})
        if opts.format is Format.text and sys.stderr.isatty():
            session.progress = session.ctx.progress = _progress_bar()
        try:
            outcomes = run_jobs(session, event, jobs)
        finally:  # once, after the executor, also when a job failed: what was written is kept
            saved = _save_state(session)
            warnings = list(session.ctx.store.warnings)
            session.close()
        _show(outcomes, warnings, opts, settings, secrets, many=only is None, saved=saved)


def _progress_bar() -> Callable[[str, int, int], None]:
    """A progress bar on stderr for long actions (a spawn run's creates)."""
    from rich.progress import Progress

    bars: dict[str, Any] = {}
    progress = Progress(console=Console(stderr=True), transient=True)

    def tell(what: str, done: int, total: int) -> None:
        if what not in bars:
            progress.start()
            bars[what] = progress.add_task(what, total=total)
        progress.update(bars[what], completed=done, total=total)
        if done >= total:
            progress.stop()

    return tell


def _save_state(session: Session) -> Any:
    """The store's save report; a save that fails is a warning (GitHub's markers still hold
    what was written, and the next run rebuilds from them), never a failed job."""
    from ossbot.state.backends import SaveReport

    store = session.ctx.store
    try:
        return store.save()
    except (OssbotError, OSError) as exc:
        store.warnings.append(f"the state was not saved to {store.backend.describe()}: {exc}")
        return SaveReport(False, f"not saved: {exc}")


def _prepare(
    subject: Subject, opts: Options, settings: Settings, only: str | None
) -> tuple[Session, Any, list[Any]] | None:
    if isinstance(subject, TerminalCommand):
        return _prepare_command(subject, opts, settings)
    return _prepare_event(subject, opts, settings, only)


def _prepare_command(
    subject: TerminalCommand, opts: Options, settings: Settings
) -> tuple[Session, Any, list[Any]]:
    """The command as if its user had written it in a comment on the item: the same
    permission check, the same writes (only the commands job runs)."""
    from ossbot.jobs import command_specs, job_named
    from ossbot.runner import command_event

    specs = command_specs()
    if subject.name not in specs:
        raise InputError(
            f"unknown command '{subject.name}': choose one of {', '.join(sorted(specs))}"
        )
    item = subject.item
    session, event = _live(
        opts,
        settings,
        item.repo,
        lambda session: command_event(session, item.repo, item.number, subject.name, subject.args),
    )
    return session, event, [job_named("commands")]


def _live(
    opts: Options, settings: Settings, repo: str, make_event: Callable[[Session], Any]
) -> tuple[Session, Any]:
    """A session that may read a public repository without a token, and the event built from
    what it reads (the session is closed if that fails)."""
    from ossbot.context import build_session
    from ossbot.jobs import command_specs

    session = build_session(
        settings,
        repo,
        dry_run=opts.dry_run,
        config_path=opts.config,
        anonymous_reads=True,
        command_names=frozenset(command_specs()),
    )
    try:
        return session, make_event(session)
    except BaseException:
        session.close()
        raise


def _prepare_event(
    subject: EventFile | LiveItem, opts: Options, settings: Settings, only: str | None
) -> tuple[Session, Any, list[Any]] | None:
    """The session, the event and the jobs to run; None when no job handles the event."""
    from ossbot.context import build_session
    from ossbot.events import event_from_payload, event_name, read_payload
    from ossbot.jobs import command_specs, jobs_for
    from ossbot.runner import live_event

    if isinstance(subject, LiveItem):
        item = subject
        session, event = _live(
            opts,
            settings,
            item.repo,
            lambda session: live_event(session, item.repo, item.number, pull=item.pull),
        )
        if event.pull_request is not None:  # its config is the base's, as in Actions
            session.ctx.commit = session.ctx.config_ref = event.pull_request.base.sha
        return session, event, _select(jobs_for(event.name), event.name, only)
    source = f"event file {subject.path}"
    payload = read_payload(subject.path)
    name = event_name(payload, subject.name, source)
    jobs = _select(jobs_for(name), name, only)
    if not jobs:
        _show_nothing(name, opts.format)
        return None
    event = event_from_payload(payload, name, source=source)
    base = event.pull_request.base.sha if event.pull_request is not None else None
    session = build_session(
        settings,
        event.repo,
        dry_run=opts.dry_run,
        config_path=opts.config,
        commit=base or _default_branch_head(settings, event),
        config_ref=base,  # never the pull request's head: its author controls that
        command_names=frozenset(command_specs()),
    )
    return session, event, jobs


def _select(jobs: list[Any], name: str, only: str | None) -> list[Any]:
    if only is None:
        return jobs
    chosen = [job for job in jobs if job.name == only]
    if not chosen:
        from ossbot.jobs import job_named

        handled = " and ".join(job_named(only).events)
        raise UnsupportedEvent(f"'{only}' handles {handled} events, not '{name}'")
    return chosen


def _default_branch_head(settings: Settings, event: Any) -> str | None:
    """GITHUB_SHA, when the workflow runs on the default branch (issue and comment events):
    a content-addressed key for the repository's own files."""
    branch = event.repository.default_branch
    if settings.github_sha and branch and settings.github_ref == f"refs/heads/{branch}":
        return settings.github_sha
    return None


# -- output ---------------------------------------------------------------------------------------


def _show(
    outcomes: list[Outcome],
    warnings: list[str],
    opts: Options,
    settings: Settings,
    secrets: Secrets,
    *,
    many: bool,
    saved: Any = None,
) -> None:
    from ossbot.preview import job_summary, outcome_json, print_text, state_summary

    console = Console()
    spec = settings.state_spec()
    state = {"store": spec.text(), "saved": bool(saved and saved.saved)}
    if saved is not None:
        state["detail"] = saved.detail
    if opts.format is Format.json:
        shown = [outcome_json(o) for o in outcomes]
        document: Any = shown[0] if not many and len(shown) == 1 else {"jobs": shown}
        document = {**document, "state": state}
        if warnings:
            document = {**document, "warnings": warnings}
        console.file.write(json.dumps(document, indent=2) + "\n")
    else:
        for outcome in outcomes:
            print_text(console, outcome)
        if saved is not None and saved.saved:
            console.print(f"[dim]state: {spec.describe()}: {saved.detail}[/dim]")
        for warning in warnings:
            typer.echo(f"warning: {warning}", err=True)
    for warning in warnings:
        if settings.github_actions:
            typer.echo(f"::warning title=ossbot::{_one_line(warning)}")
    if settings.github_step_summary:
        with open(settings.github_step_summary, "a", encoding="utf-8") as handle:
            handle.write(secrets.redact("".join(job_summary(o) for o in outcomes)))
            handle.write(state_summary(spec, saved))
            handle.writelines(f"> [!WARNING]\n> {_one_line(w)}\n\n" for w in warnings)
    if settings.github_output:
        from ossbot.outputs import github_output, outputs

        with open(settings.github_output, "a", encoding="utf-8") as handle:
            handle.write(github_output(outputs(outcomes)))
            cache_save = spec.kind == "cache" and bool(saved and saved.saved)
            handle.write(f"state-save={'true' if cache_save else 'false'}\n")
    failed = [o for o in outcomes if o.error]
    if failed:
        if opts.debug:
            for outcome in failed:
                if outcome.detail:
                    sys.stderr.write(outcome.detail)
        raise _JobsFailed(failed, named=len(outcomes) > 1)


class _JobsFailed(OssbotError):
    """Some jobs failed (their outcomes were shown): one line per distinct cause."""

    def __init__(self, failed: list[Outcome], *, named: bool) -> None:
        causes: dict[str, list[str]] = {}
        for outcome in failed:
            causes.setdefault(outcome.error or "", []).append(outcome.job)
        lines = [
            f"{', '.join(jobs)}: {cause}" if named else cause for cause, jobs in causes.items()
        ]
        super().__init__("\n".join(lines))
        self.exit_code = max(outcome.exit_code for outcome in failed)


def _show_nothing(event_name: str, fmt: Format) -> None:
    reason = f"no job handles '{event_name}' events"
    if fmt is Format.json:
        typer.echo(json.dumps({"jobs": [], "skipped": reason}, indent=2))
    else:
        typer.echo(f"Nothing to do: {reason}.")


def _show_report(report: dict[str, Any], fmt: Format, *, calibration: bool = False) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    settings = report["settings"]
    table = Table(
        "label",
        "precision",
        "recall",
        "F1",
        "support",
        title="Learnable labels: the most likely label (multi-label: every label ≥ 0.5)",
    )
    decided = Table(
        "label",
        "applies from",
        "applied",
        "precision",
        "recall",
        "suggested",
        "precision",
        title="What triage would have done at the configured thresholds",
    )
    for name, row in sorted(report["labels"].items()):
        applied, suggested = row["applied"], row["suggested"]
        table.add_row(
            name,
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
        decided.add_row(
            name,
            "suggested only" if row["threshold"] is None else f"{row['threshold']:.2f}",
            str(applied["labels"]),
            rate(applied["precision"]),
            rate(applied["recall"]),
            str(suggested["labels"]),
            rate(suggested["precision"]),
        )
    console = Console()
    console.print(table)
    console.print(decided)
    if report["unlearnable"]:
        apart = Table(
            "label",
            "training issues",
            "test issues",
            title=f"Not learnable (fewer than {settings['min_examples']} training issues)",
        )
        for name, row in report["unlearnable"].items():
            apart.add_row(name, str(row["train"]), str(row["test"]))
        console.print(apart)
    if report["excluded"]:
        console.print(
            "never applied (labels.allow, deny, exclude): "
            + ", ".join(f"{name} ({count})" for name, count in report["excluded"].items())
        )
    if len(report["groups"]) > 1:
        groups = Table("repository", "macro-F1", "train", "test")
        for name, row in sorted(report["groups"].items()):
            groups.add_row(name, f"{row['macro_f1']:.3f}", str(row["train"]), str(row["test"]))
        console.print(groups)
    if calibration:
        bands = Table("confidence", "labels", "mean confidence", "right", title="Calibration")
        for row in report["calibration"]:
            bands.add_row(
                f"{row['from']:.1f}–{row['to']:.1f}",
                str(row["count"]),
                rate(row["predicted"]),
                rate(row["observed"]),
            )
        console.print(bands)
    applied, suggested = report["applied"], report["suggested"]
    console.print(
        f"macro-F1 over learnable labels: {report['macro_f1']:.3f}"
        + (" (mean over repositories)" if len(report["groups"]) > 1 else "")
    )
    console.print(
        f"at apply_threshold {settings['apply_threshold']}, target_precision "
        f"{settings['target_precision']}, suggest_threshold {settings['suggest_threshold']}: "
        f"{applied['labels']} labels applied to {report['issues']} issues, precision "
        f"{rate(applied['precision'])}, recall {rate(applied['recall'])}; "
        f"{applied['wrong_issues']} issue{'' if applied['wrong_issues'] == 1 else 's'} "
        f"({rate(applied['wrong_share'])}) got a wrong label; "
        f"{suggested['labels']} suggested, precision {rate(suggested['precision'])}"
    )
    if settings["mode"] != "apply":
        console.print(
            f"(labels.mode is {settings['mode']}: triage applies nothing; these are the figures "
            "it would have with mode apply)"
        )


def _show_check(results: list[CheckResult], fmt: Format) -> None:
    if fmt is Format.json:
        from dataclasses import asdict

        typer.echo(json.dumps({"providers": [asdict(r) for r in results]}, indent=2))
        return
    from rich.table import Table

    table = Table(
        "provider", "model", "endpoint", "answer", "latency", "structured output", "tokens in/out"
    )
    for r in results:
        table.add_row(
            r.provider,
            r.model,
            r.endpoint,
            "ok" if r.ok else "failed",
            f"{r.seconds:.2f} s" if r.ok else "—",
            r.structured if r.ok else "—",
            f"{r.prompt_tokens}/{r.completion_tokens}" if r.ok else "—",
        )
    Console().print(table)


# -- errors, secrets ------------------------------------------------------------------------------


@contextmanager
def _redacted(settings: Settings) -> Iterator[Secrets]:
    """Under Actions, the secrets are masked before anything else is printed; everything this
    command prints, and every log record, is redacted."""
    from ossbot.secrets import ACTIVE, RedactingStream, Secrets

    secrets = Secrets.of(settings)
    if settings.github_actions:
        for line in secrets.mask_commands():
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    streams: tuple[TextIO, TextIO] = (sys.stdout, sys.stderr)
    log_filter = secrets.filter_logs()
    ACTIVE.append(secrets)
    sys.stdout = RedactingStream(streams[0], secrets)
    sys.stderr = RedactingStream(streams[1], secrets)
    try:
        yield secrets
    except OssbotError as exc:  # the message and the traceback (--debug) without secrets
        trace = secrets.redact(traceback.format_exc())
        raise _Redacted(secrets.redact(str(exc)), exc.exit_code, trace) from None
    except Exception as exc:  # noqa: BLE001 - a bug: its message may hold a secret too
        trace = secrets.redact(traceback.format_exc())
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)"
        raise _Redacted(secrets.redact(message), 1, trace) from None
    finally:
        sys.stdout, sys.stderr = streams
        ACTIVE.remove(secrets)
        import logging

        if logging.lastResort is not None:
            logging.lastResort.removeFilter(log_filter)


class _Redacted(OssbotError):
    def __init__(self, message: str, exit_code: int, trace: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.trace = trace


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Typed errors become one line on stderr (one per distinct cause) and their exit code;
    nothing else escapes."""
    try:
        yield
    except OssbotError as exc:
        _fail(str(exc), exc.exit_code, debug, getattr(exc, "trace", None))
    except KeyboardInterrupt:
        _fail("interrupted", 130, debug)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        _fail(
            f"internal error: {exc.__class__.__name__}: {exc} (run with --debug for details)",
            1,
            debug,
        )


def _fail(message: str, code: int, debug: bool, trace: str | None = None) -> None:
    if debug and trace:
        sys.stderr.write(trace)
    elif debug:
        traceback.print_exc()
    for line in [_one_line(part) for part in message.split("\n") if part.strip()] or ["failed"]:
        typer.echo(f"ossbot: error: {line}", err=True)
        if _in_actions():
            typer.echo(f"::error title=ossbot::{line}")
    raise typer.Exit(code)


def _one_line(text: str) -> str:
    from ossbot.text import sanitize

    return " ".join(sanitize(text).split())


def _in_actions() -> bool:
    import os

    return os.environ.get("GITHUB_ACTIONS") == "true"


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
