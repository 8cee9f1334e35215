"""Flintt's `/v1` API: listings as batches of records, run details, and a connection check.

HTTP, retries and error mapping live in `transport`; paging hazards in `pagination`; body
decoding (in memory or streamed from a spooled file) in `json_stream`.
"""

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from flintt_pipeline.contract import LISTED_STREAMS, ListedStream
from flintt_pipeline.lib.api.errors import (
    AuthenticationError,
    FlinttError,
    ResponseError,
    ServerError,
    UnreachableError,
)
from flintt_pipeline.lib.api.json_stream import (
    MalformedResponse,
    object_from_bytes,
    records_from_bytes,
    stream_records,
)
from flintt_pipeline.lib.api.pagination import paginate, rebatch
from flintt_pipeline.lib.api.retries import describe
from flintt_pipeline.lib.api.transport import ClientStats, Transport

__all__ = [
    "AuthenticationError",
    "ClientStats",
    "FlinttClient",
    "FlinttError",
    "ResponseError",
    "ServerError",
    "UnreachableError",
]

Record = dict[str, Any]
# Run details fetched ahead of the consumer, per thread: the first still waited for holds up
# the rest (they come back in order), so a window of 2 per thread stalled the threads.
DETAILS_AHEAD_PER_THREAD = 8


class FlinttClient:
    """A small synchronous client over one pooled connection set; use it as a context manager.

    Construction checks the key's and URL's form (raising `AuthenticationError` /
    `UnreachableError`) but makes no request; `check()` makes one.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 30.0,
        page_size: int = 1000,
        max_attempts: int = 6,
        max_total_wait: float = 120.0,
        detail_concurrency: int = 8,
        batch_size: int = 10_000,
    ) -> None:
        self._page_size = max(1, page_size)
        self._batch_size = max(1, batch_size)
        self._concurrency = max(1, detail_concurrency)
        self._transport = Transport(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_attempts=max(1, max_attempts),
            max_total_wait=max_total_wait,
            connections=self._concurrency + 1,
        )
        self.base_url = self._transport.base_url
        self.stats: ClientStats = self._transport.stats

    def __enter__(self) -> "FlinttClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def check(self) -> None:
        """One cheap `/v1` request; raises the typed error saying what is wrong, if anything."""
        self._transport.get("/v1/runs", params={"limit": 1}, parse=records_from_bytes)

    def iter_records(self, stream: ListedStream) -> Iterator[list[Record]]:
        """The whole listing of `stream` in batches; each id exactly once."""
        if stream not in LISTED_STREAMS:
            raise ValueError(f"stream must be one of {', '.join(LISTED_STREAMS)}, not {stream!r}")
        return self._listing(f"/v1/{stream}", stop_at=None)

    def iter_runs(
        self, *, stop_at: Callable[[Record], bool] | None = None
    ) -> Iterator[list[Record]]:
        """Runs newest first, each id once. With `stop_at`, ends after the page holding the first
        run for which it is true; without, reads the complete listing."""
        return self._listing("/v1/runs", stop_at=stop_at)

    def get_runs(self, run_ids: Sequence[str]) -> Iterator[tuple[str, Record | None]]:
        """(id, detail) per id, in order, `detail_concurrency` requests at a time; None for 404.

        At most DETAILS_AHEAD_PER_THREAD times that many details are held at once, however many
        ids are asked for: enough that one slow answer or a pause of the consumer (a batch being
        written) does not leave the threads idle."""
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="flintt-runs") as pool:
            window: deque[tuple[str, Future[Record | None]]] = deque()
            try:
                for run_id in run_ids:
                    window.append((run_id, pool.submit(self._run_detail, run_id)))
                    if len(window) >= DETAILS_AHEAD_PER_THREAD * self._concurrency:
                        done_id, future = window.popleft()
                        yield done_id, future.result()
                while window:
                    done_id, future = window.popleft()
                    yield done_id, future.result()
            finally:
                for _, future in window:
                    future.cancel()

    def _run_detail(self, run_id: str) -> Record | None:
        path = f"/v1/runs/{quote(str(run_id), safe='')}"
        return self._transport.get(
            path, params=None, parse=object_from_bytes, allow_missing=True, small=True
        )

    def _listing(
        self, path: str, *, stop_at: Callable[[Record], bool] | None
    ) -> Iterator[list[Record]]:
        def fetch(offset: int, limit: int) -> Iterator[list[Record]]:
            return self._page(path, params={"limit": limit, "offset": offset})

        pages = paginate(fetch, page_size=self._page_size, stop_at=stop_at)
        try:
            yield from rebatch(pages, size=self._batch_size)
        except MalformedResponse as error:
            raise self._transport.malformed(error, endpoint=f"GET {path}", status=200) from None

    def _page(self, path: str, *, params: dict[str, Any]) -> Iterator[list[Record]]:
        body = self._transport.get(path, params=params, parse=records_from_bytes, spool=True)
        self._transport.count_page()
        if isinstance(body, list):
            for start in range(0, len(body), self._batch_size):
                yield body[start : start + self._batch_size]
            return
        with body:
            try:
                yield from stream_records(body, batch_size=self._batch_size)
            except MalformedResponse as error:
                endpoint = describe(path, params)
                raise self._transport.malformed(error, endpoint=endpoint, status=200) from None
