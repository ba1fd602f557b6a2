"""How an outcome is shown: rich text in a terminal, one JSON document, and the Actions job summary.
Everything shown is cleaned of control characters and terminal escapes first (`sanitize`):
issue text must not drive the reader's terminal."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from ossbot.github.markers import strip_markers
from ossbot.plan import AddLabels, CreateLabel, SpawnBatch, UpsertComment
from ossbot.runner import Outcome
from ossbot.state.backends import SaveReport
from ossbot.state.spec import StateSpec
from ossbot.text import sanitize


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    plan = outcome.plan.model_dump(mode="json")
    shown = {
        **plan,
        "dry_run": outcome.dry_run,
        "requests": outcome.requests,
        "llm": outcome.llm,
        "results": [result.model_dump(mode="json") for result in outcome.results],
        "error": outcome.error,
    }
    return json.loads(sanitize(json.dumps(shown)))


def print_text(console: Console, outcome: Outcome) -> None:
    plan = outcome.plan
    target = f"{plan.repo}#{plan.number}" if plan.number else plan.repo
    mode = "dry run: nothing was written" if outcome.dry_run else "applied"
    console.print(Text(f"ossbot {plan.job} · {target} · {plan.event} · {mode}", style="bold"))
    if outcome.error:
        console.print(Text(f"Failed: {sanitize(outcome.error)}"))
    elif plan.skipped:
        console.print(Text(f"Nothing to do: {sanitize(plan.skipped)}."))
    elif not plan.actions:
        console.print("Nothing to do: no action is needed.")
    for index, action in enumerate(plan.actions):
        result = outcome.results[index] if index < len(outcome.results) else None
        console.print(_render_action(action, result))
    for note in plan.notes:
        console.print(Text(f"note: {sanitize(note)}", style="dim"))
    if outcome.llm:
        console.print(Text(f"model: {outcome.llm}", style="dim"))


def _render_action(action: Any, result: Any) -> Any:
    done = (
        f" · {result.result}"
        + (f" {result.url}" if result.url else "")
        + (f" ({result.note})" if result.note else "")
        if result
        else ""
    )
    if isinstance(action, UpsertComment):
        title = f"comment ({action.marker}) on {action.target}{done or ' · create or update'}"
        body = Markdown(sanitize(strip_markers(action.body)))
        return Panel(body, title=sanitize(title), title_align="left")
    if isinstance(action, SpawnBatch):
        body = Markdown(sanitize(strip_markers(action.body)))
        return Panel(body, title=sanitize(action.describe() + done), title_align="left")
    if isinstance(action, AddLabels):
        return Text(sanitize(f"labels to add on {action.target}: {', '.join(action.labels)}{done}"))
    if isinstance(action, CreateLabel):
        return Text(sanitize(f"label to create in {action.repo}: {action.name}{done}"))
    return Text(sanitize(action.describe() + done))


SUMMARY_SHOWN = {"review"}  # comments whose whole text the job summary repeats


def job_summary(outcome: Outcome) -> str:
    """Markdown for GITHUB_STEP_SUMMARY."""
    plan = outcome.plan
    lines = [f"### ossbot {plan.job}: {plan.repo}" + (f"#{plan.number}" if plan.number else ""), ""]
    if outcome.error:
        lines.append(f"**Failed:** {outcome.error}")
    elif plan.skipped:
        lines.append(f"Nothing to do: {plan.skipped}.")
    for index, action in enumerate(plan.actions):
        done = outcome.results[index] if index < len(outcome.results) else None
        lines.append(f"- {action.describe()}: **{done.result if done else 'planned'}**")
        if done is not None and done.note:
            lines.append(f"  - {done.note}")
    lines += [f"- note: {note}" for note in plan.notes]
    for action in plan.actions:  # a review's summary is its comment, whatever was written
        shown = isinstance(action, UpsertComment) and (
            outcome.dry_run  # a preview: every comment it would write, in full
            or action.marker in SUMMARY_SHOWN
            or action.marker.startswith("spawn-run-")
        )
        if isinstance(action, UpsertComment | SpawnBatch) and (
            shown or isinstance(action, SpawnBatch)
        ):
            lines += ["", strip_markers(action.body).strip()]
    footer = f"{outcome.requests} GitHub API request(s)" + (
        f" · model: {outcome.llm}" if outcome.llm else ""
    )
    lines.append(f"\n<sub>{footer}</sub>")
    return sanitize("\n".join(lines)) + "\n"


CACHE_CAVEAT = (
    "The state is kept in the Actions cache (the token may not write contents, so there is no "
    "state branch): runs that overlap may lose each other's cache rows, and an evicted entry "
    "loses all of them. Nothing is duplicated because of it: ossbot finds its comments and "
    "issues on GitHub by their markers, and rebuilds its ledger from them."
)


def state_summary(spec: StateSpec, saved: SaveReport | None) -> str:
    """The job summary's line about the state store (and, for the cache, what it cannot
    guarantee)."""
    detail = saved.detail if saved is not None else "not opened"
    lines = [f"<sub>State: {spec.describe()} · {detail}</sub>", ""]
    if spec.kind == "cache":
        lines += [f"> [!NOTE]\n> {CACHE_CAVEAT}", ""]
    return "\n".join(lines) + "\n"
