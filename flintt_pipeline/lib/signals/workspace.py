"""The workspace side of a plan: the signals Flintt lists, with their descriptions.

The reference's signal listing does not document `description` (the sandbox's does): when a
listed signal lacks the field, its detail is read, so a description change is never missed.
"""

from pathlib import Path
from typing import Any

from flintt_pipeline.lib.api import FlinttClient
from flintt_pipeline.lib.signals.plan import Plan, make_plan
from flintt_pipeline.lib.signals.spec import SignalSpec, load_spec

Record = dict[str, Any]


def workspace_signals(client: FlinttClient) -> list[Record]:
    signals = client.list_all("signals")
    writer = client.writer()
    described = []
    for record in signals:
        if "description" not in record:
            detail = writer.get_signal(str(record["id"]))
            if detail is None:  # deleted since it was listed
                continue
            record = {**record, "description": detail.get("description")}
        described.append(record)
    return described


def plan_for(
    *,
    path: Path,
    client: FlinttClient,
    keys: dict[str, str],
    prune: bool,
    replace_descriptions: bool,
) -> tuple[list[SignalSpec], Plan]:
    """The file (validated first: nothing is requested for an invalid file) and its plan."""
    specs = load_spec(path)
    plan = make_plan(
        specs,
        workspace_signals(client),
        keys,
        prune=prune,
        replace_descriptions=replace_descriptions,
    )
    return specs, plan
