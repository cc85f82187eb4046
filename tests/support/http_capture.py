"""A plain local HTTP server that records every request (for Apprise's json:// and form://)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    time: float


class CaptureServer:
    def __init__(self, status: int = 200, delay: float = 0.0):
        self.status = status
        self.delay = delay
        self.requests: List[Request] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if server.delay:
                    server._stopping.wait(server.delay)
                with server._cond:
                    server.requests.append(Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                   body, time.monotonic()))
                    server._cond.notify_all()
                self.send_response(server.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for_count(self, count: int, timeout: float = 20.0) -> List[Request]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"only {len(self.requests)} of {count} requests arrived"
                self._cond.wait(left)
            return list(self.requests)
