"""`flintt-pipeline check`: is the URL right and does the key work?"""

import click

from flintt_pipeline.cli.instance import api_from_environment, verify_api


@click.command()
def check() -> None:
    """Verify FLINTT_BASE_URL and FLINTT_API_KEY with one cheap request."""
    api = api_from_environment()
    verify_api(api)
    click.echo(f"OK: {api.resolved_base_url} accepts the API key in FLINTT_API_KEY.")
