"""What the push tests share: a sandbox, a warehouse holding a table of target rows, and pushes run
through the library (short client deadlines) or the CLI in-process, over real HTTP."""

from dataclasses import dataclass
from typing import Any

import duckdb
from click.testing import CliRunner, Result

from flintt_pipeline.cli import main
from flintt_pipeline.lib.api import FlinttClient
from flintt_pipeline.lib.push.run import PushSummary, run_push
from flintt_pipeline.lib.warehouse import open_warehouse
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle

CONFIG = SandboxConfig(seed=9, companies=6, prospects=4, signals=1, runs=0)
TARGETS = [(f"Target {i}", f"target{i}.example", None) for i in range(12)]


@dataclass
class Pushing:
    sandbox: SandboxHandle
    database: str
    env: dict[str, str]

    def table(self, name: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        with duckdb.connect(self.database) as connection:
            marks = ", ".join("?" for _ in columns.split(","))
            connection.execute(f"CREATE OR REPLACE TABLE main.{name} ({columns})")
            connection.executemany(f"INSERT INTO main.{name} VALUES ({marks})", rows)

    def push(self, stream: str, query: str, **client: Any) -> PushSummary:
        settings = {"timeout": 5.0, "max_total_wait": 10.0} | client
        with (
            FlinttClient(
                base_url=self.sandbox.base_url, api_key=self.sandbox.api_key, **settings
            ) as api,
            open_warehouse(database=self.database) as warehouse,
        ):
            return run_push(client=api, warehouse=warehouse, stream=stream, query=query)  # type: ignore[arg-type]

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env)

    def log(self) -> list[tuple]:
        with duckdb.connect(self.database, read_only=True) as connection:
            return connection.execute(
                "SELECT source_key, flintt_id, status, error FROM flintt.push_log "
                "ORDER BY pushed_at"
            ).fetchall()

    def names(self, stream: str = "companies") -> list[str]:
        return [record["name"] for record in self.sandbox.control.state(stream)]
