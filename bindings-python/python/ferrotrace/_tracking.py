"""Where traces go: MLflow's ``set_tracking_uri`` / ``set_experiment`` family.

With no tracking URI, traces go to the local store; ``file:`` URIs name a local store folder.
"""

from __future__ import annotations

import os
from typing import Optional
from urllib.parse import unquote, urlparse

from ferrotrace import _native
from ferrotrace._log import logger as _logger
from ferrotrace._native import TracingError

# set_experiment waits at most this long for the server before going on without it.
_RESOLVE_TIMEOUT_SECONDS = 3.0


class Experiment:
    """The experiment traces are logged to."""

    def __init__(self, experiment_id: Optional[str], name: Optional[str]) -> None:
        self.experiment_id = experiment_id
        self.name = name

    def __repr__(self) -> str:
        return f"Experiment(experiment_id={self.experiment_id!r}, name={self.name!r})"


def set_tracking_uri(uri: str) -> None:
    """Sends traces to an MLflow server (``http(s)://...``) or to a local store folder
    (``file:///path``). Raises ``ConfigError`` naming the setting for anything else.

    >>> import ferrotrace
    >>> ferrotrace.set_tracking_uri("http://127.0.0.1:5000")  # doctest: +SKIP
    """
    uri = str(uri).strip()
    if uri.startswith("file:"):
        path = unquote(urlparse(uri).path) or "."
        _native.configure(tracking_uri="", local_dir=path)
    else:
        _native.configure(tracking_uri=uri)


def get_tracking_uri() -> str:
    """The tracking URI in force: the server's, or ``file://`` + the local store folder."""
    cfg = _native.config()
    if cfg["tracking_uri"]:
        return str(cfg["tracking_uri"])
    return "file://" + os.path.abspath(str(cfg["local_dir"]))


def is_tracking_uri_set() -> bool:
    """Whether traces go to an MLflow server."""
    return bool(_native.config()["tracking_uri"])


def set_experiment(experiment_name: Optional[str] = None, experiment_id: Optional[str] = None) -> Experiment:
    """Logs traces to this experiment, created by name when missing. If the server cannot be
    reached within a few seconds this warns and returns; the name is resolved later, when the
    traces are exported, so the application is never blocked by a server that is down."""
    if (experiment_name is None) == (experiment_id is None):
        from ferrotrace.exceptions import MlflowException

        raise MlflowException.invalid_parameter_value("Must specify exactly one of: `experiment_id` or `experiment_name`.")
    if experiment_id is not None:
        _native.configure(experiment_id=str(experiment_id))
        return Experiment(str(experiment_id), None)
    _native.configure(experiment_name=str(experiment_name))
    if not is_tracking_uri_set():
        return Experiment(_local_experiment_id(str(experiment_name)), experiment_name)
    try:
        exp_id: Optional[str] = _native.resolve_experiment(_RESOLVE_TIMEOUT_SECONDS)
    except TracingError as e:
        _logger.warning(
            "set_experiment(%r): the tracking server did not answer (%s); traces will be logged "
            "once it does.",
            experiment_name,
            e,
        )
        exp_id = None
    return Experiment(exp_id, experiment_name)


def _local_experiment_id(name: str) -> Optional[str]:
    """The local store's experiment of this name, created when missing (as MLflow's
    ``set_experiment`` does on its local backend), so ``get_experiment_by_name`` finds it. None
    when there is no store to keep it (the memory destination) or its folder cannot be written:
    tracing goes on either way."""
    from ferrotrace import _local_experiments

    try:
        found = _local_experiments.by_name(name)
        return found.experiment_id if found is not None else _local_experiments.create(name, None)
    except Exception as e:
        if "memory destination" not in str(e):
            _logger.warning("set_experiment(%r): could not record it in the local store: %s", name, e)
        return None
