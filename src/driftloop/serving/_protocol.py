"""uvicorn's h11 protocol with a deadline on request headers (slowloris protection).

uvicorn bounds the idle time between requests (``timeout_keep_alive``) and the server
bounds the body (``read_body``), but nothing bounds the headers: a client that opens a
connection and sends its request line and headers a byte at a time, or never finishes
them, holds a connection (and its memory) for as long as it likes. Here a timer starts
when a connection is made and again when the first byte of each later request on a
kept-alive connection arrives; once the headers are complete it is cancelled. If it
fires first, the client gets ``408 Request Timeout`` (the JSON error body every other
refusal of the server has) and the connection is closed.

The server keeps uvicorn's h11 implementation ("auto" picks it when httptools is not
installed, as in driftloop's dependencies); pinning the subclass keeps it so when
httptools is installed later.
"""

from __future__ import annotations

import asyncio

import h11
import orjson
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol


class HeaderTimeoutH11Protocol(H11Protocol):
    """An ``H11Protocol`` answering 408 when request headers take over ``header_timeout_s``."""

    header_timeout_s: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is None and self._awaits_headers():
            self._arm_header_timer()  # the first byte of a request on a kept-alive connection
        super().data_received(data)
        if not self._awaits_headers():
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request already partly buffered gets no further data_received call.
        if self._awaits_headers() and self.conn.trailing_data[0]:
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _awaits_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._awaits_headers():
            return
        self._unset_keepalive_if_required()
        message = (
            f"the request headers did not arrive within {self.header_timeout_s:g} s "
            "(ServeSettings.header_timeout_s, `driftloop serve --header-timeout`)"
        )
        body = orjson.dumps({"error": message, "code": "REQUEST_TIMEOUT"})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *self.server_state.default_headers,
        ]
        try:
            response = h11.Response(status_code=408, headers=headers, reason=STATUS_PHRASES[408])
            data = self.conn.send(response) or b""
            data += self.conn.send(h11.Data(data=body)) or b""
            data += self.conn.send(h11.EndOfMessage()) or b""
            self.transport.write(data)
        except h11.LocalProtocolError:
            pass  # h11 will not frame a response in this state: closing still frees the slot
        self.transport.close()


def header_timeout_protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class to pass as ``uvicorn.Config(http=...)`` for this deadline."""
    return type(
        "HeaderTimeoutH11Protocol",
        (HeaderTimeoutH11Protocol,),
        {"header_timeout_s": header_timeout_s, "__module__": __name__},
    )
