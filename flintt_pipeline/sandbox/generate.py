"""The synthetic workspace: records that look real, drawn from a seed with cheap arithmetic.

Each stream has its own `random.Random`, seeded from (seed, stream), so the same seed and sizes
give byte-identical records and growing one stream leaves the others unchanged. Results of
completed runs are not stored: they are drawn on demand from (seed, run id, count), so 50k runs
with ~400k results cost nothing until someone reads them.
"""

import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from flintt_pipeline.sandbox import names
from flintt_pipeline.sandbox.formats import iso_ms, parse_iso_ms, uuid_from

BASE_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z: fixed so that data never depends on "now"
SPAN_MS = 540 * 86_400_000
RUNS_START_MS = BASE_MS + 60 * 86_400_000
SIGNAL_STATUSES = ("active", "paused", "draft")
Record = dict[str, Any]
T = TypeVar("T")


def stream_rng(*, seed: int, stream: str) -> random.Random:
    return random.Random(f"{seed}/{stream}")


def _pick(rng: random.Random, pool: tuple[T, ...]) -> T:
    return pool[int(rng.random() * len(pool))]


def companies(*, seed: int, count: int) -> Iterator[Record]:
    rng = stream_rng(seed=seed, stream="companies")
    step = SPAN_MS // max(count, 1)
    for index in range(count):
        if rng.random() < 0.06:
            name, slug = _pick(rng, names.JAPANESE_COMPANIES)
        else:
            stem, slug = _pick(rng, names.COMPANY_STEMS)
            name = stem + _pick(rng, names.COMPANY_SUFFIXES)
        roll = rng.random()
        yield {
            "id": uuid_from(rng),
            "name": name,
            "domain": None if roll < 0.1 else f"{slug}{index % 50 or ''}{_pick(rng, names.TLDS)}",
            "linkedin_url": None
            if roll > 0.75
            else f"https://www.linkedin.com/company/{slug}-{index}",
            "industry": None if roll < 0.2 else _pick(rng, names.INDUSTRIES),
            "employee_count": None if roll > 0.9 else int(rng.random() ** 3 * 20_000) + 1,
            "created_at": iso_ms(BASE_MS + index * step + int(rng.random() * step)),
        }


def prospects(
    *, seed: int, count: int, company_ids: list[str], company_domains: list[str | None]
) -> Iterator[Record]:
    rng = stream_rng(seed=seed, stream="prospects")
    step = SPAN_MS // max(count, 1)
    for index in range(count):
        first, first_slug = _pick(rng, names.FIRST_NAMES)
        last, last_slug = _pick(rng, names.LAST_NAMES)
        roll = rng.random()
        company = int(rng.random() * len(company_ids)) if company_ids and roll > 0.12 else None
        domain = company_domains[company] if company is not None else None
        mailbox = f"{first_slug}.{last_slug}@{domain or 'mail.example.com'}"
        yield {
            "id": uuid_from(rng),
            "name": f"{first} {last}",
            "email": None if roll > 0.8 else mailbox,
            "title": None if 0.5 < roll < 0.75 else _pick(rng, names.TITLES),
            "linkedin_url": None
            if roll < 0.3
            else f"https://www.linkedin.com/in/{first_slug}-{last_slug}-{index}",
            "company_id": None if company is None else company_ids[company],
            "created_at": iso_ms(BASE_MS + index * step + int(rng.random() * step)),
        }


def signals(*, seed: int, count: int) -> Iterator[Record]:
    rng = stream_rng(seed=seed, stream="signals")
    step = (RUNS_START_MS - BASE_MS) // max(count, 1)
    for index in range(count):
        topic = _pick(rng, names.SIGNAL_TOPICS)
        # Cycling status and schedule makes the first six signals cover every combination.
        yield {
            "id": uuid_from(rng),
            "name": f"{topic} – {_pick(rng, names.INDUSTRIES)}",  # noqa: RUF001
            "description": None if index % 4 == 3 else f"Watches for “{topic.lower()}” news",
            "status": SIGNAL_STATUSES[index % 3],
            "schedule": _pick(rng, names.CRONS) if (index // 3) % 2 == 0 else None,
            "created_at": iso_ms(BASE_MS + index * step + int(rng.random() * step)),
        }


def runs(*, seed: int, count: int, signal_ids: list[str], mean_results: int) -> Iterator[Record]:
    """Runs oldest first (the store lists them newest first); the newest are still open."""
    rng = stream_rng(seed=seed, stream="runs")
    step = (BASE_MS + SPAN_MS - RUNS_START_MS) // max(count, 1)
    forced = {count - 1: "pending", count - 2: "running", count - 3: "failed"}
    for index in range(count):
        created = RUNS_START_MS + index * step + int(rng.random() * (step - 1))
        status = forced.get(index) or ("failed" if rng.random() < 0.12 else "completed")
        final = status in ("completed", "failed")
        results_count = int(rng.random() * (2 * mean_results + 1)) if status == "completed" else 0
        completed = created + 5_000 + int(rng.random() * 600_000)
        yield {
            "id": uuid_from(rng),
            "signal_id": signal_ids[int(rng.random() * len(signal_ids))],
            "status": status,
            "results_count": results_count,
            "completed_at": iso_ms(completed) if final else None,
            "created_at": iso_ms(created),
            "trigger": "schedule" if rng.random() < 0.7 else "manual",
        }


def run_results(
    *, seed: int, run: dict[str, Any], company_ids: Sequence[str], company_names: Sequence[str]
) -> list[dict[str, Any]]:
    """The `results_count` results of a completed run (empty for any other run), always the same
    for the same seed, run id and count; found between the run's creation and completion."""
    count = run["results_count"] if run["status"] == "completed" else 0
    if not count:
        return []
    rng = random.Random(f"{seed}/results/{run['id']}/{count}")
    started = parse_iso_ms(run["created_at"])
    finished = parse_iso_ms(run["completed_at"]) if run["completed_at"] else started
    results: list[dict[str, Any]] = []
    for position in range(count):
        result: dict[str, Any] = {}
        # About one result in eight has no id of its own (the API documents it as optional).
        if rng.random() >= 0.125:
            result["id"] = uuid_from(rng)
        known = company_ids and rng.random() < 0.75
        company = int(rng.random() * len(company_ids)) if known else None
        company_name = (
            company_names[company] if company is not None else _pick(rng, names.UNLISTED_COMPANIES)
        )
        template = names.RESULT_TEMPLATES[int(rng.random() * len(names.RESULT_TEMPLATES))]
        title = names.TITLES[int(rng.random() * len(names.TITLES))]
        host = names.NEWS_HOSTS[int(rng.random() * len(names.NEWS_HOSTS))]
        result["company_id"] = company_ids[company] if company is not None else None
        result["title"] = template.format(company=company_name, title=title)
        result["url"] = f"https://{host}/articles/{run['id'][:8]}-{position}"
        result["score"] = round(rng.random(), 4)
        result["found_at"] = iso_ms(started + int(rng.random() * (finished - started + 1)))
        results.append(result)
    return results
