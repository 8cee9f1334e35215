"""The signals file is validated completely before any request: every problem named by file,
line and field, and nothing sent to Flintt."""

from signals_support import Workspace

BAD = """signals:
  - key: ok-one
    name: Same name
    schedule: 0 8 * * 1-5
  - key: ok-one
    name: Same name
    colour: blue
  - key: Bad Key
    name: Third
    status: running
    schedule: every monday
  - name: No key
    schedule: 0 8 * * * *
"""


def test_every_problem_is_named_with_file_line_and_field(workspace: Workspace) -> None:
    workspace.file.write_text(BAD, encoding="utf-8")
    workspace.sandbox.control.reset_requests()
    result = workspace.run("signals", "plan")
    assert result.exit_code == 1
    path = str(workspace.file)
    for expected in (
        f"{path}:7: signals[1].colour: unknown field",
        f"{path}:8: signals[2].key: 'Bad Key'",
        f"{path}:10: signals[2].status: 'running'",
        f"{path}:11: signals[2].schedule: 'every monday' is not a five-field cron",
        f"{path}:12: signals[3].key: is required",
        f"{path}:13: signals[3].schedule",
        f"{path}:5: key 'ok-one': declared twice (first at line 2)",
        f"{path}:5: name 'Same name': declared twice (first at line 2)",
    ):
        assert expected in result.output, result.output
    assert workspace.sandbox.control.requests()["by_method"].get("GET /v1/signals") is None


def test_yaml_errors_and_missing_file_are_one_line(workspace: Workspace) -> None:
    missing = workspace.run("signals", "plan")
    assert missing.exit_code == 1 and "no such file" in missing.output
    workspace.file.write_text("signals:\n  - key: a\n    name: [unclosed\n", encoding="utf-8")
    broken = workspace.run("signals", "plan")
    assert broken.exit_code == 1 and f"{workspace.file}:4: not valid YAML" in broken.output
    workspace.file.write_text("signals:\n  - key: a\n    name: A\n    name: B\n", encoding="utf-8")
    twice = workspace.run("signals", "plan")
    assert f"{workspace.file}:4: signals[0].name: appears twice" in twice.output


def test_export_refuses_to_overwrite_and_keeps_the_key_out(workspace: Workspace) -> None:
    workspace.ok("signals", "export")
    again = workspace.run("signals", "export")
    assert again.exit_code == 1 and "--force" in again.output
    text = workspace.file.read_text(encoding="utf-8")
    assert workspace.sandbox.api_key not in text
    assert workspace.sandbox.api_key not in workspace.ok("signals", "plan")
