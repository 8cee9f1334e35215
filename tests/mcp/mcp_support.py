"""What the MCP tests share: a warehouse synced from the sandbox through Dagster, a published read
copy of it, the server as a real subprocess (stdio or HTTP), and the SDK's client driven from
synchronous tests through an anyio blocking portal."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult

from flintt_pipeline.defs.ingest.assets import raw_assets
from flintt_pipeline.defs.models.assets import model_assets
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle

WORKSPACE = SandboxConfig(seed=5, companies=15, prospects=25, signals=4, runs=16, mean_results=3)
# Values that must never appear in an answer: the server's environment holds both.
MCP_TOKEN = "mcp-token-7f3a9c1e5b"
API_KEY = "flt_live_key_4d2e8b6a0c"
CLI = str(Path(sys.executable).parent / "flintt-pipeline")
PUBLISHED_AT = "2026-01-02T03:04:05+00:00"
# Would run for hours: only the time limit ends it.
LONG_QUERY = (
    "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = 3"
)


def sync(database: str, sandbox: SandboxHandle) -> dg.ExecuteInProcessResult:
    """The raw assets and the models, materialized into `database` from the sandbox."""
    resources = {
        "flintt": FlinttApiResource(
            api_key=sandbox.api_key, base_url=sandbox.base_url, timeout_seconds=10.0
        ),
        "warehouse": WarehouseResource(database=database),
    }
    return dg.materialize(
        [*raw_assets, *model_assets],
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def publish(live: str, read_copy: str) -> None:
    """A read copy as the publishing step leaves it: the warehouse, plus `flintt._published`."""
    shutil.copyfile(live, read_copy)
    with duckdb.connect(read_copy) as connection:
        connection.execute("CREATE TABLE flintt._published (published_at TIMESTAMPTZ)")
        connection.execute("INSERT INTO flintt._published VALUES (?::TIMESTAMPTZ)", [PUBLISHED_AT])


def server_env(*, live: str, read_copy: str, **extra: str) -> dict[str, str]:
    """The server's environment (compiled bytecode shared as tests/conftest.py sets it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLINTT_", "DAGSTER_"))}
    return env | {
        "FLINTT_DUCKDB_PATH": live,
        "FLINTT_READ_DUCKDB_PATH": read_copy,
        "FLINTT_API_KEY": API_KEY,
        "FLINTT_MCP_TOKEN": MCP_TOKEN,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Session:
    """A ClientSession living in a portal's event loop, called from synchronous tests (from
    several threads at once if need be)."""

    def __init__(self, portal: BlockingPortal, session: ClientSession) -> None:
        self.portal = portal
        self.session = session
        self.texts: list[str] = []

    def call(self, tool: str, **arguments: Any) -> CallToolResult:
        result = self.portal.call(self.session.call_tool, tool, arguments)
        self.texts += [getattr(block, "text", "") for block in result.content]
        return result

    def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        result = self.call(tool, **arguments)
        assert not result.is_error, result.content
        structured = result.structured_content
        assert structured is not None
        assert json.loads(result.content[0].text) == structured
        return structured

    def error(self, tool: str, **arguments: Any) -> str:
        result = self.call(tool, **arguments)
        assert result.is_error, result.structured_content
        return result.content[0].text

    def query(self, sql: str, **arguments: Any) -> dict[str, Any]:
        return self.ok("run_query", sql=sql, **arguments)

    def refused(self, sql: str) -> str:
        return self.error("run_query", sql=sql)


@contextmanager
def connected(
    transport: Callable[[], AbstractAsyncContextManager[Any]],
) -> Iterator[Session]:
    @asynccontextmanager
    async def session() -> Any:
        async with transport() as streams, ClientSession(streams[0], streams[1]) as client:
            await client.initialize()
            yield client

    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(session()) as client,
    ):
        yield Session(portal, client)


def stdio_transport(
    env: dict[str, str], *, errlog: Any, args: tuple[str, ...] = ()
) -> Callable[[], AbstractAsyncContextManager[Any]]:
    params = StdioServerParameters(command=CLI, args=["mcp", *args], env=env)
    return lambda: stdio_client(params, errlog=errlog)


def http_transport(url: str, *, token: str) -> Callable[[], AbstractAsyncContextManager[Any]]:
    @asynccontextmanager
    async def transport() -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            create_mcp_http_client(headers=headers) as client,
            streamable_http_client(url, http_client=client) as streams,
        ):
            yield streams

    return transport


@contextmanager
def http_server(env: dict[str, str], *, args: tuple[str, ...] = ()) -> Iterator[str]:
    """`flintt-pipeline mcp --http` on a free loopback port; yields its URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [CLI, "mcp", "--http", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(
                    f"server exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server never answered")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
