"""`flintt-pipeline sandbox`: serve a local Flintt-compatible API in the foreground."""

import time

import click

from flintt_pipeline.sandbox import Sandbox, SandboxConfig, SettingsError, bind, serve
from flintt_pipeline.sandbox.config import DROP_MODES, FAULTS, LIST_SHAPES


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Same seed and sizes give the same workspace, byte for byte.",
)
@click.option("--companies", default=2_000, show_default=True, type=click.IntRange(min=0))
@click.option("--prospects", default=5_000, show_default=True, type=click.IntRange(min=0))
@click.option("--signals", default=40, show_default=True, type=click.IntRange(min=0))
@click.option("--runs", default=400, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--mean-results",
    default=8,
    show_default=True,
    type=click.IntRange(min=0),
    help="Average number of results of a completed run.",
)
@click.option(
    "--list-shape",
    type=click.Choice(LIST_SHAPES),
    default="array",
    show_default=True,
    help="Bare array, or an object holding the list under this key.",
)
@click.option(
    "--max-page-size",
    type=click.IntRange(min=1),
    default=None,
    help="Cap applied to `limit` on paged lists.",
)
@click.option(
    "--page-all-lists",
    is_flag=True,
    help="Companies, prospects and signals honour limit/offset too.",
)
@click.option("--ignore-paging", is_flag=True, help="Every list ignores limit/offset.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--fault",
    type=click.Choice(FAULTS),
    default=None,
    help="Fault to inject into /v1 requests (with --fault-rate or --fault-count).",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Probability of the fault per request (seeded).",
)
@click.option(
    "--fault-count",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Inject the fault into exactly the next N requests.",
)
@click.option("--fault-path", default=None, help="Only requests whose path starts with this.")
@click.option(
    "--retry-after",
    default=None,
    help='Retry-After of 429s: seconds ("2"), "date" or "date:N" (an HTTP-date).',
)
@click.option(
    "--drift-runs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="New runs inserted before each /v1/runs request with offset > 0.",
)
@click.option(
    "--drop-mode",
    type=click.Choice(DROP_MODES),
    default="alternate",
    show_default=True,
    help="Where the drop fault closes the connection.",
)
def sandbox(*, host: str, port: int, **options: object) -> None:
    """Serve a local Flintt-compatible API with a synthetic workspace (Ctrl-C stops it)."""
    if options["fault"] and not (options["fault_rate"] or options["fault_count"]):
        raise click.UsageError("--fault needs --fault-rate or --fault-count to say when it applies")
    try:
        config = SandboxConfig(**options)  # type: ignore[arg-type]
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    try:
        listener = bind(host=host, port=port)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({error.strerror}); choose another --port"
        ) from None
    started = time.perf_counter()
    built = Sandbox(config=config)
    bound_host, bound_port = listener.getsockname()[:2]
    url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{url_host}:{bound_port}"
    click.echo(
        f"Flintt sandbox: {config.companies:,} companies, {config.prospects:,} prospects, "
        f"{config.signals:,} signals, {config.runs:,} runs (seed {config.seed}), "
        f"built in {time.perf_counter() - started:.1f}s"
    )
    click.echo(f"FLINTT_BASE_URL={base_url}")
    click.echo(f"FLINTT_API_KEY={built.api_key}")
    click.echo(f"FLINTT_MANAGEMENT_TOKEN={built.management_token}")
    click.echo(f"Control API: {base_url}/_sandbox/  (Ctrl-C to stop)")
    try:
        serve(built, listener=listener)
    except KeyboardInterrupt:
        # uvicorn re-raises the Ctrl-C it handled; stopping is the expected way out, not an error.
        click.echo("Sandbox stopped.")
