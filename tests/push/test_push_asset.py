"""The push asset factory: a Dagster asset that pushes a query's rows, with counts as metadata."""

import dagster as dg
from push_support import TARGETS, Pushing

from flintt_pipeline.defs.push.factory import push_asset
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource


def test_push_asset_reports_counts(pushing: Pushing) -> None:
    asset = push_asset(
        name="targets", stream="companies", query="SELECT name, domain FROM main.targets"
    )
    resources = {
        "flintt": FlinttApiResource(
            api_key=pushing.sandbox.api_key, base_url=pushing.sandbox.base_url
        ),
        "warehouse": WarehouseResource(database=pushing.database),
    }

    def materialize() -> dict:
        result = dg.materialize(
            [asset], resources=resources, instance=dg.DagsterInstance.ephemeral()
        )
        assert result.success
        [event] = result.get_asset_materialization_events()
        return {k: v.value for k, v in event.materialization.metadata.items()}

    first = materialize()
    assert (first["created"], first["already_present"], first["failed"]) == (len(TARGETS), 0, 0)
    again = materialize()
    assert (again["created"], again["already_present"]) == (0, len(TARGETS))
    assert sum(name.startswith("Target") for name in pushing.names()) == len(TARGETS)
