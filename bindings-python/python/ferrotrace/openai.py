"""Automatic tracing of the ``openai`` client, as ``mlflow.openai.autolog()`` does it.

>>> import ferrotrace as mlflow
>>> mlflow.openai.autolog()          # doctest: +SKIP

Traced: ``chat.completions.create`` and ``parse`` (sync and async, tools, streams with or
without ``stream_options.include_usage``), legacy ``completions.create``,
``embeddings.create``, ``responses.create`` and ``parse`` (plain and streamed). One span per
call, named after the resource class (``Completions``, ``AsyncCompletions``, ``Embeddings``,
``Responses``, ...), with MLflow's span type, inputs (the keyword arguments), outputs (the
result), request parameters as attributes, and the attributes the core computes from the
result (``mlflow.llm.model``, ``mlflow.chat.tokenUsage``, ``mlflow.chat.tools``,
``mlflow.message.format``). Differences from MLflow: docs/autolog.md.
"""

from __future__ import annotations

from ferrotrace import _autolog
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

FLAVOR_NAME = "openai"
# Oldest release with every resource patched here (Responses API: 1.66); newer majors than
# the one tested are refused until tested.
MIN_VERSION = (1, 66)
MAX_MAJOR = 3

_CHAT = ("openai.chat", "CHAT_MODEL")
_COMPLETION = ("openai.completion", "LLM")
_EMBEDDING = ("openai.embedding", "EMBEDDING")
_RESPONSES = ("openai.responses", "CHAT_MODEL")


def autolog(
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    log_traces: bool = True,
    disable_openai_agent_tracer: bool = True,
) -> None:
    """Enables (or, with ``disable=True``, removes) tracing of the installed ``openai``
    package. MLflow's signature; ``exclusive`` and ``disable_openai_agent_tracer`` are accepted
    and ignored (one warning). An unsupported ``openai`` version gets one warning and no patch."""
    if disable:
        _autolog.LOG_TRACES.pop(FLAVOR_NAME, None)
        _autolog.unpatch(FLAVOR_NAME)
        return
    if not silent:
        _autolog.unhonoured(
            FLAVOR_NAME,
            {"exclusive": exclusive, "disable_openai_agent_tracer": disable_openai_agent_tracer},
            {"exclusive": False, "disable_openai_agent_tracer": True},
        )
    try:
        import openai
    except ImportError:
        _autolog.warn_once("openai:missing", "ferrotrace.openai.autolog(): the openai package is not installed")
        return
    version = _autolog.version_tuple(getattr(openai, "__version__", "0"))
    if version < MIN_VERSION or version[:1] > (MAX_MAJOR,):
        _autolog.warn_once(
            "openai:version",
            "ferrotrace.openai.autolog(): openai %s is not supported (>= %s, < %s); nothing was patched",
            getattr(openai, "__version__", "?"),
            ".".join(map(str, MIN_VERSION)),
            MAX_MAJOR + 1,
        )
        return
    _autolog.LOG_TRACES[FLAVOR_NAME] = bool(log_traces)
    _patch_all()


def _class_name(instance: Any, original: Any) -> str:
    return type(instance).__name__


def _patch_all() -> None:
    global _STREAMS, _ASYNC_STREAM, _LEGACY
    import openai
    from openai.resources import completions, embeddings

    _STREAMS, _ASYNC_STREAM = (openai.Stream, openai.AsyncStream), openai.AsyncStream
    _LEGACY = getattr(getattr(openai, "_legacy_response", None), "LegacyAPIResponse", None)
    from openai.resources.chat import completions as chat

    targets: list[tuple[Any, str, tuple[str, str], bool]] = [
        (chat.Completions, "create", _CHAT, False),
        (chat.Completions, "parse", _CHAT, False),
        (chat.AsyncCompletions, "create", _CHAT, True),
        (chat.AsyncCompletions, "parse", _CHAT, True),
        (completions.Completions, "create", _COMPLETION, False),
        (completions.AsyncCompletions, "create", _COMPLETION, True),
        (embeddings.Embeddings, "create", _EMBEDDING, False),
        (embeddings.AsyncEmbeddings, "create", _EMBEDDING, True),
    ]
    try:
        from openai.resources.beta.chat import completions as beta  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:
        targets += [(beta.Completions, "parse", _CHAT, False), (beta.AsyncCompletions, "parse", _CHAT, True)]
    try:
        from openai.resources import responses
    except ImportError:
        pass
    else:
        for method in ("create", "parse"):
            targets += [(responses.Responses, method, _RESPONSES, False), (responses.AsyncResponses, method, _RESPONSES, True)]
    for owner, method, (call, span_type), is_async in targets:
        maker = _autolog.traced_async_method if is_async else _autolog.traced_method
        _autolog.patch(FLAVOR_NAME, owner, method, maker(FLAVOR_NAME, call, span_type, _class_name, _on_result))


# The client's stream classes and raw-response class, read once when patching.
_STREAMS: tuple[type, ...] = ()
_ASYNC_STREAM: Any = None
_LEGACY: Any = None


def _on_result(span: Any, call: str, inputs: dict[str, Any], raw: Any) -> Any:
    """Ends the span with the result, or taps the stream the call returned. Returns ``raw``."""
    result = raw
    if _LEGACY is not None and isinstance(raw, _LEGACY):  # `with_raw_response`: record the parsed body
        try:
            result = raw.parse()
        except Exception:
            result = raw
    if isinstance(result, _STREAMS):
        finish = _responses_result if call == "openai.responses" else _chat_result
        _autolog.tap_stream(result, span, call, finish, isinstance(result, _ASYNC_STREAM))
    else:
        _autolog.succeed(span, call, result)
    return raw


def _chat_result(chunks: list[Any]) -> Any:
    """A streamed chat completion as one ``ChatCompletion`` (text, finish reason, ids, usage),
    as MLflow rebuilds it; a legacy completion stream as its text."""
    chunks = [c for c in chunks if getattr(c, "object", None) in ("text_completion", "chat.completion.chunk")]
    if not chunks:
        return None
    if chunks[0].object == "text_completion":
        return "".join((c.choices[0].text or "") if c.choices else "" for c in chunks)
    from openai.types.chat import ChatCompletion
    from openai.types.chat.chat_completion import Choice
    from openai.types.chat.chat_completion_message import ChatCompletionMessage

    def text(chunk: Any) -> str:
        if not chunk.choices:
            return ""
        content = chunk.choices[0].delta.content
        if isinstance(content, list):
            return "".join(p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text" and "text" in p)
        return content or ""

    last = chunks[-1]
    finish_reason: Any = "stop"
    if last.choices and last.choices[0]:
        finish_reason = last.choices[0].finish_reason or finish_reason
    message = ChatCompletionMessage(role="assistant", content="".join(map(text, chunks)))
    return ChatCompletion(
        id=last.id,
        choices=[Choice(index=0, message=message, finish_reason=finish_reason)],
        created=last.created,
        model=last.model,
        object="chat.completion",
        system_fingerprint=last.system_fingerprint,
        usage=last.usage,
    )


def _responses_result(chunks: list[Any]) -> Any:
    """The final ``Response`` of a Responses API stream; for a stream cut short, the output
    items completed so far."""
    if not chunks:
        return None
    last = chunks[-1]
    if getattr(last, "type", None) == "response.completed":
        return last.response
    done = [c.item.to_dict() for c in chunks if getattr(c, "type", None) == "response.output_item.done"]
    return {"output": done}
