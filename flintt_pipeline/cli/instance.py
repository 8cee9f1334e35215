"""What every command shares: the Dagster instance and the settings read from the environment."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import dagster as dg

from flintt_pipeline.defs.resources import FlinttApiResource, ReadCopyResource, WarehouseResource
from flintt_pipeline.lib.api.client import FlinttError

# Taken by every command while it opens the instance: Dagster creates and stamps its SQLite
# storage on first use, and two commands doing that at once left two schema versions behind.
INSTANCE_LOCK = ".flintt-instance.lock"


def dagster_instance() -> dg.DagsterInstance:
    """The instance in `DAGSTER_HOME`, else in `dagster_home/` under the current directory; a
    folder that cannot hold one ends the command in one line."""
    home = _usable_home(Path(os.environ.get("DAGSTER_HOME") or "dagster_home"))
    os.environ["DAGSTER_HOME"] = str(home)
    with _held(home / INSTANCE_LOCK, home=home):
        try:
            return dg.DagsterInstance.get()
        except Exception as error:  # whatever Dagster raises here, this home cannot serve
            lines = str(error).strip().splitlines() or [type(error).__name__]
            raise _unusable(home, lines[0]) from None


def _usable_home(home: Path) -> Path:
    home = home.expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise _unusable(home, "it is a file, not a folder")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unusable(home, f"cannot create it: {error.strerror}") from None
    return home


@contextmanager
def _held(lock: Path, *, home: Path) -> Iterator[None]:
    """An exclusive flock on `lock`, released when the process ends even if it is killed."""
    try:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _unusable(home, f"cannot write {lock.name}: {error.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _unusable(home: Path, reason: str) -> click.ClickException:
    return click.ClickException(
        f"DAGSTER_HOME {home} is unusable ({reason}): set DAGSTER_HOME to a writable folder "
        "(created if missing), or move this one away"
    )


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


def warehouse_and_read_copy() -> tuple[str, str]:
    """The live warehouse and its read copy as runs resolve them from the environment, so every
    command reads the copy the pipeline publishes."""
    database = WarehouseResource().resolved_database
    return database, ReadCopyResource().resolved_path(warehouse=database)
