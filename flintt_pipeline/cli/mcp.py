"""`flintt-pipeline mcp`: the read-only MCP server, over stdio or (with --http) streamable HTTP."""

import os
from pathlib import Path

import click

from flintt_pipeline.cli.instance import warehouse_and_read_copy


@click.command("mcp")
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --http.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8765,
    show_default=True,
    help="Port for --http.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="Most rows one query may return (a query asks for 200 unless it says otherwise).",
)
@click.option(
    "--query-timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds after which a query is stopped.",
)
def mcp_command(use_http: bool, host: str, port: int, max_rows: int, query_timeout: float) -> None:
    """Serve the warehouse read-only to MCP clients (Claude Desktop, ...): the read copy
    ($FLINTT_READ_DUCKDB_PATH) when it exists, else the live warehouse ($FLINTT_DUCKDB_PATH)."""
    # Imported here so other commands do not pay for the MCP SDK.
    from flintt_pipeline.lib.sql_models import SqlModelError, load_models, shipped_models_dir
    from flintt_pipeline.mcp.http import TOKEN_ENV, serve_http
    from flintt_pipeline.mcp.server import Limits, build_server
    from flintt_pipeline.mcp.source import SourceError, Sources, check_name

    token = os.environ.get(TOKEN_ENV, "").strip()
    if use_http and not token:
        raise click.ClickException(
            f"{TOKEN_ENV} is not set: set it to the bearer token MCP clients must send; "
            "--http refuses to serve without one"
        )
    database, read_copy = warehouse_and_read_copy()
    sources = Sources(read_copy=Path(read_copy).absolute(), live=Path(database).absolute())
    try:
        check_name(sources.read_copy)
        check_name(sources.live)
        models = load_models(shipped_models_dir())
    except (SourceError, SqlModelError) as error:
        raise click.ClickException(str(error)) from None
    server = build_server(
        sources=sources,
        limits=Limits(max_rows=max_rows, timeout_seconds=query_timeout),
        models=models,
    )
    if use_http:
        serve_http(server, host=host, port=port, token=token)
    else:
        server.run("stdio")
