"""Comment templates: Jinja files packaged with ossbot, overridable from the repository.

Templates render in a sandbox with StrictUndefined: a repository's override cannot reach
Python internals, and a misspelled variable is an error rather than an empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import ChoiceLoader, FunctionLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ossbot.errors import ConfigError
from ossbot.text import clip, neutralize_mentions

OverrideSource = Callable[[str], "str | None"]


class Templates:
    """`overrides(name)` returns a repository's version of a template, or None; the shipped
    ones come from `package` (a package name and a folder in it)."""

    def __init__(
        self,
        overrides: OverrideSource | None = None,
        *,
        package: tuple[str, str] = ("ossbot", "templates"),
    ) -> None:
        self._overrides = overrides or (lambda name: None)
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FunctionLoader(self._override), PackageLoader(*package)]),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["clip"] = clip
        self.env.filters["no_mentions"] = neutralize_mentions
        self.env.filters["code"] = lambda value: f"`{str(value).replace('`', '')}`"
        self.env.filters["cell"] = _cell

    def _override(self, name: str) -> str | None:
        return self._overrides(name)

    def render(self, name: str, **values: Any) -> str:
        try:
            return self.env.get_template(name).render(**values).strip() + "\n"
        except TemplateError as exc:
            raise ConfigError(f"template {name}: {exc.__class__.__name__}: {exc}") from exc

    def render_text(self, source: str, what: str, **values: Any) -> str:
        """A template given as text (a message from the repository's config), same sandbox."""
        try:
            return self.env.from_string(source).render(**values).strip() + "\n"
        except TemplateError as exc:
            raise ConfigError(f"{what}: {exc.__class__.__name__}: {exc}") from exc


def _cell(value: object) -> str:
    """Untrusted text as one Markdown table cell: one line, no pipes, nobody mentioned."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # no raw HTML
    return neutralize_mentions(text)
