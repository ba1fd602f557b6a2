"""Prompts: Jinja templates from the top-level `prompts/` folder (packaged as `ossbot.prompts`),
overridable from `.github/ossbot/prompts/`. Untrusted text goes inside delimited blocks,
truncated to a token budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ossbot.templating import OverrideSource, Templates

BEGIN, END = "<<<UNTRUSTED {label}>>>", "<<<END UNTRUSTED {label}>>>"


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code: an estimate for budgets, not billing."""
    return (len(text) + 3) // 4


def fit(text: str, max_tokens: int) -> str:
    limit = max(0, int(max_tokens)) * 4
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[… truncated: {len(text) - limit} more characters]"


def untrusted(text: Any, label: str, max_tokens: float = 2000) -> str:
    """Text from issues, comments, diffs or models, fenced so the model reads it as data. Our
    delimiters are removed from inside it, so it cannot close its own block."""
    body = str(text or "").replace("<<<", "‹‹‹").replace(">>>", "›››")
    body = fit(body, int(max_tokens))
    return f"{BEGIN.format(label=label)}\n{body}\n{END.format(label=label)}"


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.system) + estimate_tokens(self.user)


class Prompts:
    """Renders `system.j2` plus the named prompt. `overrides(name)` gives a repository's version."""

    def __init__(self, overrides: OverrideSource | None = None, budget: int = 12000) -> None:
        self.budget = budget
        self._templates = Templates(overrides, package=("ossbot.prompts", "."))
        self._templates.env.filters["untrusted"] = untrusted

    def render(self, name: str, **values: Any) -> Prompt:
        values = {"budget": self.budget, **values}
        return Prompt(
            self._templates.render("system.j2", **values).strip(),
            self._templates.render(name, **values).strip(),
        )
