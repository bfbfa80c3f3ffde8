"""Runs one compat program under the SDK named by COMPAT_SDK: ``mlflow`` (the official SDK) runs it
as written; ``ferrotrace`` runs it with ``mlflow`` and every ``mlflow.*`` module resolved to
``ferrotrace`` and its modules of the same path (the import swapped, nothing else changed).

    COMPAT_SDK=ferrotrace python tests/compat/run.py tests/compat/fluent.py
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
from types import ModuleType
from typing import Any, Optional, Sequence


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import mlflow.x.y`` loads ``ferrotrace.x.y`` and registers it under both names."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Any = None) -> Any:
        if fullname != "mlflow" and not fullname.startswith("mlflow."):
            return None
        real = "ferrotrace" + fullname[len("mlflow") :]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        return importlib.import_module("ferrotrace" + spec.name[len("mlflow") :])

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed under its own name


def main() -> None:
    program = os.path.abspath(sys.argv[1])
    sdk = os.environ.get("COMPAT_SDK", "mlflow")
    if sdk == "ferrotrace":
        sys.meta_path.insert(0, _Alias())
    elif sdk != "mlflow":
        raise SystemExit(f"COMPAT_SDK must be 'mlflow' or 'ferrotrace', not {sdk!r}")
    sys.argv = [program, *sys.argv[2:]]
    sys.path.insert(0, os.path.dirname(program))
    runpy.run_path(program, run_name="__main__")


if __name__ == "__main__":
    main()
