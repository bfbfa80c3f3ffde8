"""Read-only traces, as ``get_trace`` returns them: MLflow's ``Trace`` / ``TraceInfo`` /
``TraceData`` / ``Span`` names, fields and methods, built from and back to MLflow's
``Trace.to_dict()`` shape (``to_dict`` of an unchanged trace gives back the dict it was read from).

>>> t = Trace.from_dict({"info": {"trace_id": "tr-1", "state": "OK", "tags": {}}, "data": {"spans": []}})
>>> t.info.trace_id
'tr-1'
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import TYPE_CHECKING, Any, Optional

from ferrotrace._assessment_entities import Assessment, _parse_time, _rfc3339
from ferrotrace.entities import SpanEvent, SpanStatus, SpanStatusCode, TraceState

if TYPE_CHECKING:
    from ferrotrace.entities.trace_location import TraceLocation


def _hex(b64: Optional[str]) -> Optional[str]:
    return base64.b64decode(b64).hex() if b64 else None


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _invalid(message: str) -> Exception:
    from ferrotrace.exceptions import MlflowException

    return MlflowException.invalid_parameter_value(message)


class Span:
    """A finished span (read-only)."""

    # The ids, attributes (each a JSON text to decode), status and events are decoded on
    # first use: a search builds many spans whose attributes are never read.
    _UNSET: Any = object()

    def __init__(self, d: dict[str, Any], trace_id: Optional[str] = None) -> None:
        self._d = d
        if trace_id is None:
            trace_id = _loads((d.get("attributes") or {}).get("mlflow.traceRequestId")) or None
        self.trace_id: str = str(trace_id or "")
        self.request_id = self.trace_id
        self.name: str = d.get("name", "")
        self.start_time_ns: int = d.get("start_time_unix_nano", 0)
        self.end_time_ns: Optional[int] = d.get("end_time_unix_nano")
        self._span_id: Any = Span._UNSET
        self._parent_id: Any = Span._UNSET
        self._attributes: Optional[dict[str, Any]] = None
        self._status: Optional[SpanStatus] = None
        self._events: Optional[list[SpanEvent]] = None

    @property
    def span_id(self) -> Optional[str]:
        if self._span_id is Span._UNSET:
            self._span_id = _hex(self._d.get("span_id"))
        return self._span_id  # type: ignore[no-any-return]

    @span_id.setter
    def span_id(self, value: Optional[str]) -> None:
        self._span_id = value

    @property
    def parent_id(self) -> Optional[str]:
        if self._parent_id is Span._UNSET:
            self._parent_id = _hex(self._d.get("parent_span_id"))
        return self._parent_id  # type: ignore[no-any-return]

    @parent_id.setter
    def parent_id(self, value: Optional[str]) -> None:
        self._parent_id = value

    @property
    def attributes(self) -> dict[str, Any]:
        if self._attributes is None:
            self._attributes = {k: _loads(v) for k, v in (self._d.get("attributes") or {}).items()}
        return self._attributes

    @attributes.setter
    def attributes(self, value: dict[str, Any]) -> None:
        self._attributes = value

    @property
    def status(self) -> SpanStatus:
        if self._status is None:
            st = self._d.get("status") or {}
            code = SpanStatusCode(str(st.get("code", "UNSET")).replace("STATUS_CODE_", ""))
            self._status = SpanStatus(code, st.get("message", ""))
        return self._status

    @status.setter
    def status(self, value: SpanStatus) -> None:
        self._status = value

    @property
    def events(self) -> list[SpanEvent]:
        if self._events is None:
            raw = self._d.get("events") or []
            self._events = [SpanEvent(e["name"], e.get("time_unix_nano", 0), e.get("attributes") or {}) for e in raw]
        return self._events

    @events.setter
    def events(self, value: list[SpanEvent]) -> None:
        self._events = value

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        """A span from MLflow's ``Span.to_dict()`` form; the trace id is read from its
        ``mlflow.traceRequestId`` attribute."""
        if not isinstance(data, dict) or "name" not in data:
            raise _invalid(f"Unable to parse Span from dictionary: {data!r}")
        return cls(data)

    def get_attribute(self, key: str) -> Any:
        return self.attributes.get(key)

    @property
    def span_type(self) -> Optional[str]:
        return self.attributes.get("mlflow.spanType")

    @property
    def inputs(self) -> Any:
        return self.attributes.get("mlflow.spanInputs")

    @property
    def outputs(self) -> Any:
        return self.attributes.get("mlflow.spanOutputs")

    @property
    def llm_cost(self) -> Optional[dict[str, float]]:
        return self.attributes.get("mlflow.llm.cost")

    @property
    def model_name(self) -> Optional[str]:
        return self.attributes.get("mlflow.llm.model")

    def to_dict(self) -> dict[str, Any]:
        return self._d

    def __repr__(self) -> str:
        return f"Span(name={self.name!r}, span_id={self.span_id!r}, parent_id={self.parent_id!r})"


class TraceInfo:
    """Trace-level data: id, location, state, times, previews, metadata, tags, assessments."""

    def __init__(
        self,
        trace_id: str,
        trace_location: Any = None,
        request_time: Optional[int] = None,
        state: Any = TraceState.STATE_UNSPECIFIED,
        request_preview: Optional[str] = None,
        response_preview: Optional[str] = None,
        client_request_id: Optional[str] = None,
        execution_duration: Optional[int] = None,
        trace_metadata: Optional[dict[str, str]] = None,
        tags: Optional[dict[str, str]] = None,
        assessments: Optional[list[Assessment]] = None,
    ) -> None:
        self.trace_id = trace_id
        # A dict (as read) is made a TraceLocation when first read: building a searched trace
        # then imports nothing.
        self._trace_location: Any = trace_location
        self.request_time = request_time
        self.state = state if isinstance(state, TraceState) else TraceState(str(getattr(state, "value", state)))
        self.request_preview = request_preview
        self.response_preview = response_preview
        self.client_request_id = client_request_id
        self.execution_duration = execution_duration
        self.trace_metadata: dict[str, str] = dict(trace_metadata or {})
        self.tags: dict[str, str] = dict(tags or {})
        self.assessments: list[Assessment] = list(assessments or [])
        self._d: Optional[dict[str, Any]] = None

    @property
    def trace_location(self) -> Optional[TraceLocation]:
        loc = self._trace_location
        if isinstance(loc, dict):
            from ferrotrace.entities.trace_location import TraceLocation

            loc = self._trace_location = TraceLocation.from_dict(loc)
        return loc  # type: ignore[no-any-return]

    @trace_location.setter
    def trace_location(self, value: Optional[TraceLocation]) -> None:
        self._trace_location = value

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceInfo:
        """From MLflow's ``TraceInfo.to_dict()`` form."""
        if not isinstance(d, dict):
            raise TypeError(f"TraceInfo.from_dict() expects a dictionary. Got: {type(d).__name__}")
        info = cls(
            trace_id=d.get("trace_id", ""),
            trace_location=d.get("trace_location"),
            request_time=_parse_time(d.get("request_time")),
            state=d.get("state") or TraceState.STATE_UNSPECIFIED,
            request_preview=d.get("request_preview"),
            response_preview=d.get("response_preview"),
            client_request_id=d.get("client_request_id"),
            execution_duration=d.get("execution_duration_ms"),
            trace_metadata=d.get("trace_metadata"),
            tags=d.get("tags"),
            assessments=[Assessment.from_dictionary(a) for a in d.get("assessments") or []],
        )
        info._d = d
        return info

    def to_dict(self) -> dict[str, Any]:
        """MLflow's ``TraceInfo.to_dict()`` form: the dict this was read from, with the fields
        as they are now."""
        d: dict[str, Any] = dict(self._d) if self._d is not None else {}
        d["trace_id"] = self.trace_id
        if self.trace_location is not None:
            d["trace_location"] = self.trace_location.to_dict()
        if self.request_time is not None:
            d["request_time"] = _rfc3339_keep(self._d, self.request_time)
        d["state"] = self.state.value
        for key in ("request_preview", "response_preview", "client_request_id"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
            else:
                d.pop(key, None)
        if self.execution_duration is not None:
            d["execution_duration_ms"] = self.execution_duration
        d["trace_metadata"] = dict(self.trace_metadata)
        d["tags"] = dict(self.tags)
        if self.assessments or "assessments" in d:
            d["assessments"] = [a.to_dictionary() for a in self.assessments] if self._assessments_changed() else d.get("assessments", [])
        return d

    def _assessments_changed(self) -> bool:
        raw = (self._d or {}).get("assessments") or []
        return len(raw) != len(self.assessments) or any(Assessment.from_dictionary(r) != a for r, a in zip(raw, self.assessments))

    @property
    def request_id(self) -> str:
        return self.trace_id

    @property
    def experiment_id(self) -> Optional[str]:
        loc = self.trace_location
        exp = getattr(loc, "mlflow_experiment", None) if loc is not None else None
        return None if exp is None else exp.experiment_id

    @property
    def request_metadata(self) -> dict[str, str]:
        return self.trace_metadata

    @property
    def timestamp_ms(self) -> Optional[int]:
        return self.request_time

    @timestamp_ms.setter
    def timestamp_ms(self, value: int) -> None:
        self.request_time = value

    @property
    def execution_time_ms(self) -> Optional[int]:
        return self.execution_duration

    @execution_time_ms.setter
    def execution_time_ms(self, value: Optional[int]) -> None:
        self.execution_duration = value

    @property
    def status(self) -> Any:
        """Deprecated in MLflow: ``state`` as a ``TraceStatus``."""
        from ferrotrace.entities import TraceStatus

        return TraceStatus.from_state(self.state)

    @status.setter
    def status(self, value: Any) -> None:
        self.state = value.to_state()

    @property
    def token_usage(self) -> Optional[dict[str, int]]:
        raw = self.trace_metadata.get("mlflow.trace.tokenUsage")
        return json.loads(raw) if raw else None

    @property
    def cost(self) -> Optional[dict[str, float]]:
        raw = self.trace_metadata.get("mlflow.trace.cost")
        return json.loads(raw) if raw else None

    def __repr__(self) -> str:
        return f"TraceInfo(trace_id={self.trace_id!r}, state={self.state.value!r}, request_time={self.request_time!r})"


def _rfc3339_keep(raw: Optional[dict[str, Any]], ms: int) -> Any:
    # Keep the server's own text (it may carry more digits) while the time is unchanged.
    text = (raw or {}).get("request_time")
    if isinstance(text, str) and _parse_time(text) == ms:
        return text
    return _rfc3339(ms)


class TraceData:
    """The spans of a trace."""

    def __init__(self, spans: Optional[list[Span]] = None, **kwargs: Any) -> None:
        self.spans = list(spans or [])

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceData:
        if not isinstance(d, dict):
            raise TypeError(f"TraceData.from_dict() expects a dictionary. Got: {type(d).__name__}")
        return cls([Span.from_dict(s) for s in d.get("spans") or []])

    def to_dict(self) -> dict[str, Any]:
        return {"spans": [s.to_dict() for s in self.spans]}

    def _get_root_span(self) -> Optional[Span]:
        for s in self.spans:
            if s.parent_id is None:
                return s
        return None

    @property
    def request(self) -> Optional[str]:
        """The root span's inputs as stored (JSON text)."""
        root = self._get_root_span()
        return None if root is None else (root.to_dict().get("attributes") or {}).get("mlflow.spanInputs")

    @property
    def response(self) -> Optional[str]:
        """The root span's outputs as stored (JSON text)."""
        root = self._get_root_span()
        return None if root is None else (root.to_dict().get("attributes") or {}).get("mlflow.spanOutputs")

    @property
    def intermediate_outputs(self) -> Optional[dict[str, Any]]:
        """Deprecated in MLflow: the ``log_trace`` intermediate outputs, else the outputs of the
        non-root spans by name (``name_1``, ``name_2``, ... for repeated names)."""
        warnings.warn(
            "TraceData.intermediate_outputs is deprecated; use trace.search_spans(name=...) instead.",
            FutureWarning,
            stacklevel=2,
        )
        root = self._get_root_span()
        if root is not None and root.get_attribute("mlflow.trace.intermediate_outputs"):
            return root.get_attribute("mlflow.trace.intermediate_outputs")  # type: ignore[no-any-return]
        if len(self.spans) <= 1:
            return None
        counts: dict[str, int] = {}
        for s in self.spans:
            counts[s.name] = counts.get(s.name, 0) + 1
        seen = {name: 1 for name, n in counts.items() if n > 1}
        out: dict[str, Any] = {}
        for s in self.spans:
            name = s.name
            if name in seen:
                name = f"{name}_{seen[s.name]}"
                seen[s.name] += 1
            if s.parent_id and s.outputs is not None:
                out[name] = s.outputs
        return out


class Trace:
    """A whole trace: ``info`` and ``data.spans``."""

    def __init__(self, info: TraceInfo, data: TraceData, raw: Optional[dict[str, Any]] = None) -> None:
        self.info = info
        self.data = data

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trace:
        info, data = d.get("info"), d.get("data")
        if info is None or data is None:
            raise _invalid(f"Unable to parse Trace from dictionary. Expected keys: 'info' and 'data'. Received keys: {list(d)}")
        ti = TraceInfo.from_dict(info)
        spans = [Span(s, ti.trace_id) for s in data.get("spans") or []]
        return cls(ti, TraceData(spans))

    @classmethod
    def from_json(cls, trace_json: str) -> Trace:
        try:
            d = json.loads(trace_json)
        except ValueError as e:
            raise _invalid(f"Unable to parse trace JSON: {trace_json}. Error: {e}") from None
        return cls.from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "data": self.data.to_dict()}

    def to_json(self, pretty: bool = False) -> str:
        from ferrotrace.tracing.utils import TraceJSONEncoder

        return json.dumps(self.to_dict(), cls=TraceJSONEncoder, indent=2 if pretty else None)

    def search_spans(self, span_type: Any = None, name: Any = None, span_id: Optional[str] = None) -> list[Span]:
        """Spans matching a type, a name (a string, or a compiled regex searched in the name)
        and/or a span id."""
        import re

        if name is not None and not isinstance(name, (str, re.Pattern)):
            raise _invalid(f"Invalid type for 'name'. Expected str or re.Pattern. Got: {type(name)}")
        if span_type is not None and not isinstance(span_type, str):
            raise _invalid(f"Invalid type for 'span_type'. Expected str or mlflow.entities.SpanType. Got: {type(span_type)}")

        def name_ok(s: Span) -> bool:
            if name is None:
                return True
            if isinstance(name, str):
                return s.name == name
            return name.search(s.name) is not None

        return [
            s
            for s in self.data.spans
            if name_ok(s) and (span_type is None or s.span_type == span_type) and (span_id is None or s.span_id == span_id)
        ]

    def search_assessments(
        self, name: Optional[str] = None, *, span_id: Optional[str] = None, all: bool = False, type: Optional[str] = None
    ) -> list[Assessment]:
        """Assessments by name / span id; only valid ones (not overridden) unless ``all``;
        ``type`` is ``"feedback"`` or ``"expectation"``."""
        from ferrotrace._assessment_entities import Expectation, Feedback

        if type not in (None, "feedback", "expectation"):
            raise _invalid(f"Invalid type: {type}. Must be one of ['expectation', 'feedback'] or None.")
        kind = {"feedback": Feedback, "expectation": Expectation}.get(type or "", Assessment)
        return [
            a
            for a in self.info.assessments
            if (name is None or a.name == name)
            and (span_id is None or a.span_id == span_id)
            and (all or a.valid in (True, None))
            and isinstance(a, kind)
        ]

    @staticmethod
    def pandas_dataframe_columns() -> list[str]:
        return [
            "trace_id", "trace", "client_request_id", "state", "request_time", "execution_duration",
            "request", "response", "trace_metadata", "tags", "spans", "assessments",
        ]

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r})"
