"""When the webhook runs job leaves the read copy to the automation sensor instead of copying.

Publishing copies the whole warehouse file: 1.5 s at the large workspace's 500 MB, 5.2 s at three
times that (bench/README.md, "Runs job flat cost"), a cost that grows with the warehouse while a
webhook run's own work does not. So a run tagged COALESCE (the webhook runs job) skips publishing
when the last copy was dear (it took `cheap_copy_seconds` or more) and was made less than
`coalesce_seconds` ago. The read copy's eager automation condition then requests it: the
automation sensor publishes at its next evaluation (every 30 s) at which no run writing the
copy's inputs is in progress, and the first webhook run after `coalesce_seconds` publishes by
itself. In a stream of webhooks the copy is at most `coalesce_seconds` plus one run behind the
warehouse; once the stream ends, at most the sensor's 30 s plus one copy.
"""

import time

import dagster as dg

COALESCE_TAG = "flintt/read_copy"
COALESCE = {COALESCE_TAG: "coalesce"}


def coalesced(
    context: dg.AssetExecutionContext,
    *,
    key: dg.AssetKey,
    coalesce_seconds: float,
    cheap_copy_seconds: float,
) -> str | None:
    """Why this run leaves the copy to the automation sensor, or None when it publishes."""
    if context.run.tags.get(COALESCE_TAG) != COALESCE[COALESCE_TAG] or coalesce_seconds <= 0:
        return None
    last = context.instance.get_latest_materialization_event(key)
    materialization = last.asset_materialization if last else None
    if last is None or materialization is None:
        return None
    took = getattr(materialization.metadata.get("copy_seconds"), "value", None)
    if not isinstance(took, int | float) or took < cheap_copy_seconds:
        return None
    since = time.time() - last.timestamp
    if since >= coalesce_seconds:
        return None
    return (
        f"the last copy took {took:.1f} s and was published {since:.0f} s ago (coalescing "
        f"{coalesce_seconds:g} s); the automation sensor publishes it within its interval, or "
        "the next webhook run after that"
    )
