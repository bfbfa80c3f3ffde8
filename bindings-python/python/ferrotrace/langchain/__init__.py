"""Automatic tracing of LangChain and LangGraph, as ``mlflow.langchain.autolog()`` does it.

>>> import ferrotrace
>>> ferrotrace.langchain.autolog()      # doctest: +SKIP
>>> chain.invoke({"topic": "bees"})      # doctest: +SKIP  (one trace, a span per run)

A callback handler joins every LangChain callback manager created from then on, so every chain,
runnable, chat model, LLM, retriever and tool run (and every LangGraph graph and node, which are
runnables) becomes a span with MLflow's names, types, inputs, outputs and attributes. Nothing
here imports LangChain until ``autolog()`` is called: ``import ferrotrace`` stays as cheap as
without this module. Differences from MLflow: docs/autolog-langchain.md.
"""

from __future__ import annotations

from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

FLAVOR_NAME = "langchain"

# Warnings already given, so each is given once per process.
_warned: set[str] = set()


def _warn_once(key: str, message: str, silent: bool) -> None:
    if silent or key in _warned:
        return
    _warned.add(key)
    from ferrotrace._log import logger

    logger.warning(message)


def autolog(
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    log_traces: bool = True,
    run_tracer_inline: bool = False,
    **unsupported: Any,
) -> None:
    """Enables (or, with ``disable=True``, disables) tracing of LangChain and LangGraph.

    Args:
        disable: ``True`` removes the patches of an earlier call; no new runs are traced.
        exclusive: MLflow's run-logging option; there are no runs here, so it has no effect
            (a warning says so when set).
        disable_for_unsupported_versions: accepted for MLflow's signature: an unsupported
            ``langchain-core`` is never patched (one warning), whatever this says.
        silent: ``True`` suppresses this integration's warnings.
        log_traces: ``False`` keeps the patches but records no traces.
        run_tracer_inline: ``True`` runs the handler inside the caller's asyncio task instead of
            a worker thread, so ``@trace`` functions called inside async LangGraph nodes nest
            under the node's span (as in MLflow).
    """
    if exclusive:
        _warn_once("exclusive", "ferrotrace.langchain.autolog: `exclusive` has no effect (there are no MLflow runs).", silent)
    if unsupported:
        names = ", ".join(sorted(unsupported))
        _warn_once(f"args:{names}", f"ferrotrace.langchain.autolog: ignoring unsupported argument(s): {names}", silent)
    try:
        from ferrotrace.langchain import _patch
    except ImportError as e:  # langchain-core not installed
        if not disable:
            _warn_once("import", f"ferrotrace.langchain.autolog: LangChain is not available ({e}); nothing is traced.", silent)
        return
    try:
        if disable:
            _patch.unpatch()
            return
        problem = _patch.unsupported_version()
        if problem is not None:
            _warn_once("version", f"ferrotrace.langchain.autolog: {problem}; LangChain is not traced.", silent)
            return
        _patch.patch(log_traces=log_traces, run_inline=run_tracer_inline, silent=silent)
    except Exception as e:  # never break the caller's setup
        _warn_once("patch", f"ferrotrace.langchain.autolog: could not enable tracing for LangChain: {e}", silent)


__all__ = ["FLAVOR_NAME", "autolog"]
