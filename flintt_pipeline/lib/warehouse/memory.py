"""How much memory DuckDB may use while syncing.

DuckDB's default limit, 80% of RAM, let a sync grow with the workspace (1.2 GB of RSS at 500k
prospects): staged rows, joins and cached blocks stayed in memory because nothing asked DuckDB to
let go. With `BASE_LIMIT` it spills temp tables and joins to `<file>.tmp` instead.

One thing cannot spill: a primary-key index, once a statement has loaded it, stays in memory
(~90-120 B a key with 36-character ids: 45 MB for 500k prospects), and running out of memory
while committing invalidates the database. So the limit is `BASE_LIMIT` plus
`INDEX_BYTES_PER_ROW` for every row of the tables with a primary key (at three times the large
workspace, 3.3M such rows, a flat 160 MiB ran out while staging run results), and an insert of new
rows raises it by `INSERT_RESERVE` plus `INDEX_BYTES_PER_ROW` for each new row; never above
DuckDB's own default.

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
    _set(connection, _base(connection))


def fit_insert(connection: duckdb.DuckDBPyConnection, *, inserting: int) -> None:
    """Room for `inserting` new rows (and their index keys) before they are inserted."""
    if inserting <= 0:
        return
    _set(connection, _base(connection) + INSERT_RESERVE + INDEX_BYTES_PER_ROW * inserting)


def _base(connection: duckdb.DuckDBPyConnection) -> int:
    # The catalog's row estimates: no scan, ~1 ms.
    (indexed,) = connection.execute(
        "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
        "WHERE has_primary_key AND NOT temporary AND database_name = current_database()"
    ).fetchall()[0]
    return BASE_LIMIT + INDEX_BYTES_PER_ROW * int(indexed)


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
