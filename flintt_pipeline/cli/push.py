"""`flintt-pipeline push companies|prospects --query SQL`: create the records Flintt lacks."""

import click

from flintt_pipeline.cli.instance import api_from_environment
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.api import FlinttError
from flintt_pipeline.lib.push import DEFAULT_CONCURRENCY, ColumnsError, Stream
from flintt_pipeline.lib.push.run import run_push
from flintt_pipeline.lib.warehouse import WarehouseError


def _push(stream: Stream, query: str, dry_run: bool, concurrency: int) -> None:
    api = api_from_environment()
    try:
        with api.client() as client, WarehouseResource().open(log=_wait_note) as warehouse:
            warehouse.bind_source(api.resolved_base_url)
            summary = run_push(
                client=client,
                warehouse=warehouse,
                stream=stream,
                query=query,
                dry_run=dry_run,
                concurrency=concurrency,
                say=lambda line: click.echo(f"  {line}"),
            )
    except (FlinttError, WarehouseError, ColumnsError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary.line())
    if summary.count("failed"):
        raise SystemExit(1)


def _command(stream: Stream, columns: str) -> click.Command:
    @click.command(
        name=stream, help=f"Create the {stream} of a query that Flintt lacks (columns: {columns})."
    )
    @click.option("--query", required=True, help="A SELECT over the warehouse.")
    @click.option("--dry-run", is_flag=True, help="Show what would be created; send nothing.")
    @click.option(
        "--concurrency",
        default=DEFAULT_CONCURRENCY,
        show_default=True,
        type=click.IntRange(1, 32),
        help="Creates in flight at once.",
    )
    def command(query: str, dry_run: bool, concurrency: int) -> None:
        _push(stream, query, dry_run, concurrency)

    return command


@click.group()
def push() -> None:
    """Push warehouse rows to Flintt, deduplicated and idempotent; logged in flintt.push_log."""


push.add_command(_command("companies", "name, domain, linkedin_url"))
push.add_command(
    _command("prospects", "name, email, title, linkedin_url, company_id or company_domain")
)


def _wait_note(message: str) -> None:
    click.echo(message, err=True)
