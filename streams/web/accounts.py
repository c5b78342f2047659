"""Appraiser accounts of the web app: user name, display name, role and scope, hashed password.

Passwords are people's, so they are guessable: stored as scrypt (RFC 7914, in the standard
library) with a per-account salt and a cost that makes each guess take tens of milliseconds —
unlike the portal's API keys, whose 256 random bits need only a fast hash. Roles are the agency's
(district, province, central; streams/jurisdiction.py): facility credentials never sign in here.

File shape: ``{"accounts": [{"user", "name", "role", "scope", "salt", "scrypt", "created"}]}``,
written atomically with mode 600.
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
    FacilityRegister,
    Jurisdiction,
    JurisdictionError,
    check,
)

_USER = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")  # no ".": it separates the session cookie
_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~50 ms per check on this class of machine
MIN_PASSWORD = 10


class AccountError(JurisdictionError):
    """A bad account file entry or argument; the message names the field."""


@dataclass(frozen=True)
class Account:
    user: str
    name: str
    jurisdiction: Jurisdiction

    @property
    def role(self) -> str:
        return self.jurisdiction.role

    @property
    def scope(self) -> str:
        return self.jurisdiction.scope

    def covers(self, facility: str) -> bool:
        return self.jurisdiction.covers(facility)


def _hash(salt: bytes, password: str) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


class Accounts:
    """The loaded accounts; ``verify(user, password)`` gives the account or None."""

    def __init__(self, entries: dict[str, tuple[Account, bytes, bytes]] | None = None) -> None:
        self._entries = dict(entries or {})
        # A wrong user name costs the same as a wrong password: no user enumeration by timing.
        self._dummy = (secrets.token_bytes(16), b"\0" * 32)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, user: str) -> Account | None:
        entry = self._entries.get(user)
        return entry[0] if entry else None

    def verify(self, user: str, password: str) -> Account | None:
        entry = self._entries.get(user.strip().lower())
        salt, digest = (entry[1], entry[2]) if entry else self._dummy
        ok = hmac.compare_digest(_hash(salt, password), digest)
        return entry[0] if entry and ok else None

    @classmethod
    def load(cls, path: Path, register: FacilityRegister) -> Accounts:
        """Read ``path`` (missing: no accounts, nobody can sign in)."""
        if not path.exists():
            return cls()
        entries: dict[str, tuple[Account, bytes, bytes]] = {}
        for i, raw in enumerate(_read(path)):
            try:
                check(raw["role"], raw["scope"], AGENCY_ROLES)
                area = (register.facilities(raw["scope"]) if raw["role"] == "district"
                        else frozenset())
                account = Account(raw["user"], raw["name"],
                                  Jurisdiction(raw["role"], raw["scope"], area))
                entries[raw["user"]] = (account, bytes.fromhex(raw["salt"]),
                                        bytes.fromhex(raw["scrypt"]))
            except KeyError as exc:
                raise AccountError(f"{path}: accounts[{i}]: missing field {exc}") from None
            except (JurisdictionError, ValueError, TypeError) as exc:
                raise AccountError(f"{path}: accounts[{i}]: {exc}") from None
        return cls(entries)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AccountError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        raise AccountError(f'{path}: expected an object {{"accounts": [...]}}')
    return [a if isinstance(a, dict) else {} for a in data["accounts"]]


def add_account(path: Path, user: str, name: str, role: str, scope: str, password: str) -> None:
    """Create or replace ``user``'s account (a new password resets it)."""
    user = user.strip().lower()
    if not _USER.fullmatch(user):
        raise AccountError(f"user: {user!r} must be 2-32 characters: a-z, 0-9, '_', '-'")
    try:
        check(role, scope, AGENCY_ROLES)
    except JurisdictionError as exc:
        raise AccountError(str(exc)) from None
    if not name.strip():
        raise AccountError("name: must not be empty")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    accounts = [a for a in (_read(path) if path.exists() else []) if a.get("user") != user]
    salt = secrets.token_bytes(16)
    accounts.append({"user": user, "name": name.strip(), "role": role, "scope": scope,
                     "salt": salt.hex(), "scrypt": _hash(salt, password).hex(),
                     "created": datetime.now(UTC).isoformat(timespec="seconds")})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"accounts": accounts}, out, indent=2)
    os.replace(tmp, path)
