"""Experiments of the local store (no server configured): ``Default`` (id ``0``) and the ones
created with ``MlflowClient.create_experiment``. The core keeps them (``experiments.json`` in the
store folder, the same file Node's ``MlflowClient`` uses); this module only converts. Traces of
the local store are not split by experiment; this is what lets a program written for a server
create and look up its experiments unchanged."""

from __future__ import annotations

import json
from typing import Any, Optional

from ferrotrace import _native
from ferrotrace._typing import TYPE_CHECKING
from ferrotrace.exceptions import MlflowException

if TYPE_CHECKING:
    from ferrotrace.client import Experiment


def _api(op: str, **args: Any) -> Any:
    # The core's refusals carry MLflow's error_code (RESOURCE_ALREADY_EXISTS for a taken name).
    return json.loads(_native.trace_api(op, json.dumps(args)))


def _entity(row: dict[str, Any]) -> Experiment:
    from ferrotrace.client import Experiment

    return Experiment.from_dictionary(row)


def create(name: str, tags: Optional[dict[str, Any]]) -> str:
    tag_map = {str(k): str(v) for k, v in (tags or {}).items()}
    return str(_api("create_experiment", name=name, tags=tag_map)["experiment_id"])


def get(experiment_id: str) -> Experiment:
    row = _api("get_experiment", experiment_id=experiment_id)
    if not row:
        raise MlflowException(f"No Experiment with id={experiment_id} exists", error_code="RESOURCE_DOES_NOT_EXIST")
    return _entity(row)


def by_name(name: str) -> Optional[Experiment]:
    row = _api("get_experiment_by_name", name=name)
    return _entity(row) if row else None


def search(view_type: int, filter_string: Optional[str]) -> list[Experiment]:
    from ferrotrace.client import ViewType

    active_only = view_type == ViewType.ACTIVE_ONLY
    rows: list[dict[str, Any]] = _api("search_experiments", view_type="ACTIVE_ONLY" if active_only else "ALL")["experiments"]
    if view_type == ViewType.DELETED_ONLY:
        rows = [r for r in rows if r.get("lifecycle_stage") == "deleted"]
    if filter_string:
        text = filter_string.strip()
        # The one filter a tracing program commonly uses: name = '...'.
        if text.lower().startswith("name") and "=" in text:
            wanted = text.split("=", 1)[1].strip().strip("'\"")
            rows = [r for r in rows if r.get("name") == wanted]
        else:
            raise MlflowException.invalid_parameter_value(
                f"search_experiments() on the local store supports only \"name = '...'\" filters, got {filter_string!r}"
            )
    rows.sort(key=lambda r: -(r.get("last_update_time") or 0))
    return [_entity(r) for r in rows]
