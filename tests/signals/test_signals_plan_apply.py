"""Plan and apply for every kind of change, against the sandbox over HTTP."""

import yaml
from signals_support import NEW_SIGNAL as NEW
from signals_support import Workspace, edit


def _specs(workspace: Workspace) -> list[dict]:
    return yaml.safe_load(workspace.file.read_text(encoding="utf-8"))["signals"]


def _by_name(workspace: Workspace) -> dict[str, dict]:
    return {signal["name"]: signal for signal in workspace.signals()}


def test_export_then_plan_shows_no_changes(exported: Workspace) -> None:
    output = exported.ok("signals", "plan")
    assert "No changes" in output
    assert len(_specs(exported)) == len(exported.signals()) == 4


def test_create_update_rename_and_pause(exported: Workspace) -> None:
    first, second = _specs(exported)[:2]
    before = {s["id"]: s for s in exported.signals()}

    def change(text: str) -> str:
        text = text.replace(f"name: {first['name']}", "name: Renamed in YAML", 1)
        old_status = f"status: {second['status']}\n  schedule:"
        new_status = "status: paused\n  schedule:"
        head, _, tail = text.partition(f"key: {second['key']}")
        tail = tail.replace(old_status, new_status, 1)
        return head + f"key: {second['key']}" + tail + NEW

    edit(exported.file, change)
    assert exported.run("signals", "plan", "--detailed-exitcode").exit_code == 2
    plan = exported.ok("signals", "plan")
    assert f'name: "{first["name"]}" -> "Renamed in YAML"' in plan
    assert "+ create funding-rounds" in plan
    assert exported.signals() == list(before.values())  # a plan changes nothing
    applied = exported.ok("signals", "apply", "--yes")
    assert "Apply complete" in applied
    after = _by_name(exported)
    assert len(after) == 5  # the rename updated in place: no second signal
    renamed = after["Renamed in YAML"]
    assert renamed["id"] in before
    created = after["Funding rounds"]
    assert (created["status"], created["schedule"]) == ("paused", "0 9 * * 1")
    assert "No changes" in exported.ok("signals", "plan", "--detailed-exitcode")


def test_removed_signal_is_paused_then_pruned(exported: Workspace) -> None:
    victim = _specs(exported)[0]
    exported.sandbox.control.update(
        "signals", _by_name(exported)[victim["name"]]["id"], status="active"
    )

    def drop_first(text: str) -> str:
        head, _, rest = text.partition(f"- key: {victim['key']}")
        return head + rest[rest.index("- key:") :]

    edit(exported.file, drop_first)
    plan = exported.ok("signals", "plan")
    assert "removed from the file" in plan and "to pause" in plan
    exported.ok("signals", "apply", "--yes")
    assert _by_name(exported)[victim["name"]]["status"] == "paused"
    pruned = exported.ok("signals", "plan", "--prune")
    assert "deleting a signal deletes all its runs" in pruned
    exported.ok("signals", "apply", "--yes", "--prune")
    assert victim["name"] not in _by_name(exported)
    assert "No changes" in exported.ok("signals", "plan", "--prune")


def test_description_change_is_kept_or_replaced(exported: Workspace) -> None:
    target = _specs(exported)[1]
    old_id = _by_name(exported)[target["name"]]["id"]
    edit(
        exported.file,
        lambda text: text.replace(
            f"- key: {target['key']}\n  name: {target['name']}\n  description: "
            f"{target['description'] if target['description'] is not None else 'null'}",
            f"- key: {target['key']}\n  name: {target['name']}\n  description: Sharper",
        ),
    )
    plan = exported.ok("signals", "plan")
    assert "cannot be updated in place" in plan and "--replace-on-description-change" in plan
    exported.ok("signals", "apply", "--yes")
    assert _by_name(exported)[target["name"]]["id"] == old_id  # kept, not silently replaced
    replace = exported.ok("signals", "plan", "--replace-on-description-change")
    assert "-/+ replace" in replace and "deletes all its runs" in replace
    exported.ok("signals", "apply", "--yes", "--replace-on-description-change")
    now = _by_name(exported)[target["name"]]
    assert now["id"] != old_id and now["description"] == "Sharper"
    assert "No changes" in exported.ok("signals", "plan")


def test_unrecorded_key_adopts_the_signal_named_like_it(workspace: Workspace) -> None:
    signal = workspace.signals()[0]
    workspace.file.write_text(
        f"signals:\n  - key: adopted\n    name: {signal['name']}\n    description: "
        f"{signal['description'] or 'null'}\n    status: paused\n    schedule: null\n",
        encoding="utf-8",
    )
    plan = workspace.ok("signals", "plan")
    assert "adopted by name" in plan or "matched by name" in plan
    assert "+ create" not in plan
    workspace.ok("signals", "apply", "--yes")
    assert len(workspace.signals()) == 4


def test_apply_refuses_a_changed_workspace(exported: Workspace) -> None:
    edit(exported.file, lambda text: text + NEW)
    fingerprint = exported.ok("signals", "plan").split("fingerprint ")[1].split(")")[0]
    signal = exported.signals()[0]
    exported.sandbox.control.update("signals", signal["id"], name="Changed behind our back")
    refused = exported.run("signals", "apply", "--yes", "--expect-fingerprint", fingerprint)
    assert refused.exit_code == 1 and "changed since the plan" in refused.output
    assert "Funding rounds" not in _by_name(exported)


def test_apply_asks_and_nothing_happens_on_no(exported: Workspace) -> None:
    edit(exported.file, lambda text: text + NEW)
    result = exported.run("signals", "apply")
    assert result.exit_code == 1 and "--yes" in result.output
    assert "Funding rounds" not in _by_name(exported)
