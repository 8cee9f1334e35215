"""Carrying out a plan, action by action, recording which signal each key means as it goes.

A run killed half-way leaves a workspace that the next plan picks up from: a create whose key
was not recorded yet is found again by its name (the plan's adoption rule), a delete already
done is not an error, and an update is idempotent.
"""

from collections.abc import Callable
from typing import Any, Protocol

from flintt_pipeline.lib.api import FlinttWriter
from flintt_pipeline.lib.signals.plan import Action, Plan

Record = dict[str, Any]


class KeyBook(Protocol):
    """Where key -> signal id is kept (the warehouse's flintt.signal_keys)."""

    def record(self, key: str, signal_id: str) -> None: ...

    def forget_signal(self, signal_id: str) -> None: ...


def apply_plan(
    plan: Plan, *, writer: FlinttWriter, keys: KeyBook, say: Callable[[str], None]
) -> int:
    """Do every action of `plan` in order; `say` hears one line per action done. Returns how
    many were done; the first failure raises (what was done stays done and recorded)."""
    done = 0
    for action in plan.actions:
        say(_do(action, plan=plan, writer=writer, keys=keys))
        done += 1
    return done


def _do(action: Action, *, plan: Plan, writer: FlinttWriter, keys: KeyBook) -> str:
    if action.kind == "adopt":
        assert action.key is not None and action.signal_id is not None
        keys.record(action.key, action.signal_id)
        return f"= {action.key}: recorded as signal {action.signal_id}"
    if action.kind in ("update", "pause"):
        assert action.signal_id is not None
        changes = {change.field: change.new for change in action.changes}
        desired = _fields(action) if action.spec is not None else changes
        writer.update_signal(action.signal_id, changes=changes, desired=desired)
        if action.key is not None and action.spec is not None:
            keys.record(action.key, action.signal_id)
        fields = ", ".join(change.field for change in action.changes)
        done = "paused" if action.kind == "pause" else f"updated {fields}"
        return f"~ {action.key or action.name}: {done}"
    if action.kind == "delete":
        assert action.signal_id is not None
        writer.delete_signal(action.signal_id)
        keys.forget_signal(action.signal_id)
        return f"- deleted {action.name!r} (id {action.signal_id})"
    if action.kind == "replace":
        assert action.signal_id is not None
        writer.delete_signal(action.signal_id)
        keys.forget_signal(action.signal_id)
    created = _create(action, plan=plan, writer=writer)
    assert action.key is not None
    keys.record(action.key, str(created["id"]))
    verb = "replaced" if action.kind == "replace" else "created"
    return f"+ {action.key}: {verb} as signal {created['id']}"


def _fields(action: Action) -> Record:
    spec = action.spec
    assert spec is not None
    return {"name": spec.name, "status": spec.status, "schedule": spec.schedule}


def _create(action: Action, *, plan: Plan, writer: FlinttWriter) -> Record:
    """Create the declared signal (documented create fields only), then pause it if declared
    paused: the create does not document a status."""
    spec = action.spec
    assert spec is not None
    body: Record = {"name": spec.name}
    if spec.description is not None:
        body["description"] = spec.description
    if spec.schedule is not None:
        body["schedule"] = spec.schedule

    def is_new(record: Record) -> bool:
        return record.get("name") == spec.name and str(record.get("id")) not in plan.known_ids

    created = writer.create_once("signals", body, matches=is_new)
    if spec.status != created.get("status", "active"):
        writer.update_signal(
            str(created["id"]), changes={"status": spec.status}, desired=_fields(action)
        )
    return created
