"""Fixtures for the webhook tests: a receiver on loopback over a real SQLite inbox in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from receiver_helpers import TOKEN

from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.server import running_receiver


@pytest.fixture
def inbox_path(tmp_path: Path) -> Path:
    return tmp_path / "inbox.sqlite3"


@pytest.fixture
def receiver(inbox_path: Path) -> Iterator[str]:
    """The receiver's webhook URL."""
    with running_receiver(inbox_path=inbox_path, tokens=[TOKEN]) as base_url:
        yield base_url + WEBHOOK_PATH
