"""The client against a hostile server: endless and trickling bodies, a decompression bomb, an
error page echoing the key, hostile ids. Each ends in one clear FlinttError, with memory, disk
and bytes read bounded, and no part of the key shown."""

import json
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_server import (
    TRICKLE_HEAD,
    Exchange,
    HostileServer,
    endless_json,
    fixed,
    gzip_bomb,
    head,
    serve_encoded,
    trickle,
)

from flintt_pipeline.defs.resources import FlinttApiResource
from flintt_pipeline.lib.api import FlinttClient, FlinttError, ResponseError, ServerError

MIB = 1024 * 1024
KEY = "flt_live_" + "Zq8Xw3Rt6Yp1Lk4Mn7Bv0Cx2Jh5Gf9Ds3Ae6Wu8Io1P"  # 52 characters
RUNNER = Path(__file__).with_name("bounded_client.py")
# Socket buffers between the server and the client hold a few MiB the client never read.
IN_FLIGHT_BYTES = 16 * MIB


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


def bounded_call(base_url: str, what: str, *, file_limit: int, **options: Any) -> dict[str, Any]:
    """One client call in its own process, its file writes capped at `file_limit` bytes."""
    done = subprocess.run(
        [sys.executable, str(RUNNER), base_url, what, json.dumps(options), str(file_limit)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def everything_said(error: BaseException) -> str:
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts + traceback.format_exception(error))


def test_an_endless_list_stops_at_the_spool_cap_on_disk_and_on_the_wire() -> None:
    with HostileServer(endless_json) as server:
        got = bounded_call(server.base_url, "list", file_limit=12 * MIB, max_spool_mib=8)
    assert got["error"] == "ResponseError", got
    assert "larger than the 8 MiB allowed" in got["message"]
    assert "max_spool_mib" in got["message"] and "\n" not in got["message"]
    assert got["requests"] == 1
    assert server.sent < 8 * MIB + IN_FLIGHT_BYTES


def test_an_endless_detail_stops_at_the_memory_cap() -> None:
    with HostileServer(endless_json) as server:
        got = bounded_call(server.base_url, "detail", file_limit=MIB, max_body_mib=4)
    assert got["error"] == "ResponseError", got
    assert "larger than the 4 MiB allowed" in got["message"] and "max_body_mib" in got["message"]
    assert got["requests"] == 1
    assert got["rss_growth_mib"] < 40
    assert server.sent < 4 * MIB + IN_FLIGHT_BYTES


@pytest.mark.parametrize("what", ["check", "detail", "list"])
def test_a_gzip_bomb_is_refused_early_with_default_caps(what: str, bomb: bytes) -> None:
    assert len(bomb) < 1.1 * MIB
    with HostileServer(serve_encoded(bomb)) as server:
        got = bounded_call(server.base_url, what, file_limit=MIB)
    assert got["error"] == "ResponseError", got
    assert "decompression bomb" in got["message"]
    assert got["requests"] == 1
    # 1 GiB decoded would show as ~1,000 MiB (in memory) or a failed write (on disk).
    assert got["rss_growth_mib"] < 40


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_trickle_ends_at_the_request_deadline(in_headers: bool) -> None:
    with HostileServer(trickle(in_headers=in_headers)) as server:
        client = FlinttClient(base_url=server.base_url, api_key=KEY, deadline_seconds=2)
        with client, pytest.raises(ServerError) as caught:
            client.check()
        assert client.stats.requests == 1 and client.stats.retries == 0
    message = str(caught.value)
    assert "GET /v1/runs?limit=1 did not complete within its 2 s deadline" in message
    assert "request_deadline_seconds" in message and "\n" not in message
    # A byte a second for 2 s: the trickle was cut off, not waited out (1,000 bytes).
    trickled = server.sent - (0 if in_headers else len(TRICKLE_HEAD))
    assert 0 < trickled < 20


def test_the_deadline_holds_through_a_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with HostileServer(trickle(in_headers=False)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        client = FlinttClient(base_url="http://flintt.invalid", api_key=KEY, deadline_seconds=2)
        with client, pytest.raises(ServerError, match="2 s deadline"):
            client.check()
    assert proxy.targets == ["http://flintt.invalid/v1/runs?limit=1"]


def test_deadline_covers_retries_too() -> None:
    retry_soon = fixed("503 Service Unavailable", b"{}")
    with HostileServer(retry_soon) as server:
        client = FlinttClient(
            base_url=server.base_url, api_key=KEY, deadline_seconds=1.5, max_attempts=1000
        )
        with client, pytest.raises(ServerError, match=r"1\.5 s deadline"):
            client.check()
    # Back-off waits of 0.5 s, 1 s, ... (jittered): a 1.5 s deadline leaves room for a few.
    assert 2 <= len(server.targets) < 20


@pytest.mark.parametrize("status", ["400 Bad Request", "200 OK"])
def test_the_key_echoed_at_any_offset_never_shows(status: str) -> None:
    # Across the 80-byte snippet's cut, and across the end of the 4 KiB window errors keep.
    offsets = [*range(0, 140), *range(4096 - 60, 4096 + 4)]
    bodies = iter(
        b'{"detail": "' + b"x" * offset + KEY.encode() + b" " + KEY.encode() + b'",'
        for offset in offsets
    )

    def echo(exchange: Exchange) -> None:
        fixed(status, next(bodies))(exchange)

    with HostileServer(echo) as server:
        client = FlinttClient(base_url=server.base_url, api_key=KEY, max_attempts=1)
        for offset in offsets:
            with pytest.raises(ResponseError) as caught:
                client.check()
            said = everything_said(caught.value)
            leaked = {KEY[i : i + 8] for i in range(len(KEY) - 7)} & {
                said[i : i + 8] for i in range(len(said) - 7)
            }
            assert not leaked, (offset, str(caught.value))
            shown = 'body starts b\'{"detail": "' + "x" * min(offset, 60)
            assert shown in str(caught.value)
            if offset < 60:
                assert "***" in str(caught.value)
        client.close()
    assert len(server.targets) == len(offsets)


def test_ids_are_escaped_as_one_path_segment() -> None:
    ids = ["..", ".", "../companies/abc", "a/b?c#d", "%2e%2e", "run 1"]
    with (
        HostileServer(fixed("404 Not Found", b"")) as server,
        FlinttClient(base_url=server.base_url + "/api", api_key=KEY) as client,
    ):
        got = dict(client.get_runs(ids))
        with pytest.raises(ResponseError, match="empty id"):
            list(client.get_runs([""]))
    assert got == dict.fromkeys(ids)
    assert sorted(server.targets) == sorted(
        [
            "/api/v1/runs/%2E%2E",
            "/api/v1/runs/%2E",
            "/api/v1/runs/..%2Fcompanies%2Fabc",
            "/api/v1/runs/a%2Fb%3Fc%23d",
            "/api/v1/runs/%252e%252e",
            "/api/v1/runs/run%201",
        ]
    )


def test_a_cookie_the_server_sets_is_never_sent_back() -> None:
    def sets_a_cookie(exchange: Exchange) -> None:
        exchange.send(head(Set_Cookie="session=tracked; Path=/", Content_Length="2") + b"[]")

    with (
        HostileServer(sets_a_cookie) as server,
        FlinttClient(base_url=server.base_url, api_key=KEY) as client,
    ):
        client.check()
        client.check()
    assert len(server.heads) == 2
    assert all(b"cookie:" not in request.lower() for request in server.heads), server.heads


def test_the_resource_passes_its_limits_to_the_client() -> None:
    with HostileServer(endless_json) as server:
        resource = FlinttApiResource(
            api_key=KEY, base_url=server.base_url, max_body_mib=1, request_deadline_seconds=30
        )
        with resource.client() as client, pytest.raises(FlinttError, match="1 MiB allowed"):
            client.check()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # httpx honours proxy variables; the hostile server is on loopback.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
