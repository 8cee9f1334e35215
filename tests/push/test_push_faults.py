"""Creates whose answer is lost after Flintt applied them (5xx, dropped connection, an answer
later than the client's deadline) are found, never sent twice; a re-run creates nothing."""

from collections import Counter

import pytest
from push_support import TARGETS, Pushing

from flintt_pipeline.lib.api import FlinttClient
from flintt_pipeline.lib.push import create_rows, plan_push

QUERY = "SELECT name, domain, linkedin_url FROM main.targets"


def _targets(pushing: Pushing) -> Counter[str]:
    return Counter(name for name in pushing.names() if name.startswith("Target"))


@pytest.mark.parametrize(
    ("fault", "client"),
    [
        ("500", {}),
        ("drop", {}),
        ("delay", {"timeout": 0.4, "deadline_seconds": 0.8}),
    ],
)
def test_lost_answers_never_duplicate(pushing: Pushing, fault: str, client: dict) -> None:
    pushing.sandbox.control.settings(
        write_fault=fault,
        write_fault_rate=0.5,
        write_fault_path="/v1/companies",
        write_delay_ms=1500,
    )
    summary = pushing.push("companies", QUERY, **client)
    fired = pushing.sandbox.control.requests()["write_faults_fired"]
    assert fired > 0
    assert _targets(pushing) == Counter({name: 1 for name, _, _ in TARGETS})
    failed = [outcome.error for outcome in summary.outcomes if outcome.status == "failed"]
    assert failed == []
    assert summary.count("created") == len(TARGETS)
    truth = {c["name"]: c["id"] for c in pushing.sandbox.control.state("companies")}
    logged = {key: flintt_id for key, flintt_id, status, _ in pushing.log() if status == "created"}
    assert logged == {f"domain:{domain}": truth[name] for name, domain, _ in TARGETS}
    posts = pushing.sandbox.control.requests()["by_method"]["POST /v1/companies"]
    assert posts == len(TARGETS)  # every lost answer was found by looking, not by posting again

    pushing.sandbox.control.settings(write_fault=None)
    again = pushing.push("companies", QUERY)
    assert (again.count("created"), again.count("present")) == (0, len(TARGETS))
    assert _targets(pushing) == Counter({name: 1 for name, _, _ in TARGETS})


def test_failures_before_the_create_are_sent_again(pushing: Pushing) -> None:
    rows = [{"name": name, "domain": domain} for name, domain, _ in TARGETS[:4]]
    with FlinttClient(base_url=pushing.sandbox.base_url, api_key=pushing.sandbox.api_key) as api:
        plan = plan_push("companies", rows, existing=api.list_all("companies"), companies=[])
        # The next two /v1/companies requests fail before Flintt does anything: the first create
        # (its look then finds nothing, the look's own first attempt failing too) and the look.
        pushing.sandbox.control.settings(fault="503", fault_count=2, fault_path="/v1/companies")
        outcomes = create_rows(
            plan, stream="companies", writer=api.writer(), record=lambda _: None, concurrency=1
        )
    assert [outcome.status for outcome in outcomes] == ["created"] * 4
    assert _targets(pushing) == Counter({row["name"]: 1 for row in rows})
    assert pushing.sandbox.control.requests()["by_method"]["POST /v1/companies"] == 4 + 1


def test_429_waits_for_retry_after(pushing: Pushing) -> None:
    pushing.sandbox.control.settings(
        fault="429", fault_count=2, fault_path="/v1/companies", retry_after="1"
    )
    pushing.table("few", "name VARCHAR, domain VARCHAR", [("Solo", "solo.example")])
    summary = pushing.push("companies", "SELECT * FROM main.few")
    assert summary.count("created") == 1 and pushing.names().count("Solo") == 1
    assert pushing.sandbox.control.settings()["fault_count"] == 0  # both 429s were answered
    assert pushing.sandbox.control.requests()["by_method"]["POST /v1/companies"] <= 1 + 2
