"""A loopback OTLP/HTTP collector for tests, built on the `opentelemetry-proto` package: it
decodes every `POST /v1/traces` (gzip or not) as an `ExportTraceServiceRequest` and keeps it,
with the request headers, in a simple form (hex ids, attribute values as Python values).

In a test: `with Receiver() as r: ...; r.requests`. As a script, for the Node tests:

    python tests/support/otlp_receiver.py OUT.jsonl   # prints the base URI; one JSON line per request
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def any_value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind)


def simplify(req: ExportTraceServiceRequest) -> dict[str, Any]:
    """`{"resource": {...}, "spans": [{trace_id, span_id, parent_id, name, attributes, status,
    events}]}`; ids as lowercase hex, `parent_id` None for a root."""
    resource: dict[str, Any] = {}
    spans = []
    for rs in req.resource_spans:
        resource.update({kv.key: any_value(kv.value) for kv in rs.resource.attributes})
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append(
                    {
                        "kind": s.kind,
                        "flags": s.flags,
                        "scope": ss.scope.name,
                        "trace_id": s.trace_id.hex(),
                        "span_id": s.span_id.hex(),
                        "parent_id": s.parent_span_id.hex() or None,
                        "name": s.name,
                        "start_ns": s.start_time_unix_nano,
                        "end_ns": s.end_time_unix_nano,
                        "attributes": {kv.key: any_value(kv.value) for kv in s.attributes},
                        "status": {"code": s.status.code, "message": s.status.message},
                        "events": [
                            {"name": e.name, "attributes": {kv.key: any_value(kv.value) for kv in e.attributes}}
                            for e in s.events
                        ],
                    }
                )
    return {"resource": resource, "spans": spans}


class Receiver:
    """Collects OTLP requests on 127.0.0.1 at a free port until closed. `status` is what it
    answers (200 by default)."""

    def __init__(self, out_path: Optional[str] = None) -> None:
        self.requests: list[dict[str, Any]] = []
        # The decoded messages as received, for byte-level comparisons.
        self.messages: list[ExportTraceServiceRequest] = []
        self.status = 200
        self._lock = threading.Lock()
        self._out_path = out_path
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                encoding = self.headers.get("content-encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                req = ExportTraceServiceRequest()
                req.ParseFromString(body)
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "gzip": encoding == "gzip",
                    **simplify(req),
                }
                receiver._record(record, req)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(receiver.status)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, record: dict[str, Any], message: ExportTraceServiceRequest) -> None:
        with self._lock:
            self.requests.append(record)
            self.messages.append(message)
            if self._out_path:
                with open(self._out_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")

    def spans(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s for r in self.requests for s in r["spans"]]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    receiver = Receiver(out_path=sys.argv[1])
    print(receiver.uri, flush=True)
    # Serves until stdin closes (the test ends or kills this process).
    sys.stdin.read()
    receiver.close()


if __name__ == "__main__":
    main()
