"""Differential test of the autolog integrations: one app calls the real `openai` and
`anthropic` clients (against the fake provider server) under MLflow's own autolog and under
ferrotrace's, sending to one real MLflow server; read back with MLflow's client, the traces must
be equal field by field. Deliberate differences (docs/autolog.md) are not exercised here."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import run_script
from test_differential import normalise

pytestmark = pytest.mark.timeout(900)  # two app runs and a server start on a shared machine

APP = r'''
import asyncio, sys
mlflow = __import__(sys.argv[3])
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
import anthropic, openai, pydantic
base = sys.argv[4]
mlflow.openai.autolog()
mlflow.anthropic.autolog()
oa = openai.OpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
aoa = openai.AsyncOpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
an = anthropic.Anthropic(base_url=base, api_key="k", max_retries=0)
aan = anthropic.AsyncAnthropic(base_url=base, api_key="k", max_retries=0)
MSG = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is six times seven?"}]
TOOLS = [{"type": "function", "function": {"name": "add", "description": "Add two numbers", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer", "title": "A"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}]
ATOOLS = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]

def scenario(name):
    def run(fn):
        with mlflow.start_span(name) as span:
            span.set_inputs({"scenario": name})
            try:
                fn()
            except Exception as e:
                span.set_outputs(type(e).__name__)
    return run

@scenario("plain")
def _(): oa.chat.completions.create(model="gpt-4o-mini", messages=MSG, temperature=0.2, max_tokens=50)

@scenario("tools")
def _(): oa.chat.completions.create(model="gpt-4o-mini", messages=MSG, tools=TOOLS, tool_choice="auto")

@scenario("stream")
def _(): list(oa.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True))

@scenario("stream_usage")
def _(): list(oa.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True, stream_options={"include_usage": True}))

@scenario("async")
def _():
    async def main():
        await aoa.chat.completions.create(model="gpt-4o-mini", messages=MSG)
        s = await aoa.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True)
        async for _ in s:
            pass
    asyncio.run(main())

@scenario("parse")
def _():
    class Answer(pydantic.BaseModel):
        value: int
    oa.chat.completions.parse(model="gpt-4o-mini", messages=MSG, response_format=Answer)

@scenario("embeddings")
def _(): oa.embeddings.create(model="text-embedding-3-small", input=["one two", "three"])

@scenario("responses")
def _(): oa.responses.create(model="gpt-4o-mini", input="What is six times seven?", instructions="Be brief.")

@scenario("responses_stream")
def _(): list(oa.responses.create(model="gpt-4o-mini", input=[{"role": "user", "content": "Hi"}], stream=True))

@scenario("error_400")
def _(): oa.chat.completions.create(model="error-400", messages=MSG)

@scenario("error_500")
def _(): oa.embeddings.create(model="error-500", input="x")

@scenario("anthropic")
def _(): an.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=100, messages=MSG[1:], system="Be brief.")

@scenario("anthropic_tools")
def _(): an.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=100, messages=MSG[1:], tools=ATOOLS)

@scenario("anthropic_async")
def _(): asyncio.run(aan.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=100, messages=MSG[1:]))

@scenario("anthropic_error")
def _(): an.messages.create(model="error-400", max_tokens=100, messages=MSG[1:])

oa.embeddings.create(model="text-embedding-3-small", input="a root span")
mlflow.flush_trace_async_logging()
print("done")
'''

SCENARIOS = [
    "plain", "tools", "stream", "stream_usage", "async", "parse", "embeddings", "responses", "responses_stream",
    "error_400", "error_500", "anthropic", "anthropic_tools", "anthropic_async", "anthropic_error", "Embeddings",
]  # fmt: skip


def _strip(trace: dict[str, Any]) -> dict[str, Any]:
    """Chunk events compared by their JSON value, not its text spacing."""
    for span in trace["spans"]:
        for e in span["events"]:
            value = e["attributes"].get("mlflow.chunk.value")
            if isinstance(value, str):
                e["attributes"]["mlflow.chunk.value"] = json.loads(value)
    return trace


def run_and_read(sdk: str, server: str, fake: str, reader: Any, tmp: Path) -> dict[str, dict[str, Any]]:
    exp = f"autolog-{sdk}-{uuid.uuid4().hex[:6]}"
    r = run_script(APP, {}, cwd=str(tmp), argv=[server, exp, sdk, fake], timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    exp_id = reader.get_experiment_by_name(exp).experiment_id
    traces = reader.search_traces(locations=[exp_id], return_type="list")
    return {t.info.tags["mlflow.traceName"]: _strip(normalise(t)) for t in traces}


@pytest.fixture(scope="module")
def fake() -> Iterator[str]:
    import fake_llm

    server = fake_llm.start()
    yield server.root_url
    server.stop()


@pytest.fixture(scope="module")
def both(mlflow_server: str, mlflow_reader: Any, fake: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("diff-autolog")
    return {sdk: run_and_read(sdk, mlflow_server, fake, mlflow_reader, tmp) for sdk in ("mlflow", "ferrotrace")}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_trace_as_mlflows_autolog(both: dict[str, Any], scenario: str) -> None:
    ours, theirs = both["ferrotrace"][scenario], both["mlflow"][scenario]
    if ours != theirs:
        diff = {k: {"mlflow": theirs.get(k), "ferrotrace": ours.get(k)} for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
        pytest.fail(json.dumps(diff, indent=1, default=str)[:8000])


def test_the_comparison_covers_usage_cost_tools_and_chunks(both: dict[str, Any]) -> None:
    """Guards the test above against comparing empty fields."""
    ours = both["ferrotrace"]
    plain = ours["plain"]
    assert "mlflow.trace.tokenUsage" in plain["metadata"]
    assert "mlflow.llm.cost" in plain["spans"][1]["attributes"], sorted(plain["spans"][1]["attributes"])
    assert "mlflow.chat.tools" in ours["tools"]["spans"][1]["attributes"]
    assert any(e["name"].startswith("mlflow.chunk.item.") for e in ours["stream_usage"]["spans"][1]["events"])
    assert ours["anthropic"]["spans"][1]["attributes"]["mlflow.llm.provider"] == "anthropic"
