"""Every shipped model, materialized through Dagster on the handcrafted warehouse: exact rows."""

from datetime import UTC, date, datetime
from typing import Any

from models_workspace import utc, whole_days_since


def test_prospects_enriched(built: Any) -> None:
    assert built[1]["prospects_enriched"] == [
        (
            "p1",
            "Ann",
            "ann@acme.com",
            "CTO",
            None,
            "c1",
            "Acme",
            "acme.com",
            utc("2024-03-01T00:00:00Z"),
        ),
        ("p2", "Bob", None, None, None, None, None, None, utc("2024-03-01T00:00:00Z")),
        ("p3", "Cid", "cid@gone.io", "CEO", None, "c3", None, None, utc("2024-03-01T00:00:00Z")),
    ]


def test_signal_run_stats(built: Any) -> None:
    rows = built[1]["signal_run_stats"]
    days_after = whole_days_since(utc("2024-03-03T06:00:00Z"))
    days = rows[1][-1]
    assert days in {built[2], days_after}
    assert rows == [
        (
            "s1",
            "Funding",
            "active",
            "0 8 * * 1-5",
            4,
            1,
            0,
            2,
            1,
            0.3333,
            3,
            1.5,
            utc("2024-03-02T23:30:00Z"),
            whole_days_since(utc("2024-03-02T23:30:00Z")),
        ),
        (
            "s2",
            "Hiring",
            "paused",
            None,
            3,
            0,
            1,
            2,
            0,
            0.0,
            5,
            2.5,
            utc("2024-03-03T06:00:00Z"),
            days,
        ),
        ("s3", "Draft", "draft", None, 0, 0, 0, 0, 0, None, 0, None, None, None),
    ]


def test_signal_results(built: Any) -> None:
    def row(
        run: str,
        pos: int,
        sig: str,
        name: str,
        done: str,
        rid: str | None,
        company: str | None,
        title: str,
        score: float,
        found: str,
    ) -> tuple[Any, ...]:
        return (
            run,
            pos,
            sig,
            name,
            utc(done),
            rid,
            company,
            title,
            f"https://news/{title}",
            score,
            utc(found),
        )

    assert built[1]["signal_results"] == [
        row(
            "r1",
            0,
            "s1",
            "Funding",
            "2024-03-01T10:00:00Z",
            "res1",
            "c1",
            "acme-raises",
            0.9,
            "2024-03-01T09:00:00Z",
        ),
        row(
            "r1",
            1,
            "s1",
            "Funding",
            "2024-03-01T10:00:00Z",
            None,
            "c2",
            "beta-raises",
            0.5,
            "2024-03-01T09:30:00Z",
        ),
        row(
            "r2",
            0,
            "s1",
            "Funding",
            "2024-03-02T23:30:00Z",
            "res3",
            "c1",
            "acme-again",
            0.7,
            "2024-03-02T20:00:00Z",
        ),
        row(
            "r5",
            0,
            "s2",
            "Hiring",
            "2024-03-01T12:00:00Z",
            "res5",
            "c1",
            "acme-hires",
            0.25,
            "2024-03-01T11:00:00Z",
        ),
        row(
            "r5",
            1,
            "s2",
            "Hiring",
            "2024-03-01T12:00:00Z",
            "res6",
            None,
            "market-news",
            0.1,
            "2024-03-01T11:30:00Z",
        ),
    ]


def test_company_signal_activity(built: Any) -> None:
    assert built[1]["company_signal_activity"] == [
        (
            "c1",
            "Acme",
            "acme.com",
            3,
            2,
            ["Funding", "Hiring"],
            utc("2024-03-01T09:00:00Z"),
            utc("2024-03-02T20:00:00Z"),
        ),
        (
            "c2",
            "Beta",
            None,
            1,
            1,
            ["Funding"],
            utc("2024-03-01T09:30:00Z"),
            utc("2024-03-01T09:30:00Z"),
        ),
    ]


def test_daily_signal_activity(built: Any) -> None:
    assert built[1]["daily_signal_activity"] == [
        (date(2024, 3, 1), "s1", "Funding", 1, 0, 2),
        (date(2024, 3, 1), "s2", "Hiring", 1, 0, 2),
        (date(2024, 3, 2), "s1", "Funding", 1, 1, 1),
        (date(2024, 3, 3), "s2", "Hiring", 1, 0, 3),
    ]


def test_sync_health(built: Any) -> None:
    rows = built[1]["sync_health"]
    assert [row[:3] for row in rows] == [
        ("flintt.companies", 2, 1),
        ("flintt.prospects", 3, 1),
        ("flintt.run_results", 5, 1),
        ("flintt.runs", 7, 1),
        ("flintt.signals", 3, 1),
    ]
    now = datetime.now(UTC)
    assert all(0 <= (now - row[3]).total_seconds() < 600 for row in rows)
