"""API keys on /v1 and JWTs on /api: every refusal is a 401."""

import time

import httpx
import jwt
import pytest

from flintt_pipeline.sandbox import Sandbox, SandboxConfig, SandboxHandle

V1_ENDPOINTS = [
    ("GET", "/v1/companies"),
    ("POST", "/v1/companies"),
    ("GET", "/v1/prospects"),
    ("POST", "/v1/prospects"),
    ("GET", "/v1/signals"),
    ("POST", "/v1/signals"),
    ("GET", "/v1/signals/some-id"),
    ("PATCH", "/v1/signals/some-id"),
    ("PUT", "/v1/signals/some-id"),
    ("DELETE", "/v1/signals/some-id"),
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/some-id"),
]
MANAGEMENT_ENDPOINTS = [
    ("GET", "/api/api-key"),
    ("POST", "/api/api-key/regenerate"),
    ("GET", "/api/api-keys"),
    ("POST", "/api/api-keys"),
    ("DELETE", "/api/api-keys/some-id"),
    ("GET", "/api/outbound-webhooks"),
    ("POST", "/api/outbound-webhooks"),
    ("PATCH", "/api/outbound-webhooks/some-id"),
    ("PUT", "/api/outbound-webhooks/some-id"),
    ("DELETE", "/api/outbound-webhooks/some-id"),
]


def _status(sandbox: SandboxHandle, method: str, path: str, headers: dict[str, str]) -> int:
    return httpx.request(
        method, sandbox.base_url + path, headers=headers, json={"name": "x"}, trust_env=False
    ).status_code


def test_every_v1_endpoint_wants_a_valid_key(sandbox: SandboxHandle) -> None:
    for method, path in V1_ENDPOINTS:
        assert _status(sandbox, method, path, {}) == 401, (method, path)
        assert _status(sandbox, method, path, {"X-API-Key": "flt_wrong"}) == 401, (method, path)
        assert _status(sandbox, method, path, {"X-API-Key": sandbox.api_key}) != 401


def test_v1_refuses_the_management_token(sandbox: SandboxHandle) -> None:
    headers = {"Authorization": f"Bearer {sandbox.management_token}"}
    assert _status(sandbox, "GET", "/v1/companies", headers) == 401


def test_key_metadata_shows_prefix_and_last_use_but_never_the_key(
    sandbox: SandboxHandle, api: httpx.Client, management: httpx.Client
) -> None:
    assert sandbox.api_key.startswith("flt_")
    api.get("/v1/signals")
    first = management.get("/api/api-key").json()
    assert first["key_prefix"] == sandbox.api_key[:12]
    assert "raw_key" not in first and sandbox.api_key not in str(first)
    assert first["last_used_at"] is not None
    time.sleep(0.01)
    api.get("/v1/signals")
    assert management.get("/api/api-key").json()["last_used_at"] > first["last_used_at"]


def test_regenerate_revokes_the_old_key_at_once(
    sandbox: SandboxHandle, api: httpx.Client, management: httpx.Client
) -> None:
    old_id = management.get("/api/api-key").json()["id"]
    fresh = management.post("/api/api-key/regenerate").json()
    assert fresh["raw_key"].startswith("flt_") and fresh["id"] != old_id
    assert fresh["key_prefix"] == fresh["raw_key"][:12]
    assert api.get("/v1/companies").status_code == 401
    assert api.get("/v1/companies", headers={"X-API-Key": fresh["raw_key"]}).status_code == 200
    again = management.get("/api/api-key").json()
    assert again["id"] == fresh["id"] and "raw_key" not in again


def test_named_key_collection(sandbox: SandboxHandle, management: httpx.Client) -> None:
    created = management.post("/api/api-keys", json={"name": "ci"})
    assert created.status_code == 201
    raw = created.json()["raw_key"]
    listed = management.get("/api/api-keys").json()
    assert {key["name"] for key in listed} >= {"ci", "default"}
    assert raw not in str(listed)
    headers = {"X-API-Key": raw}
    assert _status(sandbox, "GET", "/v1/signals", headers) == 200
    assert management.delete(f"/api/api-keys/{created.json()['id']}").status_code == 204
    assert _status(sandbox, "GET", "/v1/signals", headers) == 401
    revoked = next(key for key in management.get("/api/api-keys").json() if key["name"] == "ci")
    assert revoked["revoked_at"] is not None
    assert management.delete(f"/api/api-keys/{created.json()['id']}").status_code == 404
    assert management.post("/api/api-keys", json={}).json()["field"] == "name"


def test_only_a_hash_of_each_key_is_kept() -> None:
    sandbox = Sandbox(config=SandboxConfig(companies=1, prospects=1, signals=1, runs=1))
    for key in sandbox.state.keys.all():
        assert sandbox.api_key not in repr(vars(key))
        assert len(key.key_hash) == 64


@pytest.mark.parametrize("method_path", MANAGEMENT_ENDPOINTS)
def test_every_management_endpoint_wants_a_valid_jwt(
    sandbox: SandboxHandle, method_path: tuple[str, str]
) -> None:
    method, path = method_path
    expired = sandbox.control.management_token(expires_in=-60)
    forged = jwt.encode(
        {"sub": "sandbox-user", "exp": int(time.time()) + 600},
        "a-different-secret-of-a-proper-length-000",
        algorithm="HS256",
    )
    for authorization in [
        None,
        "Bearer",
        "Bearer not.a.jwt",
        f"Bearer {expired}",
        f"Bearer {forged}",
        sandbox.management_token,
        f"Basic {sandbox.management_token}",
    ]:
        headers = {} if authorization is None else {"Authorization": authorization}
        assert _status(sandbox, method, path, headers) == 401, (path, authorization)
    valid = {"Authorization": f"Bearer {sandbox.control.management_token()}"}
    assert _status(sandbox, method, path, valid) != 401


def test_management_refuses_the_api_key(sandbox: SandboxHandle) -> None:
    assert _status(sandbox, "GET", "/api/api-key", {"X-API-Key": sandbox.api_key}) == 401


def test_a_key_is_generated_when_none_is_left(
    sandbox: SandboxHandle, api: httpx.Client, management: httpx.Client
) -> None:
    primary = management.get("/api/api-key").json()
    assert management.delete(f"/api/api-keys/{primary['id']}").status_code == 204
    assert api.get("/v1/signals").status_code == 401
    generated = management.get("/api/api-key").json()
    assert generated["id"] != primary["id"] and generated["raw_key"].startswith("flt_")
    assert api.get("/v1/signals", headers={"X-API-Key": generated["raw_key"]}).status_code == 200
    assert "raw_key" not in management.get("/api/api-key").json()
