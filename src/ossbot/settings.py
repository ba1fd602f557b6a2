"""Settings from the environment and command-line flags, validated once per invocation.

Field names are the environment variables' names (case-insensitive); flags are passed as
keyword arguments and win over the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ossbot.errors import ConfigError
from ossbot.state.spec import StateSpec, parse_state

# Flags and the variables they stand for, for messages about a bad value.
FLAG_OF = {
    "github_token": "--token",
    "ossbot_app_id": "--app-id",
    "ossbot_app_key": "--app-key",
    "ossbot_state": "--state",
    "ossbot_bot_login": "--bot-login",
    "github_event_path": "--event",
    "github_event_name": "--event-name",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    github_token: str | None = None
    github_api_url: str = "https://api.github.com"
    github_server_url: str = "https://github.com"
    github_event_path: Path | None = None
    github_event_name: str | None = None
    github_actions: bool = False
    github_step_summary: Path | None = None
    github_output: Path | None = None
    # The commit and ref the workflow runs on: for issue and comment events, the default
    # branch's head, which makes a content-addressed cache key for the repository's files.
    github_sha: str | None = None
    github_ref: str | None = None
    github_repository: str | None = None

    # Where the state lives: a path, local:PATH, branch[:NAME], cache:PATH or none (state/spec.py).
    ossbot_state: str | None = None
    ossbot_bot_login: str | None = None
    # A GitHub App's ID (or Client ID) and private key (PEM text or a file's path): ossbot
    # acts as the app's installation on the repository (github/app.py).
    ossbot_app_id: str | None = None
    ossbot_app_key: str | None = None
    # The token is the workflow's own GITHUB_TOKEN (the action says so): github-actions[bot].
    ossbot_actions_token: bool = False
    # The login the token acts as, when it is known before any request (an app's installation).
    ossbot_token_login: str | None = None
    # HTTP behaviour towards GitHub (see github/gateway.py).
    ossbot_http_retries: int = Field(5, ge=0, le=20)
    ossbot_retry_backoff: float = Field(1.0, ge=0)
    ossbot_write_interval: float = Field(1.0, ge=0)
    # Multiplies spawn's pacing between issue creates (tests and benchmarks scale time).
    ossbot_pace_scale: float = Field(1.0, ge=0)
    ossbot_max_rate_limit_wait: float = Field(600.0, ge=0)
    ossbot_http_timeout: float = Field(30.0, gt=0)
    # Seconds to wait on a secondary rate limit that names no time (GitHub: at least a minute).
    ossbot_secondary_wait: float = Field(60.0, ge=0)

    # LLM (see llm/config.py): the non-secret ones may also come from .github/ossbot.yml.
    llm_provider: str | None = None
    llm_api_key: str | None = None
    llm_model_name: str | None = None
    llm_endpoint: str | None = None
    azure_openai_api_version: str | None = None
    gemini_api_key: str | None = None
    openrouter_site_url: str | None = None
    openrouter_app_name: str | None = None
    llm_fallback_provider: str | None = None
    llm_fallback_api_key: str | None = None
    llm_fallback_model_name: str | None = None
    llm_fallback_endpoint: str | None = None
    llm_timeout: float | None = Field(None, gt=0)
    llm_max_retries: int | None = Field(None, ge=0, le=10)
    llm_retry_backoff: float = Field(2.0, ge=0)

    @property
    def token(self) -> str | None:
        return (self.github_token or "").strip() or None

    @property
    def app(self) -> bool:
        """Whether a GitHub App's credentials were given (either of them)."""
        return bool((self.ossbot_app_id or "").strip() or (self.ossbot_app_key or "").strip())

    def state_spec(self) -> StateSpec:
        """The store `--state` / `OSSBOT_STATE` names (a ConfigError when it names none)."""
        return parse_state(self.ossbot_state)


def load_settings(**flags: object) -> Settings:
    """Environment plus the flags that were given (None means 'not given'). A bad value is a
    ConfigError naming the variable (or flag) and what it must be."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        where = FLAG_OF[name] if name in given and name in FLAG_OF else name.upper()
        value = error.get("input")
        shown = "" if "token" in name or "key" in name else f" (got {value!r})"
        raise ConfigError(f"{where}: {_expected(error)}{shown}") from None


def _expected(error: object) -> str:
    message = str(error["msg"])  # type: ignore[index]
    return {
        "int_parsing": "must be a whole number",
        "float_parsing": "must be a number",
        "bool_parsing": "must be true or false",
    }.get(error["type"], message)  # type: ignore[index]
