"""The record a test webhook receiver keeps (the receiver itself is the `receiver` fixture)."""

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Receiver:
    """What a webhook receiver got; `fail_first` makes the first attempt of each event fail."""

    url: str
    fail_first: bool = True
    always_fail: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)
