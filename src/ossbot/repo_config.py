"""The repository's `.github/ossbot.yml`: schema, defaults, and validation with clear errors."""

from __future__ import annotations

import difflib
import fnmatch
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ossbot.errors import ConfigError

TITLE_ONLY = "title:"  # a rule keyword written so matches the issue's title only

# Checked on the 1,500 NLBSE'24 training issues (bench/label_rules.py): matched in the title or a
# short template field, these are right 85% of the time (the rules they replace: 64%). Words
# that a bug report and a feature request use alike (error, fails, wrong, request, help) are
# left out; the question words match the title only ("How to reproduce" is a bug template's).
DEFAULT_RULES: dict[str, list[str]] = {
    "bug": [
        "bug",
        "crash",
        "crashes",
        "crashed",
        "segfault",
        "exception",
        "incorrect",
        "regression",
    ],
    "enhancement": [
        "feature",
        "feature request",
        "enhancement",
        "add support",
        "support for",
        "allow",
        "improve",
        "improvement",
        "proposal",
        "describe the solution",
    ],
    "documentation": [
        "docs",
        "documentation",
        "readme",
        "typo",
        "docstring",
        "tutorial",
        "guide",
        "changelog",
    ],
    "question": [
        "title:question",
        "title:how to",
        "title:how do i",
        "title:how can i",
        "title:why",
    ],
}


# Labels that describe where an issue stands rather than what it is: never learned or applied
# unless `labels.allow` names them. Shell-style patterns, compared case-insensitively.
STATUS_LIKE: list[str] = [
    "status*",
    "state*",
    "triage*",
    "needs*",
    "need *",
    "awaiting*",
    "waiting*",
    "pending*",
    "blocked*",
    "in progress",
    "wip",
    "stale",
    "duplicate",
    "invalid",
    "wontfix",
    "won't fix",
    "not planned",
    "resolved",
    "fixed",
    "released",
    "confirmed",
    "pinned",
    "help wanted",
    "good first issue",
    "first-timers-only",
    "up-for-grabs",
    "hacktoberfest*",
    "lgtm",
    "approved",
    "priority*",
    "p0",
    "p1",
    "p2",
    "p3",
    "size*",
    "cla*",
    "do not merge",
    "dependencies",
]

ONBOARDING_PHRASES: list[str] = [
    "can i work on this",
    "can i work on it",
    "could i work on this",
    "may i work on this",
    "i would like to work on this",
    "i'd like to work on this",
    "i want to work on this",
    "i'm interested in working on this",
    "i am interested in working on this",
    "assign this to me",
    "assign me",
    "please assign",
    "can i take this",
    "can i take it",
    "can i pick this up",
    "is this issue still open",
    "is anyone working on this",
    "how do i contribute",
    "how can i contribute",
    "how to contribute",
    "where should i start",
    "where do i start",
    "new contributor",
    "first issue",
    "first contribution",
    "first time contributor",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotConfig(_Section):
    login: str | None = Field(
        None,
        description="The bot account's login, for recognising its own comments. "
        "Default: github-actions[bot] under Actions, the token's user locally.",
    )
    handle: str = Field(
        "@ossbot",
        pattern=r"^@[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$",
        description="How people address ossbot in comments: commands (`@ossbot help`) and "
        "questions start with it.",
    )


class LabelsConfig(_Section):
    enabled: bool = Field(True, description="Label issues at all.")
    mode: Literal["apply", "comment", "suggest"] = Field(
        "apply",
        description="apply: add confident labels, suggest weaker ones in the comment; "
        "comment: only suggest, in the comment; suggest: GitHub's native issue suggestions for a "
        "maintainer to approve (where the repository has them, else as comment).",
    )
    apply_threshold: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Confidence below which no label is applied (mode apply); a learned label "
        "is applied only from its own backtested threshold too (see target_precision).",
    )
    target_precision: float = Field(
        0.95,
        gt=0,
        le=0.99,
        description="A learned label is applied from the lowest confidence at which it was "
        "right this often in the repository's own history (each issue scored by a model that "
        "had not seen it); a label that never gets there is only suggested.",
    )
    cold_start: Literal["suggest", "apply"] = Field(
        "suggest",
        description="Keyword rules, and learned labels with too little history to backtest: "
        "suggest them (default), or apply them from apply_threshold.",
    )
    grace_days: float = Field(
        7,
        ge=0,
        le=365,
        description="A label ossbot applied is learned from only once a person kept it this "
        "long (or changed the issue's labels, keeping it).",
    )
    suggest_threshold: float = Field(
        0.4, ge=0, le=1, description="Confidence from which a label is suggested."
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Only these labels may be applied (empty: any label of the repository). "
        "Naming a status-like label here makes it eligible.",
    )
    deny: list[str] = Field(default_factory=list, description="Labels never applied.")
    exclude: list[str] = Field(
        default_factory=lambda: list(STATUS_LIKE),
        description="Patterns of status-like labels (shell-style, case-insensitive) that are never "
        "learned or applied unless listed in allow.",
    )
    max: int = Field(3, ge=0, le=10, description="At most this many labels per issue.")
    learn: bool = Field(
        True, description="Learn labels from the repository's own labelled issues (offline)."
    )
    history: int = Field(
        1000, ge=0, le=5000, description="Most recent labelled issues kept and learned from."
    )
    min_examples: int = Field(
        5, ge=2, le=100, description="A label is learned only with at least this many examples."
    )
    rules: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Label name → keywords (whole words, case-insensitive) found in the title or "
        "in the issue template's short fields (headings, bold lines, a dropdown's answer); "
        "'title:' before a keyword matches the title only. Used for labels the history does not "
        "teach. Merged over the defaults for bug, enhancement, documentation and question; a "
        "label mapped to [] turns its default rule off.",
    )
    create_missing: bool = Field(
        False, description="Create a chosen label that the repository does not have yet."
    )

    @field_validator("rules")
    @classmethod
    def _no_empty_keywords(cls, rules: dict[str, list[str]]) -> dict[str, list[str]]:
        for label, words in rules.items():
            for word in words:
                bare = word.strip()
                if bare.lower().startswith(TITLE_ONLY):
                    bare = bare[len(TITLE_ONLY) :].strip()
                if not bare:
                    raise ValueError(f"the rule for '{label}' has an empty keyword")
        return rules

    def permits(self, name: str) -> bool:
        """In `allow` (when it is set) and not in `deny`; a status-like label only when allowed."""
        lowered = name.lower()
        allowed = {label.lower() for label in self.allow}
        if allowed and lowered not in allowed:
            return False
        if lowered in {label.lower() for label in self.deny}:
            return False
        return lowered in allowed or not self.is_status_like(name)

    def is_status_like(self, name: str) -> bool:
        lowered = " ".join(name.lower().replace("-", " ").replace("_", " ").split())
        return any(
            fnmatch.fnmatchcase(form, pattern.lower())
            for form in (name.lower(), lowered)
            for pattern in self.exclude
        )

    def effective_rules(self) -> dict[str, list[str]]:
        merged = {**DEFAULT_RULES, **self.rules}
        return {label: words for label, words in merged.items() if words}


class DuplicatesConfig(_Section):
    enabled: bool = Field(True, description="List open issues that look like the same problem.")
    threshold: float = Field(
        0.45, gt=0, le=1, description="Text similarity (0-1) from which an issue is listed."
    )
    max: int = Field(3, ge=1, le=10, description="At most this many possible duplicates.")


IssueAction = Literal["opened", "edited", "reopened"]
ISSUE_ACTIONS: tuple[IssueAction, ...] = ("opened", "edited", "reopened")


class TriageConfig(_Section):
    enabled: bool = Field(True, description="Triage new, edited and reopened issues.")
    summary: bool = Field(True, description="Post (and keep updated) a summary comment.")
    summary_bullets: int = Field(3, ge=1, le=8, description="Bullets in the summary.")
    actions: list[IssueAction] = Field(
        default_factory=lambda: list(ISSUE_ACTIONS),
        description="Issue actions that start triage.",
    )
    duplicates: DuplicatesConfig = Field(default_factory=DuplicatesConfig)


class OnboardingConfig(_Section):
    enabled: bool = Field(True, description="Answer comments from people who want to contribute.")
    phrases: list[str] = Field(
        default_factory=list,
        description="More phrases that show intent to contribute "
        "(added to the built-in ones; word boundaries, case-insensitive).",
    )
    good_first_label: str = Field(
        "good first issue", description="The label of issues suited to newcomers."
    )
    max_issues: int = Field(5, ge=0, le=10, description="Good first issues listed in a reply.")


class MentionsConfig(_Section):
    enabled: bool = Field(True, description="Answer questions in comments that mention the handle.")
    max_per_issue: int = Field(5, ge=1, le=50, description="At most this many answers per issue.")


Role = Literal["read", "triage", "write", "maintain", "admin"]


class CommandsConfig(_Section):
    enabled: bool = Field(True, description="Act on commands in comments (`@ossbot <command>`).")
    slash: bool = Field(
        True, description="Also accept the slash form (`/ossbot <command>`) at the start of a line."
    )
    permission: Role = Field(
        "write",
        description="The least repository role (read, triage, write, maintain, admin) a commenter "
        "needs for a command that writes; others get a short refusal.",
    )
    permissions: dict[str, Role] = Field(
        default_factory=dict,
        description="Per-command overrides of `permission`, e.g. {triage: triage}.",
    )

    def needed(self, command: str) -> Role:
        return self.permissions.get(command, self.permission)


class WelcomeConfig(_Section):
    enabled: bool = Field(False, description="Welcome first-time issue and pull request authors.")
    issues: bool = Field(True, description="Welcome an author's first issue in this repository.")
    pull_requests: bool = Field(True, description="Welcome an author's first pull request here.")
    issue_message: str | None = Field(
        None,
        description="Markdown of the issue welcome (default: the welcome-issue.md.j2 template).",
    )
    pr_message: str | None = Field(
        None, description="Markdown of the pull request welcome (default: welcome-pr.md.j2)."
    )


DEFAULT_IGNORE: list[str] = [
    # lock files
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
    "go.sum",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
    "packages.lock.json",
    "*.lock",
    # vendored and generated
    "vendor/**",
    "third_party/**",
    "third-party/**",
    "node_modules/**",
    "dist/**",
    "build/**",
    "*.generated.*",
    "*_generated.*",
    "*.gen.go",
    "*_pb2.py",
    "*_pb2_grpc.py",
    "*.pb.go",
    "*.pb.cc",
    "*.pb.h",
    "__snapshots__/**",
    "*.snap",
    # minified
    "*.min.js",
    "*.min.css",
    "*.map",
]

ReviewAction = Literal["opened", "synchronize", "reopened", "ready_for_review"]
REVIEW_ACTIONS: tuple[ReviewAction, ...] = ("opened", "synchronize", "reopened", "ready_for_review")


class ReviewConfig(_Section):
    enabled: bool = Field(True, description="Review pull requests (one comment, kept up to date).")
    actions: list[ReviewAction] = Field(
        default_factory=lambda: list(REVIEW_ACTIONS),
        description="Pull request actions that start a review.",
    )
    drafts: bool = Field(False, description="Review draft pull requests too.")
    bots: bool = Field(False, description="Review pull requests opened or pushed by bots.")
    ignore: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IGNORE),
        description="Paths never reviewed (globs: `*` within a name, `**` across folders; a "
        "pattern without `/`, or with only a trailing `/**`, matches at any depth; a leading `/` "
        "anchors it at the root). Default: lock files, vendored, generated and minified files.",
    )
    ignore_extra: list[str] = Field(
        default_factory=list, description="More globs, added to `ignore` (keeps the defaults)."
    )
    budget: int = Field(
        30000,
        ge=500,
        le=400000,
        description="Tokens of diff reviewed per run, filled by priority (source, then tests, "
        "then docs; riskier hunks first). With a model, split over at most `max_calls` calls, "
        "each within llm.input_budget.",
    )
    max_calls: int = Field(3, ge=1, le=3, description="Most model calls one review makes.")
    max_findings: int = Field(
        30, ge=1, le=100, description="Most findings shown in the comment (highest severity first)."
    )
    check_run: bool = Field(
        True, description='Report an "ossbot review" check run on the head commit.'
    )
    fail_on: Literal["never", "high", "medium"] = Field(
        "never",
        description="The check run fails on findings of this severity or worse "
        "(never: it is always neutral, advisory).",
    )
    inline: bool = Field(
        False, description="Also post findings as inline comments (one review per push)."
    )
    inline_max: int = Field(10, ge=1, le=50, description="Most inline comments per push.")
    large_pr_lines: int = Field(
        1000, ge=50, description="Changed lines from which a pull request is called oversized."
    )

    def ignored(self) -> list[str]:
        return [*self.ignore, *self.ignore_extra]


ProviderName = Literal[
    "none",
    "openai",
    "azure_openai",
    "openrouter",
    "deepseek",
    "deepseek_r1",
    "ollama",
    "custom",
    "gemini",
]


class FallbackConfig(_Section):
    provider: ProviderName | None = Field(
        None, description="Provider tried when the first one fails."
    )
    model: str | None = Field(None, description="Its model (default: the provider's default).")
    endpoint: str | None = Field(None, description="Its endpoint (never inherited from the first).")


class LLMConfig(_Section):
    provider: ProviderName = Field(
        "none",
        description="none (offline engine), openai, azure_openai, openrouter, deepseek, "
        "deepseek_r1, ollama, custom or gemini. Keys come only from the environment.",
    )
    model: str | None = Field(
        None, description="Model name (Azure: the deployment). Default: the provider's."
    )
    endpoint: str | None = Field(None, description="API base URL. Default: the provider's.")
    api_version: str | None = Field(None, description="Azure OpenAI API version.")
    structured: Literal["auto", "json_schema", "json_object", "prompt"] = Field(
        "auto",
        description="How JSON answers are asked for: the provider's native schema support "
        "(auto), or JSON mode, or instructions in the prompt.",
    )
    timeout: float = Field(
        120.0, gt=0, description="Seconds per request (reasoning models are slow)."
    )
    max_retries: int = Field(3, ge=0, le=10, description="Retries on 429, 5xx and timeouts.")
    cache_ttl_hours: float = Field(
        168.0, ge=0, description="How long answers are reused (0: never)."
    )
    input_budget: int = Field(12000, ge=500, description="Most input tokens one prompt may use.")
    fallback: FallbackConfig = Field(default_factory=FallbackConfig)


class SpawnConfig(_Section):
    enabled: bool = Field(True, description="Act on `@ossbot spawn` in issues and comments.")
    max_issues: int = Field(
        100, ge=1, le=500, description="The most issues one run creates (checked again at confirm)."
    )
    confirm_threshold: int = Field(
        10,
        ge=0,
        le=500,
        description="A batch of more issues than this is previewed and waits for "
        "`@ossbot confirm`.",
    )
    prohibited: list[str] = Field(
        default_factory=lambda: ["drop table", "rm -rf", "private key"],
        description="Words or phrases (whole words, any case) that force a preview when the "
        "spec or a generated task holds them. A hit never makes a confirm impossible.",
    )
    permission: Role = Field(
        "write",
        description="The least repository role that may spawn, confirm, cancel and roll back.",
    )
    rate_limit_per_minute: int = Field(
        20, ge=1, le=60, description="Issues created a minute (about one every 3 s)."
    )
    max_rate: int = Field(
        30,
        ge=1,
        le=60,
        description="The most a spec's `rate_limit_per_minute` may ask (higher is lowered).",
    )
    labels: list[str] = Field(
        default_factory=list,
        description="Labels put on every spawned issue (they must exist in the repository).",
    )


class Price(_Section):
    input: float = Field(ge=0, description="Dollars per million input (prompt) tokens.")
    output: float = Field(ge=0, description="Dollars per million output (completion) tokens.")


class ReportConfig(_Section):
    prices: dict[str, Price] = Field(
        default_factory=dict,
        description="What a model's tokens cost, by model name (as LLM_MODEL_NAME, or "
        "provider:model), for the report's cost column; none by default: no cost is shown.",
    )
    title: str = Field(
        "ossbot report", min_length=1, max_length=120, description="The report issue's title."
    )
    event_pages: int = Field(
        10,
        ge=1,
        le=100,
        description="Most pages (100 events each) of the repository's issue events the report "
        "reads to see which labels people removed or added.",
    )


class RepoConfig(_Section):
    bot: BotConfig = Field(default_factory=BotConfig)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    labels: LabelsConfig = Field(default_factory=LabelsConfig)
    onboarding: OnboardingConfig = Field(default_factory=OnboardingConfig)
    mentions: MentionsConfig = Field(default_factory=MentionsConfig)
    commands: CommandsConfig = Field(default_factory=CommandsConfig)
    welcome: WelcomeConfig = Field(default_factory=WelcomeConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    spawn: SpawnConfig = Field(default_factory=SpawnConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)


def load_repo_config_file(path: Path) -> RepoConfig:
    """A local config file (`--config`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    return parse_repo_config(text, source=str(path))


def parse_repo_config(text: str | None, source: str = ".github/ossbot.yml") -> RepoConfig:
    """Parse and validate; every problem becomes one ConfigError naming the key and the fix."""
    if text is None or not text.strip():
        return RepoConfig()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{source}: invalid YAML{_yaml_where(exc)}: {_yaml_problem(exc)}"
        ) from exc
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the top level must be a mapping of keys (bot, triage, labels)"
        )
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe_all(exc.errors())}") from exc


def _yaml_where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


MOVED = {"mentions.handle": "bot.handle"}


def _describe_all(errors: list[Any]) -> str:
    """Every error of the file on one line, each naming its dotted key, in the model's order."""
    described = dict.fromkeys(_describe(error) for error in errors)
    return "; ".join(described)


def _describe(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc)
    if key in MOVED:
        return f"'{key}' is now '{MOVED[key]}'"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'{_suggest(loc)}"
    if error["type"] == "model_type":  # a section that is not a mapping
        return f"'{key}': Input should be a mapping of keys (got {_shown(error.get('input'))})"
    if error["type"] == "value_error":  # a validator's own words, about the whole value
        return f"'{key}': {error['msg'].removeprefix('Value error, ')}"
    return f"'{key}': {error['msg']} (got {_shown(error.get('input'))})"


def _shown(value: Any, limit: int = 60) -> str:
    """A value as the file gave it, on one line and short: a section pasted in the wrong place
    must not swamp the line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggest(loc: list[str]) -> str:
    """'did you mean' for a misspelled key, from the keys valid at that place."""
    model: type[BaseModel] = RepoConfig
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    known = list(model.model_fields)
    close = difflib.get_close_matches(loc[-1], known, n=1)
    if close:
        return f": did you mean '{'.'.join(loc[:-1] + close)}'?"
    return f": valid keys here are {', '.join(known)}"
