"""Creating the planned rows in Flintt, a few at a time, each exactly once.

Each create goes through `FlinttWriter.create_once`, which looks for the record before sending
a create whose answer was lost. A refused row (422) is an outcome like any other; a refused key
stops everything, since every other row would be refused the same way.
"""

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from flintt_pipeline.lib.api import AuthenticationError, FlinttError, FlinttWriter, RejectedError
from flintt_pipeline.lib.push.rows import PushPlan, PushRow, Stream, keys_of

DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True, kw_only=True)
class Outcome:
    source_key: str
    flintt_id: str | None
    status: str  # created | present | duplicate | failed
    error: str | None = None


def settled(plan: PushPlan) -> list[Outcome]:
    """The outcomes known without a request: rows present already, repeated, or unresolved."""
    return [
        *(Outcome(source_key=r.source_key, flintt_id=i, status="present") for r, i in plan.present),
        *(
            Outcome(source_key=r.source_key, flintt_id=None, status="duplicate")
            for r in plan.duplicates
        ),
        *(
            Outcome(source_key=r.source_key, flintt_id=None, status="failed", error=e)
            for r, e in plan.unresolved
        ),
    ]


def _create(writer: FlinttWriter, stream: Stream, row: PushRow) -> Outcome:
    def matches(record: dict) -> bool:
        return row.source_key in keys_of(stream, record)

    try:
        created = writer.create_once(stream, row.fields, matches=matches)
    except RejectedError as error:
        return Outcome(
            source_key=row.source_key,
            flintt_id=None,
            status="failed",
            error=error.message or str(error),
        )
    except AuthenticationError:
        raise
    except FlinttError as error:
        return Outcome(source_key=row.source_key, flintt_id=None, status="failed", error=str(error))
    return Outcome(source_key=row.source_key, flintt_id=str(created["id"]), status="created")


def create_rows(
    plan: PushPlan,
    *,
    stream: Stream,
    writer: FlinttWriter,
    record: Callable[[Outcome], None],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Outcome]:
    """Create `plan.create`, at most `concurrency` at once; `record` hears each outcome on the
    calling thread (the warehouse is written from one thread) as soon as it is known."""
    outcomes: list[Outcome] = []
    rows = iter(plan.create)
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="flintt-push") as pool:
        running: set[Future[Outcome]] = set()
        try:
            while True:
                while len(running) < max(1, concurrency):
                    row = next(rows, None)
                    if row is None:
                        break
                    running.add(pool.submit(_create, writer, stream, row))
                if not running:
                    return outcomes
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    record(outcome)
                    outcomes.append(outcome)
        finally:
            for future in running:
                future.cancel()
