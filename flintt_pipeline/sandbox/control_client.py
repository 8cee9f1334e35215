"""`SandboxControl`: one Python method per /_sandbox endpoint, for tests, demos and benchmarks."""

from types import TracebackType
from typing import Any, Self

import httpx


class SandboxControl:
    """Raises `httpx.HTTPStatusError` when the sandbox refuses a call (404 unknown id, 409 run
    already final, 422 naming the bad field)."""

    def __init__(self, *, base_url: str, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def state(self, stream: str) -> Any:
        """The full truth of companies|prospects|signals|runs (a list), or run_results (a dict)."""
        return self._call("GET", f"state/{stream}")

    def create(self, stream: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", stream, fields)

    def update(self, stream: str, record_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("PATCH", f"{stream}/{record_id}", fields)

    def delete(self, stream: str, record_id: str) -> None:
        self._call("DELETE", f"{stream}/{record_id}")

    def restore(self, stream: str, record_id: str) -> dict[str, Any]:
        """Bring back a deleted company, prospect or signal with its id and fields."""
        return self._call("POST", f"{stream}/{record_id}/restore")

    def trigger(self, signal_id: str) -> dict[str, Any]:
        return self._call("POST", f"signals/{signal_id}/trigger")

    def start(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"runs/{run_id}/start")

    def complete(self, run_id: str, *, results: int = 3) -> dict[str, Any]:
        return self._call("POST", f"runs/{run_id}/complete", {"results": results})

    def fail(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"runs/{run_id}/fail")

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Apply `changes` (none: just read) and return all current settings."""
        if not changes:
            return self._call("GET", "settings")
        return self._call("PATCH", "settings", changes)

    def requests(self) -> dict[str, Any]:
        return self._call("GET", "requests")

    def reset_requests(self) -> None:
        self._call("POST", "requests/reset")

    def deliveries(self) -> list[dict[str, Any]]:
        return self._call("GET", "deliveries")

    def management_token(self, *, expires_in: float = 3600) -> str:
        """A fresh management JWT (negative `expires_in`: an already expired one, for tests)."""
        return self._call("POST", "tokens", {"expires_in": expires_in})["token"]
