"""The client's typed errors and the one-line messages they carry (never the API key)."""

import json

from flintt_pipeline.lib.api.json_stream import MalformedResponse
from flintt_pipeline.lib.api.redaction import public_url, redacted_snippet
from flintt_pipeline.lib.api.retries import Transient


class FlinttError(Exception):
    """Any failure talking to Flintt; str() is one line saying what to do."""


class AuthenticationError(FlinttError):
    """The API key is missing, malformed or refused."""


class UnreachableError(FlinttError):
    """The base URL is invalid or nothing answers there."""


class ServerError(FlinttError):
    """Flintt kept failing (5xx, 429, dropped connections) until the retry budget ran out."""


class ResponseError(FlinttError):
    """Flintt answered, but not with JSON of the expected shape (or with an unexpected status)."""


def refused_key(*, endpoint: str, status: int) -> AuthenticationError:
    return AuthenticationError(
        f"Flintt refused the API key (HTTP {status} from {endpoint}): check FLINTT_API_KEY"
    )


def response_error(
    error: MalformedResponse, *, endpoint: str, status: int, secret: str
) -> ResponseError:
    """`secret` is blanked out of the body excerpt, in case a server echoes the key back."""
    snippet = redacted_snippet(error.snippet, secret=secret)
    shown = f"; body starts {snippet!r}" if snippet else ""
    return ResponseError(
        f"unexpected answer from {endpoint} (HTTP {status}): {error.reason}{shown}"
    )


def past_deadline(*, endpoint: str, seconds: float) -> ServerError:
    return ServerError(
        f"{endpoint} did not complete within its {seconds:g} s deadline (the server or the "
        "network is too slow); try again later or raise FlinttApiResource.request_deadline_seconds"
    )


def gave_up(
    failure: Transient,
    *,
    endpoint: str,
    attempts: int,
    max_attempts: int,
    max_total_wait: float,
    base_url: str,
    secret: str,
) -> FlinttError:
    """The error for a request whose retries ran out, `failure` being its last attempt."""
    if failure.unreachable:
        shown = public_url(base_url)
        return UnreachableError(
            f"cannot reach Flintt at {shown} ({failure.reason}, {attempts} attempts): "
            "check FLINTT_BASE_URL and the network"
        )
    if attempts < max_attempts:
        return ServerError(
            f"{endpoint} answered {failure.reason} asking to wait {failure.retry_after:.0f} s, "
            f"beyond the {max_total_wait:.0f} s of waiting allowed; try again later"
        )
    if failure.status is not None and 200 <= failure.status < 300:
        malformed = MalformedResponse(
            f"{failure.reason} after {attempts} attempts", snippet=failure.snippet
        )
        return response_error(malformed, endpoint=endpoint, status=failure.status, secret=secret)
    return ServerError(
        f"Flintt kept failing on {endpoint}: {failure.reason} after {attempts} attempts; "
        "try again later"
    )


class RejectedError(FlinttError):
    """Flintt refused a write with a 4xx (422: the record is invalid); `message` is its reason."""

    def __init__(self, line: str, *, status: int, message: str) -> None:
        super().__init__(line)
        self.status = status
        self.message = message


class UncertainWriteError(ServerError):
    """A write that is not idempotent (a create) failed in a way that leaves unknown whether
    Flintt applied it (timeout, dropped connection, 5xx): look before trying again."""


def rejected(*, endpoint: str, status: int, head: bytes, secret: str) -> RejectedError:
    """The error for a refused write, carrying the reason Flintt gave (never the key)."""
    message = redacted_snippet(_reason(head).encode(), secret=secret).decode(errors="replace")
    return RejectedError(
        f"Flintt refused {endpoint} (HTTP {status}): {message or 'no reason given'}",
        status=status,
        message=message,
    )


def _reason(head: bytes) -> str:
    """`message`, `detail` (a string or FastAPI-style list) or `error` of a JSON error body;
    else the start of the body as text."""
    try:
        body = json.loads(head)
    except ValueError:
        return " ".join(head.decode(errors="replace").split())
    if not isinstance(body, dict):
        return " ".join(str(body).split())
    for name in ("message", "detail", "error"):
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value:
            return "; ".join(_item(item) for item in value)
    return " ".join(head.decode(errors="replace").split())


def _item(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = item.get("loc")
    field = where[-1] if isinstance(where, list) and where else None
    text = str(item.get("msg", item))
    return f"{field}: {text}" if field else text


def uncertain_write(*, endpoint: str, reason: str) -> UncertainWriteError:
    return UncertainWriteError(
        f"{endpoint} failed ({reason}); Flintt may or may not have applied it"
    )
