"""compose.yaml and the Dockerfile, checked as far as a machine without Docker allows: every
service's command exists with the options it passes, every variable is documented in the guide,
and every file the image copies is in the repository."""

from __future__ import annotations

import re
import tomllib
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
GUIDE = (REPO / "deploy" / "README.md").read_text()
CONSOLE_SCRIPTS = {"flintt-pipeline", "dagster", "dagster-webserver", "dagster-daemon"}


def _ours() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image") == "flintt-pipeline"
    }


def _subcommands(command: list[str]) -> list[str]:
    """The words between the script and its first option."""
    words: list[str] = []
    for word in command[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return words


def _options(command: list[str]) -> list[str]:
    return [word for word in command if word.startswith("--")]


def test_postgres_compose_runs_every_process_of_a_deployment() -> None:
    commands = {name: service["command"][:3] for name, service in _ours().items()}
    assert commands == {
        "codeserver": ["dagster", "code-server", "start"],
        "webserver": ["dagster-webserver", "--host", "0.0.0.0"],
        "daemon": ["dagster-daemon", "run", "--workspace"],
        "receiver-a": ["flintt-pipeline", "webhooks", "serve"],
        "receiver-b": ["flintt-pipeline", "webhooks", "serve"],
    }
    assert "postgres" in COMPOSE["services"] and "receivers" in COMPOSE["services"]


@pytest.mark.parametrize("name", sorted(_ours()))
def test_postgres_compose_commands_exist_with_their_options(name: str) -> None:
    command = _ours()[name]["command"]
    assert command[0] in CONSOLE_SCRIPTS
    # Each is a click command installed as a console script: walk to the subcommand in-process.
    [script] = entry_points(group="console_scripts", name=command[0])
    loaded = script.load()
    # Dagster's scripts are `main()` wrappers around their module's click group `cli`.
    found: click.Command = (
        loaded if isinstance(loaded, click.Command) else import_module(script.module).cli
    )
    for word in _subcommands(command):
        assert isinstance(found, click.Group), f"{name}: {command[0]} has no subcommands"
        found = found.commands.get(word) or found.get_command(click.Context(found), word)
        assert found is not None, f"{name}: no command {word!r} in {command[:3]}"
    known = {option for param in found.params for option in getattr(param, "opts", [])}
    assert set(_options(command)) <= known, f"{name}: {set(_options(command)) - known}"


def test_postgres_compose_variables_are_all_documented() -> None:
    text = (REPO / "compose.yaml").read_text()
    referenced = set(re.findall(r"\$\{(\w+)", text))
    for service in COMPOSE["services"].values():
        referenced |= set(service.get("environment") or {})
    documented = set(re.findall(r"^\| `(\w+)` \|", GUIDE, flags=re.MULTILINE))
    assert referenced - {"POSTGRES_USER", "POSTGRES_DB"} <= documented
    contract = REPO.parent / "shared" / "ARCHITECTURE.md"
    if contract.exists():
        in_contract = set(
            re.findall(
                r"^\| `((?:FLINTT|DAGSTER)_\w+)` \|", contract.read_text(), flags=re.MULTILINE
            )
        )
        assert in_contract <= documented


def test_postgres_dockerfile_copies_what_exists_and_runs_as_a_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, flags=re.MULTILINE)
    for sources in copied:
        for source in sources.split():
            assert (REPO / source).exists(), source
    assert "uv sync --locked" in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


def test_postgres_deploy_workspace_names_the_location_as_dg_does() -> None:
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    [entry] = workspace["load_from"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    assert entry["grpc_server"]["location_name"] == project["code_location_name"]
