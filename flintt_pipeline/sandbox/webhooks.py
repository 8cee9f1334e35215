"""The workspace's outbound webhook endpoints (what /api/outbound-webhooks manages)."""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from flintt_pipeline.sandbox.formats import iso_ms, now_ms


@dataclass(kw_only=True)
class OutboundWebhook:
    id: str
    name: str
    endpoint_url: str
    event_types: list[str]
    active: bool
    created_at: str
    auth_token: str

    def public(self) -> dict[str, Any]:
        """The record as the API shows it: never with its auth token."""
        return {
            "id": self.id,
            "name": self.name,
            "endpoint_url": self.endpoint_url,
            "event_types": list(self.event_types),
            "active": self.active,
            "created_at": self.created_at,
        }


class WebhookRegistry:
    def __init__(self) -> None:
        self._hooks: dict[str, OutboundWebhook] = {}

    def create(self, fields: dict[str, Any]) -> OutboundWebhook:
        hook = OutboundWebhook(
            id=str(uuid.uuid4()),
            name=fields["name"],
            endpoint_url=fields["endpoint_url"],
            event_types=list(fields["event_types"]),
            active=fields.get("active", True),
            created_at=iso_ms(now_ms()),
            auth_token="whk_" + secrets.token_urlsafe(32),
        )
        self._hooks[hook.id] = hook
        return hook

    def get(self, hook_id: str) -> OutboundWebhook | None:
        return self._hooks.get(hook_id)

    def update(self, hook_id: str, changes: dict[str, Any]) -> OutboundWebhook | None:
        hook = self._hooks.get(hook_id)
        if hook is not None:
            for field, value in changes.items():
                setattr(hook, field, list(value) if field == "event_types" else value)
        return hook

    def delete(self, hook_id: str) -> bool:
        return self._hooks.pop(hook_id, None) is not None

    def all(self) -> list[OutboundWebhook]:
        return list(self._hooks.values())

    def subscribed(self, event_type: str) -> list[OutboundWebhook]:
        return [
            hook for hook in self._hooks.values() if hook.active and event_type in hook.event_types
        ]
