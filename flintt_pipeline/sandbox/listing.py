"""List responses: paging, the configured shape, and streaming of big lists.

The body is assembled from each record's stored bytes; lists above `STREAM_THRESHOLD` records are
streamed in chunks so the sandbox never holds a second copy of a million-record list.
"""

from collections.abc import Iterator
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response, StreamingResponse

from flintt_pipeline.sandbox.config import Settings
from flintt_pipeline.sandbox.validation import query_int

DEFAULT_LIMIT = 50
STREAM_THRESHOLD = 5_000
CHUNK_RECORDS = 2_000
JSON = "application/json"


class JsonResponse(JSONResponse):
    """JSON rendered by orjson: whole-workspace answers (run results) are ten times faster."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def page_bounds(params: Any, *, settings: Settings, paged: bool, total: int) -> tuple[int, int]:
    """(start, stop) of the page to answer; the whole list when this list is not paged."""
    if settings.ignore_paging or not paged:
        return 0, total
    limit = query_int(params, "limit", default=DEFAULT_LIMIT, minimum=1)
    offset = query_int(params, "offset", default=0, minimum=0)
    if settings.max_page_size is not None:
        limit = min(limit, settings.max_page_size)
    return min(offset, total), min(offset + limit, total)


def list_response(items: list[bytes], *, params: Any, settings: Settings, paged: bool) -> Response:
    start, stop = page_bounds(params, settings=settings, paged=paged, total=len(items))
    if settings.list_shape == "array":
        head, tail = b"[", b"]"
    else:
        head = b'{"' + settings.list_shape.encode() + b'":['
        tail = b'],"total":' + str(len(items)).encode() + b"}"
    if stop - start <= STREAM_THRESHOLD:
        return Response(head + b",".join(items[start:stop]) + tail, media_type=JSON)
    return StreamingResponse(
        _chunks(items, start=start, stop=stop, head=head, tail=tail), media_type=JSON
    )


def _chunks(
    items: list[bytes], *, start: int, stop: int, head: bytes, tail: bytes
) -> Iterator[bytes]:
    yield head
    for chunk_start in range(start, stop, CHUNK_RECORDS):
        separator = b"," if chunk_start > start else b""
        yield separator + b",".join(items[chunk_start : min(chunk_start + CHUNK_RECORDS, stop)])
    yield tail
