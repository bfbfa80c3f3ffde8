"""Entities of MLflow Tracing, name for name: span types, statuses, events.

>>> from ferrotrace.entities import SpanType, SpanStatus, SpanStatusCode
>>> SpanType.LLM
'LLM'
>>> SpanStatus(SpanStatusCode.ERROR, "boom").status_code.value
'ERROR'
"""

from __future__ import annotations

import time
from enum import Enum

from ferrotrace._native import LiveSpan
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Optional

    # Loaded on first use (module __getattr__ below): `datetime` is not needed to trace.
    from ferrotrace._assessment_entities import (
        Assessment,
        AssessmentError,
        AssessmentSource,
        AssessmentSourceType,
        Expectation,
        Feedback,
    )
    from ferrotrace._trace_entities import Span, Trace, TraceData, TraceInfo

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Expectation",
    "Feedback",
    "LiveSpan",
    "Link",
    "SpanLogLevel",
    "NoOpSpan",
    "SpanEvent",
    "SpanStatus",
    "SpanStatusCode",
    "SpanType",
    "TraceState",
    "TraceStatus",
    "TraceLocation",
    "TraceLocationType",
    "MlflowExperimentLocation",
    "Experiment",
    "ViewType",
    "Session",
    "NO_OP_SPAN_TRACE_ID",
    "Span",
    "Trace",
    "TraceData",
    "TraceInfo",
]

NO_OP_SPAN_TRACE_ID = "MLFLOW_NO_OP_SPAN_TRACE_ID"


class SpanType:
    """Predefined span types. Any other string is accepted as a span type too."""

    LLM = "LLM"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    PARSER = "PARSER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    MEMORY = "MEMORY"
    UNKNOWN = "UNKNOWN"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"


class SpanLogLevel(int, Enum):
    """Verbosity of a span, as Python's logging levels (MLflow's UI filters on it)."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def from_value(cls, value: Any) -> SpanLogLevel:
        """A level from a ``SpanLogLevel``, an int, or a name in any case."""
        if isinstance(value, str):
            return cls[value.strip().upper()]
        return cls(int(value))


class _Record:
    """Equality and repr by fields, like a dataclass; plain classes keep `import ferrotrace`
    from loading `dataclasses` (and `inspect` with it)."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Link(_Record):
    """A link from a span to a span of another (or the same) trace."""

    __slots__ = ("trace_id", "span_id", "attributes")

    def __init__(self, trace_id: str, span_id: str, attributes: Optional[dict[str, Any]] = None) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.attributes = attributes

    def to_dict(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "span_id": self.span_id, "attributes": self.attributes}


class SpanStatusCode(str, Enum):
    """Status codes of a span."""

    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"


class TraceState(str, Enum):
    """State of a whole trace."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value


class TraceStatus(str, Enum):
    """MLflow 2's name of a trace's state (``TraceInfo.status``, deprecated there)."""

    UNSPECIFIED = "TRACE_STATUS_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def to_state(self) -> TraceState:
        return TraceState.STATE_UNSPECIFIED if self is TraceStatus.UNSPECIFIED else TraceState(self.value)

    @classmethod
    def from_state(cls, state: Any) -> TraceStatus:
        value = str(getattr(state, "value", state))
        return cls.UNSPECIFIED if value == TraceState.STATE_UNSPECIFIED.value else cls(value)

    @staticmethod
    def end_statuses() -> list[TraceStatus]:
        return [TraceStatus.OK, TraceStatus.ERROR]


class SpanStatus(_Record):
    """A status code with an optional description."""

    __slots__ = ("status_code", "description")

    def __init__(self, status_code: Any, description: str = "") -> None:
        if not isinstance(status_code, SpanStatusCode):
            status_code = SpanStatusCode(str(status_code).upper())
        self.status_code: SpanStatusCode = status_code
        self.description = description


class SpanEvent(_Record):
    """A point-in-time event on a span.

    >>> SpanEvent("retry", attributes={"attempt": 2}).name
    'retry'
    """

    __slots__ = ("name", "timestamp", "attributes")

    def __init__(self, name: str, timestamp: Optional[int] = None, attributes: Optional[dict[str, Any]] = None) -> None:
        self.name = name
        self.timestamp: int = time.time_ns() if timestamp is None else timestamp
        self.attributes: dict[str, Any] = {} if attributes is None else attributes

    @classmethod
    def from_exception(cls, exception: BaseException) -> SpanEvent:
        """The standard `exception` event for an exception."""
        import traceback  # only on errors: keeps `import ferrotrace` light

        return cls(
            name="exception",
            attributes={
                "exception.message": str(exception),
                "exception.type": type(exception).__name__,
                "exception.stacktrace": "".join(traceback.format_exception(exception)).rstrip(),
            },
        )


class NoOpSpan:
    """Stands in for a span when tracing is off or failed: every method does nothing."""

    trace_id = NO_OP_SPAN_TRACE_ID
    request_id = NO_OP_SPAN_TRACE_ID
    span_id = None
    parent_id = None
    name = None
    start_time_ns = None
    end_time_ns = None
    inputs = None
    outputs = None
    span_type = None
    attributes: dict[str, Any] = {}
    events: list[SpanEvent] = []
    status = SpanStatus(SpanStatusCode.UNSET)

    def get_attribute(self, key: str) -> Any:
        return None

    def set_inputs(self, inputs: Any) -> None:
        pass

    def set_outputs(self, outputs: Any) -> None:
        pass

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        pass

    def set_span_type(self, span_type: str) -> None:
        pass

    def set_status(self, status: Any) -> None:
        pass

    def add_event(self, event: SpanEvent) -> None:
        pass

    def record_exception(self, exception: Any) -> None:
        pass

    def add_link(self, link: Any) -> None:
        pass

    def end(self, outputs: Any = None, attributes: Any = None, status: Any = None, end_time_ns: int | None = None) -> None:
        pass

    def to_dict(self) -> dict[str, Any]:
        return {}


# MLflow's module paths (`mlflow.entities.span`, ...), importable and reachable as attributes.
_SUBMODULES = (
    "assessment", "assessment_source", "span", "span_event", "span_status", "trace", "trace_data",
    "trace_info", "trace_location", "trace_state", "trace_status",
)
_ASSESSMENT_NAMES = ("Assessment", "AssessmentError", "AssessmentSource", "AssessmentSourceType", "Expectation", "Feedback")


def __getattr__(name: str) -> Any:
    # Trace entities import this module, so they are loaded on first use; so are assessment
    # entities (they bring `datetime`), which tracing does not need.
    if name in ("Span", "Trace", "TraceData", "TraceInfo"):
        from ferrotrace import _trace_entities

        return getattr(_trace_entities, name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in ("TraceLocation", "TraceLocationType", "MlflowExperimentLocation"):
        from ferrotrace.entities import trace_location

        return getattr(trace_location, name)
    if name in ("Experiment", "ViewType"):
        from ferrotrace import client

        return getattr(client, name)
    if name == "Session":
        from ferrotrace._trace_functions import Session

        return Session
    if name in _ASSESSMENT_NAMES:
        from ferrotrace import _assessment_entities

        return getattr(_assessment_entities, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
