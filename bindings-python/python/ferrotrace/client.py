"""``MlflowClient``: the tracing part of MLflow's client, name for name (``mlflow.MlflowClient``,
``mlflow.client``, ``mlflow.tracking.MlflowClient``).

Spans started here are not made active: their parent is named explicitly, so callback-style
instrumentation and threads can build one trace. Calls on recorded traces (tags, search,
assessments, deletion) go to the configured MLflow server, or to the local store when none is set,
through the same functions as the fluent API.

>>> import ferrotrace
>>> client = ferrotrace.MlflowClient()
>>> root = client.start_trace("job", inputs={"x": 1})
>>> child = client.start_span("step", trace_id=root.trace_id, parent_id=root.span_id)
>>> client.end_span(trace_id=root.trace_id, span_id=child.span_id, outputs=2)
>>> client.end_trace(root.trace_id, outputs=3)
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Generic, Iterable, Optional, TypeVar, Union

import ferrotrace
from ferrotrace import _fluent, _native
from ferrotrace._native import LiveSpan, TracingError
from ferrotrace.entities import NO_OP_SPAN_TRACE_ID, NoOpSpan, SpanStatus, SpanType
from ferrotrace.exceptions import MlflowException, RestException

__all__ = ["MlflowClient", "PagedList", "Experiment", "ViewType"]

T = TypeVar("T")

# MLflow's defaults for the page sizes of search_traces and search_experiments.
SEARCH_TRACES_DEFAULT_MAX_RESULTS = 100
SEARCH_MAX_RESULTS_DEFAULT = 1000


class PagedList(list[T], Generic[T]):
    """A list with ``token``: the page token of the next page (``None`` on the last page)."""

    def __init__(self, items: Iterable[T], token: Optional[str]) -> None:
        super().__init__(items)
        self.token = token

    def to_list(self) -> list[T]:
        return list(self)


class ViewType:
    """Which experiments a search returns (MLflow's ``ViewType``)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3
    _NAMES = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}

    @classmethod
    def to_string(cls, view_type: int) -> str:
        return cls._NAMES.get(int(view_type), "ACTIVE_ONLY")

    @classmethod
    def from_string(cls, text: str) -> int:
        return {v: k for k, v in cls._NAMES.items()}[str(text).upper()]


class Experiment:
    """An experiment as the tracking server describes it (MLflow's ``Experiment`` fields)."""

    DEFAULT_EXPERIMENT_NAME = "Default"

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: Optional[str] = None,
        lifecycle_stage: str = "active",
        tags: Optional[dict[str, str]] = None,
        creation_time: Optional[int] = None,
        last_update_time: Optional[int] = None,
    ) -> None:
        self.experiment_id = str(experiment_id)
        self.name = name
        self.artifact_location = artifact_location
        self.lifecycle_stage = lifecycle_stage
        self.tags = dict(tags or {})
        self.creation_time = creation_time
        self.last_update_time = last_update_time

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> Experiment:
        """From the server's JSON (``tags`` as a list of key/value objects)."""
        return cls(
            experiment_id=str(d.get("experiment_id", "")),
            name=d.get("name", ""),
            artifact_location=d.get("artifact_location"),
            lifecycle_stage=d.get("lifecycle_stage", "active"),
            tags={t["key"]: t.get("value", "") for t in d.get("tags") or []},
            creation_time=None if d.get("creation_time") is None else int(d["creation_time"]),
            last_update_time=None if d.get("last_update_time") is None else int(d["last_update_time"]),
        )

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "experiment_id": self.experiment_id,
            "name": self.name,
            "artifact_location": self.artifact_location,
            "lifecycle_stage": self.lifecycle_stage,
            "tags": dict(self.tags),
            "creation_time": self.creation_time,
            "last_update_time": self.last_update_time,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and self.to_dictionary() == other.to_dictionary()

    def __repr__(self) -> str:
        return f"<Experiment: experiment_id={self.experiment_id!r}, name={self.name!r}, lifecycle_stage={self.lifecycle_stage!r}>"


class _Registry:
    """Spans started by any client and not ended yet, by (trace id, span id): what MLflow's
    in-memory trace manager answers for ``start_span(parent_id=...)`` / ``end_span``. A span
    started by the fluent API is found through the active span too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: dict[tuple[str, str], LiveSpan] = {}
        self._roots: dict[str, LiveSpan] = {}

    def add(self, span: LiveSpan) -> None:
        with self._lock:
            self._spans[(span.trace_id, span.span_id)] = span
            if span.parent_id is None:
                self._roots[span.trace_id] = span

    def get(self, trace_id: str, span_id: str) -> Optional[LiveSpan]:
        with self._lock:
            span = self._spans.get((trace_id, span_id))
        if span is not None:
            return span
        active = _fluent.get_current_active_span()
        if active is not None and active.trace_id == trace_id and active.span_id == span_id:
            return active
        return None

    def root(self, trace_id: str) -> Optional[LiveSpan]:
        with self._lock:
            return self._roots.get(trace_id)

    def discard_trace(self, trace_id: str) -> None:
        """Forgets a trace's spans once its root ended: until then an ended span can still be
        a parent, as in MLflow."""
        with self._lock:
            self._roots.pop(trace_id, None)
            for key in [k for k in self._spans if k[0] == trace_id]:
                del self._spans[key]


_REGISTRY = _Registry()


def _trace_id_arg(trace_id: Optional[str], kwargs: dict[str, Any], method: str) -> str:
    """``request_id`` is MLflow 2's name of ``trace_id``, still accepted with a warning."""
    request_id = kwargs.pop("request_id", None)
    if kwargs:
        raise TypeError(f"{method}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    if request_id is not None:
        warnings.warn(
            f"The `request_id` parameter of {method}() is deprecated; use `trace_id` instead.",
            FutureWarning,
            stacklevel=3,
        )
        if trace_id is None:
            trace_id = request_id
    if trace_id is None:
        raise TypeError(f"{method}() missing required argument: 'trace_id'")
    return str(trace_id)


def _server() -> bool:
    return bool(_native.config()["tracking_uri"])


def _api(op: str, **args: Any) -> Any:
    """One call of the core's trace-level API (server or local store); its errors are already
    MLflow's (see ``ferrotrace.exceptions``)."""
    from ferrotrace._assessments import _api as api

    return api(op, **args)


class MlflowClient:
    """The tracing part of MLflow's ``MlflowClient``. ``tracking_uri`` is accepted for
    compatibility; ferrotrace has one destination per process (``set_tracking_uri``), and a
    different URI given here is ignored with a warning."""

    def __init__(self, tracking_uri: Optional[str] = None, registry_uri: Optional[str] = None, **kwargs: Any) -> None:
        if tracking_uri is not None:
            current = ferrotrace.get_tracking_uri()
            if str(tracking_uri).rstrip("/") != current.rstrip("/"):
                from ferrotrace._log import logger

                logger.warning(
                    "MlflowClient(tracking_uri=%r): ferrotrace uses the process-wide tracking URI (%s); "
                    "call ferrotrace.set_tracking_uri() to change it.",
                    tracking_uri,
                    current,
                )
        self._registry_uri = registry_uri

    @property
    def tracking_uri(self) -> str:
        return ferrotrace.get_tracking_uri()

    # -- spans and traces -------------------------------------------------------------------

    def start_trace(
        self,
        name: str,
        span_type: str = SpanType.UNKNOWN,
        inputs: Optional[Any] = None,
        attributes: Optional[dict[str, str]] = None,
        tags: Optional[dict[str, str]] = None,
        experiment_id: Optional[str] = None,
        start_time_ns: Optional[int] = None,
        run_id: Optional[str] = None,
        links: Optional[list[Any]] = None,
    ) -> Union[LiveSpan, NoOpSpan]:
        """Starts a new trace and returns its root span; end it with ``end_trace(trace_id)``.
        Raises ``MlflowException`` (BAD_REQUEST) under an active fluent span, as MLflow does."""
        active = _fluent.get_current_active_span()
        if active is not None:
            raise MlflowException(
                f"Another trace is already set in the global context with ID {active.trace_id}. "
                "MlflowClient.start_trace() cannot be called under an active trace created by "
                "`@trace` or `start_span`; use `start_span` (fluent or client) for a child span.",
                error_code="BAD_REQUEST",
            )
        metadata = {"mlflow.sourceRun": run_id} if run_id is not None else None
        span = _fluent.start_span_no_context(
            name=name,
            span_type=span_type,
            inputs=inputs,
            attributes=attributes,
            tags=tags,
            metadata=metadata,
            experiment_id=experiment_id,
            start_time_ns=start_time_ns,
            links=links,
        )
        if isinstance(span, LiveSpan):
            _REGISTRY.add(span)
        return span

    def start_span(
        self,
        name: str,
        trace_id: Optional[str] = None,
        parent_id: Optional[str] = None,
        span_type: str = SpanType.UNKNOWN,
        inputs: Optional[Any] = None,
        attributes: Optional[dict[str, Any]] = None,
        start_time_ns: Optional[int] = None,
        links: Optional[list[Any]] = None,
        **kwargs: Any,
    ) -> Union[LiveSpan, NoOpSpan]:
        """Starts a child of the open span ``parent_id`` of trace ``trace_id`` (from
        ``start_trace``, this client, or the fluent API); end it with ``end_span``."""
        trace_id = _trace_id_arg(trace_id, kwargs, "start_span")
        if trace_id == NO_OP_SPAN_TRACE_ID:
            return NoOpSpan()
        if not parent_id:
            raise MlflowException.invalid_parameter_value(
                "start_span() must be called with an explicit parent_id. If you haven't started any "
                "span yet, use MlflowClient().start_trace() to start a new trace and root span."
            )
        if not trace_id:
            raise MlflowException.invalid_parameter_value("Trace ID must be provided to start a span.")
        parent = _REGISTRY.get(trace_id, str(parent_id))
        if parent is None:
            raise MlflowException(f"Parent span with ID '{parent_id}' not found.", error_code="RESOURCE_DOES_NOT_EXIST")
        span = _fluent.start_span_no_context(
            name=name,
            span_type=span_type,
            parent_span=parent,
            inputs=inputs,
            attributes=attributes,
            start_time_ns=start_time_ns,
            links=links,
        )
        if isinstance(span, LiveSpan):
            _REGISTRY.add(span)
        return span

    def end_span(
        self,
        trace_id: Optional[str] = None,
        span_id: Optional[str] = None,
        outputs: Optional[Any] = None,
        attributes: Optional[dict[str, Any]] = None,
        status: Union[SpanStatus, str] = "OK",
        end_time_ns: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        """Ends an open span with its outputs, extra attributes and status. An unknown or
        already ended span is ignored, as in MLflow."""
        trace_id = _trace_id_arg(trace_id, kwargs, "end_span")
        span = _REGISTRY.get(trace_id, str(span_id))
        if span is None or span._ended:
            return
        span.end(outputs=outputs, attributes=attributes, status=status, end_time_ns=end_time_ns)
        if span.parent_id is None:
            _REGISTRY.discard_trace(trace_id)

    def end_trace(
        self,
        trace_id: Optional[str] = None,
        outputs: Optional[Any] = None,
        attributes: Optional[dict[str, Any]] = None,
        status: Union[SpanStatus, str] = "OK",
        end_time_ns: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        """Ends the root span of a trace started with ``start_trace``, which records the trace.
        Raises ``MlflowException`` for a trace that is unknown or already finished."""
        trace_id = _trace_id_arg(trace_id, kwargs, "end_trace")
        if trace_id == NO_OP_SPAN_TRACE_ID:
            return
        root = _REGISTRY.root(trace_id)
        if root is None:
            found = ferrotrace.get_trace(trace_id, silent=True)
            if found is None:
                raise MlflowException(f"Trace with ID {trace_id} not found.", error_code="RESOURCE_DOES_NOT_EXIST")
            raise MlflowException.invalid_parameter_value(f"Trace with ID {trace_id} already finished.")
        _REGISTRY.discard_trace(trace_id)
        root.end(outputs=outputs, attributes=attributes, status=status, end_time_ns=end_time_ns)

    # -- recorded traces ----------------------------------------------------------------------

    def get_trace(self, trace_id: Optional[str] = None, display: bool = True, flush: bool = False, **kwargs: Any) -> Any:
        """The trace with this id; raises ``MlflowException`` (RESOURCE_DOES_NOT_EXIST) when
        neither this process nor the server or local store has it."""
        trace_id = _trace_id_arg(trace_id, kwargs, "get_trace")
        found = ferrotrace.get_trace(trace_id, silent=True)
        if found is None:
            if _server():  # what MLflow raises for the server's answer
                raise RestException({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Trace with ID {trace_id} not found."})
            raise MlflowException(f"Trace with ID {trace_id} not found.", error_code="RESOURCE_DOES_NOT_EXIST")
        return found

    def search_traces(
        self,
        experiment_ids: Optional[list[str]] = None,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_TRACES_DEFAULT_MAX_RESULTS,
        order_by: Optional[list[str]] = None,
        page_token: Optional[str] = None,
        run_id: Optional[str] = None,
        include_spans: bool = True,
        model_id: Optional[str] = None,
        locations: Optional[list[str]] = None,
        flush: bool = False,
    ) -> PagedList[Any]:
        """Traces matching the server's filter syntax, as a ``PagedList`` of ``Trace``. Pages
        are read through to ``max_results``; ``token`` is always ``None``."""
        for label, value in (("experiment_ids", experiment_ids), ("locations", locations)):
            if value is not None and not isinstance(value, list):
                raise MlflowException.invalid_parameter_value(f"{label} must be a list, got {type(value).__name__}")
        if page_token:
            return PagedList([], None)
        traces = ferrotrace.search_traces(
            experiment_ids=experiment_ids or _default_experiments(),
            filter_string=filter_string,
            max_results=max_results,
            order_by=order_by,
            run_id=run_id,
            return_type="list",
            model_id=model_id,
            include_spans=include_spans,
            locations=locations,
        )
        return PagedList(traces, None)

    def set_trace_tag(self, trace_id: Optional[str] = None, key: str = "", value: str = "", **kwargs: Any) -> None:
        """Sets a tag on a trace, open (started by this client) or recorded."""
        trace_id = _trace_id_arg(trace_id, kwargs, "set_trace_tag")
        root = _REGISTRY.root(trace_id)
        if root is not None and root._update_trace(tags={str(key)[:250]: str(value)[:4096]}):
            return
        ferrotrace.set_trace_tag(trace_id, key, value)

    def delete_trace_tag(self, trace_id: Optional[str] = None, key: str = "", **kwargs: Any) -> None:
        """Removes a tag from a recorded trace."""
        trace_id = _trace_id_arg(trace_id, kwargs, "delete_trace_tag")
        ferrotrace.delete_trace_tag(trace_id, key)

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: Optional[int] = None,
        max_traces: Optional[int] = None,
        trace_ids: Optional[list[str]] = None,
    ) -> int:
        """Deletes traces of an experiment, older than ``max_timestamp_millis`` (at most
        ``max_traces``, oldest first) or by id; returns how many were deleted."""
        if (max_timestamp_millis is None) == (trace_ids is None):
            raise MlflowException.invalid_parameter_value("Exactly one of `max_timestamp_millis` and `trace_ids` must be specified.")
        if trace_ids is not None and max_traces is not None:
            raise MlflowException.invalid_parameter_value("`max_traces` can't be specified if `trace_ids` is specified.")
        if not _server():
            # The local store (appended as a deletion record, folded by readers).
            from ferrotrace._assessments import delete_traces as local

            return int(local(experiment_id=experiment_id, max_timestamp_millis=max_timestamp_millis, max_traces=max_traces, trace_ids=trace_ids))
        # The core delivers queued traces first, so a trace just ended is deleted too.
        args: dict[str, Any] = {"experiment_id": str(experiment_id)}
        if max_timestamp_millis is not None:
            args["max_timestamp_millis"] = int(max_timestamp_millis)
        if max_traces is not None:
            args["max_traces"] = int(max_traces)
        if trace_ids is not None:
            args["trace_ids"] = [str(t) for t in trace_ids]
        return int(_api("delete_traces", **args)["deleted"])

    # -- assessments --------------------------------------------------------------------------

    def log_assessment(self, trace_id: str, assessment: Any) -> Any:
        """Logs a Feedback or Expectation on a trace; returns it with its id."""
        return ferrotrace.log_assessment(trace_id, assessment)

    def get_assessment(self, trace_id: str, assessment_id: str) -> Any:
        return ferrotrace.get_assessment(trace_id, assessment_id)

    def update_assessment(self, trace_id: str, assessment_id: str, assessment: Any) -> Any:
        return ferrotrace.update_assessment(trace_id, assessment_id, assessment)

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        ferrotrace.delete_assessment(trace_id, assessment_id)

    # -- experiments --------------------------------------------------------------------------

    def create_experiment(self, name: str, artifact_location: Optional[str] = None, tags: Optional[dict[str, Any]] = None) -> str:
        """Creates an experiment; returns its id. Raises ``MlflowException``
        (RESOURCE_ALREADY_EXISTS) when the name is taken."""
        if not name:
            raise MlflowException.invalid_parameter_value("Invalid experiment name: ''")
        if not _server():
            from ferrotrace import _local_experiments

            return _local_experiments.create(str(name), tags)
        args: dict[str, Any] = {"name": str(name)}
        if artifact_location is not None:
            args["artifact_location"] = str(artifact_location)
        if tags:
            args["tags"] = {str(k): str(v) for k, v in tags.items()}
        return str(_api("create_experiment", **args)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; raises ``MlflowException`` when there is none."""
        if not _server():
            from ferrotrace import _local_experiments

            return _local_experiments.get(str(experiment_id))
        found = _api("get_experiment", experiment_id=str(experiment_id))
        if found is None:  # what MLflow raises for the server's 404
            raise RestException(
                {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Could not find experiment with ID {experiment_id}"}
            )
        return Experiment.from_dictionary(found)

    def get_experiment_by_name(self, name: str) -> Optional[Experiment]:
        """The experiment with this name, else ``None``."""
        if not _server():
            from ferrotrace import _local_experiments

            return _local_experiments.by_name(str(name))
        found = _api("get_experiment_by_name", name=str(name))
        return None if found is None else Experiment.from_dictionary(found)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: Optional[int] = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: Optional[str] = None,
        order_by: Optional[list[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList[Experiment]:
        """Experiments matching the server's filter syntax; ``token`` names the next page."""
        if not _server():
            from ferrotrace import _local_experiments

            return PagedList(_local_experiments.search(view_type, filter_string), None)
        args: dict[str, Any] = {"view_type": ViewType.to_string(view_type)}
        if max_results is not None:
            args["max_results"] = int(max_results)
        if filter_string:
            args["filter"] = filter_string
        if order_by:
            args["order_by"] = list(order_by)
        if page_token:
            args["page_token"] = page_token
        resp = _api("search_experiments", **args)
        return PagedList(
            [Experiment.from_dictionary(e) for e in resp.get("experiments") or []],
            resp.get("next_page_token") or None,
        )


def _default_experiments() -> list[str]:
    """The experiment traces go to, as MLflow's search_traces defaults to it."""
    cfg = _native.config()
    exp = cfg.get("experiment_id")
    if exp:
        return [str(exp)]
    name = cfg.get("experiment_name")
    if name and _server():
        try:
            return [_native.resolve_experiment(3.0)]
        except TracingError:
            pass
    return ["0"]


# MLflow's fluent experiment functions (``mlflow.get_experiment_by_name``, ...).


def create_experiment(name: str, artifact_location: Optional[str] = None, tags: Optional[dict[str, Any]] = None) -> str:
    """Creates an experiment; returns its id."""
    return MlflowClient().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id."""
    return MlflowClient().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Optional[Experiment]:
    """The experiment with this name, else ``None``."""
    return MlflowClient().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: Optional[int] = None,
    filter_string: Optional[str] = None,
    order_by: Optional[list[str]] = None,
) -> list[Experiment]:
    """Every experiment matching the filter (all pages)."""
    client = MlflowClient()
    out: list[Experiment] = []
    token: Optional[str] = None
    while True:
        page = client.search_experiments(view_type, SEARCH_MAX_RESULTS_DEFAULT, filter_string, order_by, token)
        out.extend(page)
        token = page.token
        if not token or (max_results is not None and len(out) >= max_results):
            return out if max_results is None else out[:max_results]
