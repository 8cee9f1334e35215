"""Request validation. Every failure becomes a 422 whose body names the offending field."""

import re
from collections.abc import Callable
from typing import Any

import orjson

EVENT_TYPES = ("signal.run.completed", "signal.run.result", "company.created", "prospect.created")
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


class ValidationFailedError(Exception):
    def __init__(self, *, location: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.location = location
        self.field = field
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "error": "validation_error",
            "field": self.field,
            "message": f"{self.field}: {self.message}",
            "detail": [{"loc": [self.location, self.field], "msg": self.message}],
        }


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "must be a string or null"


def _cron(value: Any) -> str | None:
    if value is None:
        return None
    parts = value.split() if isinstance(value, str) else []
    if len(parts) == 5 and all(_CRON_FIELD.match(part) for part in parts):
        return None
    return 'must be a five-field cron expression such as "0 8 * * 1-5", or null'


def _signal_status(value: Any) -> str | None:
    return None if value in ("active", "paused") else 'must be "active" or "paused"'


def _url(value: Any) -> str | None:
    return None if isinstance(value, str) and _URL.match(value) else "must be an http(s) URL"


def _event_types(value: Any) -> str | None:
    if isinstance(value, list) and value and all(item in EVENT_TYPES for item in value):
        return None
    return f"must be a non-empty list of: {', '.join(EVENT_TYPES)}"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


Check = Callable[[Any], str | None]
REQUIRED = object()
# Per field: its check and its value when a create leaves it out (REQUIRED: it may not).
# Fields not listed are ignored, as lenient APIs do.
SCHEMAS: dict[str, dict[str, tuple[Check, Any]]] = {
    "companies": {
        "name": (_text, REQUIRED),
        "domain": (_optional_text, None),
        "linkedin_url": (_optional_text, None),
    },
    "prospects": {
        "name": (_text, REQUIRED),
        "email": (_optional_text, None),
        "title": (_optional_text, None),
        "linkedin_url": (_optional_text, None),
        "company_id": (_optional_text, None),
    },
    "signals": {
        "name": (_text, REQUIRED),
        "description": (_optional_text, None),
        "status": (_signal_status, "active"),
        "schedule": (_cron, None),
    },
    "api_keys": {"name": (_text, REQUIRED)},
    "webhooks": {
        "name": (_text, REQUIRED),
        "endpoint_url": (_url, REQUIRED),
        "event_types": (_event_types, REQUIRED),
        "active": (_boolean, True),
    },
}


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ValidationFailedError(
            location="body", field="body", message="must be a JSON object"
        ) from None
    if not isinstance(body, dict):
        raise ValidationFailedError(location="body", field="body", message="must be a JSON object")
    return body


def validate(schema: str, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The known fields of `body`, checked. On create (`partial` false) every field of the schema
    is returned, with its default when left out; a missing required field fails."""
    clean: dict[str, Any] = {}
    for field, (check, default) in SCHEMAS[schema].items():
        if field not in body:
            if partial:
                continue
            if default is REQUIRED:
                raise ValidationFailedError(location="body", field=field, message="field required")
            clean[field] = default
            continue
        problem = check(body[field])
        if problem:
            raise ValidationFailedError(location="body", field=field, message=problem)
        clean[field] = body[field]
    return clean


def query_int(params: Any, name: str, *, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailedError(
            location="query", field=name, message="must be an integer"
        ) from None
    if value < minimum:
        raise ValidationFailedError(
            location="query", field=name, message=f"must be at least {minimum}"
        )
    return value
