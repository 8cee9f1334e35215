"""Backoff and Retry-After through tenacity's real retry loop, with the sleep and the jitter's
draw injected: the waits asked for are recorded, none is slept."""

from __future__ import annotations

import random
from email.utils import formatdate

import httpx
import pytest
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from flintt_pipeline.lib.api.retries import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    Backoff,
    Transient,
    describe,
    retry_after_seconds,
)

NOW = 1_800_000_000.0


def top_of_window(low: float, high: float) -> float:
    return high


def bottom_of_window(low: float, high: float) -> float:
    return low


# A 60 s budget, with the jitter always drawing the top or the bottom of its window.
HIGHEST = Backoff(max_total_wait=60, uniform=top_of_window)
LOWEST = Backoff(max_total_wait=60, uniform=bottom_of_window)


def run(
    backoff: Backoff, *, failures: int, max_attempts: int = 100, retry_after: float = 0.0
) -> tuple[int, list[float], bool]:
    """(attempts made, waits asked for, whether it succeeded) for a request failing `failures`
    times, retried as the transport retries it."""
    attempts = 0
    sleeps: list[float] = []

    def attempt() -> str:
        nonlocal attempts
        attempts += 1
        if attempts <= failures:
            raise Transient(reason="HTTP 503", status=503, retry_after=retry_after)
        return "ok"

    retrying = Retrying(
        stop=backoff.stop_after(max_attempts),
        wait=backoff.wait,
        retry=retry_if_exception_type(Transient),
        sleep=sleeps.append,
        reraise=True,
    )
    try:
        retrying(attempt)
    except Transient:
        return attempts, sleeps, False
    return attempts, sleeps, True


def test_the_window_doubles_from_half_a_second_up_to_the_cap() -> None:
    windows: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        windows.append((low, high))
        return high

    attempts, sleeps, ok = run(Backoff(max_total_wait=1e9, uniform=record), failures=9)
    assert ok and attempts == 10
    assert windows == [(0.0, w) for w in (0.5, 1, 2, 4, 8, 16, 30, 30, 30)]
    assert sleeps == [high for _, high in windows]


def test_full_jitter_can_wait_nothing() -> None:
    assert run(LOWEST, failures=5)[1] == [0.0] * 5


def test_the_default_draw_is_spread_over_the_whole_window() -> None:
    backoff = Backoff(max_total_wait=1e9)
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = 4  # window [0, 4 s)
    draws = [backoff.wait(state) for _ in range(400)]
    window = BACKOFF_BASE_SECONDS * 2**3
    assert all(0 <= draw <= window for draw in draws)
    # Not stuck at either end: with 400 uniform draws, each quarter is all but certainly hit.
    assert {int(draw // (window / 4)) for draw in draws} >= {0, 1, 2, 3}


def test_a_huge_attempt_number_stays_at_the_cap() -> None:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = 5_000
    assert Backoff(max_total_wait=1e9, uniform=top_of_window).wait(state) == BACKOFF_CAP_SECONDS


def test_all_waits_together_stay_within_the_budget() -> None:
    attempts, sleeps, ok = run(
        Backoff(max_total_wait=10, uniform=top_of_window), failures=100, max_attempts=8
    )
    assert not ok and attempts == 8
    assert sleeps == [0.5, 1, 2, 4, 2.5, 0, 0]
    assert sum(sleeps) == 10


def test_retry_after_is_a_floor_over_the_jitter() -> None:
    attempts, sleeps, ok = run(HIGHEST, failures=3, retry_after=3)
    assert ok and attempts == 4
    assert sleeps == [3, 3, 3]
    attempts, sleeps, ok = run(HIGHEST, failures=6, retry_after=1)
    assert sleeps == [1, 1, 2, 4, 8, 16]


def test_a_retry_after_beyond_the_budget_ends_the_retries_without_waiting() -> None:
    attempts, sleeps, ok = run(HIGHEST, failures=5, retry_after=3600)
    assert (attempts, sleeps, ok) == (1, [], False)


def test_a_retry_after_that_outgrows_what_is_left_of_the_budget_ends_there() -> None:
    attempts, sleeps, ok = run(HIGHEST, failures=5, retry_after=25)
    assert (attempts, sleeps, ok) == (3, [25, 25], False)


def test_max_attempts_counts_the_first_attempt() -> None:
    assert run(LOWEST, failures=9, max_attempts=3)[:1] == (3,)
    assert run(LOWEST, failures=2, max_attempts=3)[2]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7),
        (" 1.5 ", 1.5),
        ("120", 120),
        (formatdate(NOW + 30, usegmt=True), 30),
        (formatdate(NOW + 30.9, usegmt=True), 30),
        (formatdate(NOW + 31).replace("-0000", "+0000"), 31),
        (formatdate(NOW + 3600, localtime=True), 3600),
    ],
)
def test_retry_after_seconds_and_http_dates(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


def test_an_http_date_rounds_up_to_a_whole_second() -> None:
    assert retry_after_seconds(formatdate(NOW + 30, usegmt=True), now=NOW - 0.4) == 31
    assert retry_after_seconds(formatdate(NOW + 30, usegmt=True), now=NOW + 0.4) == 30


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "0",
        "0.0",
        "-3",
        "soon",
        "nan",
        "inf",
        "-inf",
        "1e999",
        "Mon, 99 Foo 2024 00:00:00 GMT",
        "Wed, 21 Oct 2015 07:28:00",  # no zone: when is that?
        formatdate(NOW - 30, usegmt=True),  # already past
        formatdate(NOW, usegmt=True),
    ],
)
def test_retry_after_zero_past_or_garbage_means_no_hint(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) == 0


@pytest.mark.parametrize(
    ("error", "reason", "unreachable"),
    [
        (httpx.ConnectError("[Errno 111] secret.host"), "connection refused or host", True),
        (httpx.ConnectTimeout("secret.host"), "connection refused or host", True),
        (httpx.ReadTimeout("secret.host"), "timed out", False),
        (httpx.UnsupportedProtocol("ftp://secret.host"), "unsupported URL scheme", True),
        (
            httpx.RemoteProtocolError("secret.host"),
            "connection dropped (RemoteProtocolError)",
            False,
        ),
        (httpx.ReadError("secret.host"), "connection dropped (ReadError)", False),
    ],
)
def test_transport_failures_are_named_by_kind_only(
    error: httpx.TransportError, reason: str, unreachable: bool
) -> None:
    transient = Transient.from_transport(error)
    assert transient.reason.startswith(reason) and transient.unreachable is unreachable
    assert "secret" not in str(transient) and "secret" not in transient.reason


def test_requests_are_described_with_their_query() -> None:
    assert describe("/v1/runs", {"limit": 1000, "offset": 0}) == "GET /v1/runs?limit=1000&offset=0"
    assert describe("/v1/runs/r%2F1", None) == "GET /v1/runs/r%2F1"


def test_a_seeded_draw_is_injected_as_is() -> None:
    rng = random.Random(3)
    expected = random.Random(3)
    sleeps = run(Backoff(max_total_wait=1e9, uniform=rng.uniform), failures=4)[1]
    assert sleeps == [expected.uniform(0.0, w) for w in (0.5, 1, 2, 4)]
