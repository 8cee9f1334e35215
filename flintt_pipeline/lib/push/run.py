"""One push: the query's rows, what Flintt already holds, the creates, the log and a summary.

The glue between the warehouse (the query, `flintt.push_log`) and the API; the decisions are in
`rows` and `pusher`. Flintt is listed afresh every time, so a push re-run after a crash skips
what the crashed one created.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flintt_pipeline.lib.api import FlinttClient
from flintt_pipeline.lib.push.pusher import DEFAULT_CONCURRENCY, Outcome, create_rows, settled
from flintt_pipeline.lib.push.rows import PushPlan, Stream, check_columns, plan_push
from flintt_pipeline.lib.warehouse import PushEntry, Warehouse, append_push_log, query_rows


@dataclass(kw_only=True)
class PushSummary:
    push_id: str
    stream: str
    rows: int
    plan: PushPlan
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    def line(self) -> str:
        if self.dry_run:
            return (
                f"Dry run: {len(self.plan.create)} {self.stream} would be created, "
                f"{len(self.plan.present)} already present, {len(self.plan.duplicates)} duplicate "
                f"row(s), {len(self.plan.unresolved)} unresolved; nothing was sent."
            )
        return (
            f"Pushed {self.stream}: {self.count('created')} created, {self.count('present')} "
            f"already present, {self.count('duplicate')} duplicate row(s), "
            f"{self.count('failed')} failed (push {self.push_id} in flintt.push_log)."
        )


def run_push(
    *,
    client: FlinttClient,
    warehouse: Warehouse,
    stream: Stream,
    query: str,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    say: Callable[[str], None] = lambda _: None,
) -> PushSummary:
    columns, rows = query_rows(warehouse, query)
    check_columns(stream, columns)
    existing = client.list_all(stream)
    companies = existing if stream == "companies" else client.list_all("companies")
    plan = plan_push(stream, rows, existing=existing, companies=companies)
    summary = PushSummary(
        push_id=uuid.uuid4().hex[:12], stream=stream, rows=len(rows), plan=plan, dry_run=dry_run
    )
    if dry_run:
        for row in plan.create:
            say(f"+ would create {row.source_key}")
        return summary

    def record(outcome: Outcome) -> None:
        entry = PushEntry(
            push_id=summary.push_id,
            stream=stream,
            source_key=outcome.source_key,
            flintt_id=outcome.flintt_id,
            status=outcome.status,
            error=outcome.error,
        )
        append_push_log(warehouse, [entry])
        summary.outcomes.append(outcome)
        detail = outcome.flintt_id or outcome.error or ""
        say(f"{outcome.status}: {outcome.source_key} {detail}".rstrip())

    for outcome in settled(plan):
        record(outcome)
    writer = client.writer()
    create_rows(plan, stream=stream, writer=writer, record=record, concurrency=concurrency)
    return summary
