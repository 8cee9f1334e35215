"""What the receiver reads from a webhook body: that it is a JSON object, its id and its type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

KNOWN_EVENT_TYPES = (
    "signal.run.completed",
    "signal.run.result",
    "company.created",
    "prospect.created",
)
UNKNOWN_TYPE = "unknown"
_TYPE_KEYS = ("type", "event_type", "event")
_ID_KEYS = ("id", "event_id")


class InvalidEventError(Exception):
    """The body is not a JSON object; str() says which, without echoing the body."""


@dataclass(frozen=True, kw_only=True)
class ParsedEvent:
    event_id: str
    event_type: str


def _first_scalar(payload: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = payload.get(key)
        # bool is an int subclass but never a meaningful id or type.
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def parse_event(body: bytes) -> ParsedEvent:
    """Id from `id`/`event_id` (else the body's sha256, so identical retries deduplicate);
    type from `type`/`event_type`/`event` (else "unknown")."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidEventError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidEventError("the body is not a JSON object")
    event_id = _first_scalar(payload, _ID_KEYS) or "sha256:" + hashlib.sha256(body).hexdigest()
    event_type = _first_scalar(payload, _TYPE_KEYS) or UNKNOWN_TYPE
    return ParsedEvent(event_id=event_id, event_type=event_type)
