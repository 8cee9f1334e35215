"""A pool of httpx clients and the single place where HTTP outcomes become retries or typed errors.

Retried: 429, 500, 502, 503, 504, refused or dropped connections, timeouts, and a 2xx body that
starts like JSON but does not parse (most likely cut short). Not retried: 401/403 (bad key), other
4xx, bodies that are not JSON at all (e.g. an HTML page: the URL is wrong), bodies over their size
cap, and a request whose total deadline (all its attempts and waits) has passed.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_exception_type

from flintt_pipeline.lib.api import deadline
from flintt_pipeline.lib.api.body import ACCEPTED_ENCODINGS, BodyLimits, read_body, read_head
from flintt_pipeline.lib.api.clients import ClientPool
from flintt_pipeline.lib.api.errors import (
    AuthenticationError,
    ResponseError,
    UnreachableError,
    gave_up,
    past_deadline,
    refused_key,
    rejected,
    response_error,
    uncertain_write,
)
from flintt_pipeline.lib.api.json_stream import (
    SNIPPET_WINDOW_BYTES,
    MalformedResponse,
    object_from_bytes,
)
from flintt_pipeline.lib.api.paths import api_root
from flintt_pipeline.lib.api.redaction import redacted
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
        deadline_seconds: float,
        limits: BodyLimits,
        max_attempts: int,
        max_total_wait: float,
        connections: int,
    ) -> None:
        if not api_key:
            raise AuthenticationError("no Flintt API key: set FLINTT_API_KEY")
        if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
            raise AuthenticationError("FLINTT_API_KEY is malformed (spaces or non-ASCII)")
        try:
            self.base_url = api_root(base_url)
        except ValueError as error:
            raise UnreachableError(str(error)) from None
        self.stats = ClientStats()
        self._deadline_seconds = deadline_seconds
        self._limits = limits
        self._max_attempts = max_attempts
        self._backoff = Backoff(max_total_wait=max_total_wait)
        self._lock = threading.Lock()
        # The key lives only in the headers of the HTTP clients: never in a URL (httpx logs URLs
        # at INFO), never in an attribute of ours that errors or reprs could show.
        headers = {
            "X-API-Key": api_key,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPTED_ENCODINGS,
        }
        self._clients = ClientPool(
            size=connections,
            make=lambda tls: deadline.DeadlineClient(
                base_url=self.base_url,
                headers=headers,
                timeout=timeout,
                verify=tls,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            ),
        )

    def close(self) -> None:
        self._clients.close()

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
    ) -> Any:
        """The parsed body — or, with `spool` and a body too big for memory, the spooled file;
        None for a 404 when `allow_missing`. Retries transient failures, raises typed errors;
        all attempts and the waits between them end within the request's deadline."""
        with deadline.deadline_in(self._deadline_seconds):
            return self._get(path, params, parse, allow_missing, spool)

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None,
        parse: Callable[[bytes], Any],
        allow_missing: bool,
        spool: bool,
    ) -> Any:
        # The first attempt skips tenacity (building a Retrying costs as much as a tenth of a
        # small request); a failure is handed to it as its first attempt, so the retries that
        # follow are exactly those of a request that went through it from the start.
        try:
            return self._attempt(path, params, parse, allow_missing, spool)
        except Transient as failure:
            first: Transient | None = failure

        def attempt(*args: Any) -> Any:
            nonlocal first
            if first is not None:
                failure, first = first, None
                raise failure
            return self._attempt(*args)

        out_of_attempts = self._backoff.stop_after(self._max_attempts)
        retrying = Retrying(
            stop=lambda state: deadline.passed() or out_of_attempts(state),
            wait=_within_deadline(self._backoff.wait),
            retry=retry_if_exception_type(Transient),
            before_sleep=self._note_retry,
            reraise=True,
        )
        endpoint = describe(path, params)
        try:
            return retrying(attempt, path, params, parse, allow_missing, spool)
        except Transient as failure:
            if deadline.passed():
                raise past_deadline(endpoint=endpoint, seconds=self._deadline_seconds) from None
            raise gave_up(
                failure,
                endpoint=endpoint,
                attempts=retrying.statistics.get("attempt_number", 1),
                max_attempts=self._max_attempts,
                max_total_wait=self._backoff.max_total_wait,
                base_url=self.base_url,
                secret=self._secret(),
            ) from None

    def send(
        self, method: str, path: str, *, body: dict[str, Any] | None, idempotent: bool
    ) -> dict[str, Any] | None:
        """A write (POST, PATCH, PUT, DELETE): its JSON answer, None when it has none.

        429 and a connection that never opened are retried: the server did nothing. Other
        transient failures are retried only when `idempotent`; for a create they raise
        UncertainWriteError at once, since it may have been applied with only its answer lost.
        A 4xx raises RejectedError with the server's reason."""
        endpoint = f"{method} {path}"

        def safe(error: BaseException) -> bool:
            return isinstance(error, Transient) and (
                idempotent or error.status == 429 or error.unreachable
            )

        out_of_attempts = self._backoff.stop_after(self._max_attempts)
        with deadline.deadline_in(self._deadline_seconds):
            retrying = Retrying(
                stop=lambda state: deadline.passed() or out_of_attempts(state),
                wait=_within_deadline(self._backoff.wait),
                retry=retry_if_exception(safe),
                before_sleep=self._note_retry,
                reraise=True,
            )
            try:
                return retrying(self._send_attempt, endpoint, method, path, body)
            except Transient as failure:
                if not safe(failure):
                    raise uncertain_write(endpoint=endpoint, reason=failure.reason) from None
                if deadline.passed():
                    raise past_deadline(endpoint=endpoint, seconds=self._deadline_seconds) from None
                raise gave_up(
                    failure,
                    endpoint=endpoint,
                    attempts=retrying.statistics.get("attempt_number", 1),
                    max_attempts=self._max_attempts,
                    max_total_wait=self._backoff.max_total_wait,
                    base_url=self.base_url,
                    secret=self._secret(),
                ) from None

    def _send_attempt(
        self, endpoint: str, method: str, path: str, body: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        with self._lock:
            self.stats.requests += 1
        status = 0
        try:
            with (
                self._clients.client() as http,
                http.stream(method, path, json=body) as response,
            ):
                status = response.status_code
                if status in RETRY_STATUSES:
                    hint = retry_after_seconds(response.headers.get("Retry-After"))
                    raise Transient(reason=f"HTTP {status}", status=status, retry_after=hint)
                if status in AUTH_STATUSES:
                    raise refused_key(endpoint=endpoint, status=status)
                if not 200 <= status < 300:
                    head = read_head(response, size=SNIPPET_WINDOW_BYTES)
                    raise rejected(
                        endpoint=endpoint, status=status, head=head, secret=self._secret()
                    )
                answer = read_body(response, limits=self._limits, spool=False)
            assert isinstance(answer, bytes)
            return object_from_bytes(answer) if answer.strip() else None
        except httpx.TransportError as error:
            raise Transient.from_transport(error) from None
        except MalformedResponse as error:
            raise self._retry_or_fail(error, endpoint=endpoint, status=status) from None

    def malformed(self, error: MalformedResponse, *, endpoint: str, status: int) -> ResponseError:
        # `error` is redacted in place too: it stays reachable as the context of the error
        # raised from it.
        error.snippet = redacted(error.snippet, secret=self._secret())
        return response_error(error, endpoint=endpoint, status=status, secret=self._secret())

    def _retry_or_fail(self, error: MalformedResponse, *, endpoint: str, status: int) -> Exception:
        """A bad body: worth another attempt when it looks cut short, else a ResponseError."""
        if error.transient:
            error.snippet = redacted(error.snippet, secret=self._secret())
            return Transient(reason=error.reason, status=status, snippet=error.snippet)
        return self.malformed(error, endpoint=endpoint, status=status)

    def _secret(self) -> str:
        return self._clients.first.headers.get("X-API-Key", "")

    def _attempt(
        self,
        path: str,
        params: dict[str, Any] | None,
        parse: Callable[[bytes], Any],
        allow_missing: bool,
        spool: bool,
    ) -> Any:
        endpoint = describe(path, params)
        with self._lock:
            self.stats.requests += 1
        status = 0
        try:
            with (
                self._clients.client() as http,
                http.stream("GET", path, params=params) as response,
            ):
                status = response.status_code
                if not self._accepted(response, endpoint, allow_missing):
                    return None
                body = read_body(response, limits=self._limits, spool=spool)
        except httpx.TransportError as error:
            if deadline.passed():
                raise past_deadline(endpoint=endpoint, seconds=self._deadline_seconds) from None
            raise Transient.from_transport(error) from None
        except MalformedResponse as error:
            raise self._retry_or_fail(error, endpoint=endpoint, status=status) from None
        if not isinstance(body, bytes):
            return body
        try:
            return parse(body)
        except MalformedResponse as error:
            raise self._retry_or_fail(error, endpoint=endpoint, status=status) from None

    def _accepted(self, response: httpx.Response, endpoint: str, allow_missing: bool) -> bool:
        """True for a 2xx, False for an allowed 404; raises for the rest (Transient if worth
        another attempt)."""
        status = response.status_code
        if status in RETRY_STATUSES:
            hint = retry_after_seconds(response.headers.get("Retry-After"))
            raise Transient(reason=f"HTTP {status}", status=status, retry_after=hint)
        if status in AUTH_STATUSES:
            raise refused_key(endpoint=endpoint, status=status)
        if status == 404 and allow_missing:
            return False
        if not 200 <= status < 300:
            root_hint = " (is FLINTT_BASE_URL the API root?)" if status == 404 else ""
            head = read_head(response, size=SNIPPET_WINDOW_BYTES)
            error = MalformedResponse(f"unexpected status{root_hint}", snippet=head)
            raise self.malformed(error, endpoint=endpoint, status=status)
        return True

    def _note_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.stats.retries += 1
        failure = state.outcome.exception() if state.outcome else None
        # A write's attempts take the endpoint as their first argument; a read's, path and params.
        endpoint = state.args[0] if " " in state.args[0] else describe(*state.args[:2])
        log.warning(
            "Flintt: %s answered %s; retrying in %.1f s (attempt %d of %d)",
            endpoint,
            getattr(failure, "reason", failure),
            state.upcoming_sleep,
            state.attempt_number + 1,
            self._max_attempts,
        )


def _within_deadline(wait: Callable[[RetryCallState], float]) -> Callable[[RetryCallState], float]:
    def bounded(state: RetryCallState) -> float:
        left = deadline.remaining()
        return wait(state) if left is None else min(wait(state), left)

    return bounded
