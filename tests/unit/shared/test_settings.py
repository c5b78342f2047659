"""Settings: state files live under the state dir unless set, sockets default to loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.settings import Settings


def test_state_files_follow_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    for name in ("HIREVIEW_PORTAL_CREDENTIALS", "HIREVIEW_PORTAL_FACILITY_REGISTER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HIREVIEW_STATE_DIR", str(tmp_path / "one"))
    one = Settings.load()
    assert one.portal_credentials == tmp_path / "one" / "portal-credentials.json"
    assert one.portal_facility_register == tmp_path / "one" / "facility-register.csv"
    assert one.web_accounts_path == tmp_path / "one" / "web" / "accounts.json"
    monkeypatch.setenv("HIREVIEW_PORTAL_CREDENTIALS", str(tmp_path / "keys.json"))
    assert Settings.load().portal_credentials == tmp_path / "keys.json"


def test_every_bind_address_defaults_to_loopback() -> None:
    hosts = {name: value for name, value in Settings().model_dump().items()
             if name.endswith("_host")}
    assert hosts and set(hosts.values()) == {"127.0.0.1"}, hosts
