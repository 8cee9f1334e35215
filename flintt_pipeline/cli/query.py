"""`flintt-pipeline query "SQL"`: a read-only query of the published read copy (or, with `--live`,
of the warehouse itself), printed as a table, CSV or JSON."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
import duckdb

from flintt_pipeline.cli.instance import warehouse_and_read_copy
from flintt_pipeline.lib.warehouse import (
    WarehouseError,
    open_read_only,
    read_copy_path,
)

# Statements that only read. Anything else (writes, DDL, ATTACH, COPY, SET, ...) is refused
# before it reaches DuckDB, on top of the read-only connection.
READING = frozenset(
    {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
)
LIVE_WAIT_SECONDS = 120.0


def _reading_statements(sql: str) -> list[duckdb.Statement]:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise click.ClickException(f"the query does not parse: {_first_line(error)}") from None
    if not statements:
        raise click.ClickException('the query is empty: pass one SELECT, e.g. "SELECT 1"')
    for statement in statements:
        if statement.type not in READING:
            kind = statement.type.name
            raise click.ClickException(
                f"refused: query only reads (SELECT, DESCRIBE, EXPLAIN), and this is a {kind} "
                "statement; the warehouse changes only through `flintt-pipeline sync`"
            )
    return statements


def _connect(live: bool) -> duckdb.DuckDBPyConnection:
    if live:
        database = warehouse_and_read_copy()[0]
        click.echo(
            f"Reading the live warehouse {database}: this may wait up to "
            f"{LIVE_WAIT_SECONDS:g} s for a sync that is writing it.",
            err=True,
        )
        try:
            return open_read_only(database, lock_timeout=LIVE_WAIT_SECONDS)
        except WarehouseError as error:
            raise click.ClickException(str(error)) from None
    path = warehouse_and_read_copy()[1]
    try:
        resolved = read_copy_path(path)
    except WarehouseError as error:
        raise click.ClickException(str(error)) from None
    if not resolved.is_file():
        raise click.ClickException(
            f"no read copy at {path} yet: `flintt-pipeline sync` publishes one (or pass --live "
            "to read the warehouse itself)"
        )
    return duckdb.connect(str(resolved), read_only=True)


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [columns, *[["NULL" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _render(fmt: str, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue()
    if fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return json.dumps(records, default=str, ensure_ascii=False, indent=2) + "\n"
    return _table(columns, rows)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@click.command()
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--live", is_flag=True, help="Read the live warehouse, not the read copy.")
def query(sql: str, fmt: str, output: Path | None, live: bool) -> None:
    """Run a read-only SQL query against the read copy (FLINTT_READ_DUCKDB_PATH, else
    <warehouse>_read.duckdb beside FLINTT_DUCKDB_PATH)."""
    statements = _reading_statements(sql)
    with _connect(live) as connection:
        try:
            connection.execute("SET TimeZone = 'UTC'")
            for statement in statements[:-1]:
                connection.execute(statement.query)
            cursor = connection.execute(statements[-1].query)
            columns = [column[0] for column in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as error:
            raise click.ClickException(f"the query failed: {_first_line(error)}") from None
    text = _render(fmt, columns, rows)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} rows written to {output}.", err=True)
