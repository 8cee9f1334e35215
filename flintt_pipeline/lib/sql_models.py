"""SQL models: one SELECT per `*.sql` file, built as table `analytics.<file>`.

The shipped models live in the package (`flintt_pipeline/sql/`, read with importlib.resources so
an installed wheel has them too).

The tables a model reads are taken from DuckDB's own parse tree (`json_serialize_sql`), so
adding a model means adding a file and its dependencies can never drift from its SQL.

A model may declare in its header how it is updated by its inputs' change (see
`lib.warehouse.model_updates`): `-- grain: <columns>` and, for every table it reads, a line
`-- changed: <table> -> <columns of the changed rows, or a SELECT reading relation changed>`
giving the grain keys that input's changed rows affect. A model without them is rebuilt whole.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import duckdb

from flintt_pipeline.contract import HISTORY_TABLES, MODEL_SCHEMA, RAW_TABLES, SOURCE_SCHEMA
from flintt_pipeline.lib.sql_update_rules import UpdateRuleError, is_update_rule, update_rules
from flintt_pipeline.lib.warehouse.model_updates import ModelSpec, ModelUpdate, update_model

SOURCE_TABLES = frozenset((*RAW_TABLES, *HISTORY_TABLES.values()))

_NAME = re.compile(r"[a-z_][a-z0-9_]*")

TableRef = tuple[str, str]


class SqlModelError(Exception):
    """A model file that cannot be loaded or built; str() names the file and the fix."""


@dataclass(frozen=True, kw_only=True)
class SqlModel:
    name: str
    path: Traversable
    sql: str
    description: str | None
    upstream: tuple[TableRef, ...]
    # SHA-256 of the file as loaded: a model whose file changed is rebuilt whole once.
    sql_hash: str = ""
    # The key columns an update replaces (empty: rebuilt whole) and, per input table, the SELECT
    # of those keys from its changed rows (relation `changed`).
    grain: tuple[str, ...] = ()
    changes: tuple[tuple[str, str], ...] = ()
    # Models reading this one.
    readers: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return f"{MODEL_SCHEMA}.{self.name}"

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec(
            name=self.name,
            sql=self.sql,
            sql_hash=self.sql_hash,
            grain=self.grain,
            changes=dict(self.changes),
            readers=self.readers,
        )


def shipped_models_dir() -> Traversable:
    """The models that come with the package."""
    return files("flintt_pipeline") / "sql"


def load_models(sql_dir: Traversable) -> list[SqlModel]:
    """Every model in `sql_dir`, parents first; raises SqlModelError naming the first bad file,
    or saying that the folder holds no model at all (a package built without its SQL files)."""
    paths = sorted(
        (path for path in sql_dir.iterdir() if path.name.endswith(".sql") and path.is_file()),
        key=lambda path: path.name,
    )
    if not paths:
        raise SqlModelError(f"{sql_dir}: no model files (*.sql) in this folder")
    parser = duckdb.connect(":memory:")
    try:
        models = [_load(parser, path) for path in paths]
    finally:
        parser.close()
    by_name = {model.name: model for model in models}
    for model in models:
        _check_refs(model, by_name)
    readers = {
        name: tuple(
            sorted(m.name for m in models if (MODEL_SCHEMA, name) in m.upstream and m.grain)
        )
        for name in by_name
    }
    return [replace(model, readers=readers[model.name]) for model in _dependency_order(by_name)]


def build_model(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, *, full_refresh: bool = False
) -> ModelUpdate:
    """Bring `analytics.<name>` up to date in one transaction: the keys its inputs' changes
    affect, or the whole table (`full_refresh`, a model without grain, a changed SQL file)."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {MODEL_SCHEMA}")
    with _naming_the_file(model):
        return update_model(connection, model=model.spec, full_refresh=full_refresh)


def build_whole(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """Create `analytics.<name>` from the model's SELECT and nothing else (no update state):
    for typing the models over empty tables, where the state's bookkeeping would triple the
    time the definitions take to load."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {MODEL_SCHEMA}")
    with _naming_the_file(model):
        connection.execute(f"CREATE OR REPLACE TABLE {model.table} AS {model.sql}\n")


@contextmanager
def _naming_the_file(model: SqlModel) -> Iterator[None]:
    """A DuckDB error while building becomes one line naming the model's file."""
    try:
        yield
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise SqlModelError(
            f"{model.path.name}: building {model.table} failed: {first_line}"
        ) from exc


def _load(parser: duckdb.DuckDBPyConnection, path: Traversable) -> SqlModel:
    name = path.name.removesuffix(".sql")
    if not _NAME.fullmatch(name):
        raise SqlModelError(
            f"{path.name}: model file names must be lowercase identifiers (letters, digits, _)"
        )
    text = path.read_text(encoding="utf-8")
    row = parser.execute("SELECT json_serialize_sql(?)", [text]).fetchone()
    assert row is not None
    tree = json.loads(row[0])
    if tree.get("error"):
        message = tree.get("error_message", "unparseable SQL")
        if "Only SELECT" in message:
            message = "must hold a single SELECT statement and nothing else"
        raise SqlModelError(f"{path.name}: {message}")
    if len(tree["statements"]) != 1:
        raise SqlModelError(
            f"{path.name}: must hold exactly one SELECT statement, found {len(tree['statements'])}"
        )
    refs = sorted(set(_table_refs(tree["statements"][0], ctes=frozenset())))
    for schema, table in refs:
        if not schema:
            raise SqlModelError(
                f"{path.name}: table {table!r} must be qualified as "
                f"{SOURCE_SCHEMA}.<table> or {MODEL_SCHEMA}.<model>"
            )
    header = _header_lines(text)
    try:
        grain, changes = update_rules(
            parser, header=header, inputs={f"{schema}.{table}" for schema, table in refs}
        )
    except UpdateRuleError as error:
        raise SqlModelError(f"{path.name}: {error}") from None
    description = "\n".join(line for line in header if not is_update_rule(line)).strip()
    return SqlModel(
        name=name,
        path=path,
        sql=_without_trailing_semicolon(text),
        description=description or None,
        upstream=tuple(refs),
        sql_hash=hashlib.sha256(text.encode()).hexdigest(),
        grain=grain,
        changes=changes,
    )


def _table_refs(node: Any, *, ctes: frozenset[str]) -> Iterator[TableRef]:
    """(schema, table) of every real table read anywhere in the parse tree.

    A CTE is visible to the query node that defines it and to everything nested in it, so an
    unqualified name matching a CTE in scope is not a table.
    """
    if isinstance(node, list):
        for item in node:
            yield from _table_refs(item, ctes=ctes)
        return
    if not isinstance(node, dict):
        return
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict):
        ctes = ctes | {entry["key"].lower() for entry in cte_map.get("map", [])}
    if node.get("type") == "BASE_TABLE":
        schema = (node.get("schema_name") or "").lower()
        table = node["table_name"].lower()
        if schema or table not in ctes:
            yield schema, table
        return
    for value in node.values():
        yield from _table_refs(value, ctes=ctes)


def _check_refs(model: SqlModel, models: dict[str, SqlModel]) -> None:
    for schema, table in model.upstream:
        if schema == SOURCE_SCHEMA and table in SOURCE_TABLES:
            continue
        if schema == MODEL_SCHEMA and table in models and table != model.name:
            continue
        known = ", ".join(sorted(f"{SOURCE_SCHEMA}.{t}" for t in SOURCE_TABLES))
        raise SqlModelError(
            f"{model.path.name}: unknown table {schema}.{table} "
            f"(models read {known} or {MODEL_SCHEMA}.<another model>)"
        )


def _dependency_order(models: dict[str, SqlModel]) -> list[SqlModel]:
    ordered: list[SqlModel] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join(f"{n}.sql" for n in (*chain, name))
            raise SqlModelError(f"{models[name].path.name}: models depend on each other: {cycle}")
        state[name] = "visiting"
        for schema, table in models[name].upstream:
            if schema == MODEL_SCHEMA:
                visit(table, (*chain, name))
        state[name] = "done"
        ordered.append(models[name])

    for name in sorted(models):
        visit(name, ())
    return ordered


def _header_lines(text: str) -> list[str]:
    """The leading `--` comment block's lines, without the markers."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped or lines:
                break
            continue
        content = stripped[2:]
        lines.append(content[1:] if content.startswith(" ") else content)
    return lines


def _without_trailing_semicolon(text: str) -> str:
    """The statement, ready to follow `CREATE TABLE ... AS` (a trailing `;` would end it early)."""
    tokens = [
        (position, kind)
        for position, kind in duckdb.tokenize(text)
        if kind != duckdb.token_type.comment
    ]
    if tokens and text[tokens[-1][0]] == ";":
        position = tokens[-1][0]
        return text[:position] + text[position + 1 :]
    return text
