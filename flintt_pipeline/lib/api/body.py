"""Reading a response body within size caps, before and after decompression.

The body is read raw and decoded here, a bounded piece at a time, so a small compressed body that
expands a thousandfold (a decompression bomb) is refused after the cap, never held whole: httpx's
own decoders expand each network chunk completely. Caps apply to the bytes on the wire and to the
decoded bytes alike; an in-memory body (a run's detail, `check`, an error page) has one cap, a list
body spooled to a temporary file another, so a listing may be large but never fill the disk.
"""

import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import httpx

from flintt_pipeline.lib.api.json_stream import MalformedResponse

# Bodies up to this size stay in memory even when they may be spooled; bigger ones go to a file
# and are parsed as a stream, so memory stays flat however large the workspace.
MEMORY_BODY_BYTES = 4 * 1024 * 1024
# Largest piece decoded at once: memory held beyond the cap is at most this.
DECODE_PIECE_BYTES = 1024 * 1024
# JSON of real records compresses 5-20 fold; far beyond that the body is a bomb, refused early
# whatever the caps (past the first piece, which may be a tiny compressed `[]`-like answer).
MAX_EXPANSION = 200
# The codings decoded here, sent as Accept-Encoding so a server sends no other.
ACCEPTED_ENCODINGS = "gzip, deflate"
SETTINGS = "FlinttApiResource"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True, kw_only=True)
class BodyLimits:
    """`memory_bytes`: cap of a body held in memory; `spool_bytes`: of a list spooled to disk."""

    memory_bytes: int
    spool_bytes: int


def _too_big(limit: int, setting: str) -> MalformedResponse:
    return MalformedResponse(f"body larger than the {_size(limit)} allowed (raise {setting})")


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:,.0f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _decoded(response: httpx.Response, *, limit: int, setting: str) -> Iterator[bytes]:
    """The decoded body in pieces of at most DECODE_PIECE_BYTES, raising past `limit` bytes on
    the wire or decoded. Nothing beyond the piece that crosses the cap is read or decoded."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_big(limit, setting)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *_WBITS):
        raise MalformedResponse(f"unsupported Content-Encoding {encoding[:20]!r}")
    decoder = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    wire = consumed = decoded = 0
    for chunk in response.iter_raw():
        wire += len(chunk)
        if wire > limit:
            raise _too_big(limit, setting)
        if decoder is None:
            decoded += len(chunk)
            yield chunk
            continue
        pending = chunk
        while pending:
            try:
                piece = decoder.decompress(pending, DECODE_PIECE_BYTES)
            except zlib.error:
                raise MalformedResponse("corrupt compressed body", transient=True) from None
            # The expansion is judged on the compressed bytes this piece came from, not on the
            # whole network chunk, which a bomb can expand to far more than the cap.
            consumed += len(pending) - len(decoder.unconsumed_tail)
            pending = decoder.unconsumed_tail
            decoded += len(piece)
            if decoded > limit:
                raise _too_big(limit, setting)
            if decoded > DECODE_PIECE_BYTES and decoded > MAX_EXPANSION * consumed:
                raise MalformedResponse(
                    f"compressed body expands over {MAX_EXPANSION}-fold (a decompression bomb?)"
                )
            yield piece
    if decoder is not None and not decoder.eof:
        raise MalformedResponse("compressed body cut short", transient=True)


def read_body(response: httpx.Response, *, limits: BodyLimits, spool: bool) -> bytes | IO[bytes]:
    """The body in memory, or — when `spool` and it outgrows MEMORY_BODY_BYTES — in a temporary
    file positioned at its start. Reading it all before parsing means a connection dropped
    mid-body fails this attempt (and is retried) instead of a half-consumed listing."""
    if not spool:
        memory = _decoded(response, limit=limits.memory_bytes, setting=f"{SETTINGS}.max_body_mib")
        return b"".join(memory)
    pieces = _decoded(response, limit=limits.spool_bytes, setting=f"{SETTINGS}.max_spool_mib")
    chunks: list[bytes] = []
    size = 0
    for piece in pieces:
        chunks.append(piece)
        size += len(piece)
        if size > MEMORY_BODY_BYTES:
            file = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
            try:
                file.writelines(chunks)
                chunks.clear()
                for rest in pieces:
                    file.write(rest)
                file.seek(0)
            except BaseException:
                file.close()
                raise
            return file
    return b"".join(chunks)


def read_head(response: httpx.Response, *, size: int) -> bytes:
    """At most the first `size` decoded bytes (of an error page, shown in a message); what
    cannot be read or decoded is left out."""
    head = bytearray()
    try:
        for piece in _decoded(response, limit=1 << 62, setting=""):
            head += piece[: size - len(head)]
            if len(head) >= size:
                break
    except (MalformedResponse, httpx.TransportError):
        pass
    return bytes(head)
