"""LangChain values in the shapes MLflow's LangChain autolog records: chat messages in MLflow's
chat format (OpenAI's), tool definitions, token usage, retrieved documents. Written as plain
checks (no pydantic models): a value MLflow's models would reject raises ``ValueError`` here too,
and the caller falls back to the raw value, as MLflow does."""

from __future__ import annotations

import json
from typing import Any, Optional

from langchain_core.messages import AIMessage, BaseMessage, FunctionMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages import ChatMessage as LCChatMessage
from langchain_core.outputs import ChatGenerationChunk

# Provider usage keys -> MLflow's token usage keys.
_USAGE_KEYS = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation_input_tokens": "cache_creation_input_tokens",
    "cached_content_token_count": "cache_read_input_tokens",
}

_AUDIO_FORMATS = {"x-wav": "wav", "mpeg": "mp3"}
_PARAM_TYPES = {"string", "number", "integer", "object", "array", "boolean", "null"}


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    return value


def _opt_str(value: Any, what: str) -> Optional[str]:
    return None if value is None else _str(value, what)


# -- messages ---------------------------------------------------------------------------------


def _content_part(block: Any) -> dict[str, Any]:
    """One content block as MLflow's content part models dump it (unknown fields dropped)."""
    if not isinstance(block, dict):
        raise ValueError("content part must be a dict")
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": _str(block.get("text"), "text")}
    if kind == "image_url":
        url = block.get("image_url")
        if not isinstance(url, dict):
            raise ValueError("image_url must be a dict")
        detail = url.get("detail")
        if detail not in (None, "auto", "low", "high"):
            raise ValueError("invalid image detail")
        return {"type": "image_url", "image_url": {"url": _str(url.get("url"), "url"), "detail": detail}}
    if kind == "input_audio":
        audio = block.get("input_audio")
        if not isinstance(audio, dict) or audio.get("format") not in ("wav", "mp3"):
            raise ValueError("invalid input_audio")
        return {"type": "input_audio", "input_audio": {"data": _str(audio.get("data"), "data"), "format": audio["format"]}}
    if kind == "reasoning":
        summary = block.get("summary", [])
        if not isinstance(summary, list):
            raise ValueError("summary must be a list")
        parts = []
        for s in summary:
            if not isinstance(s, dict) or s.get("type") != "summary_text":
                raise ValueError("invalid reasoning summary")
            parts.append({"type": "summary_text", "text": _str(s.get("text"), "text")})
        extra = {k: v for k, v in block.items() if k not in ("type", "summary")}
        return {"type": "reasoning", "summary": parts, **extra}
    raise ValueError(f"unsupported content part {kind!r}")


def _content(content: Any) -> Any:
    """LangChain content (a string or blocks) in MLflow's form: audio blocks become
    ``input_audio`` parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ValueError("content must be a string or a list")
    out = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "audio":
            mime = block.get("mime_type")
            if block.get("source_type") != "base64" or not isinstance(mime, str) or not isinstance(block.get("data"), str):
                raise ValueError("unsupported audio content")
            sub = mime.rsplit("/", 1)[-1].split(";")[0].strip()
            block = {"type": "input_audio", "input_audio": {"data": block["data"], "format": _AUDIO_FORMATS.get(sub, sub)}}
        out.append(_content_part(block))
    return out


def _tool_call(tc: Any, arguments: Any) -> dict[str, Any]:
    return {
        "id": _str(tc.get("id"), "tool call id"),
        "type": "function",
        "function": {"name": _opt_str(tc.get("name"), "name"), "arguments": _opt_str(arguments, "arguments")},
    }


def _tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    calls = [_tool_call(tc, json.dumps(tc["args"])) for tc in message.tool_calls]
    calls += [_tool_call(tc, tc.get("args")) for tc in message.invalid_tool_calls]
    if calls:
        return calls
    out = []
    for raw in message.additional_kwargs.get("tool_calls", []):
        fn = raw.get("function")
        if not isinstance(fn, dict):
            raise ValueError("tool call function must be a dict")
        kind = raw.get("type", "function")
        out.append(
            {
                "id": _str(raw.get("id"), "tool call id"),
                "type": _str(kind, "type"),
                "function": {"name": _opt_str(fn.get("name"), "name"), "arguments": _opt_str(fn.get("arguments"), "arguments")},
            }
        )
    return out


def _chat_message(role: str, content: Any, tool_calls: Any = None, tool_call_id: Any = None) -> dict[str, Any]:
    return {"role": role, "content": content, "tool_calls": tool_calls, "refusal": None, "tool_call_id": tool_call_id}


def chat_message(message: BaseMessage) -> dict[str, Any]:
    """A LangChain message as an MLflow chat message dict (all five keys, as MLflow dumps it)."""
    if isinstance(message, AIMessage):
        calls = _tool_calls(message)
        if calls:
            content: Any = message.content
            if isinstance(content, list):  # Anthropic repeats tool calls as content blocks
                content = [c for c in content if c["type"] != "tool_use"]
            return _chat_message("assistant", _content(content) or None, calls)
        return _chat_message("assistant", _content(message.content))
    if isinstance(message, LCChatMessage):
        return _chat_message(_str(message.role, "role"), _content(message.content))
    if isinstance(message, FunctionMessage):
        return _chat_message("function", _content(message.content))
    if isinstance(message, ToolMessage):
        return _chat_message("tool", _content(message.content), tool_call_id=_opt_str(message.tool_call_id, "tool_call_id"))
    if isinstance(message, HumanMessage):
        return _chat_message("user", _content(message.content))
    if isinstance(message, SystemMessage):
        return _chat_message("system", _content(message.content))
    raise ValueError(f"unexpected message type {type(message).__name__}")


# -- tools ------------------------------------------------------------------------------------


def _param_property(p: Any) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise ValueError("parameter property must be a dict")
    out: dict[str, Any] = {}
    if "type" in p:
        t = p["type"]
        ok = t is None or t in _PARAM_TYPES or (isinstance(t, list) and all(x in _PARAM_TYPES for x in t))
        if not ok:
            raise ValueError(f"unsupported parameter type {t!r}")
        out["type"] = t
    if "description" in p:
        out["description"] = _opt_str(p["description"], "description")
    if "enum" in p:
        enum = p["enum"]
        if enum is not None and (not isinstance(enum, list) or not all(isinstance(v, (str, int, float)) for v in enum)):
            raise ValueError("unsupported enum")
        out["enum"] = enum
    if "items" in p:
        out["items"] = None if p["items"] is None else _param_property(p["items"])
    return out


def _function_params(params: Any) -> dict[str, Any]:
    if not isinstance(params, dict) or not isinstance(params.get("properties"), dict):
        raise ValueError("parameters need properties")
    out: dict[str, Any] = {"properties": {_str(k, "property name"): _param_property(v) for k, v in params["properties"].items()}}
    if "type" in params:
        if params["type"] != "object":
            raise ValueError("parameters type must be object")
        out["type"] = "object"
    if "required" in params:
        req = params["required"]
        if req is not None and (not isinstance(req, list) or not all(isinstance(r, str) for r in req)):
            raise ValueError("required must be a list of strings")
        out["required"] = req
    if "additionalProperties" in params:
        extra = params["additionalProperties"]
        if extra is not None and not isinstance(extra, bool):
            raise ValueError("additionalProperties must be a bool")
        out["additionalProperties"] = extra
    return out


def _openai_tool(raw: Any) -> dict[str, Any]:
    """An OpenAI-style tool definition with the fields MLflow's ChatTool keeps (only those given)."""
    if not isinstance(raw, dict) or raw.get("type") != "function":
        raise ValueError("not an OpenAI function tool")
    out: dict[str, Any] = {"type": "function"}
    if "function" in raw:
        fn = raw["function"]
        if fn is None:
            out["function"] = None
        else:
            if not isinstance(fn, dict):
                raise ValueError("function must be a dict")
            f: dict[str, Any] = {"name": _str(fn.get("name"), "name")}
            if "description" in fn:
                f["description"] = _opt_str(fn["description"], "description")
            if "parameters" in fn:
                f["parameters"] = None if fn["parameters"] is None else _function_params(fn["parameters"])
            if "strict" in fn:
                if fn["strict"] is not None and not isinstance(fn["strict"], bool):
                    raise ValueError("strict must be a bool")
                f["strict"] = fn["strict"]
            out["function"] = f
    return out


def tool_definitions(invocation_params: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """The tools of a model call as ``mlflow.chat.tools`` lists them, and the raw definitions that
    could not be read (MLflow warns about those)."""
    raw_tools = invocation_params.get("tools", []) if isinstance(invocation_params, dict) else []
    tools: list[dict[str, Any]] = []
    unreadable: list[Any] = []
    for raw in raw_tools or []:
        try:
            tools.append(_openai_tool(raw))
        except (ValueError, TypeError, AttributeError):
            name = raw.get("name") if isinstance(raw, dict) else None
            if isinstance(name, str) and name:
                description = raw.get("description")
                tools.append(
                    {"type": "function", "function": {"name": name, "description": description if isinstance(description, str) else None}}
                )
            else:
                unreadable.append(raw)
    return tools, unreadable


# -- token usage ------------------------------------------------------------------------------


def _usage_counts(metadata: dict[str, Any]) -> dict[str, Any]:
    usage = {_USAGE_KEYS[k]: v for k, v in metadata.items() if k in _USAGE_KEYS}
    details = metadata.get("input_token_details")
    if isinstance(details, dict):
        for key, target in (("cache_read", "cache_read_input_tokens"), ("cache_creation", "cache_creation_input_tokens")):
            if isinstance(details.get(key), int):
                usage.setdefault(target, details[key])
    prompt_details = metadata.get("prompt_tokens_details")
    if isinstance(prompt_details, dict) and isinstance(prompt_details.get("cached_tokens"), int):
        usage.setdefault("cache_read_input_tokens", prompt_details["cached_tokens"])
    if usage and usage.get("total_tokens") is None:
        usage["total_tokens"] = usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
    return usage


def _generation_usage(generation: Any) -> Optional[dict[str, Any]]:
    message = getattr(generation, "message", None)
    if not message:
        return None
    metadata = message.usage_metadata or message.response_metadata.get("usage") or message.response_metadata.get("token_usage")
    return _usage_counts(metadata) if metadata else None


def token_usage(generations: list[Any]) -> Optional[dict[str, Any]]:
    """``mlflow.chat.tokenUsage`` of a model run: a stream's last reported counts (they are
    cumulative), else the sum over the generations."""
    if any(isinstance(g, ChatGenerationChunk) for g in generations):
        found = [u for g in generations if (u := _generation_usage(g))]
        return found[-1] if found else None
    total: dict[str, Any] = {}
    for g in generations:
        for k, v in (_generation_usage(g) or {}).items():
            total[k] = total.get(k, 0) + v
    return total or None


# -- documents --------------------------------------------------------------------------------


def document(doc: Any) -> dict[str, Any]:
    """A LangChain Document as MLflow's Document entity serialises (a copy of its metadata)."""
    import copy

    return {"page_content": doc.page_content, "metadata": copy.deepcopy(doc.metadata), "id": getattr(doc, "id", None)}
