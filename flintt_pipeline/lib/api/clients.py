"""One httpx client per request in flight, each holding one keep-alive connection.

Eight detail threads sharing one client's connection pool spent most of their time queued on that
pool's lock, which httpcore takes several times per request (bench/README.md, "Sync"): here a
request takes a whole client from a queue and gives it back, one uncontended get and put. The
clients share one TLS context, so the CA bundle is read once.
"""

import contextlib
import queue
import ssl
import threading
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar

import httpx

from flintt_pipeline.lib.api.deadline import DeadlineClient


class _NoCookies(httpx.Cookies):
    """Flintt authenticates by key: a cookie a server sets is neither kept nor sent back, and
    parsing every answer's headers for cookies was a tenth of a run detail's CPU."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class ClientPool:
    """Up to `size` clients, each made by `make(tls)` with the one shared TLS context when a
    request finds none free; a request past `size` waits for one to come back."""

    def __init__(self, *, size: int, make: Callable[[ssl.SSLContext], DeadlineClient]) -> None:
        self._size = max(1, size)
        self._tls = httpx.create_ssl_context()
        self._make = make
        self._free: queue.SimpleQueue[DeadlineClient] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._made: list[DeadlineClient] = []
        self._reserved = 1
        self.first = self._new()
        self._free.put(self.first)

    @contextlib.contextmanager
    def client(self) -> Iterator[DeadlineClient]:
        """A client no other request is using, for the length of the block."""
        try:
            client = self._free.get_nowait()
        except queue.Empty:
            client = self._new_or_wait()
        try:
            yield client
        finally:
            self._free.put(client)

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for client in made:
            client.close()

    def _new_or_wait(self) -> DeadlineClient:
        with self._lock:
            grow = self._reserved < self._size
            self._reserved += grow
        if not grow:
            return self._free.get()
        try:
            return self._new()
        except BaseException:
            with self._lock:
                self._reserved -= 1
            raise

    def _new(self) -> DeadlineClient:
        client = self._make(self._tls)
        # httpx offers no switch for its cookie jar, only this attribute behind `cookies`.
        client._cookies = _NoCookies(CookieJar())
        with self._lock:
            self._made.append(client)
        return client
