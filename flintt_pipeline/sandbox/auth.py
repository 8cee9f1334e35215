"""API keys (only their SHA-256 is kept; the raw key is shown once) and management JWTs."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from flintt_pipeline.sandbox.formats import iso_ms, now_ms

KEY_PREFIX_LENGTH = 12
JWT_ALGORITHM = "HS256"


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(kw_only=True)
class ApiKey:
    id: str
    name: str
    key_hash: str
    key_prefix: str
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "key_prefix": self.key_prefix,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
            "created_at": self.created_at,
        }


class KeyRing:
    """The workspace's API keys. `primary` is the one /api/api-key shows and regenerates; the
    /api/api-keys collection can add more named keys."""

    def __init__(self) -> None:
        self._by_hash: dict[str, ApiKey] = {}
        self.primary: ApiKey | None = None

    def issue(self, *, name: str = "default", primary: bool = True) -> tuple[ApiKey, str]:
        """Create a key; returns it and its raw value, which is not kept anywhere."""
        raw = "flt_" + secrets.token_hex(24)
        key = ApiKey(
            id=str(uuid.uuid4()),
            name=name,
            key_hash=_digest(raw),
            key_prefix=raw[:KEY_PREFIX_LENGTH],
            created_at=iso_ms(now_ms()),
        )
        self._by_hash[key.key_hash] = key
        if primary:
            self.primary = key
        return key, raw

    def regenerate(self) -> tuple[ApiKey, str]:
        """Revoke the primary key at once and issue its replacement."""
        name = "default"
        if self.primary is not None:
            name = self.primary.name
            self.revoke(self.primary.id)
        return self.issue(name=name)

    def revoke(self, key_id: str) -> bool:
        for key in self._by_hash.values():
            if key.id == key_id and key.revoked_at is None:
                key.revoked_at = iso_ms(now_ms())
                if self.primary is key:
                    self.primary = None
                return True
        return False

    def all(self) -> list[ApiKey]:
        return list(self._by_hash.values())

    def authenticate(self, raw_key: str | None) -> bool:
        """True for a known, unrevoked key (and records its use)."""
        key = self._by_hash.get(_digest(raw_key)) if raw_key else None
        if key is None or key.revoked_at is not None:
            return False
        key.last_used_at = iso_ms(now_ms())
        return True


class JwtIssuer:
    """Signs and checks management tokens with a secret that exists only in this process."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def issue(self, *, expires_in: float = 30 * 86_400, subject: str = "sandbox-user") -> str:
        issued = int(time.time())
        claims = {
            "sub": subject,
            "iat": issued,
            "exp": issued + int(expires_in),
            "role": "owner",
            "workspace_id": "sandbox",
        }
        return jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM)

    def verify(self, authorization: str | None) -> bool:
        """True when the header is `Bearer <token>` with a valid, unexpired signature of ours."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            jwt.decode(
                token.strip(),
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            return False
        return True
