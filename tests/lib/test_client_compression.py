"""Compressed answers, which the client decodes itself (within its caps): gzip, deflate with and
without its zlib wrapper, small bodies in memory and big lists through the spool file."""

import gzip
import zlib

import orjson
import pytest
from hostile_server import HostileServer, serve_encoded

from flintt_pipeline.lib.api import FlinttClient, ResponseError

KEY = "flt_compression_test_key"


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": ("gzip", gzip.compress),
    "deflate": ("deflate", zlib.compress),
    "raw-deflate": ("deflate", _raw_deflate),
}


def runs(count: int) -> list[dict[str, object]]:
    # Distinct ids and varied text: compresses like real JSON (~5-10 fold), not like a bomb.
    return [
        {"id": f"run_{n:07d}", "status": "completed", "note": f"{n * 7919 % 100003:x}" * 8}
        for n in range(count)
    ]


@pytest.mark.parametrize("kind", list(ENCODERS))
@pytest.mark.parametrize("count", [3, 60_000], ids=["in-memory", "spooled"])
def test_a_compressed_list_is_read_whole(kind: str, count: int) -> None:
    listed = runs(count)
    encoding, encode = ENCODERS[kind]
    body = encode(orjson.dumps(listed))
    if count > 3:
        assert len(orjson.dumps(listed)) > 4 * 1024 * 1024 > len(body)  # spooled once decoded
    with (
        HostileServer(serve_encoded(body, encoding=encoding)) as server,
        FlinttClient(base_url=server.base_url, api_key=KEY, page_size=10 * count) as client,
    ):
        got = [record for batch in client.iter_runs() for record in batch]
    assert got == listed


def test_a_corrupt_compressed_body_is_retried_then_named() -> None:
    body = gzip.compress(orjson.dumps(runs(3)))
    spoiled = body[:20] + bytes(b ^ 0xFF for b in body[20:40]) + body[40:]
    with (
        HostileServer(serve_encoded(spoiled)) as server,
        FlinttClient(base_url=server.base_url, api_key=KEY, max_attempts=2) as client,
        pytest.raises(ResponseError, match="corrupt compressed body after 2 attempts"),
    ):
        client.check()
    assert len(server.targets) == 2


def test_an_unsupported_encoding_is_named() -> None:
    with (
        HostileServer(serve_encoded(b"\x00\x01", encoding="br")) as server,
        FlinttClient(base_url=server.base_url, api_key=KEY) as client,
        pytest.raises(ResponseError, match="unsupported Content-Encoding 'br'"),
    ):
        client.check()
