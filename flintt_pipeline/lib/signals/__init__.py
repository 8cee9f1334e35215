"""Signals as code: the file, the plan that makes the workspace equal to it, and its apply.

Knows neither HTTP nor DuckDB directly: the writes go through `lib.api`'s writer, the key book is
handed in by the caller (the warehouse's `flintt.signal_keys`).
"""

from flintt_pipeline.lib.signals.apply import KeyBook, apply_plan
from flintt_pipeline.lib.signals.export import Export, export_signals
from flintt_pipeline.lib.signals.matching import PlanError
from flintt_pipeline.lib.signals.plan import Action, Change, Plan, make_plan
from flintt_pipeline.lib.signals.render import plan_lines, plan_markdown
from flintt_pipeline.lib.signals.spec import SignalSpec, SpecError, load_spec, parse_spec

__all__ = [
    "Action",
    "Change",
    "Export",
    "KeyBook",
    "Plan",
    "PlanError",
    "SignalSpec",
    "SpecError",
    "apply_plan",
    "export_signals",
    "load_spec",
    "make_plan",
    "parse_spec",
    "plan_lines",
    "plan_markdown",
]
