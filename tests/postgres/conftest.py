"""One PostgreSQL server for every Postgres test in the session (started here, never mocked);
the tests are skipped, saying why, only when no server can be started on this machine."""

from collections.abc import Iterator

import pytest
from pg_server import NoPostgres, PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except NoPostgres as reason:
        pytest.skip(f"no PostgreSQL server can be started here: {reason}")
