"""Flintt's HTTP API: the sync client, the management client and their one-line errors.

Knows HTTP and Flintt, nothing of DuckDB or Dagster.
"""

from flintt_pipeline.lib.api.client import FlinttClient
from flintt_pipeline.lib.api.errors import (
    AuthenticationError,
    FlinttError,
    ResponseError,
    ServerError,
    UnreachableError,
)
from flintt_pipeline.lib.api.management import ManagementClient, ManagementError
from flintt_pipeline.lib.api.redaction import public_url
from flintt_pipeline.lib.api.transport import ClientStats

__all__ = [
    "AuthenticationError",
    "ClientStats",
    "FlinttClient",
    "FlinttError",
    "ManagementClient",
    "ManagementError",
    "ResponseError",
    "ServerError",
    "UnreachableError",
    "public_url",
]
