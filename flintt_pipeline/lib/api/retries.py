"""When a failed request is worth another attempt, and how long to wait before it.

Waits are exponential with full jitter (a uniform draw below 0.5 s, 1 s, 2 s, ... capped at 30 s),
never shorter than a server's `Retry-After`, and all of a request's waits together stay within
`max_total_wait`: a `Retry-After` that would break that budget ends the retries at once.
"""

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from tenacity import RetryCallState

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


class Transient(Exception):
    """One failed attempt that another attempt may fix."""

    def __init__(
        self,
        *,
        reason: str,
        status: int | None = None,
        retry_after: float = 0.0,
        unreachable: bool = False,
        snippet: bytes = b"",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.unreachable = unreachable
        self.snippet = snippet

    @classmethod
    def from_transport(cls, error: httpx.TransportError) -> "Transient":
        """Name the failure by kind only: httpx messages can carry request details."""
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            return cls(reason="connection refused or host unknown", unreachable=True)
        if isinstance(error, httpx.TimeoutException):
            return cls(reason="timed out waiting for the answer")
        if isinstance(error, httpx.UnsupportedProtocol):
            return cls(reason="unsupported URL scheme", unreachable=True)
        return cls(reason=f"connection dropped ({type(error).__name__})")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float:
    """Seconds a `Retry-After` asks for (delay-seconds or HTTP-date); 0 for none or garbage."""
    if not value:
        return 0.0
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return 0.0
        if moment.tzinfo is None:
            return 0.0
        # HTTP-dates have whole seconds; rounding up keeps us from coming back early.
        seconds = math.ceil(moment.timestamp() - (time.time() if now is None else now))
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


@dataclass(frozen=True, kw_only=True)
class Backoff:
    max_total_wait: float
    # (low, high) -> a uniform draw between them; tests pass their own to pin the jitter.
    uniform: Callable[[float, float], float] = field(default=random.uniform, repr=False)

    def _hint(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        return failure.retry_after if isinstance(failure, Transient) else 0.0

    def stop_after(self, max_attempts: int) -> Any:
        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= max_attempts:
                return True
            return self._hint(state) > self.max_total_wait - state.idle_for

        return stop

    def wait(self, state: RetryCallState) -> float:
        # The exponent is bounded so a long run of attempts cannot overflow the float.
        doubling = 2.0 ** min(state.attempt_number - 1, 64)
        jitter = self.uniform(0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * doubling))
        budget = max(0.0, self.max_total_wait - state.idle_for)
        return max(self._hint(state), min(jitter, budget))


def describe(path: str, params: dict[str, Any] | None) -> str:
    """`GET /v1/runs?limit=1000&offset=0`: how a request is named in messages (no secrets in it)."""
    return f"GET {path}?{urlencode(params)}" if params else f"GET {path}"
