"""Read-only traces, as ``get_trace`` returns them: MLflow's ``Trace`` / ``TraceInfo`` /
``TraceData`` / ``Span`` names and fields, built from MLflow's ``Trace.to_dict()`` shape.

>>> t = Trace.from_dict({"info": {"trace_id": "tr-1", "state": "OK", "tags": {}}, "data": {"spans": []}})
>>> t.info.trace_id
'tr-1'
"""

from __future__ import annotations

import base64
import json
from typing import Any, Optional

from ferrotrace._assessment_entities import Assessment
from ferrotrace.entities import SpanEvent, SpanStatus, SpanStatusCode, TraceState


def _hex(b64: Optional[str]) -> Optional[str]:
    return base64.b64decode(b64).hex() if b64 else None


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class Span:
    """A finished span (read-only)."""

    def __init__(self, d: dict[str, Any], trace_id: str) -> None:
        self._d = d
        self.trace_id = trace_id
        self.request_id = trace_id
        self.span_id = _hex(d.get("span_id"))
        self.parent_id = _hex(d.get("parent_span_id"))
        self.name: str = d.get("name", "")
        self.start_time_ns: int = d.get("start_time_unix_nano", 0)
        self.end_time_ns: Optional[int] = d.get("end_time_unix_nano")
        self.attributes: dict[str, Any] = {k: _loads(v) for k, v in (d.get("attributes") or {}).items()}
        st = d.get("status") or {}
        code = SpanStatusCode(str(st.get("code", "UNSET")).replace("STATUS_CODE_", ""))
        self.status = SpanStatus(code, st.get("message", ""))
        self.events = [SpanEvent(e["name"], e.get("time_unix_nano", 0), e.get("attributes") or {}) for e in d.get("events") or []]

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

    def to_dict(self) -> dict[str, Any]:
        return self._d

    def __repr__(self) -> str:
        return f"Span(name={self.name!r}, span_id={self.span_id!r}, parent_id={self.parent_id!r})"


class TraceInfo:
    """Trace-level data: id, state, times, previews, metadata, tags, assessments."""

    def __init__(self, d: dict[str, Any]) -> None:
        from ferrotrace._assessment_entities import _parse_time

        self._d = d
        self.trace_id: str = d.get("trace_id", "")
        self.request_id = self.trace_id
        loc = d.get("trace_location") or {}
        self.experiment_id: Optional[str] = (loc.get("mlflow_experiment") or {}).get("experiment_id")
        self.request_time: Optional[int] = _parse_time(d.get("request_time"))
        self.execution_duration: Optional[int] = d.get("execution_duration_ms")
        self.state = TraceState(d.get("state", "STATE_UNSPECIFIED"))
        self.request_preview: Optional[str] = d.get("request_preview")
        self.response_preview: Optional[str] = d.get("response_preview")
        self.client_request_id: Optional[str] = d.get("client_request_id")
        self.trace_metadata: dict[str, str] = dict(d.get("trace_metadata") or {})
        self.request_metadata = self.trace_metadata
        self.tags: dict[str, str] = dict(d.get("tags") or {})
        self.assessments: list[Assessment] = [Assessment.from_dictionary(a) for a in d.get("assessments") or []]

    @property
    def token_usage(self) -> Optional[dict[str, int]]:
        raw = self.trace_metadata.get("mlflow.trace.tokenUsage")
        return json.loads(raw) if raw else None

    def to_dict(self) -> dict[str, Any]:
        return self._d


class TraceData:
    """The spans of a trace."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans

    def _root(self) -> Optional[Span]:
        ids = {s.span_id for s in self.spans}
        roots = [s for s in self.spans if s.parent_id is None or s.parent_id not in ids]
        return min(roots, key=lambda s: s.start_time_ns) if roots else None

    @property
    def request(self) -> Optional[str]:
        root = self._root()
        return None if root is None or root.inputs is None else json.dumps(root.inputs)

    @property
    def response(self) -> Optional[str]:
        root = self._root()
        return None if root is None or root.outputs is None else json.dumps(root.outputs)


class Trace:
    """A whole trace: ``info`` and ``data.spans``."""

    def __init__(self, info: TraceInfo, data: TraceData, raw: dict[str, Any]) -> None:
        self.info = info
        self.data = data
        self._raw = raw

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trace:
        info = TraceInfo(d.get("info") or {})
        spans = [Span(s, info.trace_id) for s in (d.get("data") or {}).get("spans") or []]
        return cls(info, TraceData(spans), d)

    def to_dict(self) -> dict[str, Any]:
        return self._raw

    def search_spans(self, span_type: Optional[str] = None, name: Optional[str] = None) -> list[Span]:
        """Spans matching a type and/or a name."""
        return [
            s
            for s in self.data.spans
            if (span_type is None or s.span_type == str(getattr(span_type, "value", span_type)))
            and (name is None or s.name == name)
        ]

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r}, spans={len(self.data.spans)})"
