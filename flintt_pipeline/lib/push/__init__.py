"""Push from the warehouse: the rows Flintt lacks, created once each, every outcome logged."""

from flintt_pipeline.lib.push.pusher import DEFAULT_CONCURRENCY, Outcome, create_rows, settled
from flintt_pipeline.lib.push.rows import (
    COLUMNS,
    ColumnsError,
    PushPlan,
    PushRow,
    Stream,
    check_columns,
    plan_push,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_CONCURRENCY",
    "ColumnsError",
    "Outcome",
    "PushPlan",
    "PushRow",
    "Stream",
    "check_columns",
    "create_rows",
    "plan_push",
    "settled",
]
