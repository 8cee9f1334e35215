"""Which rows of a query Flintt lacks: pure, no I/O.

A row's source key says how it is matched: companies by normalized domain, else exact name;
prospects by normalized email, else name and company. Flintt's records get the same keys, so a
row is "present" when Flintt holds a record with its key, a "duplicate" when an earlier row of
the query had its key, and otherwise to be created.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

Record = dict[str, Any]
Stream = Literal["companies", "prospects"]
COLUMNS: dict[str, tuple[str, ...]] = {
    "companies": ("name", "domain", "linkedin_url"),
    "prospects": ("name", "email", "title", "linkedin_url", "company_id", "company_domain"),
}


class ColumnsError(ValueError):
    """The query's columns do not fit the stream."""


@dataclass(frozen=True, kw_only=True)
class PushRow:
    source_key: str
    fields: Record


@dataclass(kw_only=True)
class PushPlan:
    create: list[PushRow] = field(default_factory=list)
    present: list[tuple[PushRow, str]] = field(default_factory=list)
    duplicates: list[PushRow] = field(default_factory=list)
    unresolved: list[tuple[PushRow, str]] = field(default_factory=list)


def normalized_domain(value: Any) -> str | None:
    """ "https://www.Acme.com/about" -> "acme.com"."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.rstrip(".")
    return host.removeprefix("www.") or None


def normalized_email(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def keys_of(stream: str, record: Record) -> list[str]:
    """Every key a record can be matched by: the first is the row's own source key."""
    if stream == "companies":
        domain = normalized_domain(record.get("domain"))
        by_name = f"name:{_text(record.get('name'))}"
        return [f"domain:{domain}", by_name] if domain else [by_name]
    email = normalized_email(record.get("email"))
    by_name = f"name:{_text(record.get('name'))}|company:{record.get('company_id') or ''}"
    return [f"email:{email}", by_name] if email else [by_name]


def check_columns(stream: Stream, columns: Sequence[str]) -> None:
    allowed = COLUMNS[stream]
    unknown = [column for column in columns if column not in allowed]
    if unknown or "name" not in columns:
        problem = f"unknown column(s) {', '.join(unknown)}" if unknown else "no `name` column"
        raise ColumnsError(
            f"the query's columns do not fit {stream}: {problem}; select {', '.join(allowed)}"
        )


def plan_push(
    stream: Stream,
    rows: Iterable[Record],
    *,
    existing: Iterable[Record],
    companies: Iterable[Record],
) -> PushPlan:
    """`existing`: Flintt's records of `stream`; `companies`: Flintt's companies, which resolve a
    prospect's `company_domain`."""
    held: dict[str, str] = {}
    for record in existing:
        for key in keys_of(stream, record):
            held.setdefault(key, str(record["id"]))
    company_by_domain = {
        normalized_domain(c.get("domain")): str(c["id"]) for c in companies if c.get("domain")
    }
    plan = PushPlan()
    seen: set[str] = set()
    for row in rows:
        fields = {k: v for k, v in row.items() if v is not None and k != "company_domain"}
        domain = row.get("company_domain")
        if stream == "prospects" and domain and not row.get("company_id"):
            company_id = company_by_domain.get(normalized_domain(domain))
            if company_id is None:
                key = keys_of(stream, fields)[0]
                plan.unresolved.append(
                    (PushRow(source_key=key, fields=fields), f"no company with domain {domain!r}")
                )
                continue
            fields["company_id"] = company_id
        key = keys_of(stream, fields)[0]
        pushed = PushRow(source_key=key, fields=fields)
        if key in seen:
            plan.duplicates.append(pushed)
        elif key in held:
            plan.present.append((pushed, held[key]))
        else:
            plan.create.append(pushed)
        seen.add(key)
    return plan
