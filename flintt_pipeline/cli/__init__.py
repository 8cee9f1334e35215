"""The `flintt-pipeline` command line."""

import click

from flintt_pipeline.cli.check import check
from flintt_pipeline.cli.demo import demo
from flintt_pipeline.cli.mcp import mcp_command
from flintt_pipeline.cli.push import push
from flintt_pipeline.cli.query import query
from flintt_pipeline.cli.sandbox import sandbox
from flintt_pipeline.cli.signals import signals
from flintt_pipeline.cli.sync import sync
from flintt_pipeline.cli.webhooks import webhooks


@click.group()
def main() -> None:
    """Keep an analytics copy of a Flintt workspace in DuckDB."""


for command in (demo, sync, check, query, sandbox, webhooks, mcp_command, signals, push):
    main.add_command(command)
