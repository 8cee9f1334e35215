"""SQL model assets (`analytics/*`), their schema checks and the sensor that refreshes them."""

from flintt_pipeline.defs.models.assets import build_model_assets, model_assets, model_checks
from flintt_pipeline.defs.models.automation import automation_sensor

__all__ = ["automation_sensor", "build_model_assets", "model_assets", "model_checks"]
