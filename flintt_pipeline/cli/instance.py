"""What every command shares: the Dagster instance and the settings read from the environment."""

import os
from pathlib import Path

import click
import dagster as dg

from flintt_pipeline.defs.resources import FlinttApiResource
from flintt_pipeline.lib.api.client import FlinttError


def dagster_instance() -> dg.DagsterInstance:
    """The instance in `DAGSTER_HOME`, else in `dagster_home/` under the current directory."""
    home = Path(os.environ.get("DAGSTER_HOME") or "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def api_from_environment() -> FlinttApiResource:
    """The API resource as runs will see it, or a one-line error naming what is missing."""
    api_key = os.environ.get("FLINTT_API_KEY", "").strip()
    if not api_key:
        raise click.ClickException(
            "FLINTT_API_KEY is not set: export your Flintt API key (Settings → API key), "
            "or run `flintt-pipeline demo` to try the sandbox."
        )
    return FlinttApiResource(api_key=api_key)


def verify_api(api: FlinttApiResource) -> None:
    """One cheap request, so a wrong URL or key ends in one line before any run starts."""
    try:
        with api.client() as client:
            client.check()
    except FlinttError as error:
        raise click.ClickException(str(error)) from None
