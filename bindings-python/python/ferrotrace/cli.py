"""``ferrotrace`` command line: look at the traces in the local store, send a store to a server.

    ferrotrace traces list [--dir DIR]
    ferrotrace traces show TRACE_ID [--dir DIR]
    ferrotrace push --tracking-uri URI [--experiment-id ID] [DIR]
    ferrotrace ui [--host 127.0.0.1] [--port 5000] [DIR]
    ferrotrace store compact [DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional, Sequence

from ferrotrace import _native


def _default_dir() -> str:
    return os.environ.get("FERROTRACE_LOCAL_DIR") or "ferrotrace-traces"


# A badly damaged store can yield one warning per record: show the first ones and a count.
_MAX_WARNINGS = 20


def _warn(lines: list[str]) -> None:
    for line in lines[:_MAX_WARNINGS]:
        sys.stderr.write(f"warning: {line}\n")
    if len(lines) > _MAX_WARNINGS:
        sys.stderr.write(f"warning: ... and {len(lines) - _MAX_WARNINGS} more\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="ferrotrace", description="Inspect traces in the local ferrotrace store.")
    sub = parser.add_subparsers(dest="group", required=True)
    traces = sub.add_parser("traces", help="list and show stored traces")
    tsub = traces.add_subparsers(dest="command", required=True)
    for name, help_text in (("list", "one line per trace"), ("show", "one trace as a span tree")):
        p = tsub.add_parser(name, help=help_text)
        if name == "show":
            p.add_argument("trace_id", help="trace id (tr-...), or a unique start or end of it")
        p.add_argument("--dir", default=_default_dir(), help="store folder (default: $FERROTRACE_LOCAL_DIR or ./ferrotrace-traces)")
    push = sub.add_parser(
        "push",
        help="send the traces of a store folder (local store, spill folder or spill root) to an MLflow server; "
        "safe to repeat: a trace already on the server is updated, not duplicated",
    )
    push.add_argument("dir", nargs="?", default=_default_dir(), help="store folder (default: the local store)")
    push.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        help="http(s) URI of the MLflow server (default: $MLFLOW_TRACKING_URI)",
    )
    push.add_argument("--experiment-id", default=None, help="send every trace to this experiment")
    ui = sub.add_parser("ui", help="a local web UI over a store folder (the local store, a spill folder, any folder)")
    ui.add_argument("dir", nargs="?", default=_default_dir(), help="store folder (default: the local store)")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    ui.add_argument("--port", type=int, default=5000, help="port (default: 5000; 0: a free one)")
    store = sub.add_parser("store", help="maintain a store folder")
    ssub = store.add_subparsers(dest="command", required=True)
    compact = ssub.add_parser(
        "compact",
        help="rewrite the segments no running process writes without superseded records "
        "(deleted traces, changed tags and assessments); safe while other processes write",
    )
    compact.add_argument("dir", nargs="?", default=_default_dir(), help="store folder (default: the local store)")
    args = parser.parse_args(argv)
    if args.group == "store":
        return _compact(args.dir)
    if args.group == "push":
        return _push(args.dir, args.tracking_uri, args.experiment_id)
    if args.group == "ui":
        return _ui(args.dir, args.host, args.port)
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


def _ui(directory: str, host: str, port: int) -> int:
    import time

    try:
        server = _native.ui_start(host, port, directory)
    except _native.TracingError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    print(f"ferrotrace ui: serving {directory} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def _push(directory: str, tracking_uri: Optional[str], experiment_id: Optional[str]) -> int:
    if not tracking_uri:
        sys.stderr.write("error: give --tracking-uri (or set MLFLOW_TRACKING_URI)\n")
        return 2
    try:
        report = json.loads(_native.push_store(directory, tracking_uri, experiment_id))
    except _native.TracingError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    _warn(report["warnings"])
    print(
        f"found {report['found']} trace(s): sent {report['sent']}, "
        f"rejected {report['rejected']}, unsent {report['unsent']}, assessments sent {report['assessments_sent']}, "
        f"tags deleted {report.get('tags_deleted', 0)}"
    )
    return 0 if report["rejected"] == 0 and report["unsent"] == 0 else 1


def _compact(directory: str) -> int:
    try:
        report = json.loads(_native.store_compact(directory))
    except _native.TracingError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    _warn(report["warnings"])
    print(
        f"compacted {report['segments_compacted']} segment(s) ({report['segments_live']} in use left alone): "
        f"{report['records_before']} -> {report['records_after']} records, "
        f"{report['bytes_before']} -> {report['bytes_after']} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
