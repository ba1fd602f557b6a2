"""The `ossbot` command line. A thin shell: parse flags, run the job, show the outcome, and turn
typed errors into one-line messages and exit codes (0 done, 1 run-time failure, 2 bad input)."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ossbot import __version__
from ossbot.errors import GitHubError, InputError, OssbotError, ProviderCheckFailed

if TYPE_CHECKING:
    from ossbot.llm.check import CheckResult
    from ossbot.runner import Outcome
    from ossbot.settings import Settings

app = typer.Typer(
    name="ossbot",
    help="A maintainer's bot for GitHub: triage issues from your repository's Actions or a terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"


EventOpt = Annotated[
    Path | None,
    typer.Option(
        "--event", help="Webhook payload file. Default: $GITHUB_EVENT_PATH.", show_default=False
    ),
]
EventNameOpt = Annotated[
    str | None,
    typer.Option(
        "--event-name",
        help="Event type (issues, issue_comment, pull_request). "
        "Default: $GITHUB_EVENT_NAME, else inferred from the payload.",
        show_default=False,
    ),
]
RepoOpt = Annotated[
    str | None,
    typer.Option(
        "--repo",
        help="owner/name of a repository, to work on a live object (with --issue).",
        show_default=False,
    ),
]
IssueOpt = Annotated[
    int | None,
    typer.Option(
        "--issue",
        help="Issue number in --repo; the event is built by fetching it.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Compute everything, write nothing, show the plan.")
]
FormatOpt = Annotated[
    Format, typer.Option("--format", help="text, or json: the plan as one JSON document.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file. Default: .github/ossbot.yml on the repository's default branch.",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", help="GitHub token. Default: $GITHUB_TOKEN.", show_default=False),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="State database file. Default: $OSSBOT_STATE, else ~/.local/state/ossbot/state.db.",
        show_default=False,
    ),
]
BotLoginOpt = Annotated[
    str | None,
    typer.Option(
        "--bot-login",
        help="The bot's login, to recognise its own comments. Default: $OSSBOT_BOT_LOGIN, "
        "bot.login in the config, else derived from the token.",
        show_default=False,
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


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
    """ossbot: summarize and label issues, from Actions or a terminal."""


@app.command()
def triage(
    event: EventOpt = None,
    event_name: EventNameOpt = None,
    repo: RepoOpt = None,
    issue: IssueOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = Format.text,
    config: ConfigOpt = None,
    token: TokenOpt = None,
    state: StateOpt = None,
    bot_login: BotLoginOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Summarize an issue and label it from the repository's own labels."""
    with _errors(debug):
        _execute(
            "triage",
            event,
            event_name,
            repo,
            issue,
            dry_run,
            format,
            config,
            dict(github_token=token, ossbot_state=state, ossbot_bot_login=bot_login),
        )


@app.command()
def run(
    event: EventOpt = None,
    event_name: EventNameOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = Format.text,
    config: ConfigOpt = None,
    token: TokenOpt = None,
    state: StateOpt = None,
    bot_login: BotLoginOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Handle the GitHub Actions event ($GITHUB_EVENT_NAME, $GITHUB_EVENT_PATH): what the Action calls."""
    with _errors(debug):
        _execute(
            None,
            event,
            event_name,
            None,
            None,
            dry_run,
            format,
            config,
            dict(github_token=token, ossbot_state=state, ossbot_bot_login=bot_login),
        )


llm_app = typer.Typer(help="The LLM layer: check the configured providers.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("check")
def llm_check(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="A config file whose llm section to use (default: environment only).",
            show_default=False,
        ),
    ] = None,
    format: FormatOpt = Format.text,
    debug: DebugOpt = False,
) -> None:
    """Make one small call to each configured provider: latency, tokens, structured output."""
    with _errors(debug):
        from ossbot.llm.check import check
        from ossbot.llm.config import resolve
        from ossbot.repo_config import RepoConfig, load_repo_config_file
        from ossbot.settings import load_settings

        repo_config = load_repo_config_file(config) if config else RepoConfig()
        setup = resolve(load_settings(), repo_config.llm)
        if not setup.enabled:
            typer.echo(
                "No provider is configured (LLM_PROVIDER is none): ossbot uses its offline engine."
            )
            return
        results = check(setup)
        _show_check(results, format)
        failed = [r for r in results if not r.ok]
        if failed:
            raise ProviderCheckFailed("; ".join(r.error for r in failed))


labels_app = typer.Typer(
    help="Learned labels: backtest them before trusting them.", no_args_is_help=True
)
app.add_typer(labels_app, name="labels")


@labels_app.command("eval")
def labels_eval(
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
    repo: RepoOpt = None,
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
        int,
        typer.Option(
            "--min-examples", min=2, help="Labels with fewer training examples are not learned."
        ),
    ] = 5,
    apart: Annotated[
        bool,
        typer.Option(
            "--apart",
            help="With a repo column: train one model per repository instead of one model "
            "with shared and per-repository features.",
        ),
    ] = False,
    format: FormatOpt = Format.text,
    config: ConfigOpt = None,
    token: TokenOpt = None,
    state: StateOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Backtest label learning: per-label precision, recall and F1, and macro-F1.

    From files (--train, --test), or from a repository's own history (--repo: the oldest issues
    teach, the newest are scored, as triage would have labelled them)."""
    with _errors(debug):
        from ossbot.labels.evaluate import evaluate, load_examples, time_split

        if (train is None) == (repo is None):
            raise InputError("give either --train FILE (with --test FILE) or --repo owner/name")
        if test is not None and train is None:
            raise InputError("--test goes with --train")
        if repo is not None:
            examples = _repo_examples(repo, config, token, state)
            train_set, test_set = time_split(examples, test_fraction)
        else:
            assert train is not None
            train_set = load_examples(train)
            test_set = load_examples(test) if test else None
            if test_set is None:
                train_set, test_set = time_split(train_set, test_fraction)
        report = evaluate(train_set, test_set, min_examples=min_examples, pool=not apart)
        _show_report(report, format)


def _repo_examples(repo: str, config: Path | None, token: str | None, state: Path | None) -> list:
    from ossbot.context import build_context
    from ossbot.settings import load_settings
    from ossbot.triage.labelling import labelled_examples

    settings = load_settings(github_token=token, ossbot_state=state)
    ctx = build_context(
        settings, repo, dry_run=False, config_path=config, anonymous_reads=True, need_token=False
    )
    try:
        examples = labelled_examples(ctx)
    except GitHubError as exc:
        if exc.status != 404:
            raise
        raise InputError(
            f"{repo} was not found, or the token cannot see it (set GITHUB_TOKEN "
            "or pass --token for a private repository)"
        ) from exc
    finally:
        ctx.close()
    if not examples:
        raise InputError(
            f"{repo} has no labelled issues with labels triage may apply "
            "(see labels.allow, labels.deny and labels.exclude): nothing to backtest"
        )
    return examples


def _show_report(report: dict, fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table("label", "precision", "recall", "F1", "support")
    for name, row in sorted(report["labels"].items()):
        table.add_row(
            name,
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    console = Console()
    console.print(table)
    if len(report["groups"]) > 1:
        groups = Table("repository", "macro-F1", "train", "test")
        for name, row in sorted(report["groups"].items()):
            groups.add_row(name, f"{row['macro_f1']:.3f}", str(row["train"]), str(row["test"]))
        console.print(groups)
    console.print(
        f"macro-F1: {report['macro_f1']:.3f}"
        + (" (mean over repositories)" if len(report["groups"]) > 1 else "")
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


def _execute(
    job: str | None,
    event_path: Path | None,
    event_name: str | None,
    repo: str | None,
    number: int | None,
    dry_run: bool,
    fmt: Format,
    config: Path | None,
    flags: dict[str, object],
) -> None:
    from ossbot.context import build_context
    from ossbot.events import load_event
    from ossbot.runner import job_for, live_issue_event, run_job
    from ossbot.settings import load_settings

    settings = load_settings(github_event_path=event_path, github_event_name=event_name, **flags)
    ctx = None
    if repo is not None or number is not None:
        if not (repo and number):
            raise InputError("--repo and --issue go together")
        ctx = build_context(
            settings, repo, dry_run=dry_run, config_path=config, anonymous_reads=True
        )
        loaded = live_issue_event(ctx, number)
    else:
        if settings.github_event_path is None:
            raise InputError(
                "no event: pass --event PATH, or --repo owner/name --issue N "
                "(GITHUB_EVENT_PATH is not set)"
            )
        loaded = load_event(settings.github_event_path, settings.github_event_name)
    job = job or job_for(loaded.name)
    if job is None:
        _show_nothing(loaded.name, fmt)
        return
    outcome = run_job(job, settings, loaded, dry_run=dry_run, config_path=config, ctx=ctx)
    _show(outcome, fmt, settings)


def _show(outcome: Outcome, fmt: Format, settings: Settings) -> None:
    from ossbot.preview import job_summary, print_json, print_text

    console = Console()
    (print_json if fmt is Format.json else print_text)(console, outcome)
    if settings.github_step_summary:
        with open(settings.github_step_summary, "a", encoding="utf-8") as handle:
            handle.write(job_summary(outcome))
    if settings.github_output:
        with open(settings.github_output, "a", encoding="utf-8") as handle:
            handle.write(
                f"actions={len(outcome.plan.actions)}\n"
                f"skipped={'true' if outcome.plan.skipped else 'false'}\n"
            )


def _show_nothing(event_name: str, fmt: Format) -> None:
    reason = f"no job handles '{event_name}' events"
    if fmt is Format.json:
        typer.echo(json.dumps({"actions": [], "skipped": reason}, indent=2))
    else:
        typer.echo(f"Nothing to do: {reason}.")


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Typed errors become one line on stderr and their exit code; nothing else escapes."""
    try:
        yield
    except OssbotError as exc:
        _fail(str(exc), exc.exit_code, debug)
    except KeyboardInterrupt:
        _fail("interrupted", 130, debug)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        _fail(
            f"internal error: {exc.__class__.__name__}: {exc} (run with --debug for details)",
            1,
            debug,
        )


def _fail(message: str, code: int, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    line = " ".join(message.split())
    typer.echo(f"ossbot: error: {line}", err=True)
    if _in_actions():
        typer.echo(f"::error title=ossbot::{line}")
    raise typer.Exit(code)


def _in_actions() -> bool:
    import os

    return os.environ.get("GITHUB_ACTIONS") == "true"


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
