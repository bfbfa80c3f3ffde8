"""A loopback HTTP proxy in front of the real MLflow server that records the Authorization header
of every request and can demand one: what a server behind auth sees from ferrotrace."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, TypeVar
from urllib.parse import urlparse


_P = TypeVar("_P", bound="ServedProxy")


def relay(handler: BaseHTTPRequestHandler, target: Any, body: Optional[bytes], drop: tuple[str, ...]) -> None:
    """Sends the handler's request (less the `drop` headers) to `target` (a parsed URL) and
    writes the answer back: what the test proxies in front of the MLflow server share."""
    conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in drop}
    conn.request(handler.command, handler.path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    handler.send_response(resp.status)
    for k, v in resp.getheaders():
        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    conn.close()

class ServedProxy:
    """A proxy serving on a thread of this process while in a `with` block (its subclasses set
    `self.server` and call `_serve`)."""

    server: ThreadingHTTPServer
    uri: str

    def _serve(self, server: ThreadingHTTPServer, scheme: str = "http") -> None:
        self.server = server
        self.uri = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    def __enter__(self: _P) -> _P:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class AuthProxy(ServedProxy):
    def __init__(self, target_uri: str, required: Optional[str] = None) -> None:
        self.target = urlparse(target_uri)
        self.required = required
        self.seen: list[tuple[str, str, Optional[str]]] = []  # (method, path, authorization)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                auth = self.headers.get("Authorization")
                proxy.seen.append((self.command, self.path, auth))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.required is not None and auth != proxy.required:
                    payload = b'{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}'
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                relay(self, proxy.target, body, drop=("host", "authorization", "connection"))

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

            def log_message(self, *args: object) -> None:
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
