"""Helpers shared by the client tests: a client pointed at a sandbox, and ground truth from it."""

from collections.abc import Iterable
from typing import Any

from flintt_pipeline.lib.api.client import FlinttClient
from flintt_pipeline.sandbox import SandboxHandle


def client_for(sandbox: SandboxHandle, **options: Any) -> FlinttClient:
    settings: dict[str, Any] = {"timeout": 10.0, "max_total_wait": 20.0} | options
    return FlinttClient(base_url=sandbox.base_url, api_key=sandbox.api_key, **settings)


def ids_of(batches: Iterable[list[dict[str, Any]]]) -> list[str]:
    return [record["id"] for batch in batches for record in batch]


def truth(sandbox: SandboxHandle, stream: str) -> list[str]:
    """The ids the sandbox holds now, in its listing order."""
    return [record["id"] for record in sandbox.control.state(stream)]


def list_requests(sandbox: SandboxHandle, path: str) -> int:
    return sandbox.control.requests()["by_path"].get(path, 0)
