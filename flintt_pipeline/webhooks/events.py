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
MAX_ID_CHARS = 200
# Logs show this much of an id or type: enough to find the event, never a whole attacker's string.
LOGGED_CHARS = 40


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


def shown(text: str) -> str:
    """`text` as logs may carry it: its first LOGGED_CHARS characters, marked when cut."""
    return text if len(text) <= LOGGED_CHARS else text[:LOGGED_CHARS] + "..."


def _event_id(payload: dict[str, Any], body: bytes) -> str:
    for key in _ID_KEYS:
        if key not in payload:
            continue
        value = payload[key]
        # Strings only: a numeric 5 and the string "5" would otherwise be the same event.
        if not isinstance(value, str) or not value:
            raise InvalidEventError(f"`{key}` must be a non-empty string")
        if len(value) > MAX_ID_CHARS:
            raise InvalidEventError(f"`{key}` is longer than {MAX_ID_CHARS} characters")
        return value
    return "sha256:" + hashlib.sha256(body).hexdigest()


def parse_event(body: bytes) -> ParsedEvent:
    """Id from `id`/`event_id`, a string of at most MAX_ID_CHARS (else the body's sha256, so
    identical retries deduplicate); type from `type`/`event_type`/`event` (else "unknown")."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidEventError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidEventError("the body is not a JSON object")
    event_id = _event_id(payload, body)
    event_type = _first_scalar(payload, _TYPE_KEYS) or UNKNOWN_TYPE
    return ParsedEvent(event_id=event_id, event_type=event_type)
