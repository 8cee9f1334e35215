"""`python -m flintt_pipeline.webhooks [--host H] [--port P] [limits]`: the receiver without the
full CLI."""

import argparse
import sys

from flintt_pipeline.webhooks.guard import ReadLimits
from flintt_pipeline.webhooks.inbox import InboxWriteError
from flintt_pipeline.webhooks.inboxes import inbox_location_from_env
from flintt_pipeline.webhooks.server import (
    ReceiverConfigError,
    ServerLimits,
    serve,
    tokens_from_env,
)

defaults = ServerLimits()
parser = argparse.ArgumentParser(prog="python -m flintt_pipeline.webhooks")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8787)
parser.add_argument("--head-timeout", type=float, default=defaults.read.head_timeout)
parser.add_argument("--body-timeout", type=float, default=defaults.read.body_timeout)
parser.add_argument("--max-connections", type=int, default=defaults.max_connections)
parser.add_argument("--shutdown-grace", type=int, default=defaults.shutdown_grace_seconds)
arguments = parser.parse_args()
try:
    serve(
        host=arguments.host,
        port=arguments.port,
        inbox_location=inbox_location_from_env(),
        tokens=tokens_from_env(),
        limits=ServerLimits(
            read=ReadLimits(
                head_timeout=arguments.head_timeout, body_timeout=arguments.body_timeout
            ),
            max_connections=arguments.max_connections,
            shutdown_grace_seconds=arguments.shutdown_grace,
        ),
    )
except (ReceiverConfigError, InboxWriteError) as error:
    sys.exit(f"error: {error}")
