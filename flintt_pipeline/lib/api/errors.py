"""The client's typed errors and the one-line messages they carry (never the API key)."""

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
