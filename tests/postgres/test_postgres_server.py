"""The harness itself: the session's server answers SQL over TCP on 127.0.0.1."""

import psycopg2
from pg_server import PostgresServer


def test_postgres_server_answers_on_loopback(postgres: PostgresServer) -> None:
    with psycopg2.connect(postgres.url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_addr()::text, current_database()")
        assert cursor.fetchone() == ("127.0.0.1/32", "flintt")
