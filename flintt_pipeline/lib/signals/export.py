"""The workspace's signals written as a signals file, so adopting signals as code starts from
what exists. Keys already recorded are kept; others are made from the names."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from flintt_pipeline.lib.signals.spec import STATUSES

Record = dict[str, Any]
HEADER = (
    "# Signals as code: `flintt-pipeline signals plan` shows what `signals apply` would change.\n"
    "# key: stable id of the signal here (renaming it in Flintt keeps the key); status: active or\n"
    "# paused; schedule: a five-field cron expression or null.\n"
)


@dataclass(frozen=True, kw_only=True)
class Export:
    text: str
    keys: dict[str, str]
    warnings: list[str]


def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return text or "signal"


def export_signals(workspace: Sequence[Record], keys: Mapping[str, str]) -> Export:
    """The file's text, the key of every signal in it (to record) and what needs the user's eye."""
    key_of = {signal_id: key for key, signal_id in keys.items()}
    used: set[str] = set()
    names: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    warnings: list[str] = []
    chosen: dict[str, str] = {}
    ordered = sorted(workspace, key=lambda r: (str(r.get("created_at") or ""), str(r["id"])))
    for record in ordered:
        signal_id, name = str(record["id"]), str(record.get("name") or "")
        key = key_of.get(signal_id) or slug(name)
        base, suffix = key, 2
        while key in used:
            key, suffix = f"{base}-{suffix}", suffix + 1
        used.add(key)
        chosen[key] = signal_id
        names[name] = names.get(name, 0) + 1
        status = record.get("status")
        if status not in STATUSES:
            warnings.append(
                f"{key}: status {status!r} cannot be set through the API; written as paused"
            )
            status = "paused"
        items.append(
            {
                "key": key,
                "name": name,
                "description": record.get("description"),
                "status": status,
                "schedule": record.get("schedule"),
            }
        )
    for name, count in names.items():
        if count > 1:
            warnings.append(
                f"{count} signals are named {name!r}: give each its own name in the file"
            )
    body = yaml.safe_dump(
        {"signals": items}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return Export(text=HEADER + body, keys=chosen, warnings=warnings)
