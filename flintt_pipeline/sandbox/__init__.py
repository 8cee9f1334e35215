"""A local Flintt-compatible server: a synthetic workspace behind the documented API, with a
control API under /_sandbox and injectable faults. It shares no code with the rest of the package,
which is tested against it."""

from flintt_pipeline.sandbox.app import Sandbox
from flintt_pipeline.sandbox.config import SandboxConfig, Settings, SettingsError
from flintt_pipeline.sandbox.control_client import SandboxControl
from flintt_pipeline.sandbox.server import SandboxHandle, bind, running_sandbox, serve

__all__ = [
    "Sandbox",
    "SandboxConfig",
    "SandboxControl",
    "SandboxHandle",
    "Settings",
    "SettingsError",
    "bind",
    "running_sandbox",
    "serve",
]
