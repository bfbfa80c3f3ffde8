"""``ferrotrace`` command line: look at the traces in the local store.

    ferrotrace traces list [--dir DIR]
    ferrotrace traces show TRACE_ID [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from ferrotrace import _native


def _default_dir() -> str:
    return os.environ.get("FERROTRACE_LOCAL_DIR") or "ferrotrace-traces"


def _warn(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(f"warning: {line}\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="ferrotrace", description="Inspect traces in the local ferrotrace store.")
    sub = parser.add_subparsers(dest="group", required=True)
    traces = sub.add_parser("traces", help="list and show stored traces")
    tsub = traces.add_subparsers(dest="command", required=True)
    for name, help_text in (("list", "one line per trace"), ("show", "one trace as a span tree")):
        p = tsub.add_parser(name, help=help_text)
        if name == "show":
            p.add_argument("trace_id", help="trace id (tr-...) or a unique prefix of it")
        p.add_argument("--dir", default=_default_dir(), help="store folder (default: $FERROTRACE_LOCAL_DIR or ./ferrotrace-traces)")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            table, warnings = _native.store_list(args.dir)
            _warn(warnings)
            print(table)
            return 0
        text, warnings = _native.store_show(args.dir, args.trace_id)
        _warn(warnings)
        if text is None:
            sys.stderr.write(f"no trace {args.trace_id!r} in {args.dir}\n")
            return 1
        print(text)
        return 0
    except _native.TracingError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
