"""`flintt-pipeline webhooks ...`: serve the receiver; manage the workspace's webhook endpoints."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click

from flintt_pipeline.contract import DEFAULT_BASE_URL
from flintt_pipeline.lib.api.management import (
    ManagementClient,
    ManagementError,
    url_without_userinfo,
)
from flintt_pipeline.webhooks.events import KNOWN_EVENT_TYPES
from flintt_pipeline.webhooks.guard import ReadLimits
from flintt_pipeline.webhooks.inbox import InboxWriteError
from flintt_pipeline.webhooks.inboxes import inbox_location_from_env
from flintt_pipeline.webhooks.server import (
    ReceiverConfigError,
    ServerLimits,
    tokens_from_env,
)
from flintt_pipeline.webhooks.server import serve as serve_receiver

_EVENT_CHOICE = click.Choice(KNOWN_EVENT_TYPES)
_LIMITS = ServerLimits()


@contextmanager
def _management() -> Iterator[ManagementClient]:
    token = os.environ.get("FLINTT_MANAGEMENT_TOKEN", "").strip()
    if not token:
        raise click.ClickException(
            "FLINTT_MANAGEMENT_TOKEN is not set: set it to the JWT for Flintt's management API"
        )
    base_url = os.environ.get("FLINTT_BASE_URL") or DEFAULT_BASE_URL
    try:
        with ManagementClient(base_url=base_url, token=token) as client:
            yield client
    except ManagementError as error:
        raise click.ClickException(str(error)) from None


def _describe(record: dict[str, Any]) -> str:
    state = "active" if record.get("active", True) else "disabled"
    events = ", ".join(record.get("event_types") or []) or "no events"
    return (
        f"{record.get('id')}  {state}  {record.get('name')!r}  "
        f"{url_without_userinfo(record.get('endpoint_url'))}  "
        f"[{events}]"
    )


@click.group()
def webhooks() -> None:
    """Receive Flintt's webhooks, and manage the workspace's webhook endpoints."""


@webhooks.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8787, show_default=True, type=int)
@click.option(
    "--retention-days",
    default=7.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Prune events processed longer ago than this.",
)
@click.option(
    "--head-timeout",
    default=_LIMITS.read.head_timeout,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client has to send a request's headers.",
)
@click.option(
    "--body-timeout",
    default=_LIMITS.read.body_timeout,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client has to send a request's body.",
)
@click.option(
    "--max-connections",
    default=_LIMITS.max_connections,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections and requests in progress; past it new requests get 503.",
)
@click.option(
    "--shutdown-grace",
    default=_LIMITS.shutdown_grace_seconds,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seconds requests in progress get after SIGTERM before they are cancelled.",
)
def serve(
    host: str,
    port: int,
    retention_days: float,
    head_timeout: float,
    body_timeout: float,
    max_connections: int,
    shutdown_grace: int,
) -> None:
    """Serve the receiver: POST /webhooks/flintt stores events in FLINTT_INBOX_PATH."""
    try:
        serve_receiver(
            host=host,
            port=port,
            inbox_location=inbox_location_from_env(),
            tokens=tokens_from_env(),
            retention=timedelta(days=retention_days),
            limits=ServerLimits(
                read=ReadLimits(head_timeout=head_timeout, body_timeout=body_timeout),
                max_connections=max_connections,
                shutdown_grace_seconds=shutdown_grace,
            ),
        )
    except (ReceiverConfigError, InboxWriteError) as error:
        raise click.ClickException(str(error)) from None


@webhooks.command()
@click.option("--url", required=True, help="Where Flintt delivers (https://, or loopback http).")
@click.option("--name", default="flintt-pipeline", show_default=True)
@click.option(
    "--event",
    "events",
    multiple=True,
    type=_EVENT_CHOICE,
    help="Event type to subscribe to (repeatable; default: all four).",
)
def register(url: str, name: str, events: tuple[str, ...]) -> None:
    """Create a webhook endpoint; prints its token once, as the line to add to the receiver."""
    with _management() as client:
        record, token = client.create_webhook(
            url=url, name=name, events=events or KNOWN_EVENT_TYPES
        )
    click.echo(f"registered {_describe(record)}")
    click.echo(
        "Flintt shows this token only now; add it to the receiver's environment and restart:"
    )
    if os.environ.get("FLINTT_WEBHOOK_TOKENS", "").strip():
        # Append by reference so the existing tokens are not printed.
        click.echo(f'export FLINTT_WEBHOOK_TOKENS="$FLINTT_WEBHOOK_TOKENS",{shlex.quote(token)}')
    else:
        click.echo(f"export FLINTT_WEBHOOK_TOKENS={shlex.quote(token)}")


@webhooks.command(name="list")
def list_() -> None:
    """List the workspace's webhook endpoints (tokens are never shown)."""
    with _management() as client:
        records = client.list_webhooks()
    if not records:
        click.echo("no webhook endpoints")
    for record in records:
        click.echo(_describe(record))


@webhooks.command()
@click.argument("webhook_id")
@click.option("--event", "events", multiple=True, type=_EVENT_CHOICE, help="Replaces the list.")
@click.option("--enable/--disable", "active", default=None, help="Turn delivery on or off.")
@click.option("--name", default=None)
@click.option("--url", default=None)
def update(
    webhook_id: str, events: tuple[str, ...], active: bool | None, name: str | None, url: str | None
) -> None:
    """Change a webhook endpoint's events, state, name or URL."""
    if not events and active is None and name is None and url is None:
        raise click.UsageError(
            "nothing to update: give --event, --enable/--disable, --name or --url"
        )
    with _management() as client:
        record = client.update_webhook(
            webhook_id, events=events or None, active=active, name=name, url=url
        )
    click.echo(f"updated {_describe(record)}")


@webhooks.command()
@click.argument("webhook_id")
def delete(webhook_id: str) -> None:
    """Delete a webhook endpoint."""
    with _management() as client:
        client.delete_webhook(webhook_id)
    click.echo(f"deleted webhook {webhook_id}")
