"""The /v1 API of the sandbox, over real HTTP."""

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxHandle

STATUSES = {"pending", "running", "completed", "failed"}


@pytest.mark.parametrize("stream", ["companies", "prospects", "signals"])
def test_lists_are_whole_and_ignore_paging_by_default(
    api: httpx.Client, sandbox: SandboxHandle, stream: str
) -> None:
    response = api.get(f"/v1/{stream}", params={"limit": 5, "offset": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    records = response.json()
    assert len(records) > 5
    assert records == sandbox.control.state(stream)
    assert len({record["id"] for record in records}) == len(records)


def test_company_create_is_listed_and_null_fills_optional_fields(api: httpx.Client) -> None:
    response = api.post("/v1/companies", json={"name": "Zoë's Bäckerei", "domain": "zoe.de"})
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Zoë's Bäckerei" and created["linkedin_url"] is None
    assert created["created_at"].endswith("Z")
    assert api.get("/v1/companies").json()[-1] == created


def test_prospect_create_checks_its_company(api: httpx.Client) -> None:
    company_id = api.get("/v1/companies").json()[0]["id"]
    created = api.post("/v1/prospects", json={"name": "Łukasz Żółć", "company_id": company_id})
    assert created.status_code == 201
    assert created.json()["company_id"] == company_id and created.json()["email"] is None
    unknown = api.post("/v1/prospects", json={"name": "X", "company_id": "nope"})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "company_id"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/companies", {"domain": "a.com"}, "name"),
        ("/v1/companies", {"name": "  "}, "name"),
        ("/v1/companies", {"name": "A", "domain": 5}, "domain"),
        ("/v1/prospects", {"name": "A", "email": ["x"]}, "email"),
        ("/v1/signals", {"name": "S", "schedule": "every day"}, "schedule"),
        ("/v1/signals", [1, 2], "body"),
    ],
)
def test_invalid_creates_answer_422_naming_the_field(
    api: httpx.Client, path: str, body: object, field: str
) -> None:
    response = api.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"][0]["loc"][-1] == field


def test_unparseable_body_is_a_422(api: httpx.Client) -> None:
    response = api.post(
        "/v1/companies", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"


def test_signal_create_get_update_delete(api: httpx.Client) -> None:
    created = api.post("/v1/signals", json={"name": "New CFO", "schedule": "0 8 * * 1-5"}).json()
    assert created["status"] == "active" and created["description"] is None
    assert api.get(f"/v1/signals/{created['id']}").json() == created
    patched = api.patch(f"/v1/signals/{created['id']}", json={"status": "paused", "schedule": None})
    assert patched.status_code == 200
    assert patched.json()["status"] == "paused" and patched.json()["schedule"] is None
    put = api.put(f"/v1/signals/{created['id']}", json={"name": "Renamed"})
    assert put.json()["name"] == "Renamed" and put.json()["status"] == "paused"
    assert api.get(f"/v1/signals/{created['id']}").json()["name"] == "Renamed"
    assert api.delete(f"/v1/signals/{created['id']}").status_code == 204
    assert api.get(f"/v1/signals/{created['id']}").status_code == 404


def test_signal_update_validates(api: httpx.Client) -> None:
    signal_id = api.get("/v1/signals").json()[0]["id"]
    for body, field in [
        ({"status": "draft-ish"}, "status"),
        ({"name": None}, "name"),
        ({"schedule": "* * *"}, "schedule"),
    ]:
        response = api.patch(f"/v1/signals/{signal_id}", json=body)
        assert response.status_code == 422
        assert response.json()["field"] == field


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_unknown_signal_is_404(api: httpx.Client, method: str) -> None:
    response = api.request(
        method, "/v1/signals/00000000-0000-4000-8000-000000000000", json={"name": "x"}
    )
    assert response.status_code == 404


def test_unknown_run_is_404(api: httpx.Client) -> None:
    assert api.get("/v1/runs/00000000-0000-4000-8000-000000000000").status_code == 404


def test_deleting_a_signal_deletes_its_runs(api: httpx.Client, sandbox: SandboxHandle) -> None:
    runs = sandbox.control.state("runs")
    signal_id = runs[0]["signal_id"]
    its_runs = [run["id"] for run in runs if run["signal_id"] == signal_id]
    assert api.delete(f"/v1/signals/{signal_id}").status_code == 204
    assert api.get("/v1/runs", params={"signal_id": signal_id}).json() == []
    for run_id in its_runs:
        assert api.get(f"/v1/runs/{run_id}").status_code == 404
    remaining = api.get("/v1/runs", params={"limit": 1000}).json()
    assert len(remaining) == len(runs) - len(its_runs)
    assert signal_id not in {run["signal_id"] for run in sandbox.control.state("runs")}


def test_runs_are_newest_first_with_default_limit_and_offset(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    truth = sandbox.control.state("runs")
    assert len(api.get("/v1/runs").json()) == min(50, len(truth))
    pages = [
        api.get("/v1/runs", params={"limit": 7, "offset": offset}).json()
        for offset in range(0, len(truth) + 7, 7)
    ]
    listed = [run for page in pages for run in page]
    assert listed == truth
    created = [run["created_at"] for run in listed]
    assert created == sorted(created, reverse=True)
    assert {run["status"] for run in listed} == STATUSES


def test_runs_filter_by_signal(api: httpx.Client, sandbox: SandboxHandle) -> None:
    truth = sandbox.control.state("runs")
    signal_id = truth[0]["signal_id"]
    listed = api.get("/v1/runs", params={"signal_id": signal_id, "limit": 1000}).json()
    assert listed == [run for run in truth if run["signal_id"] == signal_id]
    assert api.get("/v1/runs", params={"signal_id": "unknown"}).json() == []


def test_offset_past_the_end_is_an_empty_page(api: httpx.Client) -> None:
    assert api.get("/v1/runs", params={"offset": 10_000}).json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_bad_paging_is_a_422_naming_the_parameter(
    api: httpx.Client, params: dict[str, object], field: str
) -> None:
    response = api.get("/v1/runs", params=params)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_run_detail_carries_its_results(api: httpx.Client, sandbox: SandboxHandle) -> None:
    truth = sandbox.control.state("runs")
    company_ids = {company["id"] for company in sandbox.control.state("companies")}
    all_results = sandbox.control.state("run_results")
    completed = [run for run in truth if run["status"] == "completed" and run["results_count"]]
    for run in completed:
        detail = api.get(f"/v1/runs/{run['id']}").json()
        assert {k: v for k, v in detail.items() if k != "results"} == run
        assert len(detail["results"]) == run["results_count"]
        assert detail["results"] == all_results[run["id"]]
        for result in detail["results"]:
            assert {"title", "url", "score", "found_at", "company_id"} <= result.keys()
            assert result["company_id"] is None or result["company_id"] in company_ids
            assert run["created_at"] <= result["found_at"] <= run["completed_at"]
    results = [result for run in completed for result in all_results[run["id"]]]
    assert any("id" not in result for result in results)
    assert any("id" in result for result in results)
    assert any(result["company_id"] is None for result in results)
    open_run = next(run for run in truth if run["status"] in ("pending", "running"))
    assert api.get(f"/v1/runs/{open_run['id']}").json()["results"] == []


def test_wrong_method_is_405(api: httpx.Client) -> None:
    assert api.delete("/v1/runs").status_code == 405
    assert api.post("/v1/runs/abc").status_code == 405
