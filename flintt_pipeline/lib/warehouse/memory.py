"""How much memory DuckDB may use while syncing.

DuckDB's default limit, 80% of RAM, let a sync grow with the workspace (1.2 GB of RSS at 500k
prospects): staged rows, joins and cached blocks stayed in memory because nothing asked DuckDB to
let go. With `BASE_LIMIT` it spills temp tables and joins to `<file>.tmp` instead.

One thing cannot spill: a table's primary-key index while rows are inserted into it (~120 B a
key, measured with 36-character ids), and running out of memory while committing invalidates the
database. So an insert of new rows raises the limit to `INSERT_RESERVE` plus `INDEX_BYTES_PER_ROW`
for every row of the table after the insert, never above DuckDB's own default; a merge that
inserts nothing (the usual daily sync of an unchanged list) stays at `BASE_LIMIT`.

A model's SQL is another matter: an ORDER BY over millions of rows of text needs memory that
spilling does not spare (`prospects_enriched` over 1.5M prospects failed at `BASE_LIMIT`), and a
user's model may need anything. Models are updated under DuckDB's own default, which is what the
same SQL gets in DuckDB's shell.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb

BASE_LIMIT = 160 * 2**20
INSERT_RESERVE = 96 * 2**20
INDEX_BYTES_PER_ROW = 200


def set_base(connection: duckdb.DuckDBPyConnection) -> None:
    _set(connection, BASE_LIMIT)


def fit_insert(connection: duckdb.DuckDBPyConnection, *, table: str, inserting: int) -> None:
    """Room for `inserting` new rows into `table` (and its index) before they are inserted."""
    if inserting <= 0:
        return
    (rows,) = connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    needed = INSERT_RESERVE + INDEX_BYTES_PER_ROW * (rows + inserting)
    _set(connection, max(BASE_LIMIT, needed))


@contextmanager
def default_limit(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's own default limit inside the block, `BASE_LIMIT` after it."""
    _set(connection, _default_limit())
    try:
        yield
    finally:
        with suppress(duckdb.Error):  # after a fatal error, the block's own error matters
            set_base(connection)


def _set(connection: duckdb.DuckDBPyConnection, limit: int) -> None:
    connection.execute(f"SET memory_limit = '{min(limit, _default_limit())}B'")


def _default_limit() -> int:
    """DuckDB's own default: 80% of this machine's memory."""
    try:
        return int(0.8 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 2**62
