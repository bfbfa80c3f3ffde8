"""Value capture: anything a user passes is captured as well as it can be, capped, never raising,
and never changes what the function receives or returns."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
from typing import Any

import pytest

import ferrotrace
from ferrotrace import _native
from conftest import attr, only_trace

CAPS = json.loads(_native.caps_json())


def captured(value: Any, same_as_output: bool = True) -> Any:
    """What @trace stores as the input `v` (and, the same, as the output) for `value`."""

    @ferrotrace.trace
    def f(v: Any) -> Any:
        return v

    assert f(value) is value
    span = only_trace()["data"]["spans"][0]
    _native.clear_memory()
    inputs = attr(span, "mlflow.spanInputs")
    if same_as_output:
        assert attr(span, "mlflow.spanOutputs") == inputs["v"]
    return inputs["v"]


def test_plain_json_round_trips_with_python_formatting() -> None:
    assert captured({"q": "hello", "t": 0.1, "n": [1, 2.5, True, None]}) == {"q": "hello", "t": 0.1, "n": [1, 2.5, True, None]}
    assert _native.to_json({"q": "hello", "t": 0.1}) == json.dumps({"q": "hello", "t": 0.1})
    assert _native.to_json([1e16, 1.5e-7, -0.0]) == json.dumps([1e16, 1.5e-7, -0.0])
    assert _native.to_json("é\n\"\\\x01😀") == json.dumps("é\n\"\\\x01😀", ensure_ascii=False)


def test_nan_and_infinity_are_written_as_python_json_does() -> None:
    text = _native.to_json([math.nan, math.inf, -math.inf])
    assert text == "[NaN, Infinity, -Infinity]"
    out = captured({"x": math.nan})
    assert math.isnan(out["x"])


def test_tuples_big_ints_and_subclasses() -> None:
    class Color(enum.IntEnum):
        RED = 1

    assert captured((1, (2, 3))) == [1, [2, 3]]
    assert captured(2**100) == 2**100
    assert captured(Color.RED) == 1
    assert captured({1: "a", None: "b", 2.5: "c", False: "d"}) == {"1": "a", "null": "b", "2.5": "c", "false": "d"}


def test_unknown_objects_fall_back_to_str_like_mlflow() -> None:
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    assert captured(Thing()) == "a thing"
    assert captured(datetime.date(2024, 1, 2)) == "2024-01-02"
    assert captured(b"abc") == "b'abc'"
    assert captured({1, 2}) in ("{1, 2}", "{2, 1}")


def test_dataclasses_and_pydantic_models_become_objects() -> None:
    @dataclasses.dataclass
    class Doc:
        id: int
        text: str

    assert captured(Doc(1, "t")) == {"id": 1, "text": "t"}
    pydantic = pytest.importorskip("pydantic")

    class Msg(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        role: str
        content: str

    assert captured(Msg(role="user", content="hi")) == {"role": "user", "content": "hi"}
    assert captured([Msg(role="a", content="b")]) == [{"role": "a", "content": "b"}]


def test_a_failing_str_and_repr_never_escape() -> None:
    class Evil:
        def __str__(self) -> str:
            raise RuntimeError("no str")

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    class HalfEvil:
        def __str__(self) -> str:
            raise RuntimeError("no str")

        def __repr__(self) -> str:
            return "<half>"

    assert captured(Evil()) == "<unrepresentable Evil object>"
    assert captured(HalfEvil()) == "<half>"


def test_cycles_are_marked_in_place() -> None:
    a: list[Any] = [1]
    a.append(a)
    d: dict[str, Any] = {"k": 1}
    d["self"] = d
    assert captured(a) == [1, CAPS["cycle_marker"]]
    assert captured(d) == {"k": 1, "self": CAPS["cycle_marker"]}
    shared = [1]
    assert captured([shared, shared]) == [[1], [1]]  # shared but not cyclic


def test_deep_nesting_is_capped_not_crashing() -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = [deep]
    # Inputs sit one level deeper than outputs (inside the {param: value} object).
    out = captured(deep, same_as_output=False)
    depth = 0
    while isinstance(out, list):
        out = out[0]
        depth += 1
    assert out.startswith("[Truncated: depth")
    assert depth <= CAPS["max_depth"]


def test_huge_values_are_capped_visibly() -> None:
    big = "x" * (CAPS["max_string_chars"] + 10)
    out = captured(big)
    assert out.startswith("x" * 100) and out.endswith("…[truncated 10 chars]")
    many = list(range(CAPS["max_items"] + 5))
    out = captured(many)
    assert len(out) == CAPS["max_items"] + 1 and out[-1] == "[truncated 5 items]"
    huge = ["y" * 60_000 for _ in range(40)]
    text = _native.to_json(huge)
    assert len(text.encode()) < CAPS["max_value_bytes"] + 70_000
    assert CAPS["size_marker"] in text


def test_non_utf8_strings_are_replaced_not_dropped() -> None:
    lone = "a\udcffb"
    out = captured({"s": lone})
    assert out["s"].startswith("a") and out["s"].endswith("b")


def test_unbindable_call_still_raises_the_users_type_error() -> None:
    @ferrotrace.trace
    def f(a: int) -> int:
        return a

    with pytest.raises(TypeError):
        f(1, 2)  # type: ignore[call-arg]
    span = only_trace()["data"]["spans"][0]
    assert "mlflow.spanInputs" not in span["attributes"]
    assert span["status"]["code"] == "STATUS_CODE_ERROR"


def test_floats_match_json_dumps_exactly() -> None:
    import random
    import struct

    rng = random.Random(7)
    floats = [rng.uniform(-1e6, 1e6) for _ in range(2000)]
    floats += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(4000)]
    floats += [10.0**e for e in range(-20, 25)] + [1.5 * 10.0**e for e in range(-20, 25)]
    # Short decimals (the fast path), their neighbours one ulp away (the general path), and the
    # notation switches at 1e-4 and 1e16.
    short = [rng.randrange(1, 10 ** rng.randrange(1, 16)) / 10 ** rng.randrange(0, 19) for _ in range(3000)]
    short += [round(rng.uniform(-1e4, 1e4), rng.randrange(0, 8)) for _ in range(3000)]
    floats += short + [math.nextafter(x, math.inf) for x in short] + [math.nextafter(x, 0.0) for x in short]
    for edge in (1e-4, 1e15, 1e16, 2.0**50, 2.0**53):
        x = edge
        for _ in range(20):
            floats += [x, -x]
            x = math.nextafter(x, 0.0)
    floats = [f for f in floats if math.isfinite(f)]
    for i in range(0, len(floats), CAPS["max_items"]):
        chunk = floats[i : i + CAPS["max_items"]]
        assert _native.to_json(chunk) == json.dumps(chunk)


def test_strings_keys_and_nesting_match_json_dumps_exactly() -> None:
    specials = ['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\x08", "\x0c", "é", "€", "😀", "\u2028"]
    texts = ["", "plain ascii text", "key_0"]
    for c in specials:
        for at in range(0, 20, 3):
            texts.append("abcdefghijklmnopqrs"[:at] + c + "tuvwxyz0123456789"[at:])
    value = {
        "texts": texts,
        "by_key": {t: i for i, t in enumerate(texts)},
        "nested": [(1, 2.5, "x"), {"a": [None, True, False, -7, 2**70, -(2**63)]}, [], {}, ()],
        "ints": [0, -1, 2**63 - 1, -(2**63), 2**63, 10**30],
    }
    assert _native.to_json(value) == json.dumps(value, ensure_ascii=False)


def test_user_code_that_changes_the_value_being_captured_cannot_crash() -> None:
    """`__str__` runs in the middle of capture: containers it empties or drops stay alive and
    capture goes on with what is left."""
    outer: list[Any] = []

    class Clears:
        def __str__(self) -> str:
            if outer:
                inner = outer[0][0]
                outer.clear()  # frees the list being written; `inner` goes when this returns
                inner.clear()
            return "cleared"

    outer.extend([[{"a": [1.5, Clears(), 2.5], "b": "after"}, Clears(), [3.5] * 10], "tail", Clears()])
    value = [outer]
    text = _native.to_json(value)
    # The dict emptied mid-way ends there, and so does the outer list, each with a marker; the
    # lists that were freed from outside are written in full from the references capture holds.
    changed = json.dumps(CAPS["changed_marker"])
    assert text == (
        '[[[{"a": [1.5, "cleared", 2.5], "…": ' + changed + '}, "cleared", [' + ", ".join(["3.5"] * 10) + "]], " + changed + "]]"
    )


class _Color(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


def _battery() -> list[Any]:
    import decimal
    import pathlib
    import uuid

    import numpy as np

    return [
        datetime.datetime(2026, 11, 25, 14, 55, 1, 123456),
        datetime.date(2026, 11, 25),
        datetime.timedelta(seconds=90),
        _Color.RED,
        _Level.HIGH,
        b"bytes\x00\xff",
        bytearray(b"ba"),
        {3, 1, 2},
        frozenset({"x"}),
        decimal.Decimal("1.10"),
        uuid.UUID(int=5),
        pathlib.PurePosixPath("/a/b"),
        complex(1, 2),
        np.array([1, 2, 3]),
        np.array([[0.5, float("nan")]]),
        np.float64(0.1),
        np.int64(7),
        np.bool_(True),
        {"when": datetime.date(2026, 1, 1), "tags": {"a"}, 1: "int key", None: "none key"},
        [_Color.RED, b"x", (1, 2.5)],
    ]


@pytest.mark.parametrize("value", _battery(), ids=lambda v: type(v).__name__)
def test_values_beyond_json_are_written_as_mlflows_encoder_writes_them(value: Any) -> None:
    """Byte-identical to ``json.dumps(value, cls=TraceJSONEncoder, ensure_ascii=False)``: what MLflow's
    SDK stores for the same argument."""
    from mlflow.tracing.utils import TraceJSONEncoder

    @ferrotrace.trace
    def f(v: Any) -> None:
        return None

    f(value)
    span = only_trace()["data"]["spans"][0]
    want = json.dumps({"v": value}, cls=TraceJSONEncoder, ensure_ascii=False)
    assert span["attributes"]["mlflow.spanInputs"] == want


def test_capture_imports_no_library_the_app_did_not(tmp_path: Any) -> None:
    from conftest import run_script

    code = r'''
import dataclasses, datetime, sys
import ferrotrace

@dataclasses.dataclass
class D:
    x: int

@ferrotrace.trace
def f(*values):
    return values

f({"a": [1.5, None]}, D(1), datetime.date.today(), {1, 2}, b"x", object())
ferrotrace.flush()
print(sorted(m for m in ("numpy", "pydantic", "pandas", "mlflow", "opentelemetry") if m in sys.modules))
'''
    r = run_script(code, {"FERROTRACE_DESTINATION": "memory"}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
