"""The LangChain callback handler that records runs as spans, with the span tree MLflow's
``MlflowLangchainTracer`` gives: a span per run (chain/runnable CHAIN, chat model CHAT_MODEL, LLM,
RETRIEVER, TOOL), its run's callback kwargs as attributes, chat messages in MLflow's chat format,
token usage, tools, streamed tokens and retries as events, errors as an ``exception`` event and
an ERROR status.

Every callback is guarded: a failure inside tracing is counted and warned about (rate-limited)
and the run goes on unchanged. The handler never raises into LangChain (``raise_error`` stays
False as well).
"""

from __future__ import annotations

import ast
import functools
import time
from typing import Any, Callable, Optional, Sequence, TypeVar
from uuid import UUID

from langchain_core.callbacks.base import BaseCallbackHandler
from langchain_core.load.dump import dumps

from ferrotrace import _context
from ferrotrace._fluent import start_span_no_context
from ferrotrace._integrations import FAILURES, count_failure
from ferrotrace._log import logger
from ferrotrace._native import LiveSpan
from ferrotrace.entities import SpanEvent, SpanStatus, SpanType
from ferrotrace.langchain import _convert
from ferrotrace.langchain._patch import ATTACH, CONFIG

F = TypeVar("F", bound=Callable[..., Any])

# -- internal failures: counted, warned about at most once per WARN_INTERVAL_S ------------------

WARN_INTERVAL_S = 60.0


class _Failures:
    last_warned: Optional[float] = None


def failures() -> int:
    """How many callbacks failed inside tracing (the runs themselves went on); also
    ``stats()["integration_failures"]["langchain"]``."""
    return FAILURES.get("langchain", 0)


def internal_failure(where: str, error: BaseException) -> None:
    count = count_failure("langchain")
    now = time.monotonic()
    last = _Failures.last_warned
    if CONFIG.silent or (last is not None and now - last < WARN_INTERVAL_S):
        return
    _Failures.last_warned = now
    logger.warning("ferrotrace.langchain: tracing failed in %s (%d so far): %r", where, count, error)


def _guarded(fn: F) -> F:
    @functools.wraps(fn)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except Exception as e:
            internal_failure(fn.__name__, e)
            return None

    return guarded  # type: ignore[return-value]


class _RunNotFound(LookupError):
    pass


class _Run:
    """A run's span and the contextvar token that made it active (None when not made active)."""

    __slots__ = ("span", "token")

    def __init__(self, span: Any, token: Any) -> None:
        self.span = span
        self.token = token


def _live(span: Any) -> Optional[LiveSpan]:
    return span if isinstance(span, LiveSpan) else None


def _serialize_invocation_params(attributes: dict[str, Any]) -> dict[str, Any]:
    """A pydantic class given as ``response_format`` is recorded as its JSON schema."""
    params = attributes.get("invocation_params")
    if isinstance(params, dict):
        fmt = params.get("response_format")
        if isinstance(fmt, type) and hasattr(fmt, "model_json_schema"):
            try:
                params["response_format"] = fmt.model_json_schema()
            except Exception:
                pass
    return attributes


def _span_name(serialized: Optional[dict[str, Any]], default: str) -> str:
    serialized = serialized or {}
    name = serialized.get("name")
    if name is not None:
        return str(name)
    ids = serialized.get("id") or [default]
    return str(ids[-1])


class FerrotraceLangchainTracer(BaseCallbackHandler):
    """Records LangChain runs as ferrotrace spans. One instance serves a tree of callback
    managers (children inherit it); it keeps only the runs that are open."""

    def __init__(self, run_inline: bool = False) -> None:
        super().__init__()
        # Async callbacks of a handler that is not inline run in a worker thread (a copy of the
        # context): parents then come from the run ids, as in MLflow.
        self.run_inline = run_inline
        self._runs: dict[UUID, _Run] = {}
        self._audio_format: dict[UUID, str] = {}

    # -- spans ----------------------------------------------------------------------------------

    def _span(self, run_id: UUID) -> Any:
        run = self._runs.get(run_id)
        if run is None:
            raise _RunNotFound(f"no span for run {run_id}")
        return run.span

    def _parent(self, parent_run_id: Optional[UUID]) -> Any:
        """The active span or the parent run's span. When both exist and differ, the deeper of
        the two (both are open, so one is inside the other when they share a trace); spans of
        unrelated traces: the parent run's."""
        active = _context.active()
        if active is not None and active._ended:
            active = None
        lc = self._span(parent_run_id) if parent_run_id is not None else None
        if active is None or lc is None:
            return active if lc is None else lc
        lc_live = _live(lc)
        if lc_live is None or lc_live.span_id == active.span_id:
            return lc if lc_live is None else active
        if lc_live.trace_id == active.trace_id and active.start_time_ns >= lc_live.start_time_ns:
            return active
        return lc

    def _start(
        self,
        name: str,
        parent_run_id: Optional[UUID],
        span_type: str,
        run_id: UUID,
        inputs: Any,
        attributes: dict[str, Any],
    ) -> Any:
        parent = self._parent(parent_run_id)
        span = start_span_no_context(
            name, span_type=span_type, parent_span=parent, inputs=inputs, attributes=_serialize_invocation_params(attributes)
        )
        live = _live(span)
        token = _context.CURRENT.set(live) if live is not None and ATTACH.get() else None
        self._runs[run_id] = _Run(span, token)
        return span

    def _end(self, run_id: UUID, outputs: Any = None, error: Optional[BaseException] = None) -> None:
        run = self._runs.pop(run_id, None)
        if run is None:
            raise _RunNotFound(f"no span for run {run_id}")
        span = _live(run.span)
        if run.token is not None:
            try:
                _context.CURRENT.reset(run.token)
            except ValueError:  # made active in another context (a worker thread, another task)
                pass
        if span is None:
            return
        try:
            if error is not None:
                span.add_event(SpanEvent.from_exception(error))
                span.set_status(SpanStatus("ERROR", str(error)))
            else:
                if outputs is not None:
                    span.set_outputs(outputs)
                span.set_status("OK")
        finally:
            # Span processors, end, and (for a root) this context's last trace, as for @trace:
            # the span ends even if recording its result failed.
            _context.end(span, None, None, capture_result=False)

    # -- chat models and LLMs -------------------------------------------------------------------

    @_guarded
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        tags: Optional[list[str]] = None,
        parent_run_id: Optional[UUID] = None,
        metadata: Optional[dict[str, Any]] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if metadata:
            kwargs["metadata"] = metadata
        kwargs["mlflow.message.format"] = "langchain"
        inputs: Any = messages
        if len(messages) == 1:  # a batch of several conversations stays as LangChain gave it
            try:
                inputs = {"messages": [_convert.chat_message(m) for m in messages[0]]}
            except Exception:
                inputs = messages
        span = self._start(
            name or _span_name(serialized, "chat model"), parent_run_id, SpanType.CHAT_MODEL, run_id, inputs, kwargs
        )
        self._model_attributes(span, kwargs)
        params = kwargs.get("invocation_params")
        if isinstance(params, dict):
            audio = params.get("audio")
            if isinstance(audio, dict) and isinstance(audio.get("format"), str):
                self._audio_format[run_id] = audio["format"]

    @_guarded
    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        tags: Optional[list[str]] = None,
        parent_run_id: Optional[UUID] = None,
        metadata: Optional[dict[str, Any]] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if metadata:
            kwargs["metadata"] = metadata
        kwargs["mlflow.message.format"] = "langchain"
        span = self._start(name or _span_name(serialized, "llm"), parent_run_id, SpanType.LLM, run_id, prompts, kwargs)
        self._model_attributes(span, kwargs)

    def _model_attributes(self, span: Any, kwargs: dict[str, Any]) -> None:
        """``mlflow.chat.tools``, ``mlflow.llm.model`` and ``mlflow.llm.provider``."""
        params = kwargs.get("invocation_params") or {}
        tools, unreadable = _convert.tool_definitions(params)
        if unreadable and not CONFIG.silent:
            logger.warning("ferrotrace.langchain: could not read tool definition(s) for tracing: %r", unreadable)
        if tools:
            span.set_attribute("mlflow.chat.tools", tools)
        metadata = kwargs.get("metadata") or {}
        model = metadata.get("ls_model_name") or params.get("model") or params.get("model_name")
        if model:
            span.set_attribute("mlflow.llm.model", model)
        provider = metadata.get("ls_provider")
        if not provider:
            kind = params.get("_type")
            if kind:
                provider = str(kind).removesuffix("-chat").removeprefix("chat-")
        if provider:
            span.set_attribute("mlflow.llm.provider", provider)

    @_guarded
    def on_llm_new_token(
        self,
        token: Any,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: Optional[UUID] = None,
        **kwargs: Any,
    ) -> None:
        attributes: dict[str, Any] = {"token": token}
        if chunk:
            attributes["chunk"] = dumps(chunk)
        self._span(run_id).add_event(SpanEvent("new_token", attributes=attributes))

    @_guarded
    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        retry: dict[str, Any] = {"slept": retry_state.idle_for, "attempt": retry_state.attempt_number}
        outcome = retry_state.outcome
        if outcome is None:
            retry["outcome"] = "N/A"
        elif outcome.failed:
            exc = outcome.exception()
            retry.update(outcome="failed", exception=str(exc), exception_type=type(exc).__name__)
        else:
            retry.update(outcome="success", result=str(outcome.result()))
        self._span(run_id).add_event(SpanEvent("retry", attributes=retry))

    @_guarded
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._span(run_id)
        audio_format = self._audio_format.pop(run_id, None)
        generations = [g for gen_list in response.generations for g in gen_list]
        try:
            usage = _convert.token_usage(generations)
            if usage:
                span.set_attribute("mlflow.chat.tokenUsage", usage)
        except Exception:
            pass
        outputs: Any = response
        if len(response.generations) == 1:  # a batch keeps LangChain's LLMResult
            try:
                outputs = {"choices": [self._choice(g, audio_format) for g in response.generations[0]]}
            except Exception:
                outputs = response
        self._end(run_id, outputs)

    @staticmethod
    def _choice(generation: Any, audio_format: Optional[str]) -> dict[str, Any]:
        if not hasattr(generation, "message"):
            return {"message": {"role": "assistant", "content": generation.text}, "finish_reason": None}
        message = _convert.chat_message(generation.message)
        if not message.get("content"):
            # Audio answers (OpenAI audio models) come in additional_kwargs, not as content.
            audio = (getattr(generation.message, "additional_kwargs", None) or {}).get("audio")
            if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
                if audio_format and isinstance(audio.get("data"), str):
                    message["content"] = [
                        {"type": "text", "text": audio["transcript"]},
                        {"type": "input_audio", "input_audio": {"data": audio["data"], "format": audio_format}},
                    ]
                else:
                    message["content"] = audio["transcript"]
        return {"message": message, "finish_reason": None}

    @_guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._audio_format.pop(run_id, None)
        self._end(run_id, error=error)

    # -- chains (runnables, LangGraph graphs and nodes) -----------------------------------------

    @_guarded
    def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: Any,
        *,
        run_id: UUID,
        tags: Optional[list[str]] = None,
        parent_run_id: Optional[UUID] = None,
        metadata: Optional[dict[str, Any]] = None,
        run_type: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if metadata:
            kwargs["metadata"] = metadata
        self._start(name or _span_name(serialized, "chain"), parent_run_id, SpanType.CHAIN, run_id, inputs, kwargs)
        # A LangGraph thread is MLflow's session, when the span is the active one's trace's.
        thread_id = metadata.get("thread_id") if metadata else None
        if thread_id:
            active = _context.active()
            if active is not None:
                active._update_trace(metadata={"mlflow.trace.session": str(thread_id)})

    @_guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, inputs: Any = None, **kwargs: Any) -> None:
        if inputs:
            self._span(run_id).set_inputs(inputs)
        self._end(run_id, outputs)

    @_guarded
    def on_chain_error(self, error: BaseException, *, inputs: Any = None, run_id: UUID, **kwargs: Any) -> None:
        if inputs:
            self._span(run_id).set_inputs(inputs)
        self._end(run_id, error=error)

    # -- tools ----------------------------------------------------------------------------------

    @_guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        tags: Optional[list[str]] = None,
        parent_run_id: Optional[UUID] = None,
        metadata: Optional[dict[str, Any]] = None,
        name: Optional[str] = None,
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if metadata:
            kwargs["metadata"] = metadata
        # `inputs` may be None where LangChain dropped them; the text form is always there, and
        # a tool call's arguments read back as a dict.
        try:
            parsed: Any = ast.literal_eval(input_str)
        except Exception:
            parsed = input_str
        self._start(name or _span_name(serialized, "tool"), parent_run_id, SpanType.TOOL, run_id, parsed, kwargs)

    @_guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output)

    @_guarded
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- retrievers -----------------------------------------------------------------------------

    @_guarded
    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: Optional[UUID] = None,
        tags: Optional[list[str]] = None,
        metadata: Optional[dict[str, Any]] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if metadata:
            kwargs["metadata"] = metadata
        self._start(name or _span_name(serialized, "retriever"), parent_run_id, SpanType.RETRIEVER, run_id, query, kwargs)

    @_guarded
    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        outputs: Any = documents
        try:
            outputs = [_convert.document(d) for d in documents]
        except Exception:
            pass
        self._end(run_id, outputs)

    @_guarded
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- agent events and text: events on the run's span -----------------------------------------

    @_guarded
    def on_agent_action(self, action: Any, *, run_id: UUID, **kwargs: Any) -> None:
        attributes = {"tool": action.tool, "tool_input": dumps(action.tool_input), "log": action.log}
        self._span(run_id).add_event(SpanEvent("agent_action", attributes=attributes))

    @_guarded
    def on_agent_finish(self, finish: Any, *, run_id: UUID, **kwargs: Any) -> None:
        attributes = {"return_values": dumps(finish.return_values), "log": finish.log}
        self._span(run_id).add_event(SpanEvent("agent_finish", attributes=attributes))

    @_guarded
    def on_text(self, text: str, *, run_id: UUID, parent_run_id: Optional[UUID] = None, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is not None:  # text of a run without a span is normal (MLflow warns; we skip)
            run.span.add_event(SpanEvent("text", attributes={"text": text}))
