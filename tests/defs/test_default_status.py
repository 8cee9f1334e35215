"""Schedules and the webhook sensor start running by default only where FLINTT_API_KEY is set
when the definitions load: with no key they could only launch failing runs. The models'
automation sensor always runs (it builds from the warehouse alone)."""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json
from flintt_pipeline.definitions import defs
repo = defs().get_repository_def()
print(json.dumps({
    item.name: item.default_status.value
    for item in [*repo.schedule_defs, *repo.sensor_defs]
}))
"""


def default_statuses(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLINTT_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("settings", "expected"), [({}, "STOPPED"), ({"FLINTT_API_KEY": "flt_any"}, "RUNNING")]
)
def test_syncs_start_by_themselves_only_with_an_api_key(
    settings: dict[str, str], expected: str
) -> None:
    statuses = default_statuses(**settings)
    assert statuses == {
        "flintt_daily_sync": expected,
        "flintt_runs_reconcile": expected,
        "flintt_webhook_sensor": expected,
        "analytics_models_automation": "RUNNING",
    }
