"""A real HTTP server on 127.0.0.1 for the remote-catalog tests, scripted per test.

Each test queues `Reply` objects (or callables taking the request and returning one); each GET
consumes the next reply, and `requests` records what the client sent. Replies can delay their
headers (read timeouts), claim a Content-Length longer than the body (truncation), trickle the
body slowly (progress), trickle the status line and headers a byte at a time (the overall
deadline), redirect, or send any status and headers. No traffic leaves loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """What the server sends for one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before the status line (read timeout)
    declared_length: int | None = None  # Content-Length to claim; > len(body) truncates
    chunk_bytes: int = 0  # send the body in pieces of this size …
    chunk_delay_s: float = 0.0  # … sleeping this long before each
    send_length: bool = True  # False: no Content-Length, the body ends when the socket closes
    head_byte_delay_s: float = 0.0  # > 0: send the status line and headers one byte at a time


Script = Reply | Callable[[Recorded], Reply]

# A valid one-offering catalog (a team's negotiated price) and a second version of it.
CATALOG = b'''# a team's negotiated prices
[[offering]]
id = "acme/h100x8"
provider = "Acme GPU"
sku = "h100x8-negotiated"
accelerator = "h100-sxm"
gpus_per_node = 8
intra_fabric = "nvswitch"
intra_bytes_per_s = 450e9
tenancy = "bare-metal"
price_per_node_hour = 19.5
currency = "USD"
as_of = 2026-07-01
source = "Acme contract 2026-07"
'''
CATALOG_V2 = CATALOG.replace(b"19.5", b"18.25")


class ScriptedServer:
    """ThreadingHTTPServer on 127.0.0.1:<free port> answering from a per-test script."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: list[Script] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.port = self._server.server_address[1]
        self.running = False

    def url(self, path: str = "/catalog.toml") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Script) -> None:
        """Queue replies; once they run out the server answers 599 (a test bug, made loud)."""
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def next_reply(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            item = self._script.pop(0) if self._script else Reply(599, b"unscripted request")
        return item(request) if callable(item) else item

    def start(self) -> ScriptedServer:
        self._thread.start()
        self.running = True
        return self

    def stop(self) -> None:
        """Close the listening socket: later connections are refused (the 'server gone' case)."""
        if self.running:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self.running = False

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            request = Recorded("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            _send(self, server.next_reply(request))

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    if reply.delay_s:
        time.sleep(reply.delay_s)
    if reply.head_byte_delay_s:
        _trickle_head(handler, reply)
        return
    try:
        handler.send_response(reply.status)
        length = reply.declared_length if reply.declared_length is not None else len(reply.body)
        headers = {"Connection": "close", **reply.headers}
        if reply.send_length:
            headers["Content-Length"] = str(length)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        _send_body(handler, reply)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (timeout tests); nothing to report
    handler.close_connection = True


def _send_body(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    step = reply.chunk_bytes or len(reply.body) or 1
    for start in range(0, len(reply.body), step):
        if reply.chunk_delay_s:
            time.sleep(reply.chunk_delay_s)
        handler.wfile.write(reply.body[start : start + step])
        handler.wfile.flush()


def _trickle_head(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """A byte of the head per delay, until the client hangs up (bounded by the head's length)."""
    head = f"HTTP/1.1 {reply.status} OK\r\nContent-Length: {len(reply.body)}\r\n"
    head += "".join(f"X-Pad-{n}: {'p' * 40}\r\n" for n in range(20)) + "\r\n"
    try:
        for byte in head.encode("ascii"):
            time.sleep(reply.head_byte_delay_s)
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        handler.wfile.write(reply.body)
    except OSError:
        pass  # the client gave up: what the test wants
    handler.close_connection = True
