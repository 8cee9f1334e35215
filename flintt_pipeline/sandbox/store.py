"""Records kept as their serialised JSON bytes, in list order, so that a list response is a join of
slices and never re-serialises a million records."""

from collections.abc import Iterator
from typing import Any

import orjson


class RecordStore:
    """An ordered id -> JSON-bytes map.

    Lists read a cached snapshot (a plain list of bytes) that is rebuilt only after a change,
    which makes `page()` O(limit) however deep the offset. `newest_first` reverses the order of
    insertion (runs); otherwise records list in insertion order (oldest first).
    """

    def __init__(self, *, newest_first: bool = False) -> None:
        self._records: dict[str, bytes] = {}
        self._newest_first = newest_first
        self._snapshot: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._records

    def put(self, record: dict[str, Any]) -> bytes:
        """Insert (at the end of insertion order) or replace in place; returns the bytes stored."""
        # orjson hands back bytes with a multi-KiB allocation behind them; copying to an exact-size
        # object cuts a million-record workspace from gigabytes to a few hundred MB.
        data = memoryview(orjson.dumps(record)).tobytes()
        self.put_bytes(record["id"], data)
        return data

    def put_bytes(self, record_id: str, data: bytes) -> None:
        self._records[record_id] = data
        self._snapshot = None

    def get(self, record_id: str) -> dict[str, Any] | None:
        data = self._records.get(record_id)
        return None if data is None else orjson.loads(data)

    def get_bytes(self, record_id: str) -> bytes | None:
        return self._records.get(record_id)

    def delete(self, record_id: str) -> bool:
        if self._records.pop(record_id, None) is None:
            return False
        self._snapshot = None
        return True

    def ids(self) -> list[str]:
        ordered = list(self._records)
        return ordered[::-1] if self._newest_first else ordered

    def snapshot(self) -> list[bytes]:
        """All records' bytes in list order (shared; callers must not modify it)."""
        if self._snapshot is None:
            ordered = list(self._records.values())
            self._snapshot = ordered[::-1] if self._newest_first else ordered
        return self._snapshot

    def records(self) -> Iterator[dict[str, Any]]:
        for data in self.snapshot():
            yield orjson.loads(data)
