"""``@trace`` on generators and async generators: one span per iteration, as MLflow does it.

The span starts when iteration starts, with the span active at that moment as parent; it is the
active span only while the generator's body runs (never while the consumer runs). Each item is
an event ``mlflow.chunk.item.{i}``; the outputs are the list of items, or ``output_reducer`` of
it. Beyond MLflow: a consumer that stops early (``break``, ``close()``, ``aclose()``, garbage
collection) still ends the span, with the items seen so far; MLflow leaves it open.
"""

from __future__ import annotations

import functools

from ferrotrace._context import CURRENT, begin, end
from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, AsyncGenerator, Callable, Generator, Optional

    from ferrotrace._native import LiveSpan

    Reducer = Optional[Callable[[list[Any]], Any]]
    Start = Callable[..., Optional[LiveSpan]]


def _outputs(items: list[Any], reducer: Reducer) -> Any:
    if reducer is None:
        return items
    try:
        return reducer(items)
    except Exception:  # a failing reducer keeps the raw list, as in MLflow
        return items


def _finish(span: LiveSpan, items: list[Any], reducer: Reducer) -> None:
    end(span, _outputs(items, reducer), None)


def _fail(span: LiveSpan, e: BaseException) -> None:
    end(span, None, e)


def wrap_generator(fn: Callable[..., Generator[Any, Any, Any]], start: Start, reducer: Reducer) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        span = begin(start, args, kwargs)
        gen = fn(*args, **kwargs)
        if span is None:
            return (yield from gen)
        items: list[Any] = []
        to_send: Any = None
        to_throw: Optional[BaseException] = None
        while True:
            token = CURRENT.set(span)
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = gen.throw(exc)
                else:
                    item = gen.send(to_send)
            except StopIteration as stop:
                CURRENT.reset(token)
                _finish(span, items, reducer)
                return stop.value
            except BaseException as e:
                CURRENT.reset(token)
                _fail(span, e)
                raise
            CURRENT.reset(token)
            span._chunk(len(items), item)
            items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                token = CURRENT.set(span)
                try:
                    gen.close()
                finally:
                    CURRENT.reset(token)
                    _finish(span, items, reducer)
                raise
            except BaseException as e:  # thrown in by the consumer: the generator decides
                to_throw = e

    return wrapper


def wrap_async_generator(fn: Callable[..., AsyncGenerator[Any, Any]], start: Start, reducer: Reducer) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        span = begin(start, args, kwargs)
        agen = fn(*args, **kwargs)
        items: list[Any] = []
        to_send: Any = None
        to_throw: Optional[BaseException] = None
        while True:
            token = CURRENT.set(span) if span is not None else None
            try:
                if to_throw is not None:
                    exc, to_throw = to_throw, None
                    item = await agen.athrow(exc)
                else:
                    item = await agen.asend(to_send)
            except StopAsyncIteration:
                if token is not None and span is not None:
                    CURRENT.reset(token)
                    _finish(span, items, reducer)
                return
            except BaseException as e:
                if token is not None and span is not None:
                    CURRENT.reset(token)
                    _fail(span, e)
                raise
            if span is not None and token is not None:
                CURRENT.reset(token)
                span._chunk(len(items), item)
                items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                token = CURRENT.set(span) if span is not None else None
                try:
                    await agen.aclose()
                finally:
                    if span is not None and token is not None:
                        CURRENT.reset(token)
                        _finish(span, items, reducer)
                raise
            except BaseException as e:
                to_throw = e

    return wrapper
