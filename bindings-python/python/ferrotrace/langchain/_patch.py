"""The patches ``autolog()`` applies to ``langchain-core``: every callback manager gets the tracer
(as MLflow registers its own), merged managers keep one tracer, and ``RunnableSequence.batch``
runs without making spans active (its steps interleave the items in one thread)."""

from __future__ import annotations

import functools
import threading
from contextvars import ContextVar
from typing import Any, Callable, Optional

import langchain_core
from langchain_core.callbacks import BaseCallbackManager
from langchain_core.runnables import RunnableSequence

# The versions this integration is written for: the callback API (`BaseCallbackManager.__init__`
# with `inheritable_handlers`, `merge`, `run_inline`) is stable across these.
MIN_VERSION = (0, 3, 0)
BELOW_VERSION = (2, 0, 0)

# False while RunnableSequence.batch runs: its spans then are not made active (see below).
ATTACH: ContextVar[bool] = ContextVar("ferrotrace_langchain_attach", default=True)


class _Config:
    __slots__ = ("log_traces", "run_inline", "silent")

    def __init__(self) -> None:
        self.log_traces = True
        self.run_inline = False
        self.silent = False


CONFIG = _Config()

# (owner, attribute name, original function) of every patch applied, to undo them.
_originals: list[tuple[Any, str, Any]] = []
_lock = threading.Lock()


def _parse(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def unsupported_version() -> Optional[str]:
    """Why the installed langchain-core cannot be traced, or None when it can."""
    version = str(getattr(langchain_core, "__version__", "") or "")
    if not version:
        try:
            from importlib.metadata import version as dist_version

            version = dist_version("langchain-core")
        except Exception:
            pass
    parsed = _parse(version)
    if not parsed or not MIN_VERSION <= parsed < BELOW_VERSION:
        lo = ".".join(map(str, MIN_VERSION))
        hi = ".".join(map(str, BELOW_VERSION))
        return f"langchain-core {version or '(unknown version)'} is not supported (>= {lo}, < {hi})"
    return None


def _is_patched() -> bool:
    return bool(_originals)


def patch(log_traces: bool, run_inline: bool, silent: bool) -> None:
    """Applies the patches once; a later call only updates the configuration."""
    CONFIG.log_traces = log_traces
    CONFIG.run_inline = run_inline
    CONFIG.silent = silent
    with _lock:
        if _is_patched():
            return
        _wrap(BaseCallbackManager, "__init__", _init)
        _wrap(BaseCallbackManager, "merge", _merge)
        _wrap(RunnableSequence, "batch", _batch)


def unpatch() -> None:
    with _lock:
        while _originals:
            owner, name, original = _originals.pop()
            setattr(owner, name, original)


def _wrap(owner: Any, name: str, replacement: Callable[..., Any]) -> None:
    original = owner.__dict__[name]

    @functools.wraps(original)
    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(original, self, *args, **kwargs)

    setattr(owner, name, patched)
    _originals.append((owner, name, original))


_TRACER: Any = None


def _tracer_class() -> Any:
    # Imported on first use (the module imports this one); cached: LangChain builds dozens of
    # callback managers per chain call.
    global _TRACER
    if _TRACER is None:
        from ferrotrace.langchain._tracer import FerrotraceLangchainTracer

        _TRACER = FerrotraceLangchainTracer
    return _TRACER


def _init(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> None:
    original(self, *args, **kwargs)
    try:
        if not CONFIG.log_traces:
            return
        # LangGraph's lifecycle managers (langgraph.callbacks, LangGraph >= 1.1.8) accept only
        # graph handlers; a tracer there would be called for hooks it does not have.
        if type(self).__module__ == "langgraph.callbacks":
            return
        tracer = _TRACER or _tracer_class()
        for h in self.inheritable_handlers:
            if type(h) is tracer:
                return
        self.add_handler(tracer(run_inline=CONFIG.run_inline), inherit=True)
    except Exception as e:  # the manager itself is built: tracing must not undo that
        from ferrotrace.langchain._tracer import internal_failure

        internal_failure("callback manager", e)


def _merge(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    merged = original(self, *args, **kwargs)
    # Both managers may carry a tracer (each made by its __init__): keep the first inherited one,
    # else runs would be recorded twice.
    try:
        tracer = _tracer_class()
        other = args[0] if args else kwargs.get("other")
        inherited = list(self.inheritable_handlers) + list(getattr(other, "inheritable_handlers", []))
        keep = next((h for h in inherited if isinstance(h, tracer)), None)
        if keep is not None:
            for h in list(merged.handlers) + list(merged.inheritable_handlers):
                if isinstance(h, tracer) and h is not keep:
                    merged.remove_handler(h)
    except Exception as e:
        from ferrotrace.langchain._tracer import internal_failure

        internal_failure("callback manager merge", e)
    return merged


def _batch(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    # RunnableSequence.batch runs step 1 for every item, then step 2 for every item, in one
    # thread: a span made active for one item would become the parent of another item's step.
    token = ATTACH.set(False)
    try:
        return original(self, *args, **kwargs)
    finally:
        ATTACH.reset(token)
