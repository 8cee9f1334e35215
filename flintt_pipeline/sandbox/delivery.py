"""Outbound webhook delivery: one background task per (event, endpoint), retried with exponential
backoff, every attempt recorded in the delivery log that /_sandbox/deliveries shows."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import orjson

from flintt_pipeline.sandbox.config import Settings
from flintt_pipeline.sandbox.formats import iso_ms, now_ms
from flintt_pipeline.sandbox.webhooks import WebhookRegistry


@dataclass(kw_only=True)
class Delivery:
    event_id: str
    type: str
    url: str
    webhook_id: str
    attempts: int = 0
    status: str = "pending"  # pending | delivered | failed
    last_status_code: int | None = None
    last_error: str | None = None


class Deliverer:
    def __init__(self, *, registry: WebhookRegistry, settings: Callable[[], Settings]) -> None:
        self._registry = registry
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self.log: list[Delivery] = []

    async def start(self) -> None:
        # trust_env off: a proxy from the environment must not intercept loopback deliveries.
        self._client = httpx.AsyncClient(trust_env=False)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue the event for every active endpoint subscribed to its type (call on the loop)."""
        hooks = self._registry.subscribed(event_type)
        if not hooks:
            return
        event_id = f"evt_{uuid.uuid4().hex}"
        body = orjson.dumps(
            {"id": event_id, "type": event_type, "created_at": iso_ms(now_ms()), "data": data}
        )
        loop = asyncio.get_running_loop()
        for hook in hooks:
            delivery = Delivery(
                event_id=event_id, type=event_type, url=hook.endpoint_url, webhook_id=hook.id
            )
            self.log.append(delivery)
            task = loop.create_task(self._deliver(delivery, body=body, token=hook.auth_token))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def entries(self) -> list[dict[str, Any]]:
        return [asdict(delivery) for delivery in self.log]

    async def _deliver(self, delivery: Delivery, *, body: bytes, token: str) -> None:
        settings = self._settings()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": "Flintt-Webhooks/sandbox",
            "X-Flintt-Event": delivery.type,
            "X-Flintt-Delivery": delivery.event_id,
        }
        assert self._client is not None, "Deliverer.start() runs at server startup"
        for attempt in range(1, settings.delivery_attempts + 1):
            delivery.attempts = attempt
            try:
                response = await self._client.post(
                    delivery.url, content=body, headers=headers, timeout=settings.delivery_timeout_s
                )
            except httpx.HTTPError as exc:
                delivery.last_error = type(exc).__name__
            else:
                delivery.last_status_code = response.status_code
                if response.is_success:
                    delivery.status, delivery.last_error = "delivered", None
                    return
                delivery.last_error = f"HTTP {response.status_code}"
            if attempt < settings.delivery_attempts:
                await asyncio.sleep(settings.delivery_backoff_s * 2 ** (attempt - 1))
        delivery.status = "failed"
