"""Identifiers and timestamps in Flintt's shapes, made cheaply enough for a million records."""

import random
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VARIANT = "89ab"
# Day strings are cached because formatting a datetime per record dominates generation time.
_DAY_CACHE: dict[int, str] = {}


def uuid_from(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng`, so a seeded generator yields the same ids."""
    bits = f"{rng.getrandbits(128):032x}"
    variant = _VARIANT[int(bits[16], 16) & 3]
    return f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-{variant}{bits[17:20]}-{bits[20:]}"


def iso_ms(epoch_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and "Z", e.g. 2024-03-05T10:11:12.345Z."""
    day, ms_of_day = divmod(epoch_ms, 86_400_000)
    day_text = _DAY_CACHE.get(day)
    if day_text is None:
        day_text = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
        _DAY_CACHE[day] = day_text
    seconds, ms = divmod(ms_of_day, 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{day_text}T{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}Z"


def parse_iso_ms(text: str) -> int:
    """Milliseconds since the epoch for a timestamp written by `iso_ms`."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def http_date(epoch_s: float) -> str:
    """An RFC 9110 HTTP-date (for Retry-After)."""
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
