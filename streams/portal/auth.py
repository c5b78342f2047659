"""Portal API keys: per-facility credentials, stored hashed, with roles and scopes.

Key format ``hrv_<id>_<secret>``: ``id`` (16 hex) finds the entry without trying every hash,
``secret`` is 32 random bytes (URL-safe base64). The file keeps ``sha256(salt + secret)`` per
entry, never the key. A salted SHA-256 is enough here because the secret is 256 random bits
(nothing to guess, unlike a password), and it keeps the per-request check at microseconds.

Roles and scopes, and the facility register that districts need: streams/jurisdiction.py.

File shape: ``{"keys": [{"id", "name", "role", "scope", "salt", "sha256", "created"}]}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.jurisdiction import (
    AGENCY_ROLES,
    ROLES,
    FacilityRegister,
    Jurisdiction,
    JurisdictionError,
    check,
)

__all__ = ["ROLES", "Credential", "CredentialError", "Credentials", "FacilityRegister",
           "add_credential", "check"]

_KEY = re.compile(r"hrv_([0-9a-f]{16})_([A-Za-z0-9_-]{20,})")


# A bad credential file entry or ``add_credential`` argument; the message names it. The
# same class as the register's errors, so one ``except`` covers loading keys and register.
CredentialError = JurisdictionError


@dataclass(frozen=True)
class Credential:
    name: str
    role: str
    scope: str
    area: frozenset[str] = frozenset()  # district role: its facilities, from the register

    def covers(self, facility: str) -> bool:
        """May this credential act on ``facility``'s data?"""
        return Jurisdiction(self.role, self.scope, self.area).covers(facility)

    @property
    def appraiser(self) -> bool:
        """Agency roles (district, province, central) may unlock a claim for replacement."""
        return self.role in AGENCY_ROLES


@dataclass(frozen=True)
class _Entry:
    credential: Credential
    salt: bytes
    digest: bytes


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


class Credentials:
    """The loaded key file; ``verify(key)`` gives the credential of a valid key."""

    def __init__(self, entries: dict[str, _Entry] | None = None) -> None:
        self._entries = dict(entries or {})

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def load(cls, path: Path, register: FacilityRegister | None = None) -> Credentials:
        """Read ``path`` (missing file: no keys at all, every request gets 401). District keys
        need ``register``: without it their area is unknown and loading them is refused."""
        if not path.exists():
            return cls()
        entries: dict[str, _Entry] = {}
        for i, raw in enumerate(_read(path)):
            where = f"{path}: keys[{i}]"
            try:
                check(raw["role"], raw["scope"])
                area: frozenset[str] = frozenset()
                if raw["role"] == "district":
                    if register is None:
                        raise CredentialError("a district key needs the facility register "
                                              "(HIREVIEW_PORTAL_FACILITY_REGISTER)")
                    area = register.facilities(raw["scope"])
                entries[raw["id"]] = _Entry(Credential(raw["name"], raw["role"], raw["scope"],
                                                       area),
                                            bytes.fromhex(raw["salt"]),
                                            bytes.fromhex(raw["sha256"]))
            except KeyError as exc:
                raise CredentialError(f"{where}: missing field {exc}") from None
            except (CredentialError, ValueError, TypeError) as exc:
                raise CredentialError(f"{where}: {exc}") from None
        return cls(entries)

    def verify(self, key: str) -> Credential | None:
        match = _KEY.fullmatch(key)
        if match is None:
            return None
        entry = self._entries.get(match.group(1))
        if entry is None:
            return None
        if not hmac.compare_digest(entry.digest, _digest(entry.salt, match.group(2))):
            return None
        return entry.credential


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CredentialError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise CredentialError(f'{path}: expected an object {{"keys": [...]}}')
    return [k if isinstance(k, dict) else {} for k in data["keys"]]


def add_credential(path: Path, name: str, role: str, scope: str) -> str:
    """Create a key for ``name`` with ``role``/``scope``, store its hash in ``path`` (created
    with mode 600 when missing) and return the key; it is printed once and never stored."""
    check(role, scope)
    if not name.strip():
        raise CredentialError("name: must not be empty")
    keys = _read(path) if path.exists() else []
    key_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_bytes(16)
    keys.append({"id": key_id, "name": name.strip(), "role": role, "scope": scope,
                 "salt": salt.hex(), "sha256": _digest(salt, secret).hex(),
                 "created": datetime.now(UTC).isoformat(timespec="seconds")})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"keys": keys}, out, indent=2)
    os.replace(tmp, path)  # atomic: a running portal never reads half a file
    key = f"hrv_{key_id}_{secret}"
    print(f"API key for {name} ({role} {scope}), shown once: {key}")
    return key
