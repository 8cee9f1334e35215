"""What the read-copy tests share: a sync that ends by publishing (the code location's raw assets,
models and read copy, through Dagster), the state a read copy shows, and everyday changes."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from sync_support import Synced

from flintt_pipeline.defs.ingest.assets import raw_assets, stream_asset_keys
from flintt_pipeline.defs.models.assets import model_assets
from flintt_pipeline.defs.publish.assets import publish_read_copy
from flintt_pipeline.defs.resources import FlinttApiResource, ReadCopyResource, WarehouseResource

# One query, so a state is read from one file in one go: a mixture shows as a tuple no publish made.
STATE_SQL = """
SELECT (SELECT count(*) FROM flintt.companies WHERE _deleted_at IS NULL),
       (SELECT count(*) FROM flintt.prospects WHERE _deleted_at IS NULL),
       (SELECT count(*) FROM flintt.runs WHERE _deleted_at IS NULL),
       (SELECT count(*) FROM flintt.run_results),
       (SELECT count(*) FROM analytics.prospects_enriched),
       (SELECT string_agg(name, '|' ORDER BY id) FROM flintt.companies WHERE _deleted_at IS NULL),
       (SELECT min(published_by) FROM flintt._published)
"""


def sync_and_publish(
    synced: Synced,
    *,
    read_path: Path,
    full_refresh: bool = False,
    selection: Sequence[str] | None = None,
    flintt: dict[str, Any] | None = None,
    read_copy: dict[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    **warehouse: Any,
) -> dg.ExecuteInProcessResult:
    """Every raw table, every model and the read copy, as `flintt_sync_job` runs them; with
    `selection` (raw tables), only those and what is downstream of them, as `flintt_runs_job`."""
    settings = {"timeout_seconds": 10.0, "max_total_wait_seconds": 20.0, **(flintt or {})}
    resources = {
        "flintt": FlinttApiResource(
            api_key=synced.sandbox.api_key, base_url=synced.sandbox.base_url, **settings
        ),
        "warehouse": WarehouseResource(database=synced.database, **warehouse),
        "read_copy": ReadCopyResource(path=str(read_path), **(read_copy or {})),
    }
    runs_config = {"flintt__runs": {"config": {"full_refresh": full_refresh}}}
    run_config = {"ops": runs_config} if not selection or "runs" in selection else {}
    chosen = (
        dg.AssetSelection.assets(
            *(key for table in selection for key in stream_asset_keys(table))
        ).downstream()
        if selection
        else dg.AssetSelection.all()
    )
    return dg.materialize(
        [*raw_assets, *model_assets, publish_read_copy],
        resources=resources,
        instance=synced.instance,
        run_config=run_config,
        selection=chosen,
        tags=tags,
        raise_on_error=False,
    )


def read_state(path: Path) -> tuple[Any, ...]:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(STATE_SQL).fetchone()
    assert row is not None
    return tuple(row)


def logged(instance: dg.DagsterInstance, run_id: str, text: str) -> list[str]:
    """The run's log lines (ours and Dagster's) that contain `text`."""
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if text in (entry.user_message or "")
    ]


def change_records(synced: Synced, round_number: int) -> None:
    """Add a company and a prospect, rename a company, delete another, finish a new run."""
    control = synced.sandbox.control
    companies = control.state("companies")
    company = control.create("companies", name=f"Round {round_number} Ltd")
    control.create("prospects", name=f"Prospect {round_number}", company_id=company["id"])
    control.update("companies", companies[0]["id"], name=f"{companies[0]['name']} r{round_number}")
    control.delete("companies", companies[-1]["id"])
    signal = next(s for s in control.state("signals") if s["status"] == "active")
    control.complete(control.trigger(signal["id"])["id"], results=2)
