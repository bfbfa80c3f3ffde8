"""What every autolog integration shares: patching a client library's methods (and undoing
it), the per-integration switches, and the span of one provider call.

A patched method starts a span (a child of the active span, not made active itself, as
MLflow's integrations do), runs the original, and ends the span with the result or the
exception. Tracing never changes what the call returns or raises: every tracing step is
guarded, and the original's exception is re-raised as it came.
"""

from __future__ import annotations

import functools

from ferrotrace import _native
from ferrotrace._context import CURRENT, SCOPE, after_root
from ferrotrace._log import logger as _logger
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, Optional

# flavor -> whether its calls are traced (autolog(log_traces=...)).
LOG_TRACES: dict[str, bool] = {}
# flavor -> [(owner class, attribute name, original)] to undo on disable=True.
_PATCHES: dict[str, list[tuple[Any, str, Any]]] = {}
_WARNED: set[str] = set()


def warn_once(key: str, msg: str, *args: object) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        _logger.warning(msg, *args)


def unhonoured(flavor: str, given: dict[str, Any], defaults: dict[str, Any]) -> None:
    """One warning naming the arguments MLflow accepts that ferrotrace cannot honour."""
    names = sorted(k for k, v in given.items() if v != defaults.get(k))
    if names:
        warn_once(
            f"{flavor}:args",
            "ferrotrace.%s.autolog(): %s accepted but not supported (no MLflow runs or models here); ignored",
            flavor,
            ", ".join(names),
        )


def version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit()) if not piece.isdigit() else piece
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def patch(flavor: str, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replaces ``owner.name`` with ``make(original)``, once per flavor."""
    original = owner.__dict__.get(name)
    if original is None or getattr(original, "__ferrotrace_patched__", False):
        return
    wrapper = make(original)
    wrapper.__ferrotrace_patched__ = True
    setattr(owner, name, wrapper)
    _PATCHES.setdefault(flavor, []).append((owner, name, original))


def unpatch(flavor: str) -> None:
    for owner, name, original in reversed(_PATCHES.pop(flavor, [])):
        setattr(owner, name, original)


def enabled(flavor: str) -> bool:
    return LOG_TRACES.get(flavor, False)


def start(name: str, call: str, span_type: str, inputs: dict[str, Any]) -> Optional[_native.LiveSpan]:
    """The span of one provider call, or None when not tracing (disabled, or a
    ``tracing.context(enabled=False)`` scope)."""
    try:
        scope = SCOPE.get()
        if scope is not None and not scope.enabled:
            return None
        traceparent = None if scope is None else scope.traceparent
        span = _native.start_span(name, CURRENT.get(), span_type, None, inputs, traceparent=traceparent, from_context=True)
        if span is None:
            return None
        if scope is not None:
            scope.on_start(span)
        _native.llm_start(span, call)
        return span
    except Exception as e:  # never break the user's call
        warn_once("start", "ferrotrace: could not start the span of %s: %s", name, e)
        return None


def inject_traceparent(span: _native.LiveSpan, kwargs: dict[str, Any]) -> None:
    """Sends the span's W3C ``traceparent`` with the request (in ``extra_headers``, the caller's
    own headers winning), as MLflow's integrations do, so a traced gateway can continue the
    trace. ``kwargs`` is the wrapper's own dict: the caller's is not touched."""
    try:
        existing = kwargs.get("extra_headers") or {}
        kwargs["extra_headers"] = {"traceparent": span._traceparent(), **existing}
    except Exception:
        pass


def succeed(span: _native.LiveSpan, call: str, result: Any) -> None:
    try:
        if _native.llm_end(span, call, result):
            after_root(span)
    except Exception as e:
        warn_once("end", "ferrotrace: could not end the span of %s: %s", span.name, e)


def fail(span: _native.LiveSpan, call: str, exc: BaseException) -> None:
    try:
        if _native.llm_fail(span, call, exc):
            after_root(span)
    except Exception as e:
        warn_once("end", "ferrotrace: could not end the span of %s: %s", span.name, e)


def traced_method(
    flavor: str,
    call: str,
    span_type: str,
    name: Callable[[Any, Any], str],
    on_result: Callable[[_native.LiveSpan, str, dict[str, Any], Any], Any],
) -> Callable[[Any], Any]:
    """``make`` for :func:`patch`: a sync method traced as one provider call. ``on_result``
    ends the span (or hands it to a stream) and returns what the caller gets."""

    def make(original: Any) -> Any:
        @functools.wraps(original)
        def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not LOG_TRACES.get(flavor):
                return original(self, *args, **kwargs)
            span = start(name(self, original), call, span_type, kwargs)
            if span is None:
                return original(self, *args, **kwargs)
            inject_traceparent(span, kwargs)
            try:
                result = original(self, *args, **kwargs)
            except BaseException as e:
                fail(span, call, e)
                raise
            return on_result(span, call, kwargs, result)

        return patched

    return make


def traced_async_method(
    flavor: str,
    call: str,
    span_type: str,
    name: Callable[[Any, Any], str],
    on_result: Callable[[_native.LiveSpan, str, dict[str, Any], Any], Any],
) -> Callable[[Any], Any]:
    """:func:`traced_method` for ``async def`` methods."""

    def make(original: Any) -> Any:
        @functools.wraps(original)
        async def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not LOG_TRACES.get(flavor):
                return await original(self, *args, **kwargs)
            span = start(name(self, original), call, span_type, kwargs)
            if span is None:
                return await original(self, *args, **kwargs)
            inject_traceparent(span, kwargs)
            try:
                result = await original(self, *args, **kwargs)
            except BaseException as e:
                fail(span, call, e)
                raise
            return on_result(span, call, kwargs, result)

        return patched

    return make


class StreamTap:
    """Records a provider stream on its span as the caller consumes it: one event per chunk
    (``mlflow.chunk.item.{i}``, as MLflow), and at the end the outputs ``finish(chunks)``
    builds. The span ends exactly once: when the stream is exhausted, fails, or is closed or
    dropped early (then with the chunks seen so far; MLflow leaves that span open)."""

    __slots__ = ("span", "call", "finish", "chunks", "done", "finalizer")

    def __init__(self, span: _native.LiveSpan, call: str, finish: Callable[[list[Any]], Any]) -> None:
        self.span = span
        self.call = call
        self.finish = finish
        self.chunks: list[Any] = []
        self.done = False
        self.finalizer: Any = None

    def chunk(self, item: Any) -> None:
        try:
            self.span._chunk(len(self.chunks), item)
        except Exception:
            pass
        self.chunks.append(item)

    def end(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            result = self.finish(self.chunks)
        except Exception as e:
            warn_once("stream", "ferrotrace: could not rebuild a streamed result: %s", e)
            result = None
        succeed(self.span, self.call, result)
        self.release()

    def error(self, exc: BaseException) -> None:
        if not self.done:
            self.done = True
            fail(self.span, self.call, exc)
            self.release()

    def release(self) -> None:
        """Lets the chunks go as soon as the span has ended. A client's stream object sits in
        a reference cycle (its iterator refers back to it), so it lives until the cyclic
        garbage collector runs; chunks held until then would survive young collections and
        make every later collection longer."""
        self.chunks = []
        finalizer, self.finalizer = self.finalizer, None
        if finalizer is not None:
            finalizer.detach()

    def wrap(self, iterator: Any) -> Any:
        try:
            for item in iterator:
                self.chunk(item)
                yield item
        except GeneratorExit:
            self.end()
            raise
        except BaseException as e:
            self.error(e)
            raise
        self.end()

    async def wrap_async(self, iterator: Any) -> Any:
        try:
            async for item in iterator:
                self.chunk(item)
                yield item
        except GeneratorExit:
            self.end()
            raise
        except BaseException as e:
            self.error(e)
            raise
        self.end()


def tap_stream(stream: Any, span: _native.LiveSpan, call: str, finish: Callable[[list[Any]], Any], is_async: bool) -> Any:
    """Taps a client library's stream object in place (its ``_iterator`` and ``close``), so the
    caller gets the very object the library returned."""
    tap = StreamTap(span, call, finish)
    try:
        import weakref

        inner = stream._iterator
        stream._iterator = tap.wrap_async(inner) if is_async else tap.wrap(inner)
        # The stream's own close, reached through a weak reference: a closure holding the bound
        # method would put the stream in a reference cycle, alive (with its chunks) until the
        # cyclic collector runs, where the client's stream alone is freed as soon as dropped.
        ref = weakref.ref(stream)
        own = vars(stream).get("close")
        original_close = own if own is not None else type(stream).close

        def call_close() -> Any:
            if own is not None:
                return original_close()
            target = ref()
            return original_close(target) if target is not None else None

        if is_async:

            async def aclose() -> None:
                try:
                    pending = call_close()
                    if pending is not None:
                        await pending
                finally:
                    tap.end()

            stream.close = aclose
        else:

            def close() -> None:
                try:
                    call_close()
                finally:
                    tap.end()

            stream.close = close
        # A stream dropped before its first chunk never runs the generator: end the span then.
        tap.finalizer = weakref.finalize(stream, tap.end)
    except Exception as e:  # an unexpected stream shape: end the span now, keep the stream
        warn_once("tap", "ferrotrace: could not follow a stream (%s); its span ends now", e)
        tap.end()
    return stream


# ferrotrace.autolog(): integration module -> the library it traces. The LangChain one is
# optional (its module may be absent from this build).
INTEGRATIONS = (("ferrotrace.openai", "openai"), ("ferrotrace.anthropic", "anthropic"), ("ferrotrace.langchain", "langchain_core"))


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: Optional[dict[str, str]] = None,
    exclude_flavors: Optional[list[str]] = None,
) -> None:
    """Turns on tracing for every supported library that is installed (OpenAI, Anthropic,
    LangChain), as ``mlflow.autolog()`` does; ``disable=True`` turns all of them off.
    ``exclude_flavors`` names integrations to leave alone (``"openai"``, ``"anthropic"``,
    ``"langchain"``). The model, dataset and run arguments are accepted and ignored."""
    import importlib
    import importlib.util

    if not silent and not disable:
        unhonoured(
            "autolog",
            {"log_input_examples": log_input_examples, "log_models": log_models, "log_datasets": log_datasets,
             "exclusive": exclusive, "extra_tags": extra_tags},
            {"log_input_examples": False, "log_models": True, "log_datasets": True, "exclusive": False, "extra_tags": None},
        )  # fmt: skip
    excluded = set(exclude_flavors or ())
    for module_name, library in INTEGRATIONS:
        flavor = module_name.rsplit(".", 1)[1]
        if flavor in excluded:
            continue
        try:
            if importlib.util.find_spec(library) is None or importlib.util.find_spec(module_name) is None:
                continue
        except (ImportError, ValueError):
            continue
        try:
            module = importlib.import_module(module_name)
            _call_autolog(module.autolog, disable=disable, silent=silent, log_traces=log_traces)
        except Exception as e:  # one integration failing leaves the others on
            warn_once(f"autolog:{flavor}", "ferrotrace.autolog(): the %s integration failed: %s", flavor, e)


def _call_autolog(fn: Callable[..., Any], **kwargs: Any) -> None:
    """Calls an integration's autolog with the arguments it takes (all take ``disable``)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params or k == "disable"}
    fn(**kwargs)
