"""The `flintt-pipeline` command line."""

import click

from flintt_pipeline.cli.sandbox import sandbox


@click.group()
def main() -> None:
    """Keep an analytics copy of a Flintt workspace in DuckDB."""


main.add_command(sandbox)
