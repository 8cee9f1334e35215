"""What a sandbox is started with (`SandboxConfig`) and the part of it that can change while it
runs (`Settings`, read and patched through /_sandbox/settings)."""

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

ListShape = Literal["array", "data", "items", "results"]
Fault = Literal["429", "500", "502", "503", "504", "drop", "truncate", "invalid_json"]
DropMode = Literal["before_response", "mid_body", "alternate"]
# Faults that fire after a write was applied: the record is stored, then the client sees a 500,
# a dropped connection, or an answer delayed by `write_delay_ms` (past its deadline).
WriteFault = Literal["500", "503", "drop", "delay"]

LIST_SHAPES: tuple[str, ...] = ("array", "data", "items", "results")
FAULTS: tuple[str, ...] = ("429", "500", "502", "503", "504", "drop", "truncate", "invalid_json")
DROP_MODES: tuple[str, ...] = ("before_response", "mid_body", "alternate")
WRITE_FAULTS: tuple[str, ...] = ("500", "503", "drop", "delay")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """List and fault behaviour; names match `SandboxConfig` and the /_sandbox/settings keys."""

    list_shape: ListShape = "array"
    max_page_size: int | None = None
    page_all_lists: bool = False
    ignore_paging: bool = False
    latency_ms: int = 0
    fault: Fault | None = None
    fault_rate: float = 0.0
    fault_count: int = 0
    fault_path: str | None = None
    retry_after: str | None = None
    drift_runs: int = 0
    drop_mode: DropMode = "alternate"
    delivery_attempts: int = 4
    delivery_backoff_s: float = 0.05
    delivery_timeout_s: float = 5.0
    write_fault: WriteFault | None = None
    write_fault_rate: float = 0.0
    write_fault_count: int = 0
    write_fault_path: str | None = None
    write_delay_ms: int = 5000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> "Settings":
        """A copy with `changes`, all validated first (a bad key changes nothing)."""
        for key, value in changes.items():
            _check_setting(key, value)
        return replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class SandboxConfig(Settings):
    """Workspace sizes and seed plus the initial `Settings`."""

    seed: int = 0
    companies: int = 50
    prospects: int = 120
    signals: int = 8
    runs: int = 60
    mean_results: int = 8

    def __post_init__(self) -> None:
        for name in ("companies", "prospects", "signals", "runs", "mean_results"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise SettingsError(name, "must be a non-negative integer")
        if self.runs and not self.signals:
            raise SettingsError("runs", "runs need at least one signal")
        _check_setting("seed", self.seed)
        for item in fields(Settings):
            _check_setting(item.name, getattr(self, item.name))

    def settings(self) -> Settings:
        return Settings(**{item.name: getattr(self, item.name) for item in fields(Settings)})


class SettingsError(ValueError):
    """A setting with a wrong name or value; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_setting(key: str, value: Any) -> None:
    checks: dict[str, tuple[bool, str]] = {
        "seed": (_is_int(value), "must be an integer"),
        "list_shape": (value in LIST_SHAPES, f"must be one of {', '.join(LIST_SHAPES)}"),
        "max_page_size": (
            value is None or (_is_int(value) and value > 0),
            "must be null or a positive integer",
        ),
        "page_all_lists": (isinstance(value, bool), "must be true or false"),
        "ignore_paging": (isinstance(value, bool), "must be true or false"),
        "latency_ms": (_is_int(value) and value >= 0, "must be a non-negative integer"),
        "fault": (value is None or value in FAULTS, f"must be null or one of {', '.join(FAULTS)}"),
        "fault_rate": (
            isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0,
            "must be a number between 0 and 1",
        ),
        "fault_count": (_is_int(value) and value >= 0, "must be a non-negative integer"),
        "fault_path": (value is None or isinstance(value, str), "must be null or a path prefix"),
        "retry_after": (
            value is None or isinstance(value, str),
            'must be null, seconds like "2", "date", "date:N" or a literal value',
        ),
        "drift_runs": (_is_int(value) and value >= 0, "must be a non-negative integer"),
        "drop_mode": (value in DROP_MODES, f"must be one of {', '.join(DROP_MODES)}"),
        "delivery_attempts": (_is_int(value) and value >= 1, "must be a positive integer"),
        "delivery_backoff_s": (
            isinstance(value, int | float) and not isinstance(value, bool) and value >= 0,
            "must be a non-negative number of seconds",
        ),
        "delivery_timeout_s": (
            isinstance(value, int | float) and not isinstance(value, bool) and value > 0,
            "must be a positive number of seconds",
        ),
        "write_fault": (
            value is None or value in WRITE_FAULTS,
            f"must be null or one of {', '.join(WRITE_FAULTS)}",
        ),
        "write_fault_rate": (
            isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0,
            "must be a number between 0 and 1",
        ),
        "write_fault_count": (_is_int(value) and value >= 0, "must be a non-negative integer"),
        "write_fault_path": (
            value is None or isinstance(value, str),
            "must be null or a path prefix",
        ),
        "write_delay_ms": (_is_int(value) and value >= 0, "must be a non-negative integer"),
    }
    if key not in checks:
        raise SettingsError(key, "unknown setting")
    valid, message = checks[key]
    if not valid:
        raise SettingsError(key, message)
