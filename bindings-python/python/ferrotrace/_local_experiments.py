"""Experiments of the local store (no server configured): ``Default`` (id ``0``) and the ones
created with ``MlflowClient.create_experiment``, kept in ``experiments.json`` in the store folder.
Traces of the local store are not split by experiment; this is what lets a program written for a
server create and look up its experiments unchanged."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Optional

from ferrotrace import _native
from ferrotrace._typing import TYPE_CHECKING
from ferrotrace.exceptions import MlflowException

if TYPE_CHECKING:
    from ferrotrace.client import Experiment

_FILE = "experiments.json"


def _path() -> str:
    return os.path.join(str(_native.config()["local_dir"]), _FILE)


def _load() -> list[dict[str, Any]]:
    try:
        with open(_path(), encoding="utf-8") as f:
            data = json.load(f)
        rows = data if isinstance(data, list) else []
    except (OSError, ValueError):
        rows = []
    if not any(r.get("experiment_id") == "0" for r in rows):
        rows.insert(0, {"experiment_id": "0", "name": "Default", "tags": [], "creation_time": None, "last_update_time": None})
    return rows


def _save(rows: list[dict[str, Any]]) -> None:
    path = _path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(rows, f)
    os.replace(tmp, path)


def _entity(row: dict[str, Any]) -> Experiment:
    from ferrotrace.client import Experiment

    return Experiment.from_dictionary({**row, "artifact_location": None, "lifecycle_stage": "active"})


def create(name: str, tags: Optional[dict[str, Any]]) -> str:
    rows = _load()
    if any(r.get("name") == name for r in rows):
        raise MlflowException(f"Experiment(name={name}) already exists.", error_code="RESOURCE_ALREADY_EXISTS")
    new_id = str(max(int(r["experiment_id"]) for r in rows if str(r["experiment_id"]).isdigit()) + 1)
    now = int(time.time() * 1000)
    rows.append(
        {
            "experiment_id": new_id,
            "name": name,
            "tags": [{"key": str(k), "value": str(v)} for k, v in (tags or {}).items()],
            "creation_time": now,
            "last_update_time": now,
        }
    )
    _save(rows)
    return new_id


def get(experiment_id: str) -> Experiment:
    for r in _load():
        if r.get("experiment_id") == experiment_id:
            return _entity(r)
    raise MlflowException(f"No Experiment with id={experiment_id} exists", error_code="RESOURCE_DOES_NOT_EXIST")


def by_name(name: str) -> Optional[Experiment]:
    for r in _load():
        if r.get("name") == name:
            return _entity(r)
    return None


def search(view_type: int, filter_string: Optional[str]) -> list[Experiment]:
    rows = _load()
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
