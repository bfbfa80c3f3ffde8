"""MLflow's exceptions, ``mlflow.exceptions`` name for name: ``MlflowException`` (with MLflow's
``error_code`` names and their HTTP statuses) and ``RestException`` (an error answer of the
tracking server). ``MlflowException`` is the base of every error ferrotrace raises, native ones
(``TracingError``, ``ConfigError``) included, so ``except MlflowException`` catches them all. This
module imports nothing native: the native module derives its errors from it.

>>> from ferrotrace.exceptions import MlflowException
>>> e = MlflowException.invalid_parameter_value("bad")
>>> e.error_code, e.get_http_status_code()
('INVALID_PARAMETER_VALUE', 400)
"""

from __future__ import annotations

from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MlflowException",
    "MlflowTracingException",
    "MlflowTraceDataException",
    "MlflowTraceDataNotFound",
    "MlflowTraceDataCorrupted",
    "RestException",
    "ExecutionException",
    "MissingConfigException",
    "InvalidUrlException",
    "get_error_code",
]

# MLflow's error codes (databricks.proto's ErrorCode) -> HTTP status, as MLflow's server maps them.
_HTTP_STATUS = {
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
    "IO_ERROR": 500,
    "BAD_REQUEST": 400,
    "INVALID_PARAMETER_VALUE": 400,
    "ENDPOINT_NOT_FOUND": 404,
    "MALFORMED_REQUEST": 400,
    "INVALID_STATE": 400,
    "PERMISSION_DENIED": 403,
    "FEATURE_DISABLED": 501,
    "CUSTOMER_UNAUTHORIZED": 401,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_CONFLICT": 409,
    "UNAUTHENTICATED": 401,
    "INVALID_STATE_TRANSITION": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "CANCELLED": 499,
    "DEADLINE_EXCEEDED": 504,
    "NOT_IMPLEMENTED": 501,
    "DATA_LOSS": 500,
    "RESOURCE_EXHAUSTED": 429,
}

# The protobuf numbers of the codes a program may pass as ints (from databricks.proto).
_CODE_NAMES = {
    1: "INTERNAL_ERROR",
    2: "TEMPORARILY_UNAVAILABLE",
    3: "IO_ERROR",
    4: "BAD_REQUEST",
    1000: "INVALID_PARAMETER_VALUE",
    1001: "ENDPOINT_NOT_FOUND",
    1002: "MALFORMED_REQUEST",
    1003: "INVALID_STATE",
    1004: "PERMISSION_DENIED",
    1005: "FEATURE_DISABLED",
    1006: "CUSTOMER_UNAUTHORIZED",
    1007: "REQUEST_LIMIT_EXCEEDED",
    3001: "RESOURCE_ALREADY_EXISTS",
    3003: "RESOURCE_DOES_NOT_EXIST",
}


def _code_name(error_code: Any) -> str:
    if isinstance(error_code, int) and not isinstance(error_code, bool):
        return _CODE_NAMES.get(error_code, "INTERNAL_ERROR")
    name = str(getattr(error_code, "name", error_code))
    return name if name in _HTTP_STATUS else "INTERNAL_ERROR"


class MlflowException(Exception):
    """MLflow's generic exception: a message and an ``error_code`` name (``INTERNAL_ERROR`` by
    default; an unknown code becomes ``INTERNAL_ERROR`` as in MLflow). Extra keyword arguments
    are kept for ``serialize_as_json``."""

    def __init__(self, message: Any, error_code: Any = "INTERNAL_ERROR", **kwargs: Any) -> None:
        self.error_code = _code_name(error_code)
        self.message = str(message)
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def serialize_as_json(self) -> str:
        import json

        return json.dumps({"error_code": self.error_code, "message": self.message, **self.json_kwargs})

    def get_http_status_code(self) -> int:
        return _HTTP_STATUS.get(self.error_code, 500)

    @classmethod
    def invalid_parameter_value(cls, message: Any, **kwargs: Any) -> MlflowException:
        """An ``INVALID_PARAMETER_VALUE`` exception."""
        return cls(message, error_code="INVALID_PARAMETER_VALUE", **kwargs)

    def __reduce__(self) -> Any:
        return (type(self), (self.message, self.error_code), {"json_kwargs": self.json_kwargs})


class RestException(MlflowException):
    """An error answer of the tracking server, from its JSON body (``error_code``, ``message``)."""

    def __init__(self, json: dict[str, Any]) -> None:
        code = str(json.get("error_code") or "INTERNAL_ERROR")
        text = json["message"] if "message" in json else f"Response: {json}"
        super().__init__(f"{code}: {text}", error_code=code)
        self.json = json

    def __reduce__(self) -> Any:
        return (RestException, (self.json,))


class MlflowTracingException(MlflowException):
    """An error of the tracing API."""

    def __init__(self, message: Any, error_code: Any = "INTERNAL_ERROR") -> None:
        super().__init__(message, error_code=error_code)


class MlflowTraceDataException(MlflowTracingException):
    """The span data of a trace cannot be read."""

    def __init__(self, error_code: Any, request_id: Any = None, artifact_path: Any = None) -> None:
        where = f"request_id={request_id}" if request_id else f"path={artifact_path}"
        self.ctx = where
        super().__init__(f"Trace data {where} cannot be read", error_code=error_code)


class MlflowTraceDataNotFound(MlflowTraceDataException):
    def __init__(self, request_id: Any = None, artifact_path: Any = None) -> None:
        super().__init__("NOT_FOUND", request_id, artifact_path)


class MlflowTraceDataCorrupted(MlflowTraceDataException):
    def __init__(self, request_id: Any = None, artifact_path: Any = None) -> None:
        super().__init__("INVALID_STATE", request_id, artifact_path)


class ExecutionException(MlflowException):
    """A command run by MLflow failed."""


class MissingConfigException(MlflowException):
    """A configuration file or setting is missing."""


class InvalidUrlException(MlflowException):
    """A URL is not valid."""


def get_error_code(http_status: int) -> str:
    """The error code name MLflow gives an HTTP status."""
    return {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND",
            409: "RESOURCE_CONFLICT", 429: "REQUEST_LIMIT_EXCEEDED", 499: "CANCELLED", 501: "NOT_IMPLEMENTED",
            503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(int(http_status), "INTERNAL_ERROR")
