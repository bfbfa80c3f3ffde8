"""Automatic tracing of the ``anthropic`` client, as ``mlflow.anthropic.autolog()`` does it.

>>> import ferrotrace as mlflow
>>> mlflow.anthropic.autolog()       # doctest: +SKIP

Traced: ``messages.create`` (sync and async, tool use, ``stream=True``) and
``messages.stream``. One span per call, named ``Messages.create`` / ``AsyncMessages.create``
(``CHAT_MODEL``) or ``Messages.stream`` / ``AsyncMessages.stream``, with the keyword arguments as
inputs, the message as outputs, and ``mlflow.message.format``, ``mlflow.chat.tools``,
``mlflow.llm.model``, ``mlflow.llm.provider`` and ``mlflow.chat.tokenUsage``. Streams are
recorded chunk by chunk and end with the assembled message (MLflow records the stream object
itself and no usage: docs/autolog.md).
"""

from __future__ import annotations

import json

from ferrotrace import _autolog
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

FLAVOR_NAME = "anthropic"
MIN_VERSION = (0, 40)
MAX_MAJOR = 2
_CALL = "anthropic.messages"


def autolog(log_traces: bool = True, disable: bool = False, silent: bool = False) -> None:
    """Enables (or, with ``disable=True``, removes) tracing of the installed ``anthropic``
    package. MLflow's signature. An unsupported version gets one warning and no patch."""
    if disable:
        _autolog.LOG_TRACES.pop(FLAVOR_NAME, None)
        _autolog.unpatch(FLAVOR_NAME)
        return
    try:
        import anthropic
    except ImportError:
        _autolog.warn_once("anthropic:missing", "ferrotrace.anthropic.autolog(): the anthropic package is not installed")
        return
    version = _autolog.version_tuple(getattr(anthropic, "__version__", "0"))
    if version < MIN_VERSION or version[:1] > (MAX_MAJOR,):
        _autolog.warn_once(
            "anthropic:version",
            "ferrotrace.anthropic.autolog(): anthropic %s is not supported (>= %s, < %s); nothing was patched",
            getattr(anthropic, "__version__", "?"),
            ".".join(map(str, MIN_VERSION)),
            MAX_MAJOR + 1,
        )
        return
    _autolog.LOG_TRACES[FLAVOR_NAME] = bool(log_traces)
    global _STREAMS
    _STREAMS = (anthropic.Stream, anthropic.AsyncStream)
    from anthropic.resources import messages

    for owner, is_async in ((messages.Messages, False), (messages.AsyncMessages, True)):
        maker = _autolog.traced_async_method if is_async else _autolog.traced_method
        _autolog.patch(FLAVOR_NAME, owner, "create", maker(FLAVOR_NAME, _CALL, "CHAT_MODEL", _span_name, _on_result))
        _autolog.patch(FLAVOR_NAME, owner, "stream", _stream_method)


def _span_name(instance: Any, original: Any) -> str:
    return f"{type(instance).__name__}.{getattr(original, '__name__', 'create')}"


_STREAMS: tuple[type, ...] = ()


def _on_result(span: Any, call: str, inputs: dict[str, Any], result: Any) -> Any:
    if isinstance(result, _STREAMS):
        _autolog.tap_stream(result, span, call, _assemble, not isinstance(result, _STREAMS[0]))
    else:
        _autolog.succeed(span, call, result)
    return result


def _assemble(events: list[Any]) -> Any:
    """The message a stream of raw events describes, as a dict shaped like ``Message``."""
    message: dict[str, Any] = {}
    partial_json: dict[int, str] = {}
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            message = event.message.model_dump()
            message["content"] = list(message.get("content") or [])
        elif kind == "content_block_start":
            message.setdefault("content", []).append(event.content_block.model_dump())
        elif kind == "content_block_delta":
            block = message.get("content", [])[event.index]
            delta = event.delta
            if delta.type == "text_delta":
                block["text"] = block.get("text", "") + delta.text
            elif delta.type == "input_json_delta":
                partial_json[event.index] = partial_json.get(event.index, "") + delta.partial_json
            elif delta.type == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.thinking
        elif kind == "content_block_stop" and event.index in partial_json:
            try:
                message["content"][event.index]["input"] = json.loads(partial_json.pop(event.index) or "{}")
            except ValueError:
                pass
        elif kind == "message_delta":
            message.update({k: v for k, v in event.delta.model_dump().items() if v is not None})
            usage = message.setdefault("usage", {})
            for k, v in event.usage.model_dump().items():
                if v is not None:
                    usage[k] = v
    return message or None


def _stream_method(original: Any) -> Any:
    """``messages.stream(...)`` returns a manager whose ``__enter__`` sends the request: the
    span covers the request through the manager's exit and ends with the final message."""
    import functools

    @functools.wraps(original)
    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        if not _autolog.LOG_TRACES.get(FLAVOR_NAME):
            return manager
        try:
            _follow_manager(manager, _span_name(self, original), kwargs)
        except Exception as e:
            _autolog.warn_once("anthropic:stream", "ferrotrace: could not follow messages.stream(): %s", e)
        return manager

    return patched


def _follow_manager(manager: Any, name: str, inputs: dict[str, Any]) -> None:
    """Wraps the manager's enter and exit on this instance (sync and async managers)."""
    is_async = hasattr(manager, "__aenter__")
    state: dict[str, Any] = {}
    cls = type(manager)

    def begin() -> None:
        state["span"] = _autolog.start(name, _CALL, "CHAT_MODEL", inputs)

    def finish(stream: Any, exc: Any) -> None:
        span = state.pop("span", None)
        if span is None:
            return
        if exc is not None:
            _autolog.fail(span, _CALL, exc)
            return
        try:
            snapshot = stream.current_message_snapshot if stream is not None else None
        except Exception:
            snapshot = None
        _autolog.succeed(span, _CALL, snapshot)

    # Instance attributes do not override dunder lookups, so a per-instance subclass does.
    if is_async:

        class _Traced(cls):  # type: ignore[misc, valid-type]
            async def __aenter__(self) -> Any:
                begin()
                try:
                    stream = await cls.__aenter__(self)
                except BaseException as e:
                    finish(None, e)
                    raise
                state["stream"] = stream
                return stream

            async def __aexit__(self, *exc: Any) -> Any:
                try:
                    return await cls.__aexit__(self, *exc)
                finally:
                    finish(state.get("stream"), exc[1])

    else:

        class _Traced(cls):  # type: ignore[misc, valid-type, no-redef]
            def __enter__(self) -> Any:
                begin()
                try:
                    stream = cls.__enter__(self)
                except BaseException as e:
                    finish(None, e)
                    raise
                state["stream"] = stream
                return stream

            def __exit__(self, *exc: Any) -> Any:
                try:
                    return cls.__exit__(self, *exc)
                finally:
                    finish(state.get("stream"), exc[1])

    _Traced.__name__ = cls.__name__
    _Traced.__qualname__ = cls.__qualname__
    manager.__class__ = _Traced
