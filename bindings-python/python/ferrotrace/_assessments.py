"""Feedback, expectations, tags, reading and searching traces: MLflow's trace-level API.

Each call goes to the configured backend: the MLflow tracking server, or (with no server) the
local store, where changes are appended as records that every process reads back. Calls are
synchronous (the GIL is released while they wait). A trace still queued for export is written
first, so feedback logged right after a traced call always finds its trace.
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



def _api(op: str, **args: Any) -> Any:
    """One call of the core's trace-level API (server or local store)."""
    return json.loads(_native.trace_api(op, json.dumps(args)))


def log_assessment(trace_id: str, assessment: Assessment) -> Assessment:
    """Logs a Feedback or Expectation on a trace; returns it with its server id.

    >>> import ferrotrace  # doctest: +SKIP
    >>> ferrotrace.log_assessment(trace_id, Feedback(name="ok", value=True))  # doctest: +SKIP
    """
    if not isinstance(assessment, Assessment):
        raise TracingError(f"log_assessment() takes a Feedback or an Expectation, got {type(assessment).__name__}")
    body = assessment.to_dictionary()
    body["trace_id"] = trace_id
    return Assessment.from_dictionary(_api("log_assessment", trace_id=trace_id, assessment=body))


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
    """Reads one assessment of a trace."""
    return Assessment.from_dictionary(_api("get_assessment", trace_id=trace_id, assessment_id=assessment_id))


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
    """Changes the name, value, rationale and metadata of an assessment."""
    new = assessment.to_dictionary()
    changes = {k: new[k] for k in ("assessment_name", "feedback", "expectation", "rationale", "metadata") if k in new}
    updated = _api("update_assessment", trace_id=trace_id, assessment_id=assessment_id, assessment=changes)
    return Assessment.from_dictionary(updated)


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    """Deletes an assessment."""
    _api("delete_assessment", trace_id=trace_id, assessment_id=assessment_id)


def override_feedback(
    *,
    trace_id: str,
    assessment_id: str,
    value: FeedbackValueType,
    rationale: Optional[str] = None,
    source: Optional[AssessmentSource] = None,
    metadata: Optional[dict[str, Any]] = None,
) -> Assessment:
    """Logs a corrected feedback that overrides an earlier one (which is then marked invalid).
    The new feedback keeps the old one's name and span; an expectation cannot be overridden."""
    # The name and span are the old feedback's: the core fills them in.
    new = Feedback(value=value, rationale=rationale, source=source, metadata=metadata).to_dictionary()
    del new["assessment_name"]
    return Assessment.from_dictionary(_api("override_feedback", trace_id=trace_id, assessment_id=assessment_id, assessment=new))


def set_trace_tag(trace_id: str, key: str, value: str) -> None:
    """Sets a tag on a finished trace (a trace still queued is written first). Keys are cut
    at 250 characters and values at 4096, as in MLflow."""
    _api("set_trace_tag", trace_id=trace_id, key=str(key)[:250], value=str(value)[:4096])


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Removes a tag from a finished trace."""
    _api("delete_trace_tag", trace_id=trace_id, key=str(key)[:250])


def get_trace(trace_id: str, silent: bool = False, flush: bool = False) -> Optional[Trace]:
    """A trace by id, as stored (with the tags and assessments it was given after it ended):
    from the local store (any process's traces) or the MLflow server. ``None`` (with a warning
    unless ``silent``) when it cannot be found. Traces still queued are written first
    (``flush`` is accepted for MLflow compatibility)."""
    try:
        found = _api("get_trace", trace_id=trace_id)
    except TracingError as e:
        if not silent:
            _logger.warning("get_trace(%r) failed: %s", trace_id, e)
        return None
    if found is None:
        if not silent:
            _logger.warning("Trace with ID %s is not found.", trace_id)
        return None
    return Trace.from_dict(found)


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
    page_token: Optional[str] = None,
) -> Any:
    """Traces matching MLflow's filter syntax (``trace.name = 'x'``, ``span.type = 'LLM'``,
    ``tags.k = 'v'``, ``metadata.`mlflow.trace.user` = 'u'``, ``feedback.rating = 'yes'``,
    ...), on the MLflow server or in the local store. Returns ``list[Trace]`` with
    ``return_type="list"``, else a pandas DataFrame (MLflow's columns) when pandas is
    installed. Traces still queued are written first."""
    ids = [str(x) for x in (locations or experiment_ids or [])]
    filters = [f for f in (filter_string,) if f]
    if run_id is not None:
        filters.append(f"metadata.`mlflow.sourceRun` = '{run_id}'")
    if model_id is not None:
        filters.append(f"metadata.`mlflow.modelId` = '{model_id}'")
    page = _search_page(ids, " AND ".join(filters) or None, max_results, order_by, include_spans, page_token)
    traces = [Trace.from_dict(t) for t in page["traces"]]
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


def _search_page(
    experiment_ids: list[str],
    filter_string: Optional[str],
    max_results: Optional[int],
    order_by: Optional[list[str]],
    include_spans: bool,
    page_token: Optional[str],
) -> dict[str, Any]:
    """One page of search results: ``{"traces": [trace dicts], "next_page_token": ...}``."""
    result: dict[str, Any] = _api(
        "search_traces",
        experiment_ids=experiment_ids,
        filter=filter_string,
        max_results=_SEARCH_ALL if max_results is None else int(max_results),
        order_by=order_by or [],
        include_spans=include_spans,
        page_token=page_token,
    )
    return result


def delete_traces(
    experiment_id: Optional[str] = None,
    max_timestamp_millis: Optional[int] = None,
    max_traces: Optional[int] = None,
    trace_ids: Optional[list[str]] = None,
) -> int:
    """Deletes traces, as MLflow's ``MlflowClient.delete_traces``: those with the given ids, or
    those started before ``max_timestamp_millis`` (at most ``max_traces``, oldest first).
    Returns how many were deleted."""
    result = _api(
        "delete_traces",
        experiment_id=experiment_id,
        max_timestamp_millis=max_timestamp_millis,
        max_traces=max_traces,
        trace_ids=trace_ids,
    )
    return int(result["deleted"])
