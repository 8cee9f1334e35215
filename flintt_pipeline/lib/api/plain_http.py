"""Small GETs (run details) over keep-alive `http.client` connections.

A sync asks for one `GET /v1/runs/{id}` per completed run: tens of thousands of ~2 kB answers,
where the HTTP library's own Python is most of the cost. httpx spends ~0.5 ms of CPU on each
(request building, auth and redirect layers, the pool's locks, h11's state machine); the
standard library's `http.client` ~0.15 ms, which lets 8 threads fetch 2-3 times as many details
per second. Everything else (lists, the connection check) stays on httpx.

Only used when no proxy is configured in the environment (httpx honours those; this does not),
with httpx's own TLS settings (certifi, or SSL_CERT_FILE / SSL_CERT_DIR). Failures surface as
`Transient` exactly where httpx's would: refused or unknown host, timeouts, dropped connections.
"""

import http.client
import logging
import select
import ssl
import threading
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx

from flintt_pipeline.lib.api.retries import Transient

_httpx_log = logging.getLogger("httpx")
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    body: bytes


def usable(base_url: str) -> bool:
    """True when requests to `base_url` need no proxy from the environment."""
    if urlsplit(base_url).scheme not in ("http", "https"):
        return False
    proxies = getproxies()
    return not any(proxies.get(scheme) for scheme in ("http", "https", "all"))


class PlainHttp:
    """Keep-alive connections to one API root, shared by threads (one per request in flight)."""

    def __init__(self, *, base_url: str, headers: dict[str, str], timeout: float) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._timeout = timeout
        self._context: ssl.SSLContext | None = httpx.create_ssl_context() if self._https else None
        # What httpx would send, but only the codings decoded here; http.client adds Host.
        skipped = ("accept-encoding", "connection", "host")
        self._headers = {k: v for k, v in headers.items() if k.lower() not in skipped}
        self._headers["Accept-Encoding"] = "gzip, deflate"
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self, target: str) -> Answer:
        """GET `target` (path and query, under the API root); raises `Transient` when the
        connection fails, as a retry may succeed."""
        connection = self._acquire()
        try:
            if connection.sock is None:
                connection.connect()
        except OSError:  # refused, unknown host, TLS refused, connect timeout: as httpx's
            connection.close()
            raise Transient(reason="connection refused or host unknown", unreachable=True) from None
        try:
            connection.request("GET", self._prefix + target, headers=self._headers)
            response = connection.getresponse()
            body = response.read()
        except TimeoutError:
            connection.close()
            raise Transient(reason="timed out waiting for the answer") from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise Transient(reason=f"connection dropped ({type(error).__name__})") from None
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._release(connection)
        encoding = (response.getheader("Content-Encoding") or "").strip().lower()
        if encoding in _DECODERS:
            try:
                body = zlib.decompress(body, _DECODERS[encoding])
            except zlib.error:
                raise Transient(reason="connection dropped (truncated compressed body)") from None
        if _httpx_log.isEnabledFor(logging.INFO):
            # The line httpx logs for each request (the URL never holds the key).
            _httpx_log.info(
                'HTTP Request: GET %s%s%s "HTTP/1.1 %d %s"',
                self._origin,
                self._prefix,
                target,
                response.status,
                response.reason,
            )
        return Answer(response.status, response.getheader("Retry-After"), body)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _acquire(self) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if _still_open(connection):
                return connection
            connection.close()

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=self._context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """False when the server closed an idle keep-alive connection (its socket reads as ready:
    end of file), so it is not reused for a request that would fail (httpcore does the same)."""
    sock = connection.sock
    if sock is None:
        return True  # not connected yet
    try:
        if not hasattr(select, "poll"):  # Windows
            return not select.select([sock], [], [], 0)[0]
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False
