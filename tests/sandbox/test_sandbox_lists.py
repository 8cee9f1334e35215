"""List shapes, page-size caps, paging switches and streamed big lists."""

from typing import Any

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox


def _unwrap(body: Any, shape: str) -> list[dict[str, Any]]:
    if shape == "array":
        assert isinstance(body, list)
        return body
    assert isinstance(body, dict) and isinstance(body[shape], list)
    return body[shape]


@pytest.mark.parametrize("shape", ["array", "data", "items", "results"])
def test_list_shapes(sandbox: SandboxHandle, api: httpx.Client, shape: str) -> None:
    sandbox.control.settings(list_shape=shape)
    for stream in ("companies", "prospects", "signals"):
        assert _unwrap(api.get(f"/v1/{stream}").json(), shape) == sandbox.control.state(stream)
    runs = _unwrap(api.get("/v1/runs", params={"limit": 5}).json(), shape)
    assert runs == sandbox.control.state("runs")[:5]
    assert isinstance(sandbox.control.state("runs"), list)


def test_max_page_size_caps_the_limit(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(max_page_size=7)
    assert len(api.get("/v1/runs", params={"limit": 1000}).json()) == 7
    assert len(api.get("/v1/runs", params={"limit": 3}).json()) == 3
    assert len(api.get("/v1/runs").json()) == 7
    assert len(api.get("/v1/companies").json()) == len(sandbox.control.state("companies"))


def test_page_all_lists(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(page_all_lists=True, max_page_size=20)
    truth = sandbox.control.state("prospects")
    assert len(api.get("/v1/prospects").json()) == 20
    page = api.get("/v1/prospects", params={"limit": 4, "offset": 10}).json()
    assert page == truth[10:14]
    assert api.get("/v1/signals", params={"limit": 0}).status_code == 422


def test_ignore_paging(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(ignore_paging=True, page_all_lists=True)
    truth = sandbox.control.state("runs")
    assert api.get("/v1/runs", params={"limit": 2, "offset": 5}).json() == truth
    assert api.get("/v1/runs", params={"limit": "garbage"}).json() == truth
    assert len(api.get("/v1/companies", params={"limit": 2}).json()) > 2


def test_big_lists_are_streamed_whole_and_can_be_truncated() -> None:
    config = SandboxConfig(
        seed=3, companies=10, prospects=6_500, signals=2, runs=3, list_shape="data"
    )
    with (
        running_sandbox(config) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": sandbox.api_key}) as api,
    ):
        response = api.get("/v1/prospects")
        assert "content-length" not in response.headers  # chunked, not held in memory whole
        body = response.json()
        assert body["total"] == 6_500
        assert body["data"] == sandbox.control.state("prospects")
        sandbox.control.settings(fault="truncate", fault_count=1)
        truncated = api.get("/v1/prospects").content
        assert 100 < len(truncated) < len(response.content)
        assert response.content.startswith(truncated)
