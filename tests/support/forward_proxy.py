"""A loopback HTTP proxy, as HTTP_PROXY / HTTPS_PROXY name one: plain requests come with an
absolute URI and are forwarded; CONNECT opens a tunnel (TLS goes through it untouched). It
records what it handled, so a test can tell that a client went through it."""

from __future__ import annotations

import select
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlparse

from auth_proxy import ServedProxy, relay


class ForwardProxy(ServedProxy):
    def __init__(self) -> None:
        self.forwarded: list[tuple[str, str]] = []  # (method, absolute URI)
        self.tunnels: list[str] = []  # CONNECT host:port
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                proxy.forwarded.append((self.command, self.path))
                target = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body: Optional[bytes] = self.rfile.read(length) if length else None
                # The origin server is asked for the path alone, as a proxy does.
                self.path = target.path + (f"?{target.query}" if target.query else "")
                relay(self, target, body, drop=("host", "connection", "proxy-connection", "proxy-authorization"))

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

            def do_CONNECT(self) -> None:
                proxy.tunnels.append(self.path)
                host, _, port = self.path.rpartition(":")
                try:
                    upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
                except OSError:
                    self.send_error(502)
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                client = self.connection
                try:
                    while True:
                        ready, _, _ = select.select([client, upstream], [], [], 30)
                        if not ready:
                            break
                        for s in ready:
                            data = s.recv(65536)
                            if not data:
                                return
                            (upstream if s is client else client).sendall(data)
                except OSError:
                    pass
                finally:
                    upstream.close()
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
