"""`python -m flintt_pipeline.webhooks [--host H] [--port P]`: the receiver without the full CLI."""

import argparse
import sys

from flintt_pipeline.webhooks.inbox import InboxWriteError
from flintt_pipeline.webhooks.inboxes import inbox_location_from_env
from flintt_pipeline.webhooks.server import (
    ReceiverConfigError,
    serve,
    tokens_from_env,
)

parser = argparse.ArgumentParser(prog="python -m flintt_pipeline.webhooks")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8787)
arguments = parser.parse_args()
try:
    serve(
        host=arguments.host,
        port=arguments.port,
        inbox_location=inbox_location_from_env(),
        tokens=tokens_from_env(),
    )
except (ReceiverConfigError, InboxWriteError) as error:
    sys.exit(f"error: {error}")
