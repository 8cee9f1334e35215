"""Commands started at once on a fresh DAGSTER_HOME: each opens the instance, and the storage they
create together serves every later command. Without the lock, 2 of 4 such processes failed in
each of three trials, leaving the storage with two schema versions."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sync_support import Synced

# What every command does first: open the instance in DAGSTER_HOME, then read from its storage.
OPEN_INSTANCE = (
    "from flintt_pipeline.cli.instance import dagster_instance\n"
    "dagster_instance().get_runs(limit=1)\n"
)
PROCESSES = 4


def test_commands_started_at_once_share_a_fresh_dagster_home(
    synced: Synced, cli_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    env = cli_env(
        home="fresh_home",
        FLINTT_API_KEY=synced.sandbox.api_key,
        FLINTT_BASE_URL=synced.sandbox.base_url,
        FLINTT_DUCKDB_PATH=synced.database,
    )
    home = Path(env["DAGSTER_HOME"])
    assert sorted(path.name for path in home.iterdir()) == ["dagster.yaml"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_INSTANCE],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    answers = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0] * PROCESSES, answers
    assert all(stderr == "" for _, stderr in answers), answers
    later = subprocess.run(
        [sys.executable, "-m", "flintt_pipeline.cli", "sync", "--select", "signals"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert later.returncode == 0, later.stderr
    assert later.stdout.startswith("Synced: run ") and str(home) in later.stdout
