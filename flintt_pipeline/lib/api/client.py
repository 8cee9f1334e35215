"""Flintt's `/v1` API: listings as batches of records, run details, and a connection check.

HTTP, retries and error mapping live in `transport` (the total deadline per request in
`deadline`, size caps in `body`); paging hazards in `pagination`; JSON decoding (in memory or
streamed from a spooled file) in `json_stream`.
"""

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flintt_pipeline.contract import LISTED_STREAMS, ListedStream
from flintt_pipeline.lib.api.body import BodyLimits
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
from flintt_pipeline.lib.api.paths import api_path
from flintt_pipeline.lib.api.retries import describe
from flintt_pipeline.lib.api.transport import ClientStats, Transport
from flintt_pipeline.lib.api.writes import FlinttWriter

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
MIB = 1024 * 1024
RUNS_PATH = api_path("v1", "runs")
# A run's detail, `check`'s answer and error pages are held in memory: a few MB at most in a real
# workspace. A list is spooled to disk past 4 MiB; 4 GiB holds ~10 million records of ~400 bytes.
DEFAULT_MAX_BODY_MIB = 64.0
DEFAULT_MAX_SPOOL_MIB = 4096.0
# Every attempt and wait of one request; a whole list of a large workspace arrives well within.
DEFAULT_DEADLINE_SECONDS = 600.0


class FlinttClient:
    """A small synchronous client over one pooled connection set; use it as a context manager.

    Construction checks the key's and URL's form (raising `AuthenticationError` /
    `UnreachableError`) but makes no request; `check()` makes one. Each request ends within
    `deadline_seconds` (all its attempts and waits); a body held in memory may be at most
    `max_body_mib`, a list spooled to disk `max_spool_mib`, compressed or not.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 30.0,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        max_body_mib: float = DEFAULT_MAX_BODY_MIB,
        max_spool_mib: float = DEFAULT_MAX_SPOOL_MIB,
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
            deadline_seconds=deadline_seconds,
            limits=BodyLimits(
                memory_bytes=int(max_body_mib * MIB), spool_bytes=int(max_spool_mib * MIB)
            ),
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
        self._transport.get(RUNS_PATH, params={"limit": 1}, parse=records_from_bytes)

    def writer(self) -> FlinttWriter:
        """Creates, updates and deletes over this client's connections (see `writes`)."""
        return FlinttWriter(transport=self._transport, listing=self.list_all)

    def list_all(self, stream: str) -> list[Record]:
        """Every record of a listed stream, in one list (the writes' look-ups are small)."""
        if stream not in LISTED_STREAMS:
            raise ValueError(f"stream must be one of {', '.join(LISTED_STREAMS)}, not {stream!r}")
        return [
            record for batch in self._listing(f"/v1/{stream}", stop_at=None) for record in batch
        ]

    def iter_records(self, stream: ListedStream) -> Iterator[list[Record]]:
        """The whole listing of `stream` in batches; each id exactly once."""
        if stream not in LISTED_STREAMS:
            raise ValueError(f"stream must be one of {', '.join(LISTED_STREAMS)}, not {stream!r}")
        return self._listing(api_path("v1", stream), stop_at=None)

    def iter_runs(
        self, *, stop_at: Callable[[Record], bool] | None = None
    ) -> Iterator[list[Record]]:
        """Runs newest first, each id once. With `stop_at`, ends after the page holding the first
        run for which it is true; without, reads the complete listing."""
        return self._listing(RUNS_PATH, stop_at=stop_at)

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
        try:
            path = api_path("v1", "runs", run_id)
        except ValueError:
            raise ResponseError("Flintt listed a run with an empty id") from None
        return self._transport.get(path, params=None, parse=object_from_bytes, allow_missing=True)

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
