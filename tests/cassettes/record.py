"""Records the provider cassettes against the fake LLM server (nothing real is reachable here),
then rewrites each request's URL to the provider's real endpoint, so the wire tests replay them
with the production defaults.

    python tests/cassettes/record.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import vcr  # noqa: E402

from fakes.llm_server import FakeLLM, json_answer, text  # noqa: E402
from ossbot.llm.providers import make_provider  # noqa: E402
from wire_cases import ANSWER, CASES, MESSAGES, SCHEMA  # noqa: E402


def record(case, fake: FakeLLM) -> None:
    path = HERE / f"{case.name}.yaml"
    path.unlink(missing_ok=True)
    fake_base = fake.url + case.fake_path

    def to_real(request):
        request.uri = request.uri.replace(fake_base, case.real_base, 1)
        if "host" in request.headers:
            request.headers["host"] = urlsplit(case.real_base).netloc
        return request

    answer = json_answer(ANSWER, prompt_tokens=52, completion_tokens=8)
    if case.reasoning:
        answer = text(
            f"<think>{case.reasoning}</think>{answer.content}",
            reasoning=case.reasoning,
            prompt_tokens=52,
            completion_tokens=8,
        )
    fake.queue(answer)
    recorder = vcr.VCR(
        record_mode="all", before_record_request=to_real, decode_compressed_response=True
    )
    with recorder.use_cassette(str(path)):
        make_provider(case.spec(fake_base)).complete(MESSAGES, SCHEMA, "Labels")
    print(f"recorded {path.name}")


if __name__ == "__main__":
    with FakeLLM() as server:
        for wire_case in CASES:
            record(wire_case, server)
