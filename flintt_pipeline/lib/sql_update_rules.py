"""A model's update rules: the `-- grain:` and `-- changed:` lines of its header comment.

`-- grain: <column>, ...` names the model's columns whose values partition its rows;
`-- changed: <table> -> <keys>`, one per table the model reads, gives the grain values a change of
that table's rows can affect: columns of relation `changed` (those rows) or a SELECT reading it.
`lib.warehouse.model_updates` applies them.
"""

import json
import re

import duckdb

_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_GRAIN = re.compile(r"grain:\s*(?P<columns>.*)")
_CHANGED = re.compile(r"changed:\s*(?P<table>[a-z0-9_.]+)\s*->\s*(?P<keys>.+)")


class UpdateRuleError(ValueError):
    """A rule that does not fit the model; str() says what to write instead."""


def is_update_rule(line: str) -> bool:
    """Whether a header line (without its `--`) is a rule, not part of the description."""
    return bool(_GRAIN.fullmatch(line) or _CHANGED.fullmatch(line))


def update_rules(
    parser: duckdb.DuckDBPyConnection, *, header: list[str], inputs: set[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The grain and, per input table, the SELECT of grain keys from `changed`, checked: every
    table the model reads (`inputs`, "schema.table") has one mapping, each a single SELECT (or
    a column list of `changed`). No grain line: ((), ()), the model is rebuilt whole."""
    grains = [match["columns"] for line in header if (match := _GRAIN.fullmatch(line))]
    mappings = [match for line in header if (match := _CHANGED.fullmatch(line))]
    if not grains:
        if mappings:
            raise UpdateRuleError("`-- changed:` lines need a `-- grain:` line")
        return (), ()
    grain = tuple(column.strip() for column in grains[0].split(","))
    if len(grains) > 1 or not all(_NAME.fullmatch(column) for column in grain):
        raise UpdateRuleError(
            "write one `-- grain: <column>, <column>` line of the model's columns"
        )
    changes: dict[str, str] = {}
    for match in mappings:
        table, keys = match["table"], match["keys"].strip()
        if table not in inputs or table in changes:
            raise UpdateRuleError(f"`-- changed: {table}` must name, once, a table the model reads")
        select = keys if re.match(r"(?i)(select|with)\b", keys) else f"SELECT {keys} FROM changed"
        tree = json.loads(
            parser.execute(
                "SELECT json_serialize_sql(?)", [f"WITH changed AS (SELECT 1) {select}"]
            ).fetchone()[0]  # type: ignore[index]
        )
        if tree.get("error") or len(tree["statements"]) != 1:
            raise UpdateRuleError(
                f"`-- changed: {table} -> ...` must give columns of `changed` or "
                f"one SELECT: {tree.get('error_message', 'more than one statement')}"
            )
        changes[table] = select
    if missing := sorted(inputs - changes.keys()):
        raise UpdateRuleError(
            f"a model with a grain needs a `-- changed: <table> -> <keys>` line "
            f"for every table it reads; missing: {', '.join(missing)}"
        )
    return grain, tuple(sorted(changes.items()))
