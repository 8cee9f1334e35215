"""A small misbehaving HTTP server for the client tests, on 127.0.0.1 in a thread.

Raw sockets, so it can do what no well-behaved server library would: answer forever, trickle a
byte a second, send a decompression bomb, echo secrets. Every answer is bounded (a byte budget,
a time budget per connection) and `close()` ends it all. It counts requests and body bytes sent.
"""

import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

# No answer sends more than this or lasts longer, whatever the client does.
MAX_SEND_BYTES = 512 * 1024 * 1024
MAX_CONNECTION_SECONDS = 60.0

Answer = Callable[["Exchange"], None]


@dataclass
class Exchange:
    """One request being answered: its target and a way to send that counts and stops."""

    target: str
    sock: socket.socket
    stop: threading.Event
    started: float = field(default_factory=time.monotonic)
    sent: int = 0

    def send(self, data: bytes) -> bool:
        """False (and nothing more should be sent) once the client is gone or a budget is spent."""
        if self.stop.is_set() or time.monotonic() - self.started > MAX_CONNECTION_SECONDS:
            return False
        if self.sent + len(data) > MAX_SEND_BYTES:
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.sent += len(data)
        return True


class HostileServer:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.targets: list[str] = []
        self.heads: list[bytes] = []
        self.sent = 0
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def __enter__(self) -> "HostileServer":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            sock.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    head += chunk
            except OSError:
                return
            target = head.split(b" ", 2)[1].decode("latin-1")
            exchange = Exchange(target=target, sock=sock, stop=self._stop)
            with self._lock:
                self.targets.append(target)
                self.heads.append(head)
            try:
                self._answer(exchange)
            finally:
                with self._lock:
                    self.sent += exchange.sent


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def endless_json(exchange: Exchange) -> None:
    """A 200 JSON array that never ends (chunked), as fast as the client reads it."""
    if not exchange.send(head(Transfer_Encoding="chunked", Content_Type="application/json")):
        return
    record = b'{"id": "r", "name": "' + b"x" * 200 + b'"},'
    chunk = record * 300
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    exchange.send(b"1\r\n[\r\n")
    while exchange.send(framed):
        pass


TRICKLE_HEAD = head(Content_Length="1000", Content_Type="application/json")


def trickle(*, in_headers: bool) -> Answer:
    """One byte a second, of the headers or of a declared 1,000-byte body."""

    def answer(exchange: Exchange) -> None:
        whole = TRICKLE_HEAD + b"[" + b" " * 999
        start = 0 if in_headers else len(TRICKLE_HEAD)
        if not exchange.send(whole[:start]):
            return
        for byte in whole[start:]:
            if not exchange.send(bytes([byte])):
                return
            exchange.stop.wait(1.0)

    return answer


def gzip_bomb(expanded: int = 1 << 30) -> bytes:
    """A valid gzip body of ~1 MB that expands to `expanded` zero bytes.

    After a full flush deflate starts afresh, so each further MiB of zeros compresses to the same
    bytes: the body is built from one compressed MiB instead of compressing 1 GiB."""
    piece = 1 << 20
    zero = bytes(piece)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(expanded // piece):
        crc = zlib.crc32(zero, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, expanded & 0xFFFFFFFF)
    return header + block * (expanded // piece) + compressor.flush() + trailer


def serve_encoded(body: bytes, *, encoding: str = "gzip") -> Answer:
    """`body` (already encoded) with `Content-Encoding: encoding`, in 64 KiB writes."""

    def answer(exchange: Exchange) -> None:
        framing = head(Content_Length=str(len(body)), Content_Encoding=encoding)
        exchange.send(framing)
        for start in range(0, len(body), 65536):
            if not exchange.send(body[start : start + 65536]):
                return

    return answer


def fixed(status: str, body: bytes) -> Answer:
    def answer(exchange: Exchange) -> None:
        exchange.send(head(status, Content_Length=str(len(body))) + body)

    return answer
