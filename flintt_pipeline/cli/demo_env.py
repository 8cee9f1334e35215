"""The `.env` the demo leaves in the current directory, so `dg dev` (Dagster reads `.env` from
the directory it starts in) shows the demo: its runs in `DAGSTER_HOME` and its warehouse.

It names no API key and no URL: the sandbox is gone once the demo ends, and without a key the
schedules and the webhook sensor stay stopped, so the UI launches nothing that can only fail.
A `.env` the user wrote is never touched.
"""

from collections.abc import Mapping
from pathlib import Path

MARKER = "# Written by `flintt-pipeline demo`"
HEADER = f"""{MARKER} so that `dg dev` shows the demo's runs and warehouse.
# Delete it (or replace it with your own, see .env.example) to work on your Flintt workspace.
"""


def write_demo_env(*, directory: Path, settings: Mapping[str, str]) -> str:
    """Write `settings` to `directory/.env` unless a `.env` of the user's own is there; returns
    one line saying what happened."""
    path = directory / ".env"
    lines = "".join(f"{name}={_quoted(value)}\n" for name, value in settings.items())
    if path.exists() and not path.read_text(encoding="utf-8").startswith(MARKER):
        return (
            f"{path} is your own, so it was left alone; for `dg dev` to show the demo, "
            f"set: {' '.join(f'{name}={value}' for name, value in settings.items())}"
        )
    path.write_text(HEADER + lines, encoding="utf-8")
    return f"Wrote {path} ({', '.join(settings)}) for `dg dev`."


def _quoted(value: str) -> str:
    # Double quotes keep spaces and `#` in paths; python-dotenv unescapes `\\` and `\"`.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
