"""ferrotrace.anthropic.autolog() with the real `anthropic` client against the fake server."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import anthropic
import pytest

import ferrotrace
from conftest import attr, exported, only_trace

TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather in a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]
MESSAGES = [{"role": "user", "content": "Hello there"}]


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    import fake_llm

    server = fake_llm.start()
    yield server
    server.stop()


@pytest.fixture
def client(fake: Any) -> Iterator[anthropic.Anthropic]:
    ferrotrace.anthropic.autolog()
    yield anthropic.Anthropic(base_url=fake.root_url, api_key="test", max_retries=0)
    ferrotrace.anthropic.autolog(disable=True)


def _span(trace: dict[str, Any]) -> dict[str, Any]:
    spans = trace["data"]["spans"]
    assert len(spans) == 1
    return spans[0]


def test_messages_create(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(model="claude-fake-1", max_tokens=64, messages=MESSAGES)
    assert msg.content[0].text == "The answer is 42."
    trace = only_trace()
    span = _span(trace)
    assert span["name"] == "Messages.create"
    assert attr(span, "mlflow.spanType") == "CHAT_MODEL"
    assert attr(span, "mlflow.spanInputs") == {"model": "claude-fake-1", "max_tokens": 64, "messages": MESSAGES}
    assert attr(span, "mlflow.spanOutputs") == msg.model_dump()
    assert attr(span, "mlflow.message.format") == "anthropic"
    assert attr(span, "mlflow.llm.model") == "claude-fake-1"
    assert attr(span, "mlflow.llm.provider") == "anthropic"
    u = msg.usage
    total = u.input_tokens + u.output_tokens
    usage = {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "total_tokens": total, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    assert attr(span, "mlflow.chat.tokenUsage") == usage
    assert json.loads(trace["info"]["trace_metadata"]["mlflow.trace.tokenUsage"])["total_tokens"] == total


def test_tool_use(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(model="claude", max_tokens=64, messages=MESSAGES, tools=TOOLS)
    assert msg.stop_reason == "tool_use" and msg.content[0].input == {"city": "x"}
    span = _span(only_trace())
    assert attr(span, "mlflow.chat.tools") == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {"properties": {"city": {"type": "string"}}, "type": "object", "required": ["city"]},
            },
        }
    ]


def test_async_create(fake: Any) -> None:
    ferrotrace.anthropic.autolog()
    try:
        client = anthropic.AsyncAnthropic(base_url=fake.root_url, api_key="test", max_retries=0)
        msg = asyncio.run(client.messages.create(model="claude", max_tokens=8, messages=MESSAGES))
    finally:
        ferrotrace.anthropic.autolog(disable=True)
    assert msg.content[0].text
    assert _span(only_trace())["name"] == "AsyncMessages.create"


def test_create_stream_records_chunks_and_the_assembled_message(client: anthropic.Anthropic) -> None:
    stream = client.messages.create(model="claude", max_tokens=64, messages=MESSAGES, stream=True)
    assert isinstance(stream, anthropic.Stream)
    events = list(stream)
    span = _span(only_trace())
    chunks = [e for e in span["events"] if e["name"].startswith("mlflow.chunk.item.")]
    assert len(chunks) == len(events)
    out = attr(span, "mlflow.spanOutputs")
    assert out["content"][0]["text"] == "The answer is 42."
    assert out["stop_reason"] == "end_turn"
    assert attr(span, "mlflow.chat.tokenUsage")["output_tokens"] == events[-2].usage.output_tokens


def test_messages_stream_helper(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model="claude", max_tokens=64, messages=MESSAGES, tools=TOOLS) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "tool_use"
    span = _span(only_trace())
    assert span["name"] == "Messages.stream"
    assert attr(span, "mlflow.spanOutputs")["content"][0]["input"] == {"city": "x"}
    assert attr(span, "mlflow.chat.tokenUsage")["output_tokens"] > 0


@pytest.mark.parametrize("status,error", [(400, anthropic.BadRequestError), (500, anthropic.InternalServerError)])
def test_errors(client: anthropic.Anthropic, status: int, error: type) -> None:
    with pytest.raises(error):
        client.messages.create(model=f"error-{status}", max_tokens=8, messages=MESSAGES)
    span = _span(only_trace())
    assert span["status"]["code"] == "STATUS_CODE_ERROR"
    assert span["status"]["message"].startswith(error.__name__ + ": ")
    assert attr(span, "mlflow.llm.model") == f"error-{status}"
    assert attr(span, "mlflow.llm.provider") == "anthropic"


def test_disable(fake: Any) -> None:
    ferrotrace.anthropic.autolog()
    ferrotrace.anthropic.autolog(disable=True)
    client = anthropic.Anthropic(base_url=fake.root_url, api_key="test", max_retries=0)
    client.messages.create(model="claude", max_tokens=8, messages=MESSAGES)
    assert exported() == []
