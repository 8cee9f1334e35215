"""Flintt's HTTP API: the sync client, its writes, the management client and their one-line errors.

Knows HTTP and Flintt, nothing of DuckDB or Dagster.
"""

from flintt_pipeline.lib.api.client import (
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_MAX_BODY_MIB,
    DEFAULT_MAX_SPOOL_MIB,
    FlinttClient,
)
from flintt_pipeline.lib.api.errors import (
    AuthenticationError,
    FlinttError,
    RejectedError,
    ResponseError,
    ServerError,
    UncertainWriteError,
    UnreachableError,
)
from flintt_pipeline.lib.api.management import ManagementClient, ManagementError
from flintt_pipeline.lib.api.redaction import public_url
from flintt_pipeline.lib.api.transport import ClientStats
from flintt_pipeline.lib.api.writes import SIGNAL_UPDATABLE, FlinttWriter

__all__ = [
    "DEFAULT_DEADLINE_SECONDS",
    "DEFAULT_MAX_BODY_MIB",
    "DEFAULT_MAX_SPOOL_MIB",
    "SIGNAL_UPDATABLE",
    "AuthenticationError",
    "ClientStats",
    "FlinttClient",
    "FlinttError",
    "FlinttWriter",
    "ManagementClient",
    "ManagementError",
    "RejectedError",
    "ResponseError",
    "ServerError",
    "UncertainWriteError",
    "UnreachableError",
    "public_url",
]
