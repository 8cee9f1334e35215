"""What `apply` would do to make the workspace's signals equal to the file: pure, no I/O.

Keys are matched to signals by `matching`. A recorded signal whose key left the file is paused,
or deleted with `prune`, which also deletes the signals no key claims. Flintt cannot change a
description in place: it is kept and reported, or, with `replace_descriptions`, the signal is
deleted and created again.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flintt_pipeline.lib.signals.matching import match_keys
from flintt_pipeline.lib.signals.spec import SignalSpec

Record = dict[str, Any]
Kind = Literal["create", "update", "pause", "adopt", "replace", "delete"]
# The order apply follows: changes in place first, deletions last.
ORDER: tuple[Kind, ...] = ("adopt", "update", "pause", "create", "replace", "delete")


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True)
class Action:
    kind: Kind
    key: str | None
    signal_id: str | None
    name: str
    changes: tuple[Change, ...] = ()
    spec: SignalSpec | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Plan:
    actions: tuple[Action, ...]
    unchanged: int
    kept_descriptions: tuple[Action, ...] = ()
    unmanaged: tuple[Record, ...] = ()
    retired: tuple[Record, ...] = ()
    fingerprint: str = ""
    known_ids: frozenset[str] = field(default_factory=frozenset)

    def count(self, kind: Kind) -> int:
        return sum(1 for action in self.actions if action.kind == kind)

    @property
    def empty(self) -> bool:
        return not any(action.kind != "adopt" for action in self.actions)


def fingerprint(workspace: Sequence[Record], keys: Mapping[str, str]) -> str:
    """Changes when any signal or recorded key changes: apply compares it with the plan's."""
    rows = sorted(
        [
            str(r.get("id")),
            *(_norm(r.get(f)) for f in ("name", "description", "status", "schedule")),
        ]
        for r in workspace
    )
    text = json.dumps([rows, sorted(keys.items())], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def make_plan(
    specs: Sequence[SignalSpec],
    workspace: Sequence[Record],
    keys: Mapping[str, str],
    *,
    prune: bool = False,
    replace_descriptions: bool = False,
) -> Plan:
    by_id = {str(record["id"]): record for record in workspace}
    claimed, adopted = match_keys(specs, by_id, keys)
    actions: list[Action] = []
    kept: list[Action] = []
    unchanged = 0
    for spec in specs:
        signal_id = claimed.get(spec.key)
        if signal_id is None:
            note = "its recorded signal is gone" if spec.key in keys else ""
            actions.append(_create(spec, note=note))
            continue
        current = by_id[signal_id]
        changes = _changes(spec, current)
        described = _description_change(spec, current)
        if described is not None and replace_descriptions:
            actions.append(_replace(spec, signal_id, described))
            continue
        if described is not None:
            kept.append(
                Action(
                    kind="update",
                    key=spec.key,
                    signal_id=signal_id,
                    name=spec.name,
                    changes=(described,),
                    spec=spec,
                )
            )
        if changes:
            pause = all(c.field == "status" and c.new == "paused" for c in changes)
            actions.append(
                Action(
                    kind="pause" if pause else "update",
                    key=spec.key,
                    signal_id=signal_id,
                    name=spec.name,
                    changes=tuple(changes),
                    spec=spec,
                    note="adopted by name" if spec.key in adopted else "",
                )
            )
        elif spec.key in adopted:
            actions.append(
                Action(
                    kind="adopt",
                    key=spec.key,
                    signal_id=signal_id,
                    name=spec.name,
                    spec=spec,
                    note="matched by name",
                )
            )
        else:
            unchanged += 1
    declared = {spec.key for spec in specs}
    in_file = set(claimed.values())
    removed = {
        i: k for k, i in keys.items() if k not in declared and i in by_id and i not in in_file
    }
    unmanaged: list[Record] = []
    retired: list[Record] = []
    for signal_id, record in by_id.items():
        if signal_id in in_file:
            continue
        key = removed.get(signal_id)
        if prune:
            actions.append(
                Action(
                    kind="delete",
                    key=key,
                    signal_id=signal_id,
                    name=str(record.get("name")),
                    note="not in the file",
                )
            )
        elif key is not None and record.get("status") != "paused":
            actions.append(
                Action(
                    kind="pause",
                    key=key,
                    signal_id=signal_id,
                    name=str(record.get("name")),
                    note="removed from the file",
                    changes=(Change("status", record.get("status"), "paused"),),
                )
            )
        elif key is None:
            unmanaged.append(record)
        else:
            retired.append(record)
    actions.sort(key=lambda action: ORDER.index(action.kind))
    return Plan(
        actions=tuple(actions),
        unchanged=unchanged,
        kept_descriptions=tuple(kept),
        unmanaged=tuple(unmanaged),
        retired=tuple(retired),
        fingerprint=fingerprint(workspace, keys),
        known_ids=frozenset(by_id),
    )


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


def _changes(spec: SignalSpec, current: Record) -> list[Change]:
    wanted = {"name": spec.name, "status": spec.status, "schedule": spec.schedule}
    return [
        Change(name, current.get(name), value)
        for name, value in wanted.items()
        if _norm(current.get(name)) != _norm(value)
    ]


def _description_change(spec: SignalSpec, current: Record) -> Change | None:
    # A listing that does not show descriptions cannot tell whether one changed.
    if "description" not in current:
        return None
    old = current.get("description")
    return (
        None
        if _norm(old) == _norm(spec.description)
        else Change("description", old, spec.description)
    )


def _create(spec: SignalSpec, *, note: str) -> Action:
    changes = tuple(
        Change(name, None, getattr(spec, name))
        for name in ("name", "description", "status", "schedule")
    )
    return Action(
        kind="create",
        key=spec.key,
        signal_id=None,
        name=spec.name,
        changes=changes,
        spec=spec,
        note=note,
    )


def _replace(spec: SignalSpec, signal_id: str, described: Change) -> Action:
    return Action(
        kind="replace",
        key=spec.key,
        signal_id=signal_id,
        name=spec.name,
        changes=(described,),
        spec=spec,
        note="description changed: delete it (and its runs) and create it again",
    )
