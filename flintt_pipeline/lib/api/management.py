"""Client for Flintt's management API (outbound webhook endpoints), authenticated with a JWT.

The JWT is sent only in the Authorization header; no error message or repr ever contains it,
even when a server echoes it back. No message shows the userinfo of a URL, and webhook ids are
escaped as one path segment, so an id can never address another endpoint with the JWT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from flintt_pipeline.lib.api.paths import api_root, path_segment

WEBHOOKS_PATH = "/api/outbound-webhooks"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Webhook lists are a few KB; anything far beyond is a broken or hostile server.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_LIST_KEYS = ("data", "items", "results")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")
# Segments a client or proxy would resolve away (`..` turns the path into `/api`).
_DOT_SEGMENTS = frozenset({"", ".", ".."})


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


class CredentialsInUrlError(ManagementError):
    pass


def url_without_userinfo(url: object) -> str:
    """`url` as it may be shown: `https://***@host/...` instead of `https://user:pw@host/...`."""
    return _USERINFO.sub(lambda match: f"{match.group(1) or ''}//***@", str(url), count=1)


def check_endpoint_url(url: str) -> str:
    """Flintt sends the bearer token with every delivery, so only HTTPS may carry it, except to
    this machine (a local receiver or the sandbox). Credentials in the URL would be stored by
    Flintt and shown by every listing, so they are refused, and never repeated."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InsecureUrlError("refusing the webhook URL: it is not a valid URL") from None
    if "@" in parts.netloc or url_without_userinfo(url) != url:
        raise CredentialsInUrlError(
            "refusing the webhook URL: it carries credentials before the host; Flintt "
            "authenticates deliveries with its own bearer token, so give the URL without them"
        )
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    # An "@" left in a refused URL may be a mistyped credential: don't repeat it.
    shown = f" {_one_line(repr(url), limit=120)}" if "@" not in url else ""
    raise InsecureUrlError(
        f"refusing the webhook URL{shown}: it must be https:// (plain http only for "
        f"{', '.join(sorted(LOOPBACK_HOSTS))})"
    )


def _webhook_path(webhook_id: str) -> str:
    if webhook_id in _DOT_SEGMENTS:
        raise WebhookNotFoundError(f"{webhook_id!r} is not a webhook id")
    return f"{WEBHOOKS_PATH}/{path_segment(webhook_id)}"


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_capped(response: httpx.Response) -> bytes | None:
    """The decoded body, or None once it passes MAX_RESPONSE_BYTES (counted after gzip)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class ManagementClient:
    """Context manager around one httpx.Client for /api/outbound-webhooks."""

    def __init__(self, *, base_url: str, token: str, timeout: float = 30.0) -> None:
        if not token.isascii() or not token.isprintable() or " " in token:
            raise ManagementAuthError(
                "FLINTT_MANAGEMENT_TOKEN is malformed (spaces or non-ASCII): set it to the JWT"
            )
        try:
            self.base_url = api_root(base_url)
        except ValueError as error:
            raise ManagementUnreachableError(str(error)) from None
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
        record = self._request("PATCH", _webhook_path(webhook_id), json=changes, id_=webhook_id)
        if not isinstance(record, dict):
            raise ManagementResponseError("the management API's updated webhook is not an object")
        return record

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", _webhook_path(webhook_id), id_=webhook_id)

    def _request(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, id_: str | None = None
    ) -> Any:
        shown = _one_line(f"{method} {path}", limit=120)
        try:
            with self._http.stream(method, path, json=json) as response:
                status = response.status_code
                body = _read_capped(response)
        except httpx.TransportError as error:
            raise ManagementUnreachableError(
                f"cannot reach the Flintt management API at {self.base_url} "
                f"({type(error).__name__}): check FLINTT_BASE_URL and the network"
            ) from None
        except httpx.DecodingError:
            raise ManagementResponseError(
                f"the management API answered {shown} with a body that cannot be decompressed"
            ) from None
        if body is None:
            raise ManagementResponseError(
                f"the management API answered {shown} with more than "
                f"{MAX_RESPONSE_BYTES // 1024 // 1024} MB; is FLINTT_BASE_URL the API root?"
            )
        if status in (401, 403):
            raise ManagementAuthError(
                f"the management API refused the token ({status}): set FLINTT_MANAGEMENT_TOKEN "
                "to a valid, unexpired JWT"
            )
        if status == 404 and id_ is not None:
            raise WebhookNotFoundError(
                f"no webhook endpoint with id {_one_line(repr(id_), limit=80)} in this workspace"
            )
        if not 200 <= status < 300:
            # Redact before cutting, so no part of an echoed token survives the cut.
            text = self._redacted(body.decode("utf-8", "replace"))
            raise ManagementResponseError(
                f"the management API answered {status} to {shown}: "
                f"{_one_line(text) or 'no details'}"
            )
        if status == 204 or not body:
            return None
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ManagementResponseError(
                f"the management API answered {shown} with something that is not JSON"
            ) from None

    def _redacted(self, text: str) -> str:
        token = self._http.headers.get("Authorization", "").removeprefix("Bearer ")
        return text.replace(token, "***") if token else text

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
