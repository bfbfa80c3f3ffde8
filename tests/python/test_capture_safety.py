"""Value capture under values that fight back: user code run during capture (a key's `__str__`,
another thread) that frees or grows the containers being captured must not crash the
interpreter, raise into the caller, or leave a span active; wrong or bloating captures of big
ints and big strings. Crashes are run in a fresh interpreter under PYTHONMALLOC=debug, where a
freed object is overwritten at once, so a use after free fails every time rather than sometimes."""

from __future__ import annotations

import collections
import json
import sys
import textwrap
from typing import Any

import pytest

import ferrotrace
from conftest import attr, exported, run_script
from ferrotrace import _native

CAPS = json.loads(_native.caps_json())

# What a crash script prints when it got through: the traces it read back.
PRELUDE = """
import json, sys
import ferrotrace
from ferrotrace import _native
_native.configure(destination="memory")

def traces():
    assert ferrotrace.flush(10)
    return [json.loads(t) for t in _native.memory_traces()]

@ferrotrace.trace
def take(x):
    return "ran"
"""


def run_crash_script(code: str, tmp_path: Any) -> list[dict[str, Any]]:
    """Runs `code` (after PRELUDE) in a fresh interpreter; asserts it exited cleanly and returns
    the JSON it printed last."""
    out = run_script(PRELUDE + textwrap.dedent(code), {"PYTHONMALLOC": "debug"}, str(tmp_path), timeout=60)
    assert out.returncode == 0, (out.returncode, out.stderr[-3000:])
    result: list[dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_key_whose_str_empties_the_dict_does_not_crash(tmp_path: Any) -> None:
    traces = run_crash_script(
        """
        class Key:
            def __init__(self, d, n):
                self.d, self.n = d, n
            def __hash__(self):
                return self.n
            def __str__(self):
                self.d.clear()  # frees every value (and key) of the dict being captured
                return f"key{self.n}"

        d = {}
        for n in range(20):
            d[Key(d, n)] = [object(), "value %d" % n]
        assert take(d) == "ran"
        print(json.dumps([t["data"]["spans"][0]["attributes"] for t in traces()]))
        """,
        tmp_path,
    )
    (attributes,) = traces
    assert "key0" in json.loads(attributes["mlflow.spanInputs"])["x"]


def test_a_value_whose_str_frees_the_rest_of_its_list_does_not_crash(tmp_path: Any) -> None:
    traces = run_crash_script(
        """
        class Clear:
            def __init__(self, l):
                self.l = l
            def __str__(self):
                del self.l[:]  # frees the items after this one
                return "cleared"

        l = []
        l.append(Clear(l))
        l.extend(object() for _ in range(20))
        d = {"a": Clear(None), "b": [object()]}
        d["a"].l = d["b"]
        assert take(l) == "ran"
        assert take(d) == "ran"
        print(json.dumps([t["data"]["spans"][0]["attributes"] for t in traces()]))
        """,
        tmp_path,
    )
    assert len(traces) == 2
    assert json.loads(traces[0]["mlflow.spanInputs"])["x"][0] == "cleared"


def test_enum_keys_reassigned_by_another_thread_do_not_crash(tmp_path: Any) -> None:
    traces = run_crash_script(
        """
        import enum, threading, time
        sys.setswitchinterval(1e-6)

        class Color(enum.Enum):
            RED = 1
            GREEN = 2
            BLUE = 3

        d = {c: [object(), str(c)] for c in Color}
        stop = False

        def churn():
            while not stop:
                for c in Color:
                    d[c] = [object(), "x" * 10]  # frees the value the capture may be writing

        t = threading.Thread(target=churn)
        t.start()
        n = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and n < 3000:
            assert take(d) == "ran"
            n += 1
        stop = True
        t.join()
        got = traces()
        assert len(got) == n, (len(got), n)
        print(json.dumps([json.loads(got[0]["data"]["spans"][0]["attributes"]["mlflow.spanInputs"])]))
        """,
        tmp_path,
    )
    assert set(traces[0]["x"]) == {"Color.RED", "Color.GREEN", "Color.BLUE"}


class Grow:
    """A value whose `__str__` adds entries to the dict it is captured from."""

    def __init__(self, d: dict[Any, Any]) -> None:
        self.d = d

    def __str__(self) -> str:
        for i in range(100):
            self.d[f"grown{len(self.d)}-{i}"] = i
        return "grow"


class MutatingItems(dict):  # type: ignore[type-arg]
    """A dict subclass whose iteration methods mutate it."""

    def __iter__(self) -> Any:
        self["iter"] = len(self)
        return super().__iter__()

    def items(self) -> Any:
        self["items"] = len(self)
        return super().items()


def growing_dicts() -> list[dict[Any, Any]]:
    dd: dict[Any, Any] = collections.defaultdict(list)
    od: dict[Any, Any] = collections.OrderedDict()
    mi = MutatingItems()
    plain: dict[Any, Any] = {}
    out = []
    for d in (dd, od, mi, plain):
        d["a"] = 1
        d["g"] = Grow(d)
        d["z"] = 2
        out.append(d)

    class MissingGrows(collections.defaultdict):  # type: ignore[type-arg]
        pass

    dm: dict[Any, Any] = MissingGrows(int)
    dm["a"] = 1

    class Probe:
        def __str__(self) -> str:
            dm[len(dm)]  # a defaultdict grows on a read of a missing key
            return "probe"

    dm["p"] = Probe()
    out.append(dm)
    return out


@pytest.mark.parametrize("index", range(5), ids=["defaultdict", "OrderedDict", "items-mutating", "dict", "defaultdict-read"])
def test_dicts_growing_while_captured_as_inputs(index: int) -> None:
    d = growing_dicts()[index]
    ran = []

    @ferrotrace.trace
    def take(x: Any) -> str:
        ran.append(1)
        return "ran"

    assert take(d) == "ran"
    assert ran == [1]
    (trace,) = exported()
    inputs = attr(trace["data"]["spans"][0], "mlflow.spanInputs")
    assert inputs["x"]["a"] == 1
    assert inputs["x"].get("g", "grow") == "grow" and inputs["x"].get("p", "probe") == "probe"
    assert _native.stats_json()  # still answering


@pytest.mark.parametrize("index", range(5), ids=["defaultdict", "OrderedDict", "items-mutating", "dict", "defaultdict-read"])
def test_dicts_growing_while_captured_as_outputs_leave_no_span_active(index: int) -> None:
    d = growing_dicts()[index]

    @ferrotrace.trace
    def give() -> Any:
        return d

    @ferrotrace.trace
    def after() -> int:
        return 7

    assert give() is d
    assert ferrotrace.get_current_active_span() is None
    assert after() == 7
    traces = exported()
    assert [[s["name"] for s in t["data"]["spans"]] for t in traces] == [["give"], ["after"]]
    assert all(s["parent_span_id"] in (None, "") for t in traces for s in t["data"]["spans"])
    assert attr(traces[0]["data"]["spans"][0], "mlflow.spanOutputs")["a"] == 1


def test_growth_during_capture_is_marked() -> None:
    d: dict[Any, Any] = {"a": 1}
    d["g"] = Grow(d)
    text = _native.to_json(d)
    out = json.loads(text)
    assert out["a"] == 1 and out["g"] == "grow"
    assert CAPS["changed_marker"] in out.values(), text[:300]


def test_huge_ints_are_captured_faithfully_not_as_zero() -> None:
    limit = CAPS["max_int_digits"]  # CPython's default int_max_str_digits: json.loads reads no longer
    exact = 10 ** (limit - 1) + 7
    assert json.loads(_native.to_json(exact)) == exact
    assert json.loads(_native.to_json(-exact)) == -exact
    kept = CAPS["int_digits_kept"]
    for value, digits in ((10**5000, 5001), (-(10**5000) - 12345, 5001), (3**50_000, 23_857)):
        text = json.loads(_native.to_json(value))
        sign = "-" if value < 0 else ""
        head = str(abs(value) // 10 ** (digits - kept))
        assert text == sign + head + CAPS["int_suffix_template"].replace("{n}", str(digits - kept)), text
    assert json.loads(captured_output(10**5000)) == "1" + "0" * (kept - 1) + "…[truncated 4937 digits]"
    # Past ~39,000 digits the leading digits would cost more than a call should: the size only.
    assert json.loads(_native.to_json(-(3**300_000))) == "-[Truncated: int of 143137 digits or more]"


def captured_output(value: Any) -> str:
    @ferrotrace.trace
    def give() -> Any:
        return value

    assert give() is value
    (trace,) = exported()
    text: str = trace["data"]["spans"][0]["attributes"]["mlflow.spanOutputs"]
    return text


def test_huge_ints_with_a_lowered_str_limit() -> None:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        text = json.loads(_native.to_json(10**1000))
    finally:
        sys.set_int_max_str_digits(old)
    kept = CAPS["int_digits_kept"]
    assert text == "1" + "0" * (kept - 1) + CAPS["int_suffix_template"].replace("{n}", str(1001 - kept))


def test_a_huge_non_ascii_str_gets_no_utf8_copy_attached() -> None:
    big = "é" * 100_000_000  # 100 MB as latin-1; its UTF-8 form would be 200 MB more
    size = sys.getsizeof(big)

    @ferrotrace.trace
    def take(x: Any) -> Any:
        return x

    assert take(big) is big
    assert sys.getsizeof(big) == size
    (trace,) = exported()
    span = trace["data"]["spans"][0]
    kept = CAPS["max_string_chars"]
    suffix = CAPS["string_suffix_template"].replace("{n}", str(len(big) - kept))
    assert attr(span, "mlflow.spanInputs")["x"] == "é" * kept + suffix
    assert attr(span, "mlflow.spanOutputs") == "é" * kept + suffix


@pytest.mark.parametrize("text", ["é" * 300, "ĀŁ" * 300, "😀" * 300, "a\ud800b" * 5, "mixé\"\\\n\x01"])
def test_non_ascii_strs_keys_and_subclasses_get_no_utf8_copy(text: str) -> None:
    class Sub(str):
        pass

    key = text + "key"
    sub = Sub(text)
    obj = {key: [text, sub]}
    sizes = [sys.getsizeof(x) for x in (text, key, sub)]
    out = json.loads(_native.to_json(obj))
    assert [sys.getsizeof(x) for x in (text, key, sub)] == sizes
    fixed = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates are replaced
    fixed = fixed.replace("?", "\ufffd")
    assert out == {fixed + "key": [fixed, fixed]}
