"""The redelivery rule both inboxes follow: an id stored once per distinct (type, body).

A repeat of an id with the same type and body is a duplicate (a retry): answered 200 and not
stored again. A repeat with another type or body is not a retry, and dropping it would lose what
Flintt said the second time; it is stored as a new row the sensor processes, under the key
`<id>#changed:<digest of type and body>` and flagged `redelivered_changed`, so that each distinct
version is stored once and a retry of it is again a duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# What a stored row is compared on: its type and its body, byte for byte.
Version = tuple[str, bytes]


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    event_id: str
    event_type: str
    body: bytes


@dataclass(frozen=True, kw_only=True)
class Row:
    key: str
    event: NewEvent
    redelivered_changed: bool


def changed_key(event: NewEvent) -> str:
    digest = hashlib.sha256(event.event_type.encode() + b"\0" + event.body).hexdigest()[:16]
    return f"{event.event_id}#changed:{digest}"


def plan_rows(
    events: Sequence[NewEvent], *, stored: Callable[[list[str]], dict[str, Version]]
) -> tuple[list[bool], list[Row]]:
    """Per event True when it gets a row (new, or a changed redelivery), False for a duplicate
    (also of an event earlier in `events`); and the rows to insert. `stored(keys)` returns the
    stored versions of those keys; it is called once for the batch, and again only for the keys
    of changed redeliveries (rare)."""
    versions = stored(list({event.event_id for event in events}))
    added: list[bool] = []
    rows: list[Row] = []
    for event in events:
        key, changed = event.event_id, False
        version = versions.get(key)
        if version is not None and version != (event.event_type, event.body):
            key, changed = changed_key(event), True
            if key not in versions:
                versions.update(stored([key]))
        is_new = key not in versions
        added.append(is_new)
        if is_new:
            versions[key] = (event.event_type, event.body)
            rows.append(Row(key=key, event=event, redelivered_changed=changed))
    return added, rows
