"""The handcrafted Flintt workspace the model and check tests load through the warehouse API.

Deletions are made the real way: a later complete listing without the id.
"""

import math
from datetime import UTC, datetime

from flintt_pipeline.lib.warehouse import Warehouse

T0 = "2024-03-01T00:00:00Z"

COMPANIES = [
    {"id": "c1", "name": "Acme", "domain": "acme.com", "linkedin_url": None, "created_at": T0},
    {
        "id": "c2",
        "name": "Beta",
        "domain": None,
        "linkedin_url": "https://li/beta",
        "created_at": T0,
        "industry": "retail",
    },
    {"id": "c3", "name": "Gone", "domain": "gone.io", "linkedin_url": None, "created_at": T0},
]
PROSPECTS = [
    {
        "id": "p1",
        "name": "Ann",
        "email": "ann@acme.com",
        "title": "CTO",
        "linkedin_url": None,
        "company_id": "c1",
        "created_at": T0,
    },
    {
        "id": "p2",
        "name": "Bob",
        "email": None,
        "title": None,
        "linkedin_url": None,
        "company_id": None,
        "created_at": T0,
    },
    {
        "id": "p3",
        "name": "Cid",
        "email": "cid@gone.io",
        "title": "CEO",
        "linkedin_url": None,
        "company_id": "c3",
        "created_at": T0,
    },
    {
        "id": "p4",
        "name": "Dee",
        "email": None,
        "title": None,
        "linkedin_url": None,
        "company_id": "c1",
        "created_at": T0,
    },
]
SIGNALS = [
    {
        "id": "s1",
        "name": "Funding",
        "description": "Rounds",
        "status": "active",
        "schedule": "0 8 * * 1-5",
        "created_at": T0,
    },
    {
        "id": "s2",
        "name": "Hiring",
        "description": None,
        "status": "paused",
        "schedule": None,
        "created_at": T0,
    },
    {
        "id": "s3",
        "name": "Draft",
        "description": None,
        "status": "draft",
        "schedule": None,
        "created_at": T0,
    },
    {
        "id": "s4",
        "name": "Old",
        "description": None,
        "status": "active",
        "schedule": None,
        "created_at": T0,
    },
]


def run(run_id: str, signal_id: str, status: str, count: int, completed_at: str | None) -> dict:
    return {
        "id": run_id,
        "signal_id": signal_id,
        "status": status,
        "results_count": count,
        "completed_at": completed_at,
        "created_at": T0,
    }


RUNS = [
    run("r1", "s1", "completed", 2, "2024-03-01T10:00:00Z"),
    run("r2", "s1", "completed", 1, "2024-03-02T23:30:00Z"),
    run("r3", "s1", "failed", 0, "2024-03-02T08:00:00Z"),
    run("r4", "s1", "pending", 0, None),
    run("r5", "s2", "completed", 2, "2024-03-01T12:00:00Z"),
    run("r6", "s2", "running", 0, None),
    run("r7", "s4", "completed", 1, "2024-03-01T09:00:00Z"),
    run("r8", "s2", "completed", 3, "2024-03-03T06:00:00Z"),  # results never fetched
]


def result(
    result_id: str | None, company_id: str | None, title: str, score: float, found_at: str
) -> dict:
    record = {
        "company_id": company_id,
        "title": title,
        "url": f"https://news/{title}",
        "score": score,
        "found_at": found_at,
    }
    return record if result_id is None else {"id": result_id, **record}


RESULTS = {
    "r1": [
        result("res1", "c1", "acme-raises", 0.9, "2024-03-01T09:00:00Z"),
        result(None, "c2", "beta-raises", 0.5, "2024-03-01T09:30:00Z"),
    ],
    "r2": [result("res3", "c1", "acme-again", 0.7, "2024-03-02T20:00:00Z")],
    "r5": [
        result("res5", "c1", "acme-hires", 0.25, "2024-03-01T11:00:00Z"),
        result("res6", None, "market-news", 0.1, "2024-03-01T11:30:00Z"),
    ],
    "r7": [result("res7", "c1", "old-news", 0.3, "2024-03-01T08:00:00Z")],
}


def details(*run_ids: str, results: dict[str, list[dict]] = RESULTS) -> list[dict]:
    by_id = {record["id"]: record for record in RUNS}
    return [{**by_id[run_id], "results": results[run_id]} for run_id in run_ids]


def fill(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [COMPANIES])
    warehouse.merge_listing("prospects", [PROSPECTS])
    warehouse.merge_listing("signals", [SIGNALS])
    warehouse.merge_runs([RUNS], complete=True)
    warehouse.replace_run_results(details("r1", "r2", "r5", "r7"))
    # A later sync: c3, p4 and s4 (with its run r7) are gone from Flintt.
    warehouse.merge_listing("companies", [COMPANIES[:2]])
    warehouse.merge_listing("prospects", [PROSPECTS[:3]])
    warehouse.merge_listing("signals", [SIGNALS[:3]])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def whole_days_since(moment: datetime) -> int:
    return math.floor((datetime.now(UTC) - moment).total_seconds() / 86400)
