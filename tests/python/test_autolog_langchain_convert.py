"""The LangChain value conversions of ferrotrace.langchain (messages, tool definitions, token
usage) give what MLflow's own LangChain helpers give, on the same values, including the values
MLflow rejects (both then fall back to the raw value)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk  # noqa: E402

from ferrotrace.langchain import _convert  # noqa: E402

MESSAGES = [
    HumanMessage("hello"),
    SystemMessage("be brief"),
    HumanMessage(content=[{"type": "text", "text": "look", "id": "x"}, {"type": "image_url", "image_url": {"url": "http://i/x.png"}}]),
    HumanMessage(content=[{"type": "audio", "source_type": "base64", "mime_type": "audio/x-wav", "data": "AAA"}]),
    HumanMessage(content=[{"type": "image", "url": "http://i/x.png"}]),  # LangChain v1 block: MLflow rejects
    HumanMessage(content=["plain string part"]),  # rejected too
    AIMessage("sure"),
    AIMessage(content="", tool_calls=[{"name": "multiply", "args": {"a": 6, "b": 7}, "id": "call_1"}]),
    AIMessage(content="", invalid_tool_calls=[{"name": "f", "args": "{bad", "id": "call_2", "error": "json"}]),
    AIMessage(content="", invalid_tool_calls=[{"name": "f", "args": "{bad", "id": None, "error": "json"}]),
    AIMessage(content="", additional_kwargs={"tool_calls": [{"id": "c3", "type": "function", "function": {"name": "g", "arguments": "{}", "x": 1}, "index": 0}]}),
    AIMessage(content=[{"type": "text", "text": "using"}, {"type": "tool_use", "id": "t", "name": "g", "input": {}}], tool_calls=[{"name": "g", "args": {}, "id": "t"}]),
    AIMessage(content=[{"type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}], "id": "rs_1"}]),
    AIMessageChunk(content="partial"),
    ToolMessage(content="42", tool_call_id="call_1"),
    ToolMessage(content=[{"type": "text", "text": "42"}], tool_call_id="call_1"),
    FunctionMessage(content="out", name="f"),
    ChatMessage(role="critic", content="meh"),
]


def mlflow_message(message: Any) -> Any:
    from mlflow.langchain.utils.chat import convert_lc_message_to_chat_message

    try:
        return convert_lc_message_to_chat_message(message).model_dump()
    except Exception:
        return "rejected"


def ours_message(message: Any) -> Any:
    try:
        return _convert.chat_message(message)
    except Exception:
        return "rejected"


@pytest.mark.parametrize("message", MESSAGES, ids=[f"{i}-{type(m).__name__}" for i, m in enumerate(MESSAGES)])
def test_messages_as_mlflow_converts_them(message: Any) -> None:
    assert ours_message(message) == mlflow_message(message)


def test_some_messages_are_rejected_by_both() -> None:
    assert sum(mlflow_message(m) == "rejected" for m in MESSAGES) >= 3


TOOLS = [
    {"type": "function", "function": {"name": "multiply", "description": "x", "parameters": {"type": "object", "properties": {"a": {"type": "integer", "title": "A"}}, "required": ["a"]}}},
    {"type": "function", "function": {"name": "n", "parameters": {"properties": {"xs": {"type": "array", "items": {"type": "string", "enum": ["a", 1, 2.5, True]}}}, "additionalProperties": False}, "strict": True}},
    {"type": "function", "function": {"name": "opt", "parameters": {"properties": {"v": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}}}},
    {"type": "function", "function": {"name": "bad_type", "parameters": {"properties": {"v": {"type": "date"}}}}},
    {"type": "function", "function": {"name": "no_props", "parameters": {"type": "object"}}},
    {"type": "function", "function": None},
    {"type": "function"},
    {"name": "anthropic_style", "description": "d", "input_schema": {"type": "object"}},
    {"name": "anthropic_no_description", "input_schema": {}},
    {"description": "nameless"},
]


def mlflow_tools(raw: list[Any]) -> Any:
    from mlflow.langchain.langchain_tracer import MlflowLangchainTracer

    tools = MlflowLangchainTracer()._extract_tool_definitions({"invocation_params": {"tools": raw}})
    return [t.model_dump(exclude_unset=True) for t in tools]


@pytest.mark.parametrize("tool", TOOLS, ids=[str(i) for i in range(len(TOOLS))])
def test_tool_definitions_as_mlflow_reads_them(tool: Any) -> None:
    ours, unreadable = _convert.tool_definitions({"tools": [tool]})
    assert ours == mlflow_tools([tool])
    assert (unreadable == [tool]) == (ours == [])


def generation(usage: Any = None, response_metadata: Any = None, chunk: bool = False) -> Any:
    if chunk:
        return ChatGenerationChunk(message=AIMessageChunk(content="x", usage_metadata=usage, response_metadata=response_metadata or {}))
    return ChatGeneration(message=AIMessage(content="x", usage_metadata=usage, response_metadata=response_metadata or {}))


USAGES = [
    [generation({"input_tokens": 3, "output_tokens": 4, "total_tokens": 7})],
    [generation({"input_tokens": 3, "output_tokens": 4, "total_tokens": 7, "input_token_details": {"cache_read": 2, "cache_creation": 1}})],
    [generation(response_metadata={"token_usage": {"prompt_tokens": 5, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 4}}})],
    [generation(response_metadata={"usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 1}})],
    [generation({"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}), generation({"input_tokens": 2, "output_tokens": 3, "total_tokens": 5})],
    [generation(chunk=True), generation({"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}, chunk=True), generation({"input_tokens": 4, "output_tokens": 5, "total_tokens": 9}, chunk=True)],
    [generation()],
]


@pytest.mark.parametrize("generations", USAGES, ids=[str(i) for i in range(len(USAGES))])
def test_token_usage_as_mlflow_parses_it(generations: list[Any]) -> None:
    from mlflow.langchain.utils.chat import parse_token_usage

    assert _convert.token_usage(generations) == parse_token_usage(generations)
