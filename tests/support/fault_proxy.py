"""A loopback HTTP proxy in front of the real MLflow server whose behaviour can be switched while
it runs: pass requests through, refuse connections, delay, answer 500/503/429 (with
Retry-After), reset the connection in the middle of the response, or black-hole (read the
request and never answer). Each request is handled by the mode current when it arrives.

    with FaultProxy(server_uri) as proxy:
        proxy.set("status", status=503)
        ...
        proxy.set("pass")
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlparse

MODES = ("pass", "refuse", "delay", "status", "reset", "blackhole")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    def __init__(self, target_uri: str) -> None:
        self.target = urlparse(target_uri)
        self.mode = "pass"
        self.delay = 0.0
        self.status = 503
        self.retry_after: Optional[str] = None
        self.seen: Counter[str] = Counter()  # requests handled per mode (or status)
        self._lock = threading.Lock()
        self._healed = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self.port = self._bind().server_address[1]
        self.uri = f"http://127.0.0.1:{self.port}"

    # -- control ---------------------------------------------------------------------------

    def set(self, mode: str, *, delay: float = 0.0, status: int = 503, retry_after: Optional[str] = None) -> None:
        """Switches the behaviour for requests that arrive from now on."""
        assert mode in MODES, mode
        with self._lock:
            was = self.mode
            self.mode, self.delay, self.status, self.retry_after = mode, delay, status, retry_after
            if mode == "blackhole":
                self._healed.clear()
            else:
                self._healed.set()
            if mode == "refuse" and was != "refuse":
                self._stop_listening()
            elif mode != "refuse" and was == "refuse":
                self._bind(self.port)
                self._start()

    # -- serving ---------------------------------------------------------------------------

    def _bind(self, port: int = 0) -> _Server:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    mode, delay, status, retry_after = proxy.mode, proxy.delay, proxy.status, proxy.retry_after
                    proxy.seen[str(status) if mode == "status" else mode] += 1
                if mode == "refuse":
                    # A kept-alive connection from before the switch: drop it like a dead server.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if mode == "blackhole":
                    # Never answer; let go of the socket once healed so the thread can end.
                    proxy._healed.wait(600)
                    self.close_connection = True
                    return
                if mode == "delay":
                    time.sleep(delay)
                if mode == "status":
                    payload = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "injected fault"}'
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    if retry_after is not None:
                        self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                resp_status, headers, data = proxy._forward(self.command, self.path, dict(self.headers.items()), body)
                if mode == "reset":
                    # Headers and half the body, then a TCP reset: the request may or may not
                    # have been applied upstream (it was), as with a real dropped connection.
                    self.send_response(resp_status)
                    self.send_header("Content-Length", str(len(data) + 100))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                self.send_response(resp_status)
                for k, v in headers:
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_one

            def log_message(self, *args: object) -> None:
                pass

        server = _Server(("127.0.0.1", port), Handler)
        self._server = server
        return server

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: Optional[bytes]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            fwd = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            conn.request(method, path, body=body, headers=fwd)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _start(self) -> None:
        server = self._server
        assert server is not None
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        self._start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._healed.set()
        self._stop_listening()
