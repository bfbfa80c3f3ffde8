"""@trace on a sync function returns a Python function with functools.wraps semantics (as MLflow's
does), so frameworks that require a real function accept it: pydantic's validate_call, FastAPI
routes, click commands, functools.singledispatch, properties, class and static methods. Each case
also checks the span was recorded."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from typing import Any

import pytest

import ferrotrace
from conftest import attr, exported, only_trace


def test_a_traced_function_is_a_function() -> None:
    def f(a: int, b: int = 2) -> int:
        """Adds."""
        return a + b

    traced = ferrotrace.trace(f)
    assert inspect.isfunction(traced)
    assert traced.__wrapped__ is f  # type: ignore[attr-defined]
    assert traced.__name__ == "f" and traced.__doc__ == "Adds." and traced.__qualname__ == f.__qualname__
    assert inspect.signature(traced) == inspect.signature(f)
    assert traced(1) == 3
    assert attr(only_trace()["data"]["spans"][0], "mlflow.spanInputs") == {"a": 1, "b": 2}


def test_pydantic_validate_call_accepts_it() -> None:
    pydantic = pytest.importorskip("pydantic")

    @pydantic.validate_call
    @ferrotrace.trace
    def scale(x: int, factor: float = 2.0) -> float:
        return x * factor

    assert scale("3") == 6.0  # validated (coerced) before the traced call
    with pytest.raises(pydantic.ValidationError):
        scale("not a number")
    span = only_trace()["data"]["spans"][0]
    assert span["name"] == "scale" and attr(span, "mlflow.spanInputs") == {"x": 3, "factor": 2.0}


def test_a_fastapi_route_runs_it() -> None:
    fastapi = pytest.importorskip("fastapi")
    app = fastapi.FastAPI()

    @app.get("/items/{item_id}")
    @ferrotrace.trace(span_type="TOOL")
    def read_item(item_id: int, q: str = "none") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    body = asyncio.run(_asgi_get(app, "/items/7", b"q=hi"))
    assert json.loads(body) == {"item_id": 7, "q": "hi"}
    span = only_trace()["data"]["spans"][0]
    assert span["name"] == "read_item" and attr(span, "mlflow.spanInputs") == {"item_id": 7, "q": "hi"}


async def _asgi_get(app: Any, path: str, query: bytes) -> bytes:
    """One GET through the ASGI interface (no HTTP client needed)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "headers": [], "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1), "root_path": "",
    }
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


def test_a_click_command_wraps_it() -> None:
    click = pytest.importorskip("click")
    from click.testing import CliRunner

    @click.command()
    @click.option("--name", default="world")
    @ferrotrace.trace
    def hello(name: str) -> None:
        click.echo(f"hello {name}")

    result = CliRunner().invoke(hello, ["--name", "ferro"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello ferro\n"
    assert attr(only_trace()["data"]["spans"][0], "mlflow.spanInputs") == {"name": "ferro"}


def test_singledispatch_dispatches_to_traced_implementations() -> None:
    @functools.singledispatch
    @ferrotrace.trace
    def describe(x: object) -> str:
        return "object"

    @describe.register
    @ferrotrace.trace
    def _(x: int) -> str:
        return "int"

    assert describe(1) == "int" and describe("s") == "object"
    assert sorted(t["data"]["spans"][0]["name"] for t in exported()) == ["_", "describe"]


def test_properties_class_and_static_methods() -> None:
    class Account:
        rate = 0.5

        def __init__(self, balance: int) -> None:
            self._balance = balance

        @property
        @ferrotrace.trace
        def balance(self) -> int:
            return self._balance

        @classmethod
        @ferrotrace.trace
        def interest(cls, amount: int) -> float:
            return amount * cls.rate

        @staticmethod
        @ferrotrace.trace
        def fee(amount: int) -> int:
            return amount // 10

        @ferrotrace.trace
        @staticmethod
        def tax(amount: int) -> int:
            return amount // 5

    acct = Account(40)
    assert acct.balance == 40
    assert Account.interest(10) == 5.0 and acct.interest(2) == 1.0
    assert Account.fee(100) == 10 and acct.tax(100) == 20
    names = sorted(t["data"]["spans"][0]["name"] for t in exported())
    assert names == ["balance", "fee", "interest", "interest", "tax"]
    assert inspect.isfunction(Account.__dict__["fee"].__func__)
