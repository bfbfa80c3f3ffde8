"""The ``ferrotrace`` logger, loaded on the first warning: ``logging`` (with ``traceback``,
``threading``, ``string``, ...) adds ~1 MiB to ``import ferrotrace`` and is only needed when
something goes wrong."""

from __future__ import annotations


class _Logger:
    """Stands in for ``logging.getLogger("ferrotrace")`` until a message is logged."""

    __slots__ = ()

    def warning(self, msg: object, *args: object) -> None:
        import logging

        logging.getLogger("ferrotrace").warning(msg, *args, stacklevel=2)


logger = _Logger()
