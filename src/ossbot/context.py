"""The Context: everything one invocation's jobs need, built once and passed explicitly.

Jobs read GitHub through `ctx.reader` (live, or offline without a token) and never hold the
writer: the Session keeps it for the executor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ossbot.errors import ConfigError, GitHubError, MissingToken
from ossbot.github.http import GitHubHTTP, Policy
from ossbot.github.offline import OfflineReader
from ossbot.github.reader import GitHubReader, LiveReader, has_role
from ossbot.github.repo_files import RepoFiles
from ossbot.github.writer import Writer
from ossbot.llm.client import LLMClient
from ossbot.llm.config import resolve as resolve_llm
from ossbot.llm.prompts import Prompts
from ossbot.repo_config import RepoConfig, load_repo_config_file, parse_repo_config
from ossbot.secrets import Secrets
from ossbot.settings import Settings
from ossbot.state.backends import Backend, BranchBackend, FileBackend, MemoryBackend
from ossbot.state.spec import StateSpec
from ossbot.state.store import StateStore
from ossbot.templating import Templates

ACTIONS_BOT = "github-actions[bot]"
# Token prefixes of tokens that act as a user (classic and fine-grained PATs, OAuth, user-to-server).
INSTALLATION_TOKEN_PREFIX = "ghs_"
USER_TOKEN_PREFIXES = ("ghp_", "github_pat_", "gho_", "ghu_")


@dataclass
class Context:
    settings: Settings
    repo: str
    dry_run: bool
    reader: GitHubReader
    store: StateStore
    secrets: Secrets = field(default_factory=lambda: Secrets([]))
    config_path: Path | None = None
    commit: str | None = None  # the default branch's head, when known (see RepoFiles)
    config_ref: str | None = None  # a pull request's base commit: its config is read there
    command_names: frozenset[str] = frozenset()  # every job's commands (see commands/)
    # Told (what, done, total) while a long read goes (a terminal's progress bar).
    progress: Callable[[str, int, int], None] | None = None

    @property
    def online(self) -> bool:
        return self.reader.online

    @cached_property
    def repo_files(self) -> RepoFiles:
        return RepoFiles(self.reader, self.store, self.repo, self.commit, ref=self.config_ref)

    @cached_property
    def config(self) -> RepoConfig:
        if self.config_path is not None:
            return load_repo_config_file(self.config_path)
        found = self.repo_files.config()
        if found is None:
            return RepoConfig()
        path, text = found
        return parse_repo_config(text, source=f"{self.repo}:{path}")

    @cached_property
    def templates(self) -> Templates:
        return Templates(overrides=self.repo_files.template)

    @cached_property
    def llm(self) -> LLMClient:
        """The configured chain, or a disabled client (provider none): no SDK is imported here."""
        return LLMClient(resolve_llm(self.settings, self.config.llm), self.store)

    def llm_usage(self) -> str | None:
        """What the model calls of this run cost; None when no model was used (the client is
        not built just to ask)."""
        client = self.__dict__.get("llm")
        return client.usage.summary() if client is not None and client.enabled else None

    @cached_property
    def prompts(self) -> Prompts:
        return Prompts(overrides=self.repo_files.prompt, budget=self.config.llm.input_budget)

    @cached_property
    def bot_login(self) -> str:
        """Whose comments are ossbot's own (see README, 'The bot's identity')."""
        settings = self.settings
        chosen = settings.ossbot_bot_login or self.config.bot.login or settings.ossbot_token_login
        if chosen:
            return chosen
        token = settings.token
        if not self.online or not token:
            return ACTIONS_BOT
        if token.startswith(INSTALLATION_TOKEN_PREFIX):
            if settings.ossbot_actions_token:  # the action says it is the workflow's own
                return ACTIONS_BOT
            # The workflow's GITHUB_TOKEN or an app's installation token: GraphQL's viewer
            # tells them apart (GET /user refuses both). Not cached: such a token lasts an hour.
            login = self.reader.viewer_login()
            if not login:  # a guess would find no comment of ours and write a second one
                raise GitHubError(
                    "GitHub did not say whom the token acts as (GraphQL viewer): set bot.login "
                    "in the config, or OSSBOT_BOT_LOGIN"
                )
            return login
        if not token.startswith(USER_TOKEN_PREFIXES):
            return ACTIONS_BOT
        key = "login:" + hashlib.sha256(token.encode()).hexdigest()[:24]
        login = self.store.cache_get(key)
        if login is None:  # a failure here is not guessed around: the wrong login duplicates
            login = self.reader.authenticated_login() or ACTIONS_BOT
            self.store.cache_set(key, login)
        return login

    def may(self, login: str, minimum: str) -> tuple[bool, str | None]:
        """Whether `login` has at least the `minimum` role in the repository, and its role
        (read once per run and person). Unknown without a token: refused."""
        role = self.reader.collaborator_role(self.repo, login)
        return has_role(role, minimum), role

    def close(self) -> None:
        self.store.close()


@dataclass
class Session:
    """A Context and, when writing is possible, the writer the executor uses."""

    ctx: Context
    writer: Writer | None
    http: GitHubHTTP | None
    # Told (what, done, total) as a long action goes (a terminal's progress bar).
    progress: Callable[[str, int, int], None] | None = None

    def close(self) -> None:
        self.ctx.close()
        if self.http is not None:
            from ossbot.github.app import revoke

            revoke(self.http)
            self.http.close()


def build_session(
    settings: Settings,
    repo: str,
    *,
    dry_run: bool,
    config_path: Path | None = None,
    anonymous_reads: bool = False,
    need_token: bool = True,
    commit: str | None = None,
    config_ref: str | None = None,
    command_names: frozenset[str] = frozenset(),
    keep_state: bool = True,
) -> Session:
    """No I/O here beyond checks: collaborators do their work on first use. Without a token
    nothing is read from GitHub, unless `anonymous_reads` (a live object of a public repo).
    A run that writes needs a token; `need_token=False` is for commands that only read."""
    settings = with_app_token(settings, repo)
    token = settings.token
    if token is None and not dry_run and need_token:
        raise MissingToken(
            "a write needs a token: set GITHUB_TOKEN or pass --token (or preview with --dry-run)"
        )
    if config_path is not None and not Path(config_path).is_file():  # fail before any request
        raise ConfigError(f"config file not found: {config_path}")
    secrets = Secrets.of(settings)
    spec = settings.state_spec()
    http = make_http(settings) if token or anonymous_reads else None
    scratch = dry_run or not keep_state  # `keep_state=False`: read, never saved (a report)
    store = open_store(spec, settings, http, repo, scratch=scratch, redact=secrets.redact)
    live = LiveReader(http) if http is not None else None
    reader: GitHubReader = live if live is not None else OfflineReader()
    ctx = Context(
        settings=settings,
        repo=repo,
        dry_run=dry_run,
        reader=reader,
        store=store,
        secrets=secrets,
        config_path=config_path,
        commit=commit,
        config_ref=config_ref,
        command_names=command_names,
    )
    writer = Writer(http, live) if http is not None and live is not None and not dry_run else None
    return Session(ctx, writer, http)


def open_store(
    spec: StateSpec,
    settings: Settings,
    http: GitHubHTTP | None,
    repo: str,
    *,
    scratch: bool,
    redact: Callable[[str], str] | None = None,
) -> StateStore:
    """The store `spec` names; nothing is read until the database is first used."""
    backend: Backend
    if spec.kind == "branch":
        backend = BranchBackend(
            http, repo, spec.branch, scratch=scratch, backoff=settings.ossbot_retry_backoff
        )
    elif spec.kind == "none":
        backend = MemoryBackend()
    else:
        assert spec.path is not None
        backend = FileBackend(spec.path, scratch=scratch, kind=spec.kind)
    return StateStore(backend, scratch=scratch, redact=redact)


def with_app_token(settings: Settings, repo: str) -> Settings:
    """`settings` with a GitHub App's credentials exchanged for its installation token on
    `repo` and its bot login (unchanged without them). The app wins over $GITHUB_TOKEN."""
    if not settings.app:
        return settings
    from ossbot.github.app import MINTED, app_auth, installation
    from ossbot.secrets import register

    if settings.ossbot_token_login and settings.token in MINTED:
        return settings  # exchanged already (a command that opens a second session)
    http = make_http(settings, auth=app_auth(settings.ossbot_app_id, settings.ossbot_app_key))
    try:
        found = installation(
            http, repo, str(settings.ossbot_app_id).strip(), settings.github_server_url
        )
    finally:
        http.close()
    register(found.token, actions=settings.github_actions)
    return settings.model_copy(
        update={"github_token": found.token, "ossbot_token_login": found.login}
    )


def make_http(settings: Settings, *, auth: object = None) -> GitHubHTTP:
    return GitHubHTTP(
        base_url=settings.github_api_url,
        token=settings.token,
        auth=auth,
        policy=Policy(
            retries=settings.ossbot_http_retries,
            backoff=settings.ossbot_retry_backoff,
            secondary_wait=settings.ossbot_secondary_wait,
            max_wait=settings.ossbot_max_rate_limit_wait,
            timeout=settings.ossbot_http_timeout,
            write_interval=settings.ossbot_write_interval,
        ),
    )
