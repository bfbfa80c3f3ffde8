"""ferrotrace.openai.autolog() with the real `openai` client against the fake provider server:
span names, types, inputs, outputs, attributes, stream chunk events, errors, and that the
client's results and exceptions are untouched."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Iterator

import openai
import pydantic
import pytest

import ferrotrace
from conftest import attr, exported, only_trace

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer", "title": "A"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
]
MESSAGES = [{"role": "user", "content": "What is six times seven?"}]


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    import fake_llm

    server = fake_llm.start()
    yield server
    server.stop()


@pytest.fixture
def client(fake: Any) -> Iterator[openai.OpenAI]:
    ferrotrace.openai.autolog()
    yield openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    ferrotrace.openai.autolog(disable=True)


@pytest.fixture
def aclient(fake: Any) -> Iterator[openai.AsyncOpenAI]:
    ferrotrace.openai.autolog()
    yield openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    ferrotrace.openai.autolog(disable=True)


def _span(trace: dict[str, Any]) -> dict[str, Any]:
    spans = trace["data"]["spans"]
    assert len(spans) == 1
    return spans[0]


def test_chat_completion(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    assert result.choices[0].message.content == "The answer is 42."
    trace = only_trace()
    span = _span(trace)
    assert span["name"] == "Completions"
    assert attr(span, "mlflow.spanType") == "CHAT_MODEL"
    assert attr(span, "mlflow.spanInputs") == {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2}
    assert attr(span, "mlflow.spanOutputs") == result.model_dump()
    assert attr(span, "temperature") == 0.2
    assert attr(span, "model") == "gpt-4o-mini"
    assert attr(span, "mlflow.message.format") == "openai"
    assert attr(span, "mlflow.llm.model") == "gpt-4o-mini"
    assert result.usage is not None
    u = result.usage
    usage = {"input_tokens": u.prompt_tokens, "output_tokens": u.completion_tokens, "total_tokens": u.total_tokens}
    assert attr(span, "mlflow.chat.tokenUsage") == usage
    assert json.loads(trace["info"]["trace_metadata"]["mlflow.trace.tokenUsage"]) == usage
    assert span["status"]["code"] == "STATUS_CODE_OK"


def test_tool_call_records_tools(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS)
    call = result.choices[0].message.tool_calls[0]
    assert call.function.name == "add" and json.loads(call.function.arguments) == {"a": 2, "b": 2}
    span = _span(only_trace())
    tools = attr(span, "mlflow.chat.tools")
    # MLflow's chat schema keeps type/description/enum/items of a property, not "title".
    assert tools[0]["function"]["parameters"]["properties"]["a"] == {"type": "integer"}
    assert attr(span, "tools") == TOOLS
    assert attr(span, "mlflow.spanOutputs")["choices"][0]["finish_reason"] == "tool_calls"


def test_child_of_the_active_span(client: openai.OpenAI) -> None:
    with ferrotrace.start_span("agent"):
        client.chat.completions.create(model="m", messages=MESSAGES)
    spans = {s["name"]: s for s in only_trace()["data"]["spans"]}
    assert spans["Completions"]["parent_span_id"] == spans["agent"]["span_id"]


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream(client: openai.OpenAI, include_usage: bool) -> None:
    extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, **extra)
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is 42."
    span = _span(only_trace())
    events = [e for e in span["events"] if e["name"].startswith("mlflow.chunk.item.")]
    assert len(events) == len(chunks)
    assert json.loads(events[0]["attributes"]["mlflow.chunk.value"]) == chunks[0].model_dump()
    out = attr(span, "mlflow.spanOutputs")
    assert out["object"] == "chat.completion"
    assert out["choices"][0]["message"]["content"] == text
    assert attr(span, "mlflow.llm.model") == "gpt-4o-mini"
    usage = attr(span, "mlflow.chat.tokenUsage")
    if include_usage:
        u = chunks[-1].usage
        assert usage == {"input_tokens": u.prompt_tokens, "output_tokens": u.completion_tokens, "total_tokens": u.total_tokens}
    else:
        assert usage is None


def test_stream_closed_early_still_ends_the_span(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    stream.close()
    span = _span(only_trace())
    assert span["status"]["code"] == "STATUS_CODE_OK"
    assert len([e for e in span["events"] if e["name"].startswith("mlflow.chunk.item.")]) == 1


@pytest.mark.parametrize("consumed", [0, 2])
def test_stream_dropped_without_close_still_ends_the_span(client: openai.OpenAI, consumed: int) -> None:
    import gc

    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    it = iter(stream)
    for _ in range(consumed):
        next(it)
    stream.response.close()  # what the client would do at exit; the span must not wait for it
    del stream, it
    gc.collect()
    span = _span(only_trace())
    assert len([e for e in span["events"] if e["name"].startswith("mlflow.chunk.item.")]) == consumed


def test_a_traced_stream_is_freed_when_dropped_as_an_untraced_one_is(client: openai.OpenAI) -> None:
    """The tap adds no reference cycle: a consumed (or closed) stream and its chunks go when the
    caller drops them, not at the next run of the cyclic collector (whose runs then get longer)."""
    import gc
    import weakref

    gc.disable()
    try:
        for close in (False, True):
            stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            chunks = [weakref.ref(c) for c in stream]
            if close:
                stream.close()
            ref = weakref.ref(stream)
            del stream
            assert ref() is None and all(c() is None for c in chunks)
    finally:
        gc.enable()
    assert len(exported()) == 2


def test_stream_in_a_context_manager_broken_out_of(client: openai.OpenAI) -> None:
    with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
        for _ in stream:
            break
    assert _span(only_trace())["end_time_unix_nano"]


def test_async_chat_and_stream(aclient: openai.AsyncOpenAI) -> None:
    async def main() -> str:
        r = await aclient.chat.completions.create(model="m", messages=MESSAGES)
        s = await aclient.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in s])
        return (r.choices[0].message.content or "") + "|" + text

    assert asyncio.run(main()) == "The answer is 42.|The answer is 42."
    traces = exported()
    assert [t["data"]["spans"][0]["name"] for t in traces] == ["AsyncCompletions", "AsyncCompletions"]
    assert attr(traces[1]["data"]["spans"][0], "mlflow.spanOutputs")["choices"][0]["message"]["content"] == "The answer is 42."


def test_parse_structured_output(client: openai.OpenAI) -> None:
    class Answer(pydantic.BaseModel):
        value: int
        unit: str

    result = client.chat.completions.parse(model="gpt-4o-mini", messages=MESSAGES, response_format=Answer)
    assert result.choices[0].message.parsed == Answer(value=2, unit="x")
    span = _span(only_trace())
    assert span["name"] == "Completions"
    assert attr(span, "mlflow.spanOutputs")["choices"][0]["message"]["parsed"] == {"value": 2, "unit": "x"}
    assert attr(span, "mlflow.chat.tokenUsage")["total_tokens"] > 0


def test_embeddings(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
    assert len(result.data) == 2
    span = _span(only_trace())
    assert span["name"] == "Embeddings"
    assert attr(span, "mlflow.spanType") == "EMBEDDING"
    assert attr(span, "mlflow.llm.model") == "text-embedding-3-small"
    assert attr(span, "mlflow.message.format") is None
    assert attr(span, "mlflow.chat.tokenUsage") is None  # MLflow reads no usage from embeddings
    assert attr(span, "mlflow.spanOutputs")["data"][1]["embedding"] == [0.2, 0.4, 0.6, 0.8]


def test_responses_plain_and_streamed(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4o-mini", input="Say the answer", instructions="Be brief")
    assert r.output_text == "The answer is 42."
    events = list(client.responses.create(model="gpt-4o-mini", input="Say the answer", stream=True))
    assert events[-1].type == "response.completed"
    plain, streamed = (t["data"]["spans"][0] for t in exported())
    for span in (plain, streamed):
        assert span["name"] == "Responses"
        assert attr(span, "mlflow.spanType") == "CHAT_MODEL"
        assert attr(span, "mlflow.spanOutputs")["output"][0]["content"][0]["text"] == "The answer is 42."
        assert attr(span, "mlflow.chat.tokenUsage")["output_tokens"] == r.usage.output_tokens  # type: ignore[union-attr]
        assert attr(span, "instructions") in ("Be brief", None)
    assert len([e for e in streamed["events"] if e["name"].startswith("mlflow.chunk.item.")]) == len(events)


@pytest.mark.parametrize("status,error", [(400, openai.BadRequestError), (500, openai.InternalServerError)])
def test_api_errors_are_recorded_and_reraised(client: openai.OpenAI, status: int, error: type) -> None:
    with pytest.raises(error) as info:
        client.chat.completions.create(model=f"error-{status}", messages=MESSAGES)
    assert info.value.status_code == status
    span = _span(only_trace())
    assert span["status"] == {"code": "STATUS_CODE_ERROR", "message": ""}
    exc = [e for e in span["events"] if e["name"] == "exception"][0]
    assert exc["attributes"]["exception.type"] == error.__name__
    assert attr(span, "mlflow.spanOutputs") is None
    assert attr(span, "mlflow.llm.model") is None  # MLflow sets model on success only


def test_disable_unpatches_and_log_traces_false_records_nothing(fake: Any) -> None:
    client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    original = openai.resources.chat.completions.Completions.create
    ferrotrace.openai.autolog()
    assert openai.resources.chat.completions.Completions.create is not original
    ferrotrace.openai.autolog(disable=True)
    assert openai.resources.chat.completions.Completions.create is original
    ferrotrace.openai.autolog(log_traces=False)
    try:
        client.chat.completions.create(model="m", messages=MESSAGES)
    finally:
        ferrotrace.openai.autolog(disable=True)
    assert exported() == []


def test_unhonoured_arguments_warn_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        ferrotrace.openai.autolog(exclusive=True)
        ferrotrace.openai.autolog(exclusive=True)
    ferrotrace.openai.autolog(disable=True)
    assert len([r for r in caplog.records if "exclusive" in r.getMessage()]) == 1


def test_unsupported_version_warns_once_and_patches_nothing(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    original = openai.resources.chat.completions.Completions.create
    monkeypatch.setattr(openai, "__version__", "0.28.1")
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        ferrotrace.openai.autolog()
        ferrotrace.openai.autolog()
    assert openai.resources.chat.completions.Completions.create is original
    assert len([r for r in caplog.records if "not supported" in r.getMessage()]) == 1
