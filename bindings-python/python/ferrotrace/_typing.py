"""What the modules loaded by ``import ferrotrace`` need from ``typing`` at run time, without
importing it (~1 MiB with ``re``): annotations are strings (``from __future__ import
annotations``), so only ``cast`` and ``overload`` must exist; the type checker sees ``typing``'s."""

from __future__ import annotations

# Type checkers treat a name `TYPE_CHECKING` as true, the interpreter sees False.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import cast as cast, overload as overload
else:

    def cast(_type, value):
        return value

    def overload(fn):
        return fn
