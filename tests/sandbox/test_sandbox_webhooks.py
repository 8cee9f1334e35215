"""Outbound webhook endpoints (/api/outbound-webhooks) and the deliveries they receive."""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxHandle
from tests.sandbox.receiver import Receiver

ALL_EVENTS = ["signal.run.completed", "signal.run.result", "company.created", "prospect.created"]


def _wait_for(condition: Callable[[], Any], *, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _register(
    management: httpx.Client, url: str, events: list[str] = ALL_EVENTS, **extra: object
) -> dict[str, Any]:
    response = management.post(
        "/api/outbound-webhooks",
        json={"name": "n8n workflow", "endpoint_url": url, "event_types": events, **extra},
    )
    assert response.status_code == 201
    return response.json()


def test_create_list_update_delete(management: httpx.Client) -> None:
    created = _register(management, "https://hooks.example.com/flintt", ["company.created"])
    assert created["auth_token"] and created["active"] is True
    listed = management.get("/api/outbound-webhooks").json()
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert "auth_token" not in listed[0] and created["auth_token"] not in str(listed)
    path = f"/api/outbound-webhooks/{created['id']}"
    patched = management.patch(path, json={"active": False, "event_types": ALL_EVENTS})
    assert patched.status_code == 200
    assert patched.json()["active"] is False and patched.json()["event_types"] == ALL_EVENTS
    assert "auth_token" not in patched.json()
    put = management.put(path, json={"name": "renamed", "endpoint_url": "http://127.0.0.1:1/x"})
    assert put.json()["name"] == "renamed" and put.json()["active"] is False
    assert management.get(path).json() == put.json()
    assert management.delete(path).status_code == 204
    assert management.get("/api/outbound-webhooks").json() == []
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        assert management.request(method, path, json={}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"endpoint_url": "https://x.example", "event_types": ["company.created"]}, "name"),
        ({"name": "a", "event_types": ["company.created"]}, "endpoint_url"),
        (
            {"name": "a", "endpoint_url": "ftp://x", "event_types": ["company.created"]},
            "endpoint_url",
        ),
        (
            {"name": "a", "endpoint_url": "https://x.example", "event_types": ["run.done"]},
            "event_types",
        ),
        ({"name": "a", "endpoint_url": "https://x.example", "event_types": []}, "event_types"),
        (
            {
                "name": "a",
                "endpoint_url": "https://x.example",
                "event_types": ALL_EVENTS,
                "active": "yes",
            },
            "active",
        ),
    ],
)
def test_invalid_webhooks_are_422_naming_the_field(
    management: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = management.post("/api/outbound-webhooks", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_events_are_delivered_with_the_token_and_retried(
    sandbox: SandboxHandle, management: httpx.Client, receiver: Receiver
) -> None:
    hook = _register(management, receiver.url)
    company = sandbox.control.create("companies", name="Müller & Söhne GmbH")
    prospect = sandbox.control.create("prospects", name="Zoë O'Brien", company_id=company["id"])
    run = sandbox.control.trigger(sandbox.control.state("signals")[0]["id"])
    sandbox.control.start(run["id"])
    completed = sandbox.control.complete(run["id"], results=2)
    events = _wait_for(lambda: len(receiver.events()) == 5 and receiver.events())
    assert {event["authorization"] for event in events} == {f"Bearer {hook['auth_token']}"}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["body"]["type"], []).append(event["body"])
    assert by_type["company.created"][0]["data"] == company
    assert by_type["prospect.created"][0]["data"] == prospect
    assert by_type["signal.run.completed"][0]["data"] == completed
    results = sandbox.control.state("run_results")[run["id"]]
    delivered_urls = sorted(e["data"]["result"]["url"] for e in by_type["signal.run.result"])
    assert delivered_urls == sorted(result["url"] for result in results)
    for event in by_type["signal.run.result"]:
        assert event["data"]["run_id"] == run["id"]
        assert event["data"]["signal_id"] == run["signal_id"]
    bodies = [event["body"] for event in events]
    assert len({body["id"] for body in bodies}) == 5
    assert all(body["created_at"].endswith("Z") for body in bodies)
    log = _wait_for(
        lambda: (
            [d for d in sandbox.control.deliveries() if d["status"] != "pending"]
            if len(sandbox.control.deliveries()) == 5
            else None
        )
    )
    assert {(entry["status"], entry["attempts"]) for entry in log} == {("delivered", 2)}
    assert {entry["url"] for entry in log} == {receiver.url}


def test_inactive_and_unsubscribed_endpoints_get_nothing(
    sandbox: SandboxHandle, management: httpx.Client, receiver: Receiver
) -> None:
    receiver.fail_first = False
    _register(management, receiver.url, ["prospect.created"])
    _register(management, receiver.url, ALL_EVENTS, active=False)
    sandbox.control.create("companies", name="Acme")
    sandbox.control.create("prospects", name="Anna Smith")
    # Deliveries are queued as the event happens: once every queued one is done, nothing more
    # can arrive, so no sleep is needed to see that the others got nothing.
    log = _wait_for(
        lambda: (
            all(entry["status"] != "pending" for entry in sandbox.control.deliveries())
            and sandbox.control.deliveries()
        )
    )
    assert [(entry["type"], entry["status"]) for entry in log] == [
        ("prospect.created", "delivered")
    ]
    assert [event["body"]["type"] for event in receiver.events()] == ["prospect.created"]


def test_creating_through_v1_emits_too(
    api: httpx.Client, management: httpx.Client, receiver: Receiver
) -> None:
    receiver.fail_first = False
    _register(management, receiver.url, ["company.created"])
    created = api.post("/v1/companies", json={"name": "株式会社テスト"}).json()
    events = _wait_for(receiver.events)
    assert events[0]["body"]["data"] == created


def test_failing_deliveries_stop_after_the_configured_attempts(
    sandbox: SandboxHandle, management: httpx.Client, receiver: Receiver
) -> None:
    receiver.always_fail = True
    sandbox.control.settings(delivery_attempts=3, delivery_backoff_s=0.01)
    _register(management, receiver.url, ["company.created"])
    _register(management, "http://127.0.0.1:9/refused", ["company.created"])
    sandbox.control.create("companies", name="Acme")
    log = _wait_for(
        lambda: (
            all(d["status"] == "failed" for d in sandbox.control.deliveries())
            and sandbox.control.deliveries()
        )
    )
    assert len(log) == 2
    assert {entry["attempts"] for entry in log} == {3}
    by_url = {entry["url"]: entry for entry in log}
    assert by_url[receiver.url]["last_status_code"] == 503
    assert by_url["http://127.0.0.1:9/refused"]["last_error"] == "ConnectError"
    assert receiver.events() == []
