"""One pooled httpx client and the single place where HTTP outcomes become retries or typed errors.

Retried: 429, 500, 502, 503, 504, refused or dropped connections, timeouts, and a 2xx body that
starts like JSON but does not parse (most likely cut short). Not retried: 401/403 (bad key), other
4xx, and bodies that are not JSON at all (e.g. an HTML page: the URL is wrong).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlencode

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from flintt_pipeline.lib.api import plain_http
from flintt_pipeline.lib.api.errors import (
    AuthenticationError,
    ResponseError,
    UnreachableError,
    gave_up,
    refused_key,
    response_error,
)
from flintt_pipeline.lib.api.json_stream import MalformedResponse, receive
from flintt_pipeline.lib.api.plain_http import PlainHttp
from flintt_pipeline.lib.api.retries import Backoff, Transient, describe, retry_after_seconds

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
log = logging.getLogger(__name__)


@dataclass
class ClientStats:
    """Counts since the client was made: HTTP attempts, retries among them, list pages read."""

    requests: int = 0
    retries: int = 0
    pages: int = 0


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        max_attempts: int,
        max_total_wait: float,
        connections: int,
    ) -> None:
        if not api_key:
            raise AuthenticationError("no Flintt API key: set FLINTT_API_KEY")
        if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
            raise AuthenticationError("FLINTT_API_KEY is malformed (spaces or non-ASCII)")
        self.base_url = _checked_base_url(base_url)
        self.stats = ClientStats()
        self._max_attempts = max_attempts
        self._backoff = Backoff(max_total_wait=max_total_wait)
        self._lock = threading.Lock()
        # The key lives only in the headers of the HTTP clients: never in a URL (httpx logs URLs
        # at INFO), never in an attribute of ours that errors or reprs could show.
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"X-API-Key": api_key, "Accept": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections),
        )
        # Small requests (run details) go over plain keep-alive connections when no proxy is
        # set, at a third of httpx's CPU per request; with the httpx client's own headers.
        self._plain = (
            PlainHttp(base_url=self.base_url, headers=dict(self._http.headers), timeout=timeout)
            if plain_http.usable(self.base_url)
            else None
        )

    def close(self) -> None:
        self._http.close()
        if self._plain is not None:
            self._plain.close()

    def count_page(self) -> None:
        with self._lock:
            self.stats.pages += 1

    def get(
        self,
        path: str,
        *,
        params: dict[str, Any] | None,
        parse: Callable[[bytes], Any],
        allow_missing: bool = False,
        spool: bool = False,
        small: bool = False,
    ) -> Any:
        """The parsed body — or, with `spool` and a body too big for memory, the spooled file;
        None for a 404 when `allow_missing`. Retries transient failures, raises typed errors.
        `small`: a small answer asked for many times (a run's detail), sent the cheapest way."""
        # The first attempt skips tenacity (building a Retrying costs as much as a tenth of a
        # small request); a failure is handed to it as its first attempt, so the retries that
        # follow are exactly those of a request that went through it from the start.
        try:
            return self._attempt(path, params, parse, allow_missing, spool, small)
        except Transient as failure:
            first: Transient | None = failure

        def attempt(*args: Any) -> Any:
            nonlocal first
            if first is not None:
                failure, first = first, None
                raise failure
            return self._attempt(*args)

        retrying = Retrying(
            stop=self._backoff.stop_after(self._max_attempts),
            wait=self._backoff.wait,
            retry=retry_if_exception_type(Transient),
            before_sleep=self._note_retry,
            reraise=True,
        )
        try:
            return retrying(attempt, path, params, parse, allow_missing, spool, small)
        except Transient as failure:
            raise gave_up(
                failure,
                endpoint=describe(path, params),
                attempts=retrying.statistics.get("attempt_number", 1),
                max_attempts=self._max_attempts,
                max_total_wait=self._backoff.max_total_wait,
                base_url=self.base_url,
                secret=self._secret(),
            ) from None

    def malformed(self, error: MalformedResponse, *, endpoint: str, status: int) -> ResponseError:
        return response_error(error, endpoint=endpoint, status=status, secret=self._secret())

    def _secret(self) -> str:
        return self._http.headers.get("X-API-Key", "")

    def _attempt(
        self,
        path: str,
        params: dict[str, Any] | None,
        parse: Callable[[bytes], Any],
        allow_missing: bool,
        spool: bool,
        small: bool,
    ) -> Any:
        endpoint = describe(path, params)
        with self._lock:
            self.stats.requests += 1
        if small and self._plain is not None:
            target = f"{path}?{urlencode(params)}" if params else path
            answer = self._plain.get(target)
            status = answer.status
            if not self._accepted(
                status, answer.retry_after, lambda: answer.body, endpoint, allow_missing
            ):
                return None
            body: bytes | IO[bytes] = answer.body
        else:
            try:
                with self._http.stream("GET", path, params=params) as response:
                    status = response.status_code
                    retry_after = response.headers.get("Retry-After")
                    if not self._accepted(
                        status, retry_after, response.read, endpoint, allow_missing
                    ):
                        return None
                    body = receive(response, spool=spool)
            except httpx.TransportError as error:
                raise Transient.from_transport(error) from None
        if not isinstance(body, bytes):
            return body
        try:
            return parse(body)
        except MalformedResponse as error:
            if error.transient:
                raise Transient(reason=error.reason, status=status, snippet=error.snippet) from None
            raise self.malformed(error, endpoint=endpoint, status=status) from None

    def _accepted(
        self,
        status: int,
        retry_after: str | None,
        read: Callable[[], bytes],
        endpoint: str,
        allow_missing: bool,
    ) -> bool:
        """True for a 2xx, False for an allowed 404; raises for the rest (Transient if worth
        another attempt)."""
        if status in RETRY_STATUSES:
            hint = retry_after_seconds(retry_after)
            raise Transient(reason=f"HTTP {status}", status=status, retry_after=hint)
        if status in AUTH_STATUSES:
            raise refused_key(endpoint=endpoint, status=status)
        if status == 404 and allow_missing:
            return False
        if not 200 <= status < 300:
            root_hint = " (is FLINTT_BASE_URL the API root?)" if status == 404 else ""
            error = MalformedResponse(f"unexpected status{root_hint}", snippet=read())
            raise self.malformed(error, endpoint=endpoint, status=status)
        return True

    def _note_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.stats.retries += 1
        failure = state.outcome.exception() if state.outcome else None
        log.warning(
            "Flintt: %s answered %s; retrying in %.1f s (attempt %d of %d)",
            describe(*state.args[:2]),
            getattr(failure, "reason", failure),
            state.upcoming_sleep,
            state.attempt_number + 1,
            self._max_attempts,
        )


def _checked_base_url(base_url: str) -> str:
    # A URL carrying a query (e.g. `?api_key=` copied from the MCP docs) would end up in logs.
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        url = httpx.URL("")
    if url.scheme not in ("http", "https") or not url.host or url.query or url.userinfo:
        raise UnreachableError(
            "FLINTT_BASE_URL must be an http(s) API root without credentials or query, "
            "like https://api.flintt.co"
        )
    return str(url).rstrip("/")
