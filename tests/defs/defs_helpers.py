"""Helpers for the Dagster definitions tests: storing events in a real inbox, one sensor tick
evaluated as the daemon would (through the project's `defs`), and reading the inbox back."""

import sqlite3
from collections.abc import Sequence
from itertools import count
from pathlib import Path

import dagster as dg
import orjson
from dagster._core.definitions.sensor_definition import SensorExecutionData

from flintt_pipeline.definitions import defs
from flintt_pipeline.defs.resources import InboxResource
from flintt_pipeline.webhooks.inbox import Inbox, NewEvent

SENSOR_NAME = "flintt_webhook_sensor"
_ids = count()


def store(inbox_path: Path, *event_types: str) -> list[int]:
    """Store one event per type, in one transaction as the receiver does; their positions."""
    events = []
    for event_type in event_types:
        event_id = f"evt_{next(_ids)}"
        body = orjson.dumps({"id": event_id, "type": event_type, "data": {}})
        events.append(NewEvent(event_id=event_id, event_type=event_type, body=body))
    with Inbox(inbox_path) as inbox:
        held = inbox.read_after(0, limit=10**9)
        inbox.add_many(events)
        added = inbox.read_after(held[-1].position if held else 0, limit=10**9)
    return [event.position for event in added]


def evaluate(
    inbox_path: Path, cursor: str | None, *, instance: dg.DagsterInstance
) -> SensorExecutionData:
    """One tick of the sensor as `defs` defines it, with the inbox resource at `inbox_path`."""
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"inbox": InboxResource(path=str(inbox_path))},
        definitions=defs(),
    )
    return defs().resolve_sensor_def(SENSOR_NAME).evaluate_tick(context)


def processed_positions(inbox_path: Path) -> list[int]:
    """Positions the inbox holds as processed (so prunable)."""
    with sqlite3.connect(inbox_path) as connection:
        rows = connection.execute(
            "SELECT position FROM events WHERE processed_at IS NOT NULL ORDER BY position"
        ).fetchall()
    return [row[0] for row in rows]


def summary(requests: Sequence[dg.RunRequest]) -> list[tuple[str | None, list[str] | None]]:
    """(job, asset selection) per request, in order."""
    return [
        (
            request.job_name,
            None
            if request.asset_selection is None
            else [key.to_user_string() for key in request.asset_selection],
        )
        for request in requests
    ]
