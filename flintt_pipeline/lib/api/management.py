"""Client for Flintt's management API (outbound webhook endpoints), authenticated with a JWT.

The JWT is sent only in the Authorization header; no error message or repr ever contains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

WEBHOOKS_PATH = "/api/outbound-webhooks"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_LIST_KEYS = ("data", "items", "results")


class ManagementError(Exception):
    """Base of the management client's errors; str() is one line a user can act on."""


class ManagementAuthError(ManagementError):
    pass


class WebhookNotFoundError(ManagementError):
    pass


class ManagementUnreachableError(ManagementError):
    pass


class ManagementResponseError(ManagementError):
    pass


class InsecureUrlError(ManagementError):
    pass


def check_endpoint_url(url: str) -> str:
    """Flintt sends the bearer token with every delivery, so only HTTPS may carry it, except to
    this machine (a local receiver or the sandbox)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise InsecureUrlError(
        f"refusing webhook URL {url!r}: it must be https:// (plain http only for "
        f"{', '.join(sorted(LOOPBACK_HOSTS))})"
    )


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ManagementClient:
    """Context manager around one httpx.Client for /api/outbound-webhooks."""

    def __init__(self, *, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"ManagementClient(base_url={self.base_url!r})"

    def create_webhook(
        self, *, url: str, name: str, events: Sequence[str], active: bool = True
    ) -> tuple[dict[str, Any], str]:
        """Register an endpoint; returns (record without the token, auth token shown only now)."""
        body = {
            "name": name,
            "endpoint_url": check_endpoint_url(url),
            "event_types": list(events),
            "active": active,
        }
        record = self._request("POST", WEBHOOKS_PATH, json=body)
        if not isinstance(record, dict) or not isinstance(record.get("auth_token"), str):
            raise ManagementResponseError(
                "the management API created the webhook but sent no token"
            )
        token = record.pop("auth_token")
        return record, token

    def list_webhooks(self) -> list[dict[str, Any]]:
        answer = self._request("GET", WEBHOOKS_PATH)
        if isinstance(answer, dict):
            answer = next((answer[key] for key in _LIST_KEYS if key in answer), answer)
        if not isinstance(answer, list):
            raise ManagementResponseError("the management API's webhook list is not a list")
        return answer

    def update_webhook(
        self,
        webhook_id: str,
        *,
        events: Sequence[str] | None = None,
        active: bool | None = None,
        name: str | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if events is not None:
            changes["event_types"] = list(events)
        if active is not None:
            changes["active"] = active
        if name is not None:
            changes["name"] = name
        if url is not None:
            changes["endpoint_url"] = check_endpoint_url(url)
        record = self._request(
            "PATCH", f"{WEBHOOKS_PATH}/{webhook_id}", json=changes, id_=webhook_id
        )
        if not isinstance(record, dict):
            raise ManagementResponseError("the management API's updated webhook is not an object")
        return record

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"{WEBHOOKS_PATH}/{webhook_id}", id_=webhook_id)

    def _request(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, id_: str | None = None
    ) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.TransportError as error:
            raise ManagementUnreachableError(
                f"cannot reach the Flintt management API at {self.base_url} "
                f"({type(error).__name__}): check FLINTT_BASE_URL and the network"
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise ManagementAuthError(
                f"the management API refused the token ({status}): set FLINTT_MANAGEMENT_TOKEN "
                "to a valid, unexpired JWT"
            )
        if status == 404 and id_ is not None:
            raise WebhookNotFoundError(f"no webhook endpoint with id {id_!r} in this workspace")
        if not response.is_success:
            raise ManagementResponseError(
                f"the management API answered {status} to {method} {path}: "
                f"{_one_line(response.text) or 'no details'}"
            )
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ManagementResponseError(
                f"the management API answered {method} {path} with something that is not JSON"
            ) from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
