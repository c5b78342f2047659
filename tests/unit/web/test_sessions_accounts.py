"""Sign-in pieces: scrypt accounts, signed sessions that expire and can be revoked, CSRF."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.jurisdiction import FacilityRegister
from streams.web.accounts import AccountError, Accounts, add_account
from streams.web.session import Sessions


def test_accounts_store_no_password_and_check_it(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    add_account(path, "lan", "Nguyễn Thị Lan", "district", "79-760", "a long passphrase")
    assert "a long passphrase" not in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o600
    accounts = Accounts.load(path, FacilityRegister({"79001": "79-760", "79002": "79-761"}))
    assert accounts.verify("lan", "wrong one, long") is None
    assert accounts.verify("nobody", "a long passphrase") is None
    lan = accounts.verify("LAN", "a long passphrase")
    assert lan is not None and lan.covers("79001") and not lan.covers("79002")


@pytest.mark.parametrize(("user", "role", "scope", "password", "field"), [
    ("a.b", "province", "79", "long enough pw", "user"),
    ("lan", "facility", "79001", "long enough pw", "role"),
    ("lan", "province", "7", "long enough pw", "scope"),
    ("lan", "province", "79", "short", "password"),
])
def test_bad_accounts_name_the_field(tmp_path: Path, user: str, role: str, scope: str,
                                     password: str, field: str) -> None:
    with pytest.raises(AccountError, match=f"^{field}"):
        add_account(tmp_path / "a.json", user, "Name", role, scope, password)


def test_sessions_expire_resist_tampering_and_can_be_revoked(tmp_path: Path) -> None:
    sessions = Sessions(tmp_path, hours=1)
    token = sessions.issue("lan", now=1000.0)
    session = sessions.read(token, now=1001.0)
    assert session is not None and session.user == "lan"
    assert sessions.read(token, now=1000.0 + 3601) is None  # expired
    user, expires, sid, mac = token.split(".")
    assert sessions.read(f"hung.{expires}.{sid}.{mac}", now=1001.0) is None  # tampered
    assert sessions.csrf_ok(session, sessions.csrf(session))
    assert not sessions.csrf_ok(session, "0" * 64) and not sessions.csrf_ok(session, None)
    sessions.revoke(session)
    assert sessions.read(token, now=1001.0) is None
    live = sessions.issue("lan")
    current = sessions.read(live)
    assert current is not None
    sessions.revoke(current)
    assert Sessions(tmp_path, hours=1).read(live) is None  # revoked after a restart too
