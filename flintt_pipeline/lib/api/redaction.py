"""Secrets out of anything shown: body excerpts in error lines, and URLs.

A body excerpt is redacted while it is still long, then cut: cutting first would leave part of a
key echoed across the cut, which no replacement of the whole key then finds.
"""

from urllib.parse import urlsplit, urlunsplit

SNIPPET_BYTES = 80
REDACTED = b"***"


def redacted(window: bytes, *, secret: str) -> bytes:
    """`window` (the start of a body) with every `secret` blanked, and a secret's beginning
    left at its end, where the window was cut, dropped."""
    key = secret.encode()
    return _without_partial(window.replace(key, REDACTED), key) if key else window


def redacted_snippet(window: bytes, *, secret: str) -> bytes:
    """The start of `window` as shown in a message: redacted first, then cut to SNIPPET_BYTES."""
    key = secret.encode()
    shown = redacted(window, secret=secret)[:SNIPPET_BYTES]
    return _without_partial(shown, key) if key else shown


def _without_partial(text: bytes, key: bytes) -> bytes:
    for length in range(min(len(key) - 1, len(text)), 0, -1):
        if text.endswith(key[:length]):
            return text[:-length]
    return text


def public_url(url: str) -> str:
    """`url` as it may be printed: without user:password@ and without query or fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
