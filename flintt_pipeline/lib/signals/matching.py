"""Which Flintt signal each key of the file means: pure, no I/O.

The id recorded for the key, when that signal still exists; else the one signal no other key
claims whose name is exactly the declared name (adopted, and recorded on apply); else none, and
the signal is created. Several unclaimed signals with the declared name stop the plan: guessing
would manage the wrong one.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from flintt_pipeline.lib.signals.spec import SignalSpec

Record = dict[str, Any]


class PlanError(ValueError):
    """The file cannot be matched to the workspace unambiguously."""


def match_keys(
    specs: Sequence[SignalSpec], by_id: Mapping[str, Record], keys: Mapping[str, str]
) -> tuple[dict[str, str], set[str]]:
    """(key -> signal id for every matched key, the keys matched by name)."""
    claimed: dict[str, str] = {}
    for spec in specs:
        recorded = keys.get(spec.key)
        if recorded is not None and recorded in by_id:
            claimed[spec.key] = recorded
    adopted: set[str] = set()
    for spec in specs:
        if spec.key in claimed:
            continue
        taken = set(claimed.values())
        same = [i for i, r in by_id.items() if r.get("name") == spec.name and i not in taken]
        if len(same) > 1:
            raise PlanError(
                f"{len(same)} signals in Flintt are named {spec.name!r} (ids {', '.join(same)}) "
                f"and key {spec.key!r} has no recorded signal: rename or delete the extras"
            )
        if same:
            claimed[spec.key] = same[0]
            adopted.add(spec.key)
    return claimed, adopted
