"""The code location: every definition under `defs/` (found by Dagster's folder loading, so a
file added with `dg scaffold defs` loads with no edit here) plus the resources they share."""

import warnings
from pathlib import Path

import dagster as dg

import flintt_pipeline.defs
from flintt_pipeline.defs.resources import (
    FlinttApiResource,
    InboxResource,
    ReadCopyResource,
    WarehouseResource,
)


@dg.definitions
def defs() -> dg.Definitions:
    # From the module rather than `load_from_defs_folder`: an installed wheel has no
    # pyproject.toml for that to read, and the defs module is fixed anyway. The folder loader
    # warns that its own internals are in preview; that is not ours to act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        folder = dg.ComponentTree.from_module(
            defs_module=flintt_pipeline.defs, project_root=Path(__file__).parent
        ).build_defs()
    resources = dg.Definitions(
        resources={
            "flintt": FlinttApiResource(api_key=dg.EnvVar("FLINTT_API_KEY")),
            "warehouse": WarehouseResource(),
            "inbox": InboxResource(),
            "read_copy": ReadCopyResource(),
        }
    )
    return dg.Definitions.merge(folder, resources)
