"""Everything one running sandbox holds, shared by its routes and its gateway middleware."""

import random
from collections import Counter
from typing import Any

from flintt_pipeline.sandbox.auth import JwtIssuer, KeyRing
from flintt_pipeline.sandbox.config import SandboxConfig, Settings
from flintt_pipeline.sandbox.delivery import Deliverer
from flintt_pipeline.sandbox.webhooks import WebhookRegistry
from flintt_pipeline.sandbox.workspace import Workspace


def path_template(path: str) -> str:
    """ "/v1/runs/<uuid>" -> "/v1/runs/{id}", so counters group by endpoint."""
    parts = path.split("/")
    if len(parts) > 3 and parts[3]:
        parts[3] = "{id}"
    return "/".join(parts)


class RequestCounter:
    """Counts of /v1 requests by endpoint, and by method and endpoint (faulted ones included)."""

    def __init__(self) -> None:
        self._by_path: Counter[str] = Counter()
        self._by_method: Counter[str] = Counter()

    def record(self, path: str, method: str = "GET") -> None:
        self._by_path[path_template(path)] += 1
        self._by_method[f"{method} {path_template(path)}"] += 1

    def reset(self) -> None:
        self._by_path.clear()
        self._by_method.clear()

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": sum(self._by_path.values()),
            "by_path": dict(self._by_path),
            "by_method": dict(self._by_method),
        }


class SandboxState:
    def __init__(self, *, config: SandboxConfig) -> None:
        self.config = config
        self.settings: Settings = config.settings()
        self.webhooks = WebhookRegistry()
        self.deliverer = Deliverer(registry=self.webhooks, settings=lambda: self.settings)
        self.workspace = Workspace(config=config, emit=self.deliverer.emit)
        self.keys = KeyRing()
        _, self.api_key = self.keys.issue()
        self.jwt = JwtIssuer()
        self.management_token = self.jwt.issue()
        self.requests = RequestCounter()
        # Seeded so that a fault_rate run injects faults into the same requests every time.
        self.fault_rng = random.Random(f"{config.seed}/faults")
        self.drops = 0
        # Writes applied whose answer a write fault then spoiled (see write_faults).
        self.write_faults_fired = 0
