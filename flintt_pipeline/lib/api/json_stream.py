"""Turning a list response body into batches of records, whatever its size and shape.

Flintt's list shape is undocumented: a bare JSON array, or an object holding the list under
`data`, `items` or `results`. Small bodies are decoded at once with orjson (fastest); bodies too
big to hold in memory are spooled to a file (by `body`) and parsed here as a stream with ijson's C
backend, so a 500k-record listing never exists as one Python object tree.
"""

from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

import ijson
import orjson

LIST_KEYS = ("data", "items", "results")
# How much of a bad body an error keeps: far more than it shows, so that a secret echoed across
# the cut is still whole, and redacted, when the message is made (see `redaction`).
SNIPPET_WINDOW_BYTES = 4096
_IJSON = ijson.get_backend("yajl2_c")
_WHITESPACE = b" \t\r\n"


class MalformedResponse(ValueError):
    """A body that is not JSON or not a list of records; the client adds the endpoint."""

    def __init__(self, reason: str, *, snippet: bytes = b"", transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.snippet = snippet[:SNIPPET_WINDOW_BYTES]
        # A body that starts like JSON but does not parse was most likely cut short on the way,
        # so it is worth another request; anything else (HTML, a bare string) will not improve.
        self.transient = transient


def first_byte(head: bytes) -> bytes:
    stripped = head.lstrip(_WHITESPACE)
    return stripped[:1]


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # Raised here, not in the handler: the decoder's error holds the whole body (and any secret
    # echoed in it), and would stay reachable as this error's context.
    raise MalformedResponse("invalid or truncated JSON", snippet=body, transient=True)


def records_from_bytes(body: bytes) -> list[dict[str, Any]]:
    """The records in a body held in memory."""
    start = first_byte(body[:4096])
    if start not in (b"[", b"{"):
        raise MalformedResponse("not JSON", snippet=body)
    decoded = _loads(body)
    if isinstance(decoded, list):
        return decoded
    for key in LIST_KEYS:
        value = decoded.get(key)
        if isinstance(value, list):
            return value
    raise MalformedResponse(
        f"expected a JSON array or an object with one of {', '.join(LIST_KEYS)}", snippet=body
    )


def object_from_bytes(body: bytes) -> dict[str, Any]:
    """A single JSON object held in memory (a run's detail)."""
    # Like a list body: garbled JSON is worth another request whatever bracket it starts with.
    if first_byte(body[:4096]) not in (b"[", b"{"):
        raise MalformedResponse("expected a JSON object", snippet=body)
    decoded = _loads(body)
    if not isinstance(decoded, dict):
        raise MalformedResponse("expected a JSON object", snippet=body)
    return decoded


def _list_prefix(file: IO[bytes]) -> str:
    """The ijson prefix of the records in a spooled body, found by reading only up to the list."""
    head = file.read(4096)
    file.seek(0)
    start = first_byte(head)
    if start == b"[":
        return "item"
    if start != b"{":
        raise MalformedResponse("not JSON", snippet=head)
    events = _IJSON.parse(file)
    try:
        for prefix, event, value in events:
            if prefix == "" and event == "map_key" and value in LIST_KEYS:
                _, next_event, _ = next(events)
                if next_event == "start_array":
                    return f"{value}.item"
    except ijson.JSONError:
        raise MalformedResponse("invalid or truncated JSON", snippet=head) from None
    finally:
        file.seek(0)
    raise MalformedResponse(
        f"expected a JSON array or an object with one of {', '.join(LIST_KEYS)}", snippet=head
    )


def stream_records(file: IO[bytes], *, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of the records in a spooled body, parsed incrementally.

    A parse error here surfaces after earlier batches were already handed out, so it is never
    retried: the caller's listing fails as a whole.
    """
    prefix = _list_prefix(file)
    items = _IJSON.items(file, prefix, use_float=True)
    try:
        while batch := list(islice(items, batch_size)):
            yield batch
    except ijson.JSONError:
        file.seek(0)
        snippet = file.read(SNIPPET_WINDOW_BYTES)
        raise MalformedResponse("invalid or truncated JSON", snippet=snippet) from None
