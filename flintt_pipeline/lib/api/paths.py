"""The API root and the request paths under it, every value (run ids and the like) escaped as
one segment."""

from urllib.parse import quote

import httpx


def api_root(base_url: str) -> str:
    """`base_url` as the root requests go to; ValueError (a line naming FLINTT_BASE_URL) when it
    is no http(s) URL, or carries credentials (httpx would send them as Basic auth instead of our
    own header) or a query (`?api_key=` copied from the MCP docs would end up in logs)."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        url = httpx.URL("")
    if url.scheme not in ("http", "https") or not url.host or url.query or url.userinfo:
        raise ValueError(
            "FLINTT_BASE_URL must be an http(s) API root without credentials or query, "
            "like https://api.flintt.co"
        )
    return str(url.copy_with(fragment=None)).rstrip("/")


def path_segment(value: object) -> str:
    """`value` as one path segment: `/`, `?`, `#` and `%` escaped, and `.`/`..` too (which
    clients and servers would otherwise resolve into the parent path)."""
    text = quote(str(value), safe="")
    if not text:
        raise ValueError("an empty value cannot name a resource in a path")
    if not text.strip("."):
        return text.replace(".", "%2E")
    return text


def api_path(*segments: object) -> str:
    """`/v1/runs/<id>` from ("v1", "runs", run_id): a path under the API root."""
    return "/" + "/".join(path_segment(segment) for segment in segments)
