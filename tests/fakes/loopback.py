"""HTTP plumbing shared by the fakes: a threaded server on loopback and a keep-alive handler.

A fake binds ``LoopbackServer(handler_class, fake)`` (127.0.0.1, a free port) and, to stop,
shuts the server down and then the sockets left in ``open_sockets``. Its handler subclasses
``LoopbackHandler``, names itself in ``server_version`` and implements ``answer``: the hook
that turns one parsed request (method and headers on the handler, path, query and raw body
as arguments) into the status, headers and body bytes to write back.
"""

from __future__ import annotations

import socket
import sys
import threading
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Wire = tuple[int, dict[str, str], bytes | None]
"""What ``answer`` returns: status, headers, body; a body of None goes out without Content-Length."""


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 (port chosen by the OS) that serves ``fake``."""

    daemon_threads = True

    def __init__(self, handler: type[LoopbackHandler], fake: Any):
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()

    _thread: threading.Thread | None = None

    def serve_in_background(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving, cut the kept-alive connections, release the port."""
        if self._thread:
            self.shutdown()
            self._thread.join()
            self._thread = None
        for sock in list(self.open_sockets):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        """Clients hanging up (say, after a timeout) are normal; anything else is a bug worth the traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """Reads HTTP/1.1 requests, hands them to ``answer`` and writes its reply (keep-alive safe)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = (
        True  # headers and body go out in two writes: avoid the 40 ms delayed-ACK stall
    )
    sys_version = ""
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        self.server.open_sockets.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: each fake's ``requests`` is the log."""

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> Wire:
        """The reply to this request (``self.command``, ``self.headers``); each fake implements it."""
        raise NotImplementedError

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        status, headers, data = self.answer(
            url.path, dict(parse_qsl(url.query, keep_blank_values=True)), raw
        )
        self._write(status, headers, data)

    def _write(self, status: int, headers: dict[str, str], data: bytes | None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if data is not None:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data or b"")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
