"""What ``@trace`` reads from a function when it decorates it: its parameters (inputs are
captured by name) and whether it is a generator or coroutine function.

A plain ``def`` function is read from its code object, as ``inspect`` itself does for one;
anything else (``functools.wraps`` wrappers, partials, methods, callable objects, builtins,
functions with a ``__signature__``) goes through ``inspect``. Importing ``inspect`` (with
``ast``, ``dis``, ``re``, ``tokenize``) adds ~1.5 MiB to the process, which decorating the
usual function no longer pays.
"""

from __future__ import annotations

from types import FunctionType

from ferrotrace._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeGuard

    Params = list[tuple[str, int, bool, Any]]

# Code flags (the `inspect.CO_*` constants).
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_CO_GENERATOR = 0x20
_CO_COROUTINE = 0x80
_CO_ASYNC_GENERATOR = 0x200

# inspect.Parameter kinds, as their int values.
_POSITIONAL_ONLY = 0
_POSITIONAL_OR_KEYWORD = 1
_VAR_POSITIONAL = 2
_KEYWORD_ONLY = 3
_VAR_KEYWORD = 4


def _plain(fn: object) -> TypeGuard[FunctionType]:
    # Nothing set on the function: no `__wrapped__` or `__signature__` (inspect follows them),
    # no coroutine mark (`inspect.markcoroutinefunction`, 3.12+).
    return type(fn) is FunctionType and not fn.__dict__


def _flag(fn: FunctionType, flag: int) -> bool:
    return bool(fn.__code__.co_flags & flag)


def params(fn: Callable[..., Any]) -> Optional[Params]:
    """``(name, kind, has_default, default)`` per parameter of ``inspect.signature(fn)``, in
    its order; ``None`` when it has no signature."""
    if not _plain(fn):
        return _inspect_params(fn)
    code = fn.__code__
    names = code.co_varnames
    n_pos = code.co_argcount
    n_kw = code.co_kwonlyargcount
    defaults = fn.__defaults__ or ()
    kwdefaults = fn.__kwdefaults__ or {}
    first_default = n_pos - len(defaults)
    out: Params = []
    for i in range(n_pos):
        kind = _POSITIONAL_ONLY if i < code.co_posonlyargcount else _POSITIONAL_OR_KEYWORD
        if i >= first_default:
            out.append((names[i], kind, True, defaults[i - first_default]))
        else:
            out.append((names[i], kind, False, None))
    rest = n_pos + n_kw  # co_varnames: positional, keyword-only, *args, **kwargs, locals
    if code.co_flags & _CO_VARARGS:
        out.append((names[rest], _VAR_POSITIONAL, False, None))
        rest += 1
    for name in names[n_pos : n_pos + n_kw]:
        if name in kwdefaults:
            out.append((name, _KEYWORD_ONLY, True, kwdefaults[name]))
        else:
            out.append((name, _KEYWORD_ONLY, False, None))
    if code.co_flags & _CO_VARKEYWORDS:
        out.append((names[rest], _VAR_KEYWORD, False, None))
    return out


def _inspect_params(fn: Callable[..., Any]) -> Optional[Params]:
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [(p.name, int(p.kind), p.default is not p.empty, p.default) for p in sig.parameters.values()]


def isgeneratorfunction(fn: object) -> bool:
    """``inspect.isgeneratorfunction``."""
    if _plain(fn):
        return _flag(fn, _CO_GENERATOR)
    import inspect

    return inspect.isgeneratorfunction(fn)


def isasyncgenfunction(fn: object) -> bool:
    """``inspect.isasyncgenfunction``."""
    if _plain(fn):
        return _flag(fn, _CO_ASYNC_GENERATOR)
    import inspect

    return inspect.isasyncgenfunction(fn)


def iscoroutinefunction(fn: object) -> bool:
    """``inspect.iscoroutinefunction``."""
    if _plain(fn):
        return _flag(fn, _CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(fn)
