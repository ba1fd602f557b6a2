"""Provider wire formats, replayed from vcrpy cassettes (tests/cassettes, made by
tests/cassettes/record.py against the fake LLM server, with the real endpoints' URLs).

Replay matches on the request body too: if ossbot starts sending another model, schema or
message shape to a provider, its test fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vcr

from ossbot.llm.providers import make_provider
from wire_cases import ANSWER, CASES, MESSAGES, SCHEMA

CASSETTES = Path(__file__).resolve().parent / "cassettes"
REPLAY = vcr.VCR(
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    decode_compressed_response=True,
)


def _recorded(name: str) -> tuple[dict, dict]:
    with REPLAY.use_cassette(str(CASSETTES / f"{name}.yaml")) as cassette:
        request = cassette.requests[0]
        return request, json.loads(request.body)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_replay_parses_the_answer_and_the_usage(case):
    with REPLAY.use_cassette(str(CASSETTES / f"{case.name}.yaml")) as cassette:
        done = make_provider(case.spec()).complete(MESSAGES, SCHEMA, "Labels")
        assert cassette.all_played
    assert json.loads(done.text) == ANSWER
    assert (done.prompt_tokens, done.completion_tokens) == (52, 8)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_request_goes_to_the_real_endpoint_with_the_right_headers(case):
    request, _ = _recorded(case.name)
    assert request.uri.startswith(case.real_base)
    headers = {k.lower(): v for k, v in request.headers.items()}
    for name, value in case.headers.items():
        assert headers[name] == value, name


def test_openai_sends_a_strict_json_schema():
    request, body = _recorded("openai")
    assert request.uri == "https://api.openai.com/v1/chat/completions"
    assert body["model"] == "gpt-4.1-mini" and body["messages"] == MESSAGES
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["name"] == "Labels"
    assert schema["schema"]["additionalProperties"] is False


def test_azure_addresses_the_deployment_with_an_api_version():
    request, body = _recorded("azure_openai")
    assert request.uri == (
        "https://ossbot-test.openai.azure.com/openai/deployments/triage-deploy/"
        "chat/completions?api-version=2024-10-21"
    )
    assert body["model"] == "triage-deploy" and "authorization" not in {
        k.lower() for k in request.headers
    }


def test_deepseek_uses_json_mode_and_r1_prompted_json():
    request, body = _recorded("deepseek")
    assert request.uri == "https://api.deepseek.com/chat/completions"
    assert body["model"] == "deepseek-chat" and body["response_format"] == {"type": "json_object"}
    _, r1 = _recorded("deepseek_r1")
    assert r1["model"] == "deepseek-reasoner" and "response_format" not in r1


def test_deepseek_r1_reasoning_is_dropped():
    case = next(c for c in CASES if c.name == "deepseek_r1")
    with REPLAY.use_cassette(str(CASSETTES / "deepseek_r1.yaml")):
        done = make_provider(case.spec()).complete(MESSAGES, SCHEMA, "Labels")
    assert done.text == json.dumps(ANSWER) and "crash" not in done.text


def test_ollama_needs_no_real_key_and_openrouter_sends_attribution():
    request, body = _recorded("ollama")
    assert (
        request.uri == "http://localhost:11434/v1/chat/completions" and body["model"] == "qwen2.5"
    )
    request, body = _recorded("openrouter")
    assert (
        request.uri == "https://openrouter.ai/api/v1/chat/completions"
        and body["model"] == "openai/gpt-4.1-mini"
    )


def test_gemini_sends_a_system_instruction_and_a_response_schema():
    request, body = _recorded("gemini")
    assert request.uri.startswith("https://generativelanguage.googleapis.com/")
    assert request.uri.endswith("/models/gemini-flash-latest:generateContent")
    assert body["systemInstruction"]["parts"][0]["text"] == "You label issues."
    assert body["contents"] == [{"parts": [{"text": MESSAGES[1]["content"]}], "role": "user"}]
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["properties"]["labels"]["type"] == "array"
