"""Feedback and expectations on traces, through the MLflow server: MLflow's assessment API.

Each call is a synchronous request to the tracking server (the GIL is released while it waits).
A trace that is still queued for export is delivered first, so feedback logged right after a
traced call always finds its trace.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Union

from ferrotrace import _native
from ferrotrace._assessment_entities import (
    DEFAULT_FEEDBACK_NAME,
    Assessment,
    AssessmentError,
    AssessmentSource,
    Expectation,
    Feedback,
    FeedbackValueType,
)
from ferrotrace._log import logger as _logger
from ferrotrace._native import TracingError
from ferrotrace._trace_entities import Trace

_PREFIX = "/api/3.0/mlflow/traces"


def _path(trace_id: str, assessment_id: Optional[str] = None) -> str:
    base = f"{_PREFIX}/{trace_id}/assessments"
    return base if assessment_id is None else f"{base}/{assessment_id}"


def log_assessment(trace_id: str, assessment: Assessment) -> Assessment:
    """Logs a Feedback or Expectation on a trace; returns it with its server id.

    >>> import ferrotrace  # doctest: +SKIP
    >>> ferrotrace.log_assessment(trace_id, Feedback(name="ok", value=True))  # doctest: +SKIP
    """
    if not isinstance(assessment, Assessment):
        raise TracingError(f"log_assessment() takes a Feedback or an Expectation, got {type(assessment).__name__}")
    body = assessment.to_dictionary()
    body["trace_id"] = trace_id
    created = json.loads(_native.log_assessment(trace_id, json.dumps(body)))
    return Assessment.from_dictionary(created)


def log_feedback(
    *,
    trace_id: str,
    name: str = DEFAULT_FEEDBACK_NAME,
    value: Optional[FeedbackValueType] = None,
    source: Optional[AssessmentSource] = None,
    error: Optional[Union[BaseException, AssessmentError]] = None,
    rationale: Optional[str] = None,
    metadata: Optional[dict[str, Any]] = None,
    span_id: Optional[str] = None,
) -> Assessment:
    """Logs feedback (a score, label, thumbs up/down, structure, or an error) on a trace.
    The source defaults to CODE."""
    fb = Feedback(name=name, value=value, error=error, source=source, rationale=rationale, metadata=metadata, span_id=span_id)
    return log_assessment(trace_id, fb)


def log_expectation(
    *,
    trace_id: str,
    name: str,
    value: Any,
    source: Optional[AssessmentSource] = None,
    metadata: Optional[dict[str, Any]] = None,
    span_id: Optional[str] = None,
) -> Assessment:
    """Logs an expectation (ground truth) on a trace. The source defaults to HUMAN."""
    return log_assessment(trace_id, Expectation(name=name, value=value, source=source, metadata=metadata, span_id=span_id))


def get_assessment(trace_id: str, assessment_id: str) -> Assessment:
    """Reads one assessment from the server."""
    resp = json.loads(_native.mlflow_request("GET", _path(trace_id, assessment_id), None))
    return Assessment.from_dictionary(resp["assessment"])


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
    """Changes the name, value, rationale and metadata of an assessment."""
    new = assessment.to_dictionary()
    body: dict[str, Any] = {"assessment_id": assessment_id, "trace_id": trace_id, "assessment_name": new["assessment_name"]}
    paths = ["assessment_name"]
    for key in ("feedback", "expectation", "rationale", "metadata"):
        if key in new:
            body[key] = new[key]
            paths.append(key)
    # A protobuf FieldMask in JSON: comma-separated lowerCamelCase paths.
    mask = ",".join(p.split("_")[0] + "".join(w.title() for w in p.split("_")[1:]) for p in paths)
    req = {"assessment": body, "update_mask": mask}
    resp = json.loads(_native.mlflow_request("PATCH", _path(trace_id, assessment_id), json.dumps(req)))
    _native.forget_recent_trace(trace_id)
    return Assessment.from_dictionary(resp["assessment"])


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    """Deletes an assessment."""
    _native.mlflow_request("DELETE", _path(trace_id, assessment_id), None)
    _native.forget_recent_trace(trace_id)


def override_feedback(
    *,
    trace_id: str,
    assessment_id: str,
    value: FeedbackValueType,
    rationale: Optional[str] = None,
    source: Optional[AssessmentSource] = None,
    metadata: Optional[dict[str, Any]] = None,
) -> Assessment:
    """Logs a corrected feedback that overrides an earlier one (which the server marks invalid)."""
    old = get_assessment(trace_id, assessment_id)
    if not isinstance(old, Feedback):
        raise TracingError(f"The assessment with ID {assessment_id} is not a feedback assessment.")
    new = Feedback(
        name=old.name,
        span_id=old.span_id,
        value=value,
        rationale=rationale,
        source=source,
        metadata=metadata,
        overrides=old.assessment_id,
    )
    return log_assessment(trace_id, new)


def set_trace_tag(trace_id: str, key: str, value: str) -> None:
    """Sets a tag on an exported trace (a trace still queued is delivered first). Keys are cut
    at 250 characters and values at 4096, as in MLflow."""
    _native.set_trace_tag(trace_id, str(key)[:250], str(value)[:4096])


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Removes a tag from an exported trace."""
    _native.delete_trace_tag(trace_id, str(key)[:250])


def get_trace(trace_id: str, silent: bool = False, flush: bool = False) -> Optional[Trace]:
    """A trace by id: from the recently finished traces of this process, else from the MLflow
    server. ``None`` (with a warning unless ``silent``) when it cannot be found. Traces still
    queued are delivered first (``flush`` is accepted for MLflow compatibility)."""
    try:
        text = _native.get_trace_json(trace_id, 30.0)
    except TracingError as e:
        if not silent:
            _logger.warning("get_trace(%r) failed: %s", trace_id, e)
        return None
    if text is None:
        if not silent:
            _logger.warning("Trace with ID %s is not found.", trace_id)
        return None
    return Trace.from_dict(json.loads(text))


# search_traces(max_results=None) means "all matching traces"; this bounds the paging.
_SEARCH_ALL = 1_000_000


def search_traces(
    experiment_ids: Optional[list[str]] = None,
    filter_string: Optional[str] = None,
    max_results: Optional[int] = None,
    order_by: Optional[list[str]] = None,
    extract_fields: Optional[list[str]] = None,
    run_id: Optional[str] = None,
    return_type: Optional[str] = None,
    model_id: Optional[str] = None,
    sql_warehouse_id: Optional[str] = None,
    include_spans: bool = True,
    locations: Optional[list[str]] = None,
    flush: bool = False,
) -> Any:
    """Traces on the MLflow server matching the server's filter syntax (``trace.name = 'x'``,
    ``span.type = 'LLM'``, ``tag.k = 'v'``, ``metadata.`mlflow.trace.user` = 'u'``, ...).
    Returns ``list[Trace]`` with ``return_type="list"``, else a pandas DataFrame (MLflow's
    columns) when pandas is installed. Traces still queued are delivered first."""
    ids = [str(x) for x in (locations or experiment_ids or [])]
    filters = [f for f in (filter_string,) if f]
    if run_id is not None:
        filters.append(f"metadata.`mlflow.sourceRun` = '{run_id}'")
    if model_id is not None:
        filters.append(f"metadata.`mlflow.modelId` = '{model_id}'")
    texts = _native.search_traces_json(
        ids, " AND ".join(filters) or None, _SEARCH_ALL if max_results is None else int(max_results), order_by, include_spans
    )
    traces = [Trace.from_dict(json.loads(t)) for t in texts]
    if return_type == "list":
        return traces
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        if return_type == "pandas":
            raise
        return traces
    rows = [
        {
            "trace_id": t.info.trace_id,
            "trace": t,
            "client_request_id": t.info.client_request_id,
            "state": t.info.state,
            "request_time": t.info.request_time,
            "execution_duration": t.info.execution_duration,
            "request": t.data.request,
            "response": t.data.response,
            "trace_metadata": t.info.trace_metadata,
            "tags": t.info.tags,
            "spans": [s.to_dict() for s in t.data.spans],
            "assessments": t.info.assessments,
        }
        for t in traces
    ]
    return pd.DataFrame(rows)
