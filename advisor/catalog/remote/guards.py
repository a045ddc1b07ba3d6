"""What keeps one download bounded: a body decoder with a cap on decoded bytes, and a watchdog
that ends the connection at the overall deadline.

httpx decodes every coding a server stacks (`gzip, gzip, gzip`) and inflates a whole read at
once, so a few hundred bytes can become gigabytes before any cap sees them. Here at most one
coding is accepted and zlib is asked for no more output than the cap leaves room for.
httpx's timeouts bound each read, not the whole exchange: a server sending a header byte every
second never trips them. The watchdog shuts the socket down at the deadline, which wakes a
read blocked at any stage (TLS handshake, headers, body).

Standard library only; `advisor.catalog.remote.fetch` wires both into its request.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from types import TracebackType
from typing import Any

from advisor.catalog.remote.cache import RemoteError

ACCEPT_ENCODING = "gzip"  # what we ask for; deflate is decoded too, for servers that ignore it
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyDecoder:
    """Turns raw body bytes into decoded ones, refusing more than `max_bytes` of output."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1:
            raise RemoteError(
                f"server sent Content-Encoding {content_encoding[:80]!r}: "
                "more than one content encoding is refused"
            )
        if codings and codings[0] not in _WBITS:
            raise RemoteError(
                f"server sent an unsupported content encoding {codings[0][:40]!r} "
                "(gzip or none is accepted)"
            )
        self.coding = codings[0] if codings else ""
        self._inflater = zlib.decompressobj(_WBITS[self.coding]) if self.coding else None
        self._max_bytes = max_bytes
        self.done_bytes = 0

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes of the next raw chunk; RemoteError once the total passes the cap."""
        if self._inflater is None:
            return self._counted(raw)
        pieces: list[bytes] = []
        pending = raw
        while pending:
            room = self._max_bytes - self.done_bytes + 1  # one more byte shows the cap is passed
            try:
                piece = self._inflater.decompress(pending, room)
            except zlib.error as exc:
                raise RemoteError(f"{self.coding} body is corrupt ({exc})") from None
            pieces.append(self._counted(piece))
            pending = self._inflater.unconsumed_tail
        if self._inflater.unused_data:
            raise RemoteError(f"data after the end of the {self.coding} body")
        return b"".join(pieces)

    def finish(self) -> None:
        """RemoteError when a compressed body ended before its end marker."""
        if self._inflater is not None and not self._inflater.eof:
            raise RemoteError(f"{self.coding} body is truncated")

    def _counted(self, piece: bytes) -> bytes:
        self.done_bytes += len(piece)
        if self.done_bytes > self._max_bytes:
            raise RemoteError(f"body is over the {self._max_bytes}-byte cap")
        return piece


class Watchdog:
    """Shuts down every socket the request opened once `deadline` (monotonic) passes.

    Pass `trace` as the request's httpcore `trace` extension: it learns each socket as soon as
    the TCP connection exists. `fired` says afterwards whether the deadline ended the request.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if not event.endswith("connect_tcp.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            late = self.fired
        if late:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)
