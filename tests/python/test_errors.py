"""The exceptions explicit API calls raise are MLflow's: an error answer of a real MLflow server
is a ``RestException`` with the server's ``error_code`` (a missing trace or experiment is
``RESOURCE_DOES_NOT_EXIST``, HTTP 404), a bad setting is a ``ConfigError`` with
``INVALID_PARAMETER_VALUE`` (HTTP 400); all of them are ``MlflowException`` and ``TracingError``.
Run as a user runs it: a fresh process."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_script

PROGRAM = r'''
import json, sys
import ferrotrace
from ferrotrace import ConfigError, TracingError
from ferrotrace.exceptions import MlflowException, RestException

ferrotrace.set_tracking_uri(sys.argv[1])
out = {}

def describe(e):
    return {"class": type(e).__name__, "code": e.error_code, "status": e.get_http_status_code(),
            "rest": isinstance(e, RestException), "tracing": isinstance(e, TracingError),
            "mlflow": isinstance(e, MlflowException), "message": str(e)}

try:
    ferrotrace.get_assessment("tr-" + "0" * 32, "a-" + "0" * 32)
except Exception as e:
    out["missing_trace"] = describe(e)
try:
    ferrotrace.MlflowClient().get_experiment("987654321")
except Exception as e:
    out["missing_experiment"] = describe(e)
try:
    ferrotrace.set_tracking_uri("ftp://not-a-server")
except Exception as e:
    out["bad_setting"] = describe(e)

@ferrotrace.trace
def traced(x):
    return x + 1

# Tracing itself never raises: the traced call returns its value.
out["traced"] = traced(1)
print(json.dumps(out))
'''


def test_explicit_calls_raise_mlflow_exceptions_with_mlflow_error_codes(mlflow_server: str, tmp_path: Path) -> None:
    r = run_script(PROGRAM, {}, cwd=str(tmp_path), argv=[mlflow_server])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    missing = out["missing_trace"]
    assert missing["class"] == "RestError", missing
    assert (missing["code"], missing["status"]) == ("RESOURCE_DOES_NOT_EXIST", 404), missing
    assert missing["rest"] and missing["tracing"] and missing["mlflow"], missing
    exp = out["missing_experiment"]
    assert (exp["code"], exp["status"], exp["rest"]) == ("RESOURCE_DOES_NOT_EXIST", 404, True), exp
    bad = out["bad_setting"]
    assert bad["class"] == "ConfigError" and not bad["rest"] and bad["tracing"] and bad["mlflow"], bad
    assert (bad["code"], bad["status"]) == ("INVALID_PARAMETER_VALUE", 400), bad
    assert "tracking_uri" in bad["message"] or "ftp" in bad["message"], bad
    assert out["traced"] == 2


def test_a_rest_error_pickles_as_mlflow_rest_exception() -> None:
    import pickle

    from ferrotrace._native import RestError
    from ferrotrace.exceptions import RestException

    e = RestError({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"})
    back = pickle.loads(pickle.dumps(e))
    assert isinstance(back, RestException)
    assert (back.error_code, back.get_http_status_code()) == ("RESOURCE_DOES_NOT_EXIST", 404)


LOCAL_PROGRAM = r'''
import json
import ferrotrace
from ferrotrace import TracingError
from ferrotrace.exceptions import MlflowException, RestException

out = {}

def describe(e):
    return [type(e).__name__, e.error_code, e.get_http_status_code(), isinstance(e, RestException),
            isinstance(e, TracingError), isinstance(e, MlflowException), str(e)]

with ferrotrace.start_span("kept") as span:
    trace_id = span.trace_id
for name, call in [
    ("missing_trace", lambda: ferrotrace.set_trace_tag("tr-" + "0" * 32, "k", "v")),
    ("missing_tag", lambda: ferrotrace.delete_trace_tag(trace_id, "never-set")),
    ("missing_assessment", lambda: ferrotrace.get_assessment(trace_id, "a-" + "0" * 32)),
    ("taken_name", lambda: [ferrotrace.MlflowClient().create_experiment("taken") for _ in range(2)]),
]:
    try:
        call()
        out[name] = None
    except Exception as e:
        out[name] = describe(e)
print(json.dumps(out))
'''


def test_the_local_store_refuses_with_mlflows_codes(tmp_path: Path) -> None:
    # As MLflow's own backends: an MlflowException with RESOURCE_DOES_NOT_EXIST (404) or
    # RESOURCE_ALREADY_EXISTS (400), MLflow's message; not a REST answer, there is no server.
    r = run_script(LOCAL_PROGRAM, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    for name in ("missing_trace", "missing_tag", "missing_assessment"):
        assert out[name][:6] == ["TracingError", "RESOURCE_DOES_NOT_EXIST", 404, False, True, True], out[name]
    assert out["missing_trace"][6] == "Trace with ID 'tr-00000000000000000000000000000000' not found."
    assert out["taken_name"][:3] == ["TracingError", "RESOURCE_ALREADY_EXISTS", 400], out["taken_name"]
