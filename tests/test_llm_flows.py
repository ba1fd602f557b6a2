"""The LLM client's behaviour over real HTTP: the openai and google-genai SDKs against the fake
LLM server on loopback. Success, retries, fallback, repair, timeouts, cache, failures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel

from fakes.llm_server import FakeLLM, delay, error, http_date, json_answer, text
from ossbot.llm.client import MAX_WAIT, AllProvidersFailed, LLMClient
from ossbot.llm.config import resolve
from ossbot.llm.prompts import Prompt
from ossbot.repo_config import parse_repo_config
from ossbot.settings import Settings
from ossbot.state.store import StateStore

PROMPT = Prompt("You are a test.", "Say hello as JSON.")


class Hello(BaseModel):
    greeting: str
    count: int


HELLO = {"greeting": "hello", "count": 2}


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def client(fake, tmp_path, *, config="", sleeps=None, **env) -> LLMClient:
    settings = {
        "llm_provider": "custom",
        "llm_endpoint": fake.openai_base,
        "llm_model_name": "m",
        "llm_retry_backoff": 0,
        **env,
    }
    setup = resolve(Settings(**settings), parse_repo_config(config).llm)
    waits = sleeps if sleeps is not None else []
    return LLMClient(setup, StateStore(tmp_path / "state.db"), sleep=waits.append)


def test_success_is_parsed_validated_and_accounted(fake, tmp_path):
    fake.queue(json_answer(HELLO, prompt_tokens=30, completion_tokens=5))
    llm = client(fake, tmp_path)
    answer = llm.generate(PROMPT, Hello, purpose="test")
    assert answer.value == Hello(**HELLO) and not answer.cached and not answer.fallback
    assert (answer.prompt_tokens, answer.completion_tokens) == (30, 5)
    calls = llm.store.llm_calls()
    assert [(c["purpose"], c["outcome"], c["prompt_tokens"]) for c in calls] == [("test", "ok", 30)]
    assert llm.usage.calls == 1 and llm.usage.prompt_tokens == 30
    body = fake.requests[0].body
    assert (
        body["model"] == "m" and "JSON schema" in body["messages"][-1]["content"]
    )  # prompted JSON


def test_native_json_schema_is_sent_where_the_provider_has_it(fake, tmp_path):
    fake.queue(json_answer(HELLO))
    client(fake, tmp_path, config="llm:\n  structured: json_schema\n").generate(
        PROMPT, Hello, purpose="t"
    )
    sent = fake.requests[0].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["required"] == ["greeting", "count"]
    assert "JSON schema" not in fake.requests[0].body["messages"][-1]["content"]


def test_a_429_is_retried_after_the_servers_retry_after(fake, tmp_path):
    fake.queue(error(429, "slow down", retry_after=7), json_answer(HELLO))
    waits: list[float] = []
    answer = client(fake, tmp_path, sleeps=waits).generate(PROMPT, Hello, purpose="t")
    assert answer.value.count == 2 and len(fake.requests) == 2
    [wait] = waits
    assert 7.0 < wait <= 7.7  # a little jitter, never less than asked


NO_CACHE = "llm:\n  cache_ttl_hours: 0\n"
GEMINI = dict(llm_provider="gemini", llm_model_name="gemini-x", gemini_api_key="g-key")


def _gemini(fake) -> dict:
    return {**GEMINI, "llm_endpoint": fake.url}


def _waits_for(fake, tmp_path, answer, **env) -> list[float]:
    """The waits the client slept before the second try, after ANSWER."""
    fake.queue(answer, json_answer(HELLO))
    waits: list[float] = []
    llm = client(fake, tmp_path, config=NO_CACHE, sleeps=waits, **env)
    assert llm.generate(PROMPT, Hello, purpose="t").value
    assert len(fake.requests) == 2
    return waits


@pytest.mark.parametrize("api", ["openai", "gemini"])
def test_retry_after_ms_wins_over_retry_after(fake, tmp_path, api):
    env = _gemini(fake) if api == "gemini" else {}
    [wait] = _waits_for(fake, tmp_path, error(429, retry_after=30, retry_after_ms=1500), **env)
    assert 1.5 < wait <= 1.65


@pytest.mark.parametrize("api", ["openai", "gemini"])
def test_retry_after_as_an_http_date(fake, tmp_path, api):
    env = _gemini(fake) if api == "gemini" else {}
    [wait] = _waits_for(fake, tmp_path, error(503, retry_after=http_date(20)), **env)
    assert 18.0 < wait <= 21.0  # the date has whole seconds; jitter adds at most one
    fake.clear()
    [wait] = _waits_for(fake, tmp_path, error(429, retry_after=http_date(-60)), **env)
    assert wait == 0.0  # a date already past: try again now


def test_retry_after_a_fixed_http_date_in_the_rfc_example_form(fake, tmp_path):
    answer = error(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert _waits_for(fake, tmp_path, answer, llm_retry_backoff=5) == [0.0]  # not the backoff


@pytest.mark.parametrize(
    "answer",
    [
        error(429, retry_after=3600),
        error(429, retry_after_ms=3_600_000),
        error(429, retry_after=http_date(3600)),
    ],
)
def test_a_servers_wait_is_capped(fake, tmp_path, answer):
    assert _waits_for(fake, tmp_path, answer) == [MAX_WAIT]


def test_exponential_backoff_has_full_jitter_and_is_capped(fake, tmp_path):
    fake.default = error(500, "down")
    waits: list[float] = []
    llm = client(fake, tmp_path, sleeps=waits, llm_retry_backoff=1, llm_max_retries=3)
    with pytest.raises(AllProvidersFailed):
        llm.generate(PROMPT, Hello, purpose="t")
    assert len(waits) == 3 and all(0 <= w <= 2**i for i, w in enumerate(waits))
    assert waits != [1.0, 2.0, 4.0]
    fake.clear()
    waits.clear()
    llm = client(fake, tmp_path, sleeps=waits, llm_retry_backoff=50, llm_max_retries=2)
    with pytest.raises(AllProvidersFailed):
        llm.generate(PROMPT, Hello, purpose="t")
    assert len(waits) == 2 and all(0 <= w <= MAX_WAIT for w in waits)


def test_server_errors_until_the_fallback_answers(fake, tmp_path):
    with FakeLLM() as backup:
        fake.default = error(500, "down")
        backup.queue(json_answer(HELLO))
        llm = client(
            fake,
            tmp_path,
            llm_max_retries=2,
            llm_fallback_provider="custom",
            llm_fallback_endpoint=backup.openai_base,
            llm_fallback_model_name="backup-model",
        )
        answer = llm.generate(PROMPT, Hello, purpose="t")
    assert answer.fallback and answer.model == "backup-model" and answer.value.greeting == "hello"
    assert len(fake.requests) == 3  # one try and two retries
    assert backup.requests[0].body["model"] == "backup-model"
    assert "server error" in llm.usage.failures[0]


def test_invalid_json_is_repaired_once(fake, tmp_path):
    fake.queue(text("Here you go: {greeting: hello}"), json_answer(HELLO))
    answer = client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")
    assert answer.value.count == 2
    repair = fake.requests[1].body["messages"]
    assert repair[-2] == {"role": "assistant", "content": "Here you go: {greeting: hello}"}
    assert "not valid" in repair[-1]["content"]


def test_an_answer_still_invalid_after_repair_fails_the_provider(fake, tmp_path):
    fake.queue(json_answer({"greeting": 1}), json_answer({"nope": True}))
    with pytest.raises(AllProvidersFailed, match="invalid answer"):
        client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")
    assert len(fake.requests) == 2


def test_a_timeout_is_retried_then_reported(fake, tmp_path):
    fake.default = delay(2, json_answer(HELLO))
    with pytest.raises(AllProvidersFailed, match="timed out"):
        client(fake, tmp_path, llm_timeout=0.3, llm_max_retries=1).generate(
            PROMPT, Hello, purpose="t"
        )
    assert len(fake.requests) == 2


def test_a_refused_key_or_an_exhausted_quota_is_not_retried(fake, tmp_path):
    fake.queue(error(401, "Incorrect API key provided"))
    with pytest.raises(AllProvidersFailed, match="custom: the key was refused: Incorrect API key"):
        client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")
    fake.clear()
    fake.queue(error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(AllProvidersFailed, match="quota exhausted"):
        client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")
    assert len(fake.requests) == 1


SECRET = "sk-live-0123456789abcdefXYZ"


@pytest.mark.parametrize("api", ["openai", "gemini"])
@pytest.mark.parametrize(
    "echo",
    [
        f"Incorrect API key provided: {SECRET}. You can find your API key in your account.",
        "Incorrect API key provided: sk-live-01234*************XYZ.",
        "API key ending in 456789abcdefXYZ is not valid.",
    ],
)
def test_a_key_echoed_in_an_error_never_reaches_the_message(fake, tmp_path, api, echo):
    env = {**_gemini(fake), "gemini_api_key": SECRET} if api == "gemini" else {}
    fake.queue(error(401, echo))
    llm = client(fake, tmp_path, llm_api_key=SECRET, **env)
    with pytest.raises(AllProvidersFailed) as caught:
        llm.generate(PROMPT, Hello, purpose="t")
    sent = fake.requests[0].headers
    assert SECRET in sent.get("authorization", "") + sent.get("x-goog-api-key", "")  # was sent
    message = str(caught.value)
    assert "the key was refused" in message and "***" in message
    for said in (message, *llm.usage.failures):
        assert SECRET[:8] not in said and SECRET[-8:] not in said


LATENCY_PROBE = """
import json, sys, time

module, delay, settings, state = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]


class SlowImport:
    # Every lookup of the SDK costs DELAY, as a cold import on a busy runner does.
    def find_spec(self, name, path=None, target=None):
        if name == module:
            time.sleep(delay)
        return None


sys.meta_path.insert(0, SlowImport())
from ossbot.llm.client import LLMClient
from ossbot.llm.config import resolve
from ossbot.llm.prompts import Prompt
from ossbot.repo_config import parse_repo_config
from ossbot.settings import Settings
from ossbot.state.store import StateStore

llm = LLMClient(resolve(Settings(**settings), parse_repo_config("").llm), StateStore(state))
answer = llm.generate(Prompt("s", "u"), purpose="probe")
latency = [call["latency_ms"] for call in llm.store.llm_calls()]
print(json.dumps({"seconds": answer.seconds, "usage": llm.usage.seconds, "latency_ms": latency}))
"""


@pytest.mark.parametrize("module", ["openai", "google.genai"])
def test_latency_excludes_the_sdk_import_and_the_client_set_up(fake, tmp_path, module):
    delay_s = 1.0
    if module == "openai":
        settings = {
            "llm_provider": "custom",
            "llm_endpoint": fake.openai_base,
            "llm_model_name": "m",
        }
    else:
        settings = _gemini(fake)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LATENCY_PROBE,
            module,
            str(delay_s),
            json.dumps(settings),
            str(tmp_path / "state.db"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(fake.requests) == 1 and len(report["latency_ms"]) == 1
    assert report["seconds"] == report["usage"] < delay_s
    assert report["latency_ms"][0] < delay_s * 1000


def test_an_unknown_model_is_named(fake, tmp_path):
    fake.queue(error(404, "The model `m` does not exist", code="model_not_found"))
    with pytest.raises(AllProvidersFailed, match="unknown model or endpoint"):
        client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")


def test_a_second_identical_call_comes_from_the_cache_without_a_request(fake, tmp_path):
    fake.queue(json_answer(HELLO))
    client(fake, tmp_path).generate(PROMPT, Hello, purpose="t")
    again = client(fake, tmp_path)
    answer = again.generate(PROMPT, Hello, purpose="t")
    assert answer.cached and answer.value.count == 2
    assert len(fake.requests) == 1
    assert again.usage.cached == 1 and again.usage.calls == 0


def test_failures_and_fallback_answers_are_not_cached(fake, tmp_path):
    with FakeLLM() as backup:
        fake.queue(error(400, "bad"))
        backup.queue(json_answer(HELLO))
        env = dict(
            llm_fallback_provider="custom",
            llm_fallback_endpoint=backup.openai_base,
            llm_fallback_model_name="b",
        )
        assert client(fake, tmp_path, **env).generate(PROMPT, Hello, purpose="t").fallback
        fake.queue(json_answer({"greeting": "primary", "count": 1}))
        answer = client(fake, tmp_path, **env).generate(PROMPT, Hello, purpose="t")
    assert not answer.cached and answer.value.greeting == "primary"


def test_cache_ttl_zero_turns_the_cache_off(fake, tmp_path):
    fake.default = json_answer(HELLO)
    for _ in range(2):
        client(fake, tmp_path, config="llm:\n  cache_ttl_hours: 0\n").generate(
            PROMPT, Hello, purpose="t"
        )
    assert len(fake.requests) == 2


def test_reasoning_never_reaches_the_answer(fake, tmp_path):
    fake.queue(
        text(
            '<think>the user wants hello</think>{"greeting": "hi", "count": 1}',
            reasoning="long private chain of thought",
        )
    )
    answer = client(
        fake, tmp_path, llm_provider="deepseek_r1", llm_endpoint=fake.openai_base, llm_api_key="k"
    ).generate(PROMPT, Hello, purpose="t")
    assert answer.text == '{"greeting": "hi", "count": 1}'
    assert "private" not in answer.text and "think" not in answer.text


def test_gemini_over_the_wire(fake, tmp_path):
    fake.queue(json_answer(HELLO, prompt_tokens=12, completion_tokens=4))
    llm = client(
        fake,
        tmp_path,
        llm_provider="gemini",
        llm_endpoint=fake.url,
        llm_model_name="gemini-x",
        gemini_api_key="g-key",
    )
    answer = llm.generate(PROMPT, Hello, purpose="t")
    assert answer.value == Hello(**HELLO) and answer.prompt_tokens == 12
    request = fake.requests[0]
    assert request.path.endswith("/models/gemini-x:generateContent")
    assert request.body["generationConfig"]["responseMimeType"] == "application/json"
    assert request.body["systemInstruction"]["parts"][0]["text"] == "You are a test."


def test_gemini_429_is_retried(fake, tmp_path):
    fake.queue(error(429, "Resource has been exhausted", retry_after=1), json_answer(HELLO))
    waits: list[float] = []
    llm = client(
        fake,
        tmp_path,
        sleeps=waits,
        llm_provider="gemini",
        llm_endpoint=fake.url,
        llm_model_name="gemini-x",
        gemini_api_key="g",
    )
    assert llm.generate(PROMPT, Hello, purpose="t").value.count == 2
    assert len(fake.requests) == 2


def test_azure_over_the_wire(fake, tmp_path):
    fake.queue(json_answer(HELLO))
    llm = client(
        fake,
        tmp_path,
        llm_provider="azure_openai",
        llm_endpoint=fake.url,
        llm_model_name="my-deployment",
        llm_api_key="az",
    )
    assert llm.generate(PROMPT, Hello, purpose="t").value.count == 2
    request = fake.requests[0]
    assert request.path == "/openai/deployments/my-deployment/chat/completions"
    assert request.query["api-version"] == "2024-10-21" and request.headers["api-key"] == "az"


def test_a_prompt_over_the_budget_is_never_sent(fake, tmp_path):
    llm = client(fake, tmp_path, config="llm:\n  input_budget: 500\n")
    with pytest.raises(AllProvidersFailed, match=r"over llm\.input_budget"):
        llm.generate(Prompt("s", "x" * 4000), Hello, purpose="t")
    assert fake.requests == []
