"""`flintt-pipeline check`: is the URL right and does the key work?"""

import click

from flintt_pipeline.cli.instance import api_from_environment
from flintt_pipeline.lib.client import FlinttError


@click.command()
def check() -> None:
    """Verify FLINTT_BASE_URL and FLINTT_API_KEY with one cheap request."""
    api = api_from_environment()
    try:
        with api.client() as client:
            client.check()
    except FlinttError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"OK: {api.resolved_base_url} accepts the API key in FLINTT_API_KEY.")
