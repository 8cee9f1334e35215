"""The package as a user installs it: the wheel holds the SQL models, and the demo run from a
fresh virtual environment outside the checkout (tests/cli/conftest.py) fills `analytics.*`."""

import subprocess

import duckdb
from demo_support import REPO, DemoRun, Installed, clean_environment, wheel_files

from flintt_pipeline.lib.sql_models import shipped_models_dir


def test_the_wheel_ships_every_model(installed: Installed) -> None:
    shipped = sorted(
        path.name for path in shipped_models_dir().iterdir() if path.name.endswith(".sql")
    )
    assert shipped
    in_wheel = sorted(
        name.removeprefix("flintt_pipeline/sql/")
        for name in wheel_files(installed.wheel)
        if name.startswith("flintt_pipeline/sql/")
    )
    assert in_wheel == shipped


def test_the_installed_package_is_the_one_the_demo_ran(installed: Installed) -> None:
    where = subprocess.run(
        [
            str(installed.bin / "python"),
            "-c",
            "import flintt_pipeline; print(flintt_pipeline.__file__)",
        ],
        # Outside the checkout, as the demo ran: `python -c` imports from its working directory.
        cwd=installed.bin.parent.parent,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert str(installed.bin.parent) in where
    assert str(REPO) not in where


def test_the_installed_demo_builds_every_model(demo_run: DemoRun) -> None:
    shipped = sorted(
        path.name.removesuffix(".sql")
        for path in shipped_models_dir().iterdir()
        if path.name.endswith(".sql")
    )
    with duckdb.connect(str(demo_run.directory / "data" / "demo.duckdb"), read_only=True) as con:
        counts = {
            model: con.execute(f"SELECT count(*) FROM analytics.{model}").fetchone()[0]
            for model in shipped
        }
    # The change models stay empty until a sync sees a record change; the demo changes none.
    assert all(n for model, n in counts.items() if not model.endswith("_changes")), counts
