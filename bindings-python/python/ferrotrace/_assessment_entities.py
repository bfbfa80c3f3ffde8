"""Assessment entities of MLflow, name for name: sources, feedback, expectations, errors.
They convert to and from the JSON of MLflow's REST API (``/api/3.0/mlflow/traces/.../assessments``).

>>> from ferrotrace.entities import AssessmentSource, Feedback
>>> Feedback(name="relevance", value=0.9, source=AssessmentSource("llm_judge", "gpt")).source.source_type
'LLM_JUDGE'
"""

from __future__ import annotations

import datetime as _dt
import time
import warnings
from typing import Any, Optional, Union

FeedbackValueType = Union[float, int, str, bool, list[Any], dict[str, Any]]

DEFAULT_FEEDBACK_NAME = "feedback"


class AssessmentSourceType:
    """Who made an assessment. Strings are accepted in any case; ``AI_JUDGE`` is the deprecated
    spelling of ``LLM_JUDGE``."""

    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED"
    LLM_JUDGE = "LLM_JUDGE"
    AI_JUDGE = "AI_JUDGE"
    HUMAN = "HUMAN"
    CODE = "CODE"
    _SOURCE_TYPES = [SOURCE_TYPE_UNSPECIFIED, LLM_JUDGE, HUMAN, CODE]

    def __init__(self, source_type: str) -> None:
        self._source_type = AssessmentSourceType._parse(source_type)

    @staticmethod
    def _parse(source_type: str) -> str:
        from ferrotrace._native import TracingError

        value = str(source_type).upper()
        if value == AssessmentSourceType.AI_JUDGE:
            warnings.warn("AI_JUDGE is deprecated; use LLM_JUDGE.", FutureWarning, stacklevel=3)
            value = AssessmentSourceType.LLM_JUDGE
        if value not in AssessmentSourceType._SOURCE_TYPES:
            raise TracingError(
                f"Invalid assessment source type: {source_type!r}. "
                f"Valid source types: {AssessmentSourceType._SOURCE_TYPES}"
            )
        return value

    def __str__(self) -> str:
        return self._source_type


class AssessmentSource:
    """The source of an assessment: a type (HUMAN, LLM_JUDGE, CODE) and an id."""

    def __init__(self, source_type: str, source_id: str = "default") -> None:
        self.source_type = AssessmentSourceType._parse(source_type)
        self.source_id = source_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssessmentSource) and (self.source_type, self.source_id) == (
            other.source_type,
            other.source_id,
        )

    def __repr__(self) -> str:
        return f"AssessmentSource(source_type={self.source_type!r}, source_id={self.source_id!r})"

    def to_dictionary(self) -> dict[str, Any]:
        return {"source_type": self.source_type, "source_id": self.source_id}

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> AssessmentSource:
        return cls(d.get("source_type", AssessmentSourceType.SOURCE_TYPE_UNSPECIFIED), d.get("source_id", "default"))


class AssessmentError:
    """Why a feedback could not be produced (for example, a judge that failed)."""

    def __init__(self, error_code: str, error_message: Optional[str] = None, stack_trace: Optional[str] = None) -> None:
        self.error_code = error_code
        self.error_message = error_message
        self.stack_trace = stack_trace

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssessmentError) and vars(self) == vars(other)

    def to_dictionary(self) -> dict[str, Any]:
        d: dict[str, Any] = {"error_code": self.error_code}
        if self.error_message is not None:
            d["error_message"] = self.error_message
        if self.stack_trace is not None:
            d["stack_trace"] = self.stack_trace
        return d

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> AssessmentError:
        return cls(d.get("error_code", ""), d.get("error_message"), d.get("stack_trace"))

    @classmethod
    def from_exception(cls, e: BaseException) -> AssessmentError:
        import traceback

        return cls(type(e).__name__, str(e), "".join(traceback.format_exception(e)))


def _rfc3339(ms: int) -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _parse_time(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    t = text.rstrip("Z")
    base, _, frac = t.partition(".")
    if len(base) == 19 and base[10] == "T":
        # The usual form, parsed ~20x faster than by strptime (a search parses one per trace).
        dt = _dt.datetime.fromisoformat(base).replace(tzinfo=_dt.timezone.utc)
    else:
        dt = _dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc)
    return int(dt.timestamp()) * 1000 + int((frac + "000")[:3] if frac else 0)


class Assessment:
    """Base of Feedback and Expectation: what they share."""

    def __init__(
        self,
        name: str,
        source: Optional[AssessmentSource] = None,
        trace_id: Optional[str] = None,
        rationale: Optional[str] = None,
        metadata: Optional[dict[str, Any]] = None,
        span_id: Optional[str] = None,
        create_time_ms: Optional[int] = None,
        last_update_time_ms: Optional[int] = None,
        overrides: Optional[str] = None,
        valid: Optional[bool] = None,
    ) -> None:
        now = int(time.time() * 1000)
        self.name = name
        self.source = source
        self.trace_id = trace_id
        self.rationale = rationale
        self.metadata = metadata
        self.span_id = span_id
        self.create_time_ms = create_time_ms if create_time_ms is not None else now
        self.last_update_time_ms = last_update_time_ms if last_update_time_ms is not None else self.create_time_ms
        self.overrides = overrides
        self.valid = valid
        self.assessment_id: Optional[str] = None

    def _value_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        return {}

    def to_dictionary(self) -> dict[str, Any]:
        """The assessment as MLflow's REST API takes it."""
        d: dict[str, Any] = {"assessment_name": self.name}
        if self.assessment_id:
            d["assessment_id"] = self.assessment_id
        if self.trace_id:
            d["trace_id"] = self.trace_id
        if self.span_id:
            d["span_id"] = self.span_id
        if self.source is not None:
            d["source"] = self.source.to_dictionary()
        d["create_time"] = _rfc3339(self.create_time_ms)
        d["last_update_time"] = _rfc3339(self.last_update_time_ms)
        d.update(self._value_dict())
        if self.rationale is not None:
            d["rationale"] = self.rationale
        if self.metadata:
            # The server keeps metadata values as strings.
            d["metadata"] = {str(k): v if isinstance(v, str) else str(v) for k, v in self.metadata.items()}
        if self.overrides:
            d["overrides"] = self.overrides
        if self.valid is not None:
            d["valid"] = self.valid
        return d

    @staticmethod
    def from_dictionary(d: dict[str, Any]) -> Assessment:
        """Builds a Feedback or an Expectation from MLflow's REST JSON."""
        common: dict[str, Any] = dict(
            source=AssessmentSource.from_dictionary(d["source"]) if d.get("source") else None,
            trace_id=d.get("trace_id"),
            metadata=d.get("metadata") or None,
            span_id=d.get("span_id") or None,
            create_time_ms=_parse_time(d.get("create_time")),
            last_update_time_ms=_parse_time(d.get("last_update_time")),
        )
        a: Assessment
        if "expectation" in d:
            exp = d["expectation"]
            value = exp.get("value")
            if value is None and "serialized_value" in exp:
                import json

                value = json.loads(exp["serialized_value"].get("value", "null"))
            a = Expectation(name=d.get("assessment_name", ""), value=value, **common)
        else:
            fb = d.get("feedback") or {}
            err = AssessmentError.from_dictionary(fb["error"]) if fb.get("error") else None
            a = Feedback(
                name=d.get("assessment_name", DEFAULT_FEEDBACK_NAME),
                value=fb.get("value"),
                error=err,
                rationale=d.get("rationale"),
                overrides=d.get("overrides"),
                valid=d.get("valid", True),
                **common,
            )
        a.assessment_id = d.get("assessment_id")
        return a

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Assessment) and type(self) is type(other) and self.to_dictionary() == other.to_dictionary()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dictionary()!r})"


class Feedback(Assessment):
    """A judgement of a trace or span: a value (score, label, thumbs, structure) or an error."""

    def __init__(
        self,
        name: str = DEFAULT_FEEDBACK_NAME,
        value: Optional[FeedbackValueType] = None,
        error: Optional[Union[BaseException, AssessmentError]] = None,
        source: Optional[AssessmentSource] = None,
        trace_id: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
        span_id: Optional[str] = None,
        create_time_ms: Optional[int] = None,
        last_update_time_ms: Optional[int] = None,
        rationale: Optional[str] = None,
        overrides: Optional[str] = None,
        valid: bool = True,
    ) -> None:
        from ferrotrace._native import TracingError

        if value is None and error is None:
            raise TracingError("Either `value` or `error` must be provided.")
        super().__init__(
            name=name,
            source=source or AssessmentSource(AssessmentSourceType.CODE),
            trace_id=trace_id,
            rationale=rationale,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            overrides=overrides,
            valid=valid,
        )
        if isinstance(error, BaseException):
            error = AssessmentError.from_exception(error)
        self.value = value
        self.error = error

    def _value_dict(self) -> dict[str, Any]:
        fb: dict[str, Any] = {}
        if self.value is not None:
            fb["value"] = self.value
        if self.error is not None:
            fb["error"] = self.error.to_dictionary()
        return {"feedback": fb}


class Expectation(Assessment):
    """The expected answer or label (ground truth) for a trace or span."""

    def __init__(
        self,
        name: str,
        value: Any,
        source: Optional[AssessmentSource] = None,
        trace_id: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
        span_id: Optional[str] = None,
        create_time_ms: Optional[int] = None,
        last_update_time_ms: Optional[int] = None,
    ) -> None:
        from ferrotrace._native import TracingError

        if value is None:
            raise TracingError("The `value` of an expectation must be provided.")
        super().__init__(
            name=name,
            source=source or AssessmentSource(AssessmentSourceType.HUMAN),
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
        )
        self.value = value

    def _value_dict(self) -> dict[str, Any]:
        return {"expectation": {"value": self.value}}
