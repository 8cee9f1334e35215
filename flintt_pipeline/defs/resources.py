"""Resources: the Flintt API, the DuckDB warehouse, its read copy and the webhook inbox.

Secrets arrive through `dg.EnvVar` (resolved at launch, never shown in the UI). Settings with a
documented default (`FLINTT_BASE_URL`, `FLINTT_DUCKDB_PATH`, `FLINTT_READ_DUCKDB_PATH`,
`FLINTT_INBOX_PATH`) are read from the environment when a run uses them, not at import time,
because `EnvVar` has no default.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from flintt_pipeline.contract import (
    DEFAULT_BASE_URL,
    DEFAULT_DUCKDB_PATH,
    DEFAULT_INBOX_PATH,
    DEFAULT_READ_DUCKDB_PATH,
)
from flintt_pipeline.lib.api import (
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_MAX_BODY_MIB,
    DEFAULT_MAX_SPOOL_MIB,
    FlinttClient,
)
from flintt_pipeline.lib.warehouse import Warehouse, open_warehouse, read_copy_beside
from flintt_pipeline.webhooks.inboxes import WebhookInbox, inbox_location_from_env, open_inbox


def _setting(value: str, *, env: str, default: str) -> str:
    return value or os.environ.get(env) or default


def api_key_configured() -> bool:
    """Whether `FLINTT_API_KEY` is set where the definitions load. Only its presence is read at
    import time (the value still reaches runs through `EnvVar`): schedules and the webhook
    sensor start running by default only then, so a code location loaded with no key, such as
    `dg dev` after the demo, launches no run that can only fail."""
    return bool(os.environ.get("FLINTT_API_KEY", "").strip())


class FlinttApiResource(dg.ConfigurableResource):
    """Flintt's `/v1` API, read with one pooled HTTP client per sync."""

    api_key: str = Field(description="API key sent as X-API-Key; set FLINTT_API_KEY.")
    base_url: str = Field(
        default="", description=f"API root; empty means $FLINTT_BASE_URL or {DEFAULT_BASE_URL}."
    )
    timeout_seconds: float = Field(default=30.0, description="Per-request timeout.")
    request_deadline_seconds: float = Field(
        default=DEFAULT_DEADLINE_SECONDS,
        description="Total time one request may take, all its attempts and waits included.",
    )
    max_body_mib: float = Field(
        default=DEFAULT_MAX_BODY_MIB,
        description="Largest answer held in memory (a run's detail, check, an error page), "
        "compressed or decompressed.",
    )
    max_spool_mib: float = Field(
        default=DEFAULT_MAX_SPOOL_MIB,
        description="Largest list answer spooled to a temporary file, compressed or decompressed.",
    )
    page_size: int = Field(default=1000, description="`limit` asked for on paged lists.")
    detail_concurrency: int = Field(
        default=8, description="Parallel GET /v1/runs/{id} requests while fetching results."
    )
    max_attempts: int = Field(default=6, description="Attempts per request before giving up.")
    max_total_wait_seconds: float = Field(
        default=120.0, description="Longest total back-off per request, Retry-After included."
    )

    @property
    def resolved_base_url(self) -> str:
        return _setting(self.base_url, env="FLINTT_BASE_URL", default=DEFAULT_BASE_URL)

    def client(self) -> FlinttClient:
        return FlinttClient(
            base_url=self.resolved_base_url,
            api_key=self.api_key,
            timeout=self.timeout_seconds,
            deadline_seconds=self.request_deadline_seconds,
            max_body_mib=self.max_body_mib,
            max_spool_mib=self.max_spool_mib,
            page_size=self.page_size,
            max_attempts=self.max_attempts,
            max_total_wait=self.max_total_wait_seconds,
            detail_concurrency=self.detail_concurrency,
        )


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse: one connection string, opened only through `lib.warehouse`."""

    database: str = Field(
        default="",
        description=f"DuckDB file or connection string; empty means $FLINTT_DUCKDB_PATH or "
        f"{DEFAULT_DUCKDB_PATH}.",
    )
    lock_timeout_seconds: float = Field(
        default=120.0, description="How long to wait for another process holding the file."
    )
    max_delete_share: float = Field(
        default=0.5,
        description="A listing that would soft-delete more than this share of a table fails.",
    )

    @property
    def resolved_database(self) -> str:
        return _setting(self.database, env="FLINTT_DUCKDB_PATH", default=DEFAULT_DUCKDB_PATH)

    @contextmanager
    def open(self, *, log: Callable[[str], None] | None = None) -> Iterator[Warehouse]:
        with open_warehouse(
            database=self.resolved_database,
            lock_timeout=self.lock_timeout_seconds,
            on_wait=log,
        ) as warehouse:
            yield warehouse

    @contextmanager
    def get_connection(self):
        with self.open() as warehouse:
            yield warehouse.connection


# Issue 11's bound: a copy coalesced at most this long (the automation sensor's 30 s come on top).
DEFAULT_COALESCE_SECONDS = 30.0


class ReadCopyResource(dg.ConfigurableResource):
    """Where the analysts' read copy of the warehouse is published."""

    path: str = Field(
        default="",
        description="DuckDB file; empty means $FLINTT_READ_DUCKDB_PATH, else "
        f"<warehouse>_read.duckdb beside the warehouse ({DEFAULT_READ_DUCKDB_PATH} for the "
        "default one).",
    )

    coalesce_seconds: float | None = Field(
        default=None,
        description="How long the webhook runs job may leave a dear copy to the automation "
        "sensor after the last publish (defer/publish rule in defs/publish/coalescing.py); "
        f"None means $FLINTT_READ_COPY_COALESCE_SECONDS, else {DEFAULT_COALESCE_SECONDS:g}; "
        "0 publishes after every run.",
    )
    cheap_copy_seconds: float = Field(
        default=1.0,
        description="A copy that took less than this is made by every run, never coalesced.",
    )

    def resolved_path(self, *, warehouse: str) -> str:
        return _setting(
            self.path, env="FLINTT_READ_DUCKDB_PATH", default=read_copy_beside(warehouse)
        )

    def resolved_coalesce_seconds(self) -> float:
        if self.coalesce_seconds is not None:
            return self.coalesce_seconds
        text = os.environ.get("FLINTT_READ_COPY_COALESCE_SECONDS", "").strip()
        try:
            return float(text) if text else DEFAULT_COALESCE_SECONDS
        except ValueError:
            raise ValueError(
                f"FLINTT_READ_COPY_COALESCE_SECONDS must be a number of seconds, not {text!r}"
            ) from None


class InboxResource(dg.ConfigurableResource):
    """The webhook inbox the receiver writes and the sensor reads."""

    path: str = Field(
        default="",
        description="A postgresql:// URL or a SQLite file; empty means $FLINTT_INBOX_URL, else "
        f"$FLINTT_INBOX_PATH, else {DEFAULT_INBOX_PATH}.",
    )

    @property
    def location(self) -> str:
        return self.path or inbox_location_from_env()

    @contextmanager
    def open(self) -> Iterator[WebhookInbox]:
        inbox = open_inbox(self.location)
        try:
            yield inbox
        finally:
            inbox.close()
