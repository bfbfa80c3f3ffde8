"""The active span, held in a contextvar: asyncio tasks inherit it, threads do not."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Optional

from ferrotrace._native import LiveSpan

CURRENT: ContextVar[Optional[LiveSpan]] = ContextVar("ferrotrace_current_span", default=None)
# The last root span that ended in this context (get_last_active_trace_id(thread_local=True)).
LAST_TRACE_ID: ContextVar[Optional[str]] = ContextVar("ferrotrace_last_trace_id", default=None)
