"""Keeps the SQL models fresh: each rebuilds when a table it reads changes, and the read copy is
published after them."""

import dagster as dg

from flintt_pipeline.defs.models.assets import GROUP

# Running by default: without it the models' eager conditions would never be evaluated.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "analytics_models_automation",
    # `publish` is the read copy (defs/publish), republished after model-only builds.
    target=dg.AssetSelection.groups(GROUP, "publish"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Rebuilds analytics models after the flintt tables (or models) they read change, "
    "then publishes the read copy.",
)
