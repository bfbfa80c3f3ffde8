"""Distributed tracing: a client span calls an HTTP service (on 127.0.0.1, in this process) with
the trace context headers; the service continues the same trace under the client's span.

Mirrors: the "Distributed tracing" page of MLflow's tracing docs
(get_tracing_context_headers_for_http_request on the caller,
set_tracing_context_from_http_request_headers in the handler)."""

import json
import os
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import mlflow
from mlflow.tracing.distributed import (
    get_tracing_context_headers_for_http_request,
    set_tracing_context_from_http_request_headers,
)

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-distributed"))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with set_tracing_context_from_http_request_headers(dict(self.headers)):
            with mlflow.start_span("server-handler", span_type="AGENT") as span:
                span.set_inputs(body)
                result = {"answer": body["question"].upper()}
                span.set_outputs(result)
        data = json.dumps(result).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/ask"

with mlflow.start_span("client-root", span_type="CHAIN") as root:
    root.set_inputs({"question": "why?"})
    headers = get_tracing_context_headers_for_http_request()
    print("headers:", sorted(headers))
    req = urllib.request.Request(url, data=json.dumps({"question": "why?"}).encode(), headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        answer = json.loads(resp.read())
    root.set_outputs(answer)
server.shutdown()
print("answer:", answer)

print("traceparent matches:", headers["traceparent"].split("-")[2] == root.span_id)
