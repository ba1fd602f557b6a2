"""Tokens and calls per triage with a model, against the fake GitHub and the fake LLM server.
Prints figures; asserts nothing.

    python bench/llm_triage.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from typer.testing import CliRunner  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from fakes.llm_server import FakeLLM, json_answer  # noqa: E402
from ossbot.cli import app  # noqa: E402
from ossbot.llm.prompts import estimate_tokens  # noqa: E402

REPO = "acme/widgets"
TOKEN = "ghs_bench"
SAMPLE = json.loads((ROOT / "examples" / "issue-opened.json").read_text())["issue"]


def _run(
    gh: FakeGitHub, llm: FakeLLM, work: Path, body: str | None, labels: int
) -> tuple[int, int, int]:
    """A new issue with `body`; None: the previous issue again, edited without a change of text."""
    for index in range(labels):
        gh.add_label(
            REPO, f"area/{len(gh.labels(REPO))}-{index}", description="Part of the product"
        )
    action = "opened" if body is not None else "edited"
    number = (
        gh.add_issue(REPO, SAMPLE["title"], body, user="jdoe")["number"]
        if body is not None
        else len(gh.issues(REPO))
    )
    event = work / f"e{number}-{action}.json"
    event.write_text(
        json.dumps(
            {
                "action": action,
                "issue": gh.issue(REPO, number),
                "repository": {"full_name": REPO},
                "sender": {"login": "jdoe"},
            }
        )
    )
    env = {
        "GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": TOKEN,
        "OSSBOT_ACTIONS_TOKEN": "true",  # as the action says of the workflow's token
        "OSSBOT_STATE": str(work / "state.db"),
        "OSSBOT_WRITE_INTERVAL": "0",
        "LLM_PROVIDER": "custom",
        "LLM_ENDPOINT": llm.openai_base,
        "LLM_MODEL_NAME": "bench-model",
        "LLM_API_KEY": "k",
    }
    gh.clear_log()
    llm.clear()
    result = CliRunner().invoke(app, ["triage", "--event", str(event)], env=env)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    sent = sum(estimate_tokens(m["content"]) for r in llm.requests for m in r.body["messages"])
    return sent, len(llm.requests), len(gh.requests)


def main() -> None:
    print("Triage with a model (custom OpenAI-compatible provider, fake server)")
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as gh, FakeLLM() as llm:
        gh.add_user("github-actions[bot]", type="Bot")
        gh.add_token(TOKEN, "github-actions[bot]", kind="installation")
        gh.add_repo(REPO)
        for name in ("bug", "enhancement", "documentation", "question"):
            gh.add_label(REPO, name)
        llm.default = json_answer({"summary": ["Export crashes on commas."], "labels": ["bug"]})
        cases = (
            ("the sample issue, 4 labels", SAMPLE["body"], 0),
            ("edited, same text (cache)", None, 0),
            ("a 400 kB issue, 150 labels", "The export crashes. " * 20_000, 146),
        )
        for title, body, labels in cases:
            tokens, calls, rest = _run(gh, llm, Path(tmp), body, labels)
            print(
                f"  {title:28} prompt ~{tokens} tokens sent (budget 12000), {calls} model call(s), "
                f"{rest} REST calls"
            )


if __name__ == "__main__":
    main()
