"""Timestamps in records: ISO-8601 with Z or a valid offset (none means UTC), 1970 to 2199; any
other text is a type error naming stream, id and field, and nothing is stored."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flintt_pipeline.lib.warehouse import RecordTypeError, Warehouse, open_warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with open_warehouse(database=str(tmp_path / "warehouse.duckdb")) as opened:
        yield opened


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2024-05-01T08:30:00Z", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00.123456Z", datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T08:30:00.123+05:30", datetime(2024, 5, 1, 3, 0, 0, 123000, tzinfo=UTC)),
        ("2024-05-01T08:30:00-0800", datetime(2024, 5, 1, 16, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00+23:59", datetime(2024, 4, 30, 8, 31, tzinfo=UTC)),
        ("2024-05-01 08:30:00", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),  # no offset: UTC
        ("2024-05-01T08:30Z", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2199-12-31T23:59:59Z", datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (None, None),
    ],
)
def test_iso_timestamps_are_stored_as_their_instant(
    warehouse: Warehouse, text: str | None, instant: datetime | None
) -> None:
    warehouse.merge_listing("companies", [[{"id": "c1", "created_at": text}]])
    (stored,) = warehouse.connection.execute("SELECT created_at FROM flintt.companies").fetchone()
    assert stored == instant


@pytest.mark.parametrize(
    "text",
    [
        "epoch",
        "infinity",
        "-infinity",
        "now",
        "2024-05-01T08:30:00+25:00",
        "2024-05-01T08:30:00+05:60",
        "294247-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2024-02-30T08:30:00Z",
        "2024-05-01",
        "2024-05-01T08:30:00 America/New_York",
        "20240501T083000Z",
        "2024-05-01T24:00:00Z",
        " 2024-05-01T08:30:00Z",
    ],
)
def test_other_timestamp_text_is_a_type_error_and_nothing_is_stored(
    warehouse: Warehouse, text: str
) -> None:
    good = [{"id": "c1", "created_at": "2024-05-01T08:30:00Z"}]
    with pytest.raises(RecordTypeError) as raised:
        warehouse.merge_listing("companies", [good, [{"id": "c2", "created_at": text}]])
    error = raised.value
    assert (error.stream, error.record_id, error.field) == ("companies", "c2", "created_at")
    message = str(error)
    assert message.startswith("companies record 'c2': field 'created_at' should be an ISO-8601")
    assert "1970 to 2199" in message and repr(text) in message and "\n" not in message
    assert warehouse.table_summary("companies").row_count == 0


def test_run_details_and_listings_of_runs_are_checked_too(warehouse: Warehouse) -> None:
    with pytest.raises(RecordTypeError, match=r"runs record 'r1': field 'completed_at'"):
        warehouse.merge_runs([[{"id": "r1", "completed_at": "infinity"}]], complete=False)
    with pytest.raises(RecordTypeError, match=r"run_results record 'r1': field 'completed_at'"):
        warehouse.replace_run_results([{"id": "r1", "completed_at": "epoch", "results": []}])
    assert warehouse.table_summary("runs").row_count == 0
