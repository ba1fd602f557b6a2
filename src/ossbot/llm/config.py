"""Which providers to call, resolved once from the environment and `.github/ossbot.yml`.

The environment wins over the config file; keys come only from the environment. A fallback
never inherits the primary's endpoint or key."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Literal

from ossbot.errors import ConfigError
from ossbot.repo_config import LLMConfig
from ossbot.settings import Settings

Structured = Literal["json_schema", "json_object", "prompt"]


@dataclass(frozen=True)
class ProviderKind:
    """What a provider name means: which SDK, its defaults and capabilities."""

    sdk: Literal["openai", "azure", "gemini"]
    endpoint: str | None = None
    model: str | None = None
    structured: Structured = "json_schema"
    needs_key: bool = True
    needs_endpoint: bool = False


KINDS: dict[str, ProviderKind] = {
    "openai": ProviderKind("openai", model="gpt-4.1-mini"),
    "azure_openai": ProviderKind("azure", needs_endpoint=True),
    "openrouter": ProviderKind(
        "openai", endpoint="https://openrouter.ai/api/v1", model="openai/gpt-4.1-mini"
    ),
    "deepseek": ProviderKind(
        "openai",
        endpoint="https://api.deepseek.com",
        model="deepseek-chat",
        structured="json_object",
    ),
    # R1 has no JSON mode and thinks aloud: JSON is asked for in the prompt, its reasoning dropped.
    "deepseek_r1": ProviderKind(
        "openai",
        endpoint="https://api.deepseek.com",
        model="deepseek-reasoner",
        structured="prompt",
    ),
    "ollama": ProviderKind(
        "openai", endpoint="http://localhost:11434/v1", model="llama3.1", needs_key=False
    ),
    "custom": ProviderKind("openai", structured="prompt", needs_key=False, needs_endpoint=True),
    "gemini": ProviderKind("gemini", model="gemini-flash-latest"),
}
AZURE_DEFAULT_API_VERSION = "2024-10-21"
# The module each SDK is imported as, and the distribution that installs it.
SDK_MODULES = {"openai": "openai", "azure": "openai", "gemini": "google.genai"}
SDK_PACKAGES = {"openai": "openai", "google.genai": "google-genai"}


@dataclass(frozen=True)
class Source:
    """Where one provider's settings come from, so that a message names what to set."""

    provider: str
    key: str
    model: str
    endpoint: str
    config: str  # the config file section: llm or llm.fallback

    @property
    def origin(self) -> str:
        return f"{self.provider} or {self.config}.provider"


PRIMARY = Source("LLM_PROVIDER", "LLM_API_KEY", "LLM_MODEL_NAME", "LLM_ENDPOINT", "llm")
FALLBACK = Source(
    "LLM_FALLBACK_PROVIDER",
    "LLM_FALLBACK_API_KEY",
    "LLM_FALLBACK_MODEL_NAME",
    "LLM_FALLBACK_ENDPOINT",
    "llm.fallback",
)


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    kind: ProviderKind
    model: str
    endpoint: str | None
    api_key: str | None = field(repr=False)
    structured: Structured
    timeout: float
    api_version: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}:{self.model}"


@dataclass(frozen=True)
class LLMSetup:
    providers: list[ProviderSpec]
    max_retries: int
    backoff: float
    cache_ttl_hours: float
    input_budget: int

    @property
    def enabled(self) -> bool:
        return bool(self.providers)


def resolve(settings: Settings, config: LLMConfig) -> LLMSetup:
    """Bad names, missing keys or endpoints are ConfigErrors (exit 2), found before any call."""
    name = (settings.llm_provider or config.provider or "none").strip().lower()
    providers: list[ProviderSpec] = []
    if name != "none":
        providers.append(
            _spec(
                name,
                model=settings.llm_model_name or config.model,
                endpoint=settings.llm_endpoint or config.endpoint,
                api_key=settings.llm_api_key
                or (settings.gemini_api_key if name == "gemini" else None),
                key_names="LLM_API_KEY" + (" or GEMINI_API_KEY" if name == "gemini" else ""),
                source=PRIMARY,
                settings=settings,
                config=config,
            )
        )
        fallback = (
            (settings.llm_fallback_provider or config.fallback.provider or "none").strip().lower()
        )
        if fallback != "none":
            providers.append(
                _spec(
                    fallback,
                    model=settings.llm_fallback_model_name or config.fallback.model,
                    endpoint=settings.llm_fallback_endpoint or config.fallback.endpoint,
                    api_key=settings.llm_fallback_api_key,
                    key_names=FALLBACK.key,
                    source=FALLBACK,
                    settings=settings,
                    config=config,
                )
            )
    return LLMSetup(
        providers=providers,
        max_retries=settings.llm_max_retries
        if settings.llm_max_retries is not None
        else config.max_retries,
        backoff=settings.llm_retry_backoff,
        cache_ttl_hours=config.cache_ttl_hours,
        input_budget=config.input_budget,
    )


def _spec(
    name: str,
    *,
    model: str | None,
    endpoint: str | None,
    api_key: str | None,
    key_names: str,
    source: Source,
    settings: Settings,
    config: LLMConfig,
) -> ProviderSpec:
    """Every message names the variable and config key of the provider it is about."""
    kind = KINDS.get(name)
    if kind is None:
        raise ConfigError(
            f"unknown LLM provider '{name}' (from {source.origin}): "
            f"choose one of none, {', '.join(KINDS)}"
        )
    if kind.needs_key and not api_key:
        raise ConfigError(f"the {name} provider needs a key: set {key_names}")
    endpoint = endpoint or kind.endpoint
    if kind.needs_endpoint and not endpoint:
        raise ConfigError(
            f"the {name} provider needs an endpoint: "
            f"set {source.endpoint} or {source.config}.endpoint"
        )
    model = model or kind.model
    if not model:
        what = "deployment" if name == "azure_openai" else "model"
        raise ConfigError(
            f"the {name} provider needs a {what}: set {source.model} or {source.config}.model"
        )
    require_sdk(SDK_MODULES[kind.sdk])
    structured = kind.structured if config.structured == "auto" else config.structured
    return ProviderSpec(
        name=name,
        kind=kind,
        model=model,
        endpoint=endpoint,
        api_key=api_key,
        structured=structured,
        timeout=settings.llm_timeout or config.timeout,
        api_version=(
            settings.azure_openai_api_version or config.api_version or AZURE_DEFAULT_API_VERSION
        )
        if kind.sdk == "azure"
        else None,
        headers=_attribution(settings) if name == "openrouter" else {},
    )


def require_sdk(module: str) -> None:
    """A missing SDK is a ConfigError found with the setup, before any call or write. Looked
    up, not imported: resolving stays cheap and an offline run never pays for an SDK."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package, or a module without a spec
        found = False
    if not found:
        raise missing_sdk(module)


def missing_sdk(module: str) -> ConfigError:
    package = SDK_PACKAGES.get(module, module)
    return ConfigError(f"the {package} package is not installed: pip install 'ossbot[llm]'")


def _attribution(settings: Settings) -> dict[str, str]:
    """OpenRouter's optional app attribution headers."""
    headers = {}
    if settings.openrouter_site_url:
        headers["HTTP-Referer"] = settings.openrouter_site_url
    if settings.openrouter_app_name:
        headers["X-Title"] = settings.openrouter_app_name
    return headers
