"""A generated set of hostile values, captured by traced functions from several threads at once.

Run as a script (by test_hostile_capture.py, in a fresh interpreter so that a crash is an exit
status, not a lost test run): `hostile_run.py SEED THREADS CALLS`. Prints one JSON line: calls
made, failures seen by callers (a raise or a changed return value), traces recorded, and the
tracer's internal error count.

Each value is a random nesting of dicts (plain and subclasses), lists, tuples, sets, dataclasses
and pydantic models around leaves whose `__str__`, `__repr__`, `__hash__`, `__eq__`, `__iter__`,
`__len__`, `__getattr__`, `__bool__` or `model_dump` mutate shared containers (the ones other
threads are capturing), raise, recurse until RecursionError, call a traced function, or block
briefly (releasing the GIL to the other threads).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import random
import sys
import threading
import time
from typing import Any, Callable

import pydantic

import ferrotrace
from ferrotrace import _native

# Containers the hostile methods mutate: the same ones the threads are capturing.
SHARED: list[Any] = []
LOCK = threading.Lock()  # only for picking a shared container, never held while capturing


def shared_container(rng: random.Random) -> Any:
    with LOCK:
        return rng.choice(SHARED) if SHARED else None


def mutate(rng: random.Random) -> None:
    """Changes a container some thread may be capturing right now."""
    c = shared_container(rng)
    try:
        if isinstance(c, dict):
            op = rng.randrange(4)
            if op == 0:
                c.clear()
            elif op == 1:
                for i in range(rng.randrange(1, 40)):
                    c[f"grown-{rng.random()}"] = [i] * 3
            elif op == 2 and c:
                c.pop(next(iter(c)), None)
            else:
                for k in list(c)[:5]:
                    c[k] = object()
        elif isinstance(c, list):
            op = rng.randrange(3)
            if op == 0:
                del c[:]
            elif op == 1:
                c.extend(object() for _ in range(rng.randrange(1, 40)))
            else:
                c[: len(c) // 2] = [str(rng.random())]
        elif isinstance(c, set):
            c.clear() if rng.random() < 0.5 else c.update(range(rng.randrange(50)))
    except (RuntimeError, KeyError, IndexError, TypeError):
        pass  # "changed size during iteration" in our own list(c) when another thread mutates


@ferrotrace.trace
def inner_traced(x: Any) -> Any:
    return x


class Hostile:
    """A leaf whose dunder methods misbehave as its `mode` says."""

    def __init__(self, mode: str, seed: int) -> None:
        object.__setattr__(self, "_mode", mode)
        object.__setattr__(self, "_rng", random.Random(seed))

    def _act(self) -> None:
        mode = object.__getattribute__(self, "_mode")
        rng = object.__getattribute__(self, "_rng")
        if mode == "mutate":
            mutate(rng)
        elif mode == "raise":
            raise rng.choice([ValueError("hostile"), TypeError("hostile"), RuntimeError("hostile")])
        elif mode == "recurse":
            str(self)  # until RecursionError
        elif mode == "block":
            time.sleep(0.0005)
        elif mode == "trace":
            inner_traced({"nested": 1})

    def __str__(self) -> str:
        self._act()
        return "hostile-str"

    def __repr__(self) -> str:
        self._act()
        return "hostile-repr"

    def __hash__(self) -> int:
        if object.__getattribute__(self, "_mode") != "raise":
            self._act()
        return id(self)

    def __eq__(self, other: object) -> bool:
        self._act()
        return self is other

    def __iter__(self) -> Any:
        self._act()
        return iter([1, 2])

    def __len__(self) -> int:
        self._act()
        return 2

    def __bool__(self) -> bool:
        self._act()
        return True

    def __getattr__(self, name: str) -> Any:
        self._act()
        raise AttributeError(name)


class HostileDict(dict):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        mutate(random.Random(len(self)))
        return super().__iter__()

    def items(self) -> Any:
        mutate(random.Random(1))
        return super().items()

    def __len__(self) -> int:
        mutate(random.Random(2))
        return super().__len__()


class HostileList(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        mutate(random.Random(3))
        return super().__iter__()

    def __len__(self) -> int:
        mutate(random.Random(4))
        return super().__len__()


@dataclasses.dataclass(eq=False)
class Record:
    a: Any
    b: Any


class Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    x: Any = None

    def model_dump(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        mutate(random.Random(5))
        if random.random() < 0.3:
            raise ValueError("hostile model_dump")
        return {"x": self.x}


MODES = ["mutate", "raise", "recurse", "block", "trace", "plain"]


def build(rng: random.Random, depth: int) -> Any:
    """A random value: hostile leaves nested in containers."""
    if depth <= 0 or rng.random() < 0.25:
        r = rng.random()
        if r < 0.6:
            return Hostile(rng.choice(MODES), rng.randrange(1 << 30))
        return rng.choice([1, 2.5, "s", None, True, 10**30, "é" * 3])
    kind = rng.randrange(9)
    items = [build(rng, depth - 1) for _ in range(rng.randrange(1, 6))]
    out: Any
    if kind == 0:
        out = {f"k{i}": v for i, v in enumerate(items)}
    elif kind == 1:
        out = {Hostile(rng.choice(["mutate", "block", "plain", "trace"]), i): v for i, v in enumerate(items)}
    elif kind == 2:
        out = collections.defaultdict(list, {i: v for i, v in enumerate(items)})
    elif kind == 3:
        out = collections.OrderedDict((f"o{i}", v) for i, v in enumerate(items))
    elif kind == 4:
        out = HostileDict({f"h{i}": v for i, v in enumerate(items)})
    elif kind == 5:
        out = HostileList(items) if rng.random() < 0.5 else list(items)
    elif kind == 6:
        out = tuple(items)
    elif kind == 7:
        out = {Hostile("plain", i) for i in range(3)} | {i for i in range(3)}
    else:
        out = Record(items[0], items[-1]) if rng.random() < 0.5 else Model(x=items[0])
    if isinstance(out, (dict, list, set)):
        with LOCK:
            SHARED.append(out)
    return out


@ferrotrace.trace
def echo(x: Any, *rest: Any, **kw: Any) -> Any:
    return x


@ferrotrace.trace
async def aecho(x: Any) -> Any:
    return x


class Service:
    def __len__(self) -> int:  # `self` is dropped from inputs when truthy: __len__ decides
        raise RuntimeError("hostile len")

    @ferrotrace.trace
    def method(self, x: Any) -> Any:
        return x


def main() -> None:
    seed, threads, calls = (int(a) for a in sys.argv[1:4])
    _native.configure(destination="memory")
    _native.set_quiet(True)
    sys.setswitchinterval(1e-5)
    values = [build(random.Random(seed * 1000 + i), 4) for i in range(40)]
    failures: list[str] = []
    made = [0]
    service = Service()
    callers: list[Callable[[Any], Any]] = [
        echo,
        lambda v: echo(v, v, k=v),
        service.method,
        lambda v: _async_call(v),
    ]

    def worker(n: int) -> None:
        rng = random.Random(seed + n)
        for _ in range(calls):
            v = rng.choice(values)
            call = rng.choice(callers)
            try:
                out = call(v)
            except BaseException as e:  # noqa: BLE001 - anything raised here is a failure
                failures.append(f"raised {type(e).__name__}: {e}")
                continue
            if out is not v:
                failures.append(f"returned {type(out).__name__} instead of the argument")
            with LOCK:
                made[0] += 1

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert ferrotrace.flush(30)
    names = collections.Counter(s["name"] for t in _native.memory_traces() for s in json.loads(t)["data"]["spans"])
    stats = ferrotrace.stats()
    print(
        json.dumps(
            {
                "calls": made[0],
                "failures": failures[:20],
                "outer_spans": names["echo"] + names["method"] + names["aecho"],
                "traces": len(_native.memory_traces()),
                "dropped": stats["traces_dropped"],
                "internal_errors": stats["internal_errors"],
            }
        )
    )


def _async_call(v: Any) -> Any:
    import asyncio

    return asyncio.run(aecho(v))


if __name__ == "__main__":
    main()
