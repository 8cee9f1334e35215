"""A plan as people read it: lines for the terminal (like a Terraform plan) and Markdown for
Dagster's metadata. Both say what cannot be done in place and what deletes runs."""

from typing import Any

from flintt_pipeline.lib.signals.plan import Action, Plan

SIGNS = {
    "create": "+",
    "update": "~",
    "pause": "~",
    "adopt": "=",
    "replace": "-/+",
    "delete": "-",
}
RUNS_WARNING = "WARNING: deleting a signal deletes all its runs in Flintt"
REPLACE_OPTION = "--replace-on-description-change"


def shown(value: Any) -> str:
    return "null" if value is None else f'"{value}"' if isinstance(value, str) else str(value)


def summary(plan: Plan) -> str:
    counts = ", ".join(
        f"{plan.count(kind)} to {kind}"
        for kind in ("create", "update", "pause", "replace", "delete")
    )
    return f"Plan: {counts}; {plan.unchanged} unchanged."


def _title(action: Action) -> str:
    who = action.key or "(no key)"
    ident = f" (id {action.signal_id})" if action.signal_id else ""
    note = f" - {action.note}" if action.note else ""
    return f"{SIGNS[action.kind]} {action.kind} {who}: {shown(action.name)}{ident}{note}"


def _change_lines(action: Action) -> list[str]:
    if action.kind == "create":
        return [f"{c.field}: {shown(c.new)}" for c in action.changes]
    return [f"{c.field}: {shown(c.old)} -> {shown(c.new)}" for c in action.changes]


def _notes(plan: Plan) -> list[str]:
    notes = []
    for kept in plan.kept_descriptions:
        change = kept.changes[0]
        notes.append(
            f"! {kept.key}: description {shown(change.old)} -> {shown(change.new)} cannot be "
            f"updated in place (Flintt updates only name, status and schedule); it is kept. "
            f"Run with {REPLACE_OPTION} to delete and re-create the signal (its runs are lost)."
        )
    if plan.count("delete") or plan.count("replace"):
        notes.append(f"! {RUNS_WARNING}.")
    if plan.retired:
        names = ", ".join(shown(r.get("name")) for r in plan.retired)
        notes.append(
            f"  {len(plan.retired)} signal(s) removed from the file stay paused ({names}); "
            "--prune deletes them."
        )
    if plan.unmanaged:
        names = ", ".join(shown(r.get("name")) for r in plan.unmanaged[:5])
        more = f" and {len(plan.unmanaged) - 5} more" if len(plan.unmanaged) > 5 else ""
        notes.append(
            f"  {len(plan.unmanaged)} signal(s) in Flintt are not in the file and left alone "
            f"({names}{more}); --prune deletes them."
        )
    return notes


def plan_lines(plan: Plan) -> list[str]:
    lines: list[str] = []
    for action in plan.actions:
        lines.append(f"  {_title(action)}")
        lines.extend(f"      {line}" for line in _change_lines(action))
    if not plan.actions:
        lines.append("  No changes: the workspace matches the file.")
    lines.extend(f"  {note}" for note in _notes(plan))
    lines.append(summary(plan))
    return lines


def plan_markdown(plan: Plan) -> str:
    parts = [f"**{summary(plan)}** (workspace fingerprint `{plan.fingerprint}`)", ""]
    for action in plan.actions:
        parts.append(
            f"- `{SIGNS[action.kind]}` **{action.kind}** `{action.key or '-'}`: "
            f"{shown(action.name)}{' - ' + action.note if action.note else ''}"
        )
        parts.extend(f"  - `{line}`" for line in _change_lines(action))
    if not plan.actions:
        parts.append("No changes: the workspace matches the file.")
    notes = _notes(plan)
    if notes:
        parts.append("")
        parts.extend(f"> {note.strip()}" for note in notes)
    return "\n".join(parts)
