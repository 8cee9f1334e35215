"""`push` from the command line: dedupe, dry runs, 422 rows recorded, prospects resolved by
company domain, summaries, and no secret in any output or log row."""

from push_support import Pushing

QUERY = "SELECT name, domain, linkedin_url FROM main.targets"


def test_dry_run_sends_nothing(pushing: Pushing) -> None:
    result = pushing.cli("push", "companies", "--query", QUERY, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: 12 companies would be created" in result.output
    assert "POST /v1/companies" not in pushing.sandbox.control.requests()["by_method"]
    assert pushing.log() == []


def test_dedupe_and_422_rows_recorded(pushing: Pushing) -> None:
    known = pushing.sandbox.control.state("companies")[0]
    rows = [
        ("Acme", "https://www.Acme.example/about", None),
        ("Acme Again", "acme.example", None),
        ("Known", f"WWW.{known['domain'].upper()}", None),
        ("", "empty-name.example", None),
        ("Beta", None, "https://linkedin.com/company/beta"),
    ]
    pushing.table("mixed", "name VARCHAR, domain VARCHAR, linkedin_url VARCHAR", rows)
    result = pushing.cli("push", "companies", "--query", "SELECT * FROM main.mixed")
    assert result.exit_code == 1, result.output
    assert "2 created, 1 already present, 1 duplicate row(s), 1 failed" in result.output
    statuses = {key: (status, error) for key, _, status, error in pushing.log()}
    assert statuses["domain:acme.example"][0] in ("created", "duplicate")
    assert statuses[f"domain:{known['domain']}"] == ("present", None)
    assert statuses["domain:empty-name.example"] == ("failed", "name: must be a non-empty string")
    assert statuses["name:Beta"][0] == "created"
    assert pushing.names().count("Acme") == 1 and "Acme Again" not in pushing.names()
    assert pushing.sandbox.api_key not in result.output
    assert all(pushing.sandbox.api_key not in str(row) for row in pushing.log())


def test_prospects_resolve_company_domain_and_dedupe_by_email(pushing: Pushing) -> None:
    company = pushing.sandbox.control.state("companies")[1]
    existing = pushing.sandbox.control.state("prospects")[0]
    rows = [
        ("Ada Lovelace", "Ada@Example.com", company["domain"]),
        ("Ada L.", "ada@example.com ", company["domain"]),
        ("Known Person", existing["email"].upper(), None),
        ("Nowhere", "no@where.example", "missing.example"),
    ]
    pushing.table("people", "name VARCHAR, email VARCHAR, company_domain VARCHAR", rows)
    result = pushing.cli("push", "prospects", "--query", "SELECT * FROM main.people")
    assert "1 created, 1 already present, 1 duplicate row(s), 1 failed" in result.output
    created = [p for p in pushing.sandbox.control.state("prospects") if p["name"] == "Ada Lovelace"]
    assert len(created) == 1 and created[0]["company_id"] == company["id"]
    errors = {key: error for key, _, status, error in pushing.log() if status == "failed"}
    assert errors == {"email:no@where.example": "no company with domain 'missing.example'"}


def test_bad_columns_and_bad_sql_are_one_line(pushing: Pushing) -> None:
    wrong = pushing.cli("push", "companies", "--query", "SELECT name, 1 AS size FROM main.targets")
    assert wrong.exit_code == 1 and "unknown column(s) size" in wrong.output
    broken = pushing.cli("push", "companies", "--query", "SELEC nothing")
    assert broken.exit_code == 1 and "the query failed" in broken.output
    sneaky = pushing.cli("push", "companies", "--query", "DELETE FROM main.targets")
    assert sneaky.exit_code == 1
    assert len(pushing.cli("push", "companies", "--query", QUERY, "--dry-run").output) > 0
    assert pushing.log() == []
