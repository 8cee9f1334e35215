"""Request paths built from values (run ids and the like), every value escaped as one segment."""

from urllib.parse import quote


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
