"""How rows are matched to Flintt's records: normalized domains and emails, names as a fallback."""

import pytest

from flintt_pipeline.lib.push import plan_push
from flintt_pipeline.lib.push.rows import keys_of, normalized_domain


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("HTTP://ACME.COM:8080", "acme.com"),
        ("acme.com.", "acme.com"),
        ("  www.acme.co.uk  ", "acme.co.uk"),
        ("", None),
        (None, None),
    ],
)
def test_domains_are_normalized(raw: str | None, domain: str | None) -> None:
    assert normalized_domain(raw) == domain


def test_companies_match_by_domain_else_by_exact_name() -> None:
    existing = [{"id": "c1", "name": "Acme", "domain": "acme.com"}, {"id": "c2", "name": "Beta"}]
    rows = [
        {"name": "Acme Inc", "domain": "www.ACME.com"},  # same domain: present
        {"name": "Acme", "domain": "acme.org"},  # same name, other domain: new
        {"name": "Beta", "domain": None},  # no domain, same name: present
        {"name": "beta", "domain": None},  # names match exactly: new
        {"name": "Gamma", "domain": "gamma.io"},
        {"name": "Gamma Two", "domain": "https://gamma.io"},  # same domain as the row before
    ]
    plan = plan_push("companies", rows, existing=existing, companies=existing)
    assert [(row.source_key, flintt_id) for row, flintt_id in plan.present] == [
        ("domain:acme.com", "c1"),
        ("name:Beta", "c2"),
    ]
    assert [row.source_key for row in plan.create] == [
        "domain:acme.org",
        "name:beta",
        "domain:gamma.io",
    ]
    assert [row.source_key for row in plan.duplicates] == ["domain:gamma.io"]


def test_prospects_match_by_email_else_name_and_company() -> None:
    companies = [{"id": "c1", "domain": "acme.com"}]
    existing = [
        {"id": "p1", "name": "Ada", "email": "ADA@acme.com", "company_id": "c1"},
        {"id": "p2", "name": "Bob", "email": None, "company_id": "c1"},
    ]
    rows = [
        {"name": "Ada L.", "email": "ada@acme.com"},
        {"name": "Bob", "email": None, "company_domain": "https://acme.com"},
        {"name": "Bob", "email": None, "company_id": None},
        {"name": "Eve", "email": None, "company_domain": "nowhere.example"},
    ]
    plan = plan_push("prospects", rows, existing=existing, companies=companies)
    assert [flintt_id for _, flintt_id in plan.present] == ["p1", "p2"]
    assert [row.source_key for row in plan.create] == ["name:Bob|company:"]
    assert [error for _, error in plan.unresolved] == ["no company with domain 'nowhere.example'"]
    assert keys_of("prospects", {"name": "X", "email": " X@Y.z "})[0] == "email:x@y.z"
