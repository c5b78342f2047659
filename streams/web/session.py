"""Sign-in sessions and CSRF tokens of the web app.

A session is a signed cookie ``user.expires.sid.mac`` (HMAC-SHA256 with a key kept under the
state dir), so a restarted web app keeps everyone signed in: the console's live pages reconnect
after a restart without a new sign-in. Sign-out revokes the session id (kept in a small file until
it would have expired anyway).

CSRF: every state-changing request must carry ``X-CSRF-Token`` (or a ``csrf`` form field) equal
to HMAC(key, "csrf|" + sid). A page on another site can make the browser send the cookie, but it
cannot read our pages to learn the token; the cookie is also ``SameSite=Strict``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "hv_session"


@dataclass(frozen=True)
class Session:
    user: str
    sid: str
    expires: int  # unix seconds


def _load_key(path: Path) -> bytes:
    """The signing key, created (mode 600) on first use."""
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="utf-8").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key.hex())
    return key


class Sessions:
    def __init__(self, folder: Path, hours: float) -> None:
        self._key = _load_key(folder / "session-key")
        self._seconds = int(hours * 3600)
        self._revoked_path = folder / "revoked-sessions"
        self._lock = threading.Lock()
        self._revoked: dict[str, int] = {}
        if self._revoked_path.exists():
            now = int(time.time())
            for line in self._revoked_path.read_text(encoding="utf-8").splitlines():
                sid, _, exp = line.partition(" ")
                if exp.isdigit() and int(exp) > now:
                    self._revoked[sid] = int(exp)

    @property
    def seconds(self) -> int:
        return self._seconds

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def issue(self, user: str, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + self._seconds
        body = f"{user}.{expires}.{secrets.token_hex(12)}"
        return f"{body}.{self._mac(body)}"

    def read(self, token: str | None, now: float | None = None) -> Session | None:
        """The session of a valid, unexpired, unrevoked cookie value, else None."""
        if not token or token.count(".") != 3:
            return None
        body, _, mac = token.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        user, expires, sid = body.split(".")
        if not expires.isdigit() or int(expires) <= (now if now is not None else time.time()):
            return None
        with self._lock:
            if sid in self._revoked:
                return None
        return Session(user, sid, int(expires))

    def revoke(self, session: Session) -> None:
        with self._lock:
            self._revoked[session.sid] = session.expires
            with self._revoked_path.open("a", encoding="utf-8") as out:
                out.write(f"{session.sid} {session.expires}\n")

    def csrf(self, session: Session) -> str:
        return self._mac(f"csrf|{session.sid}")

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf(session))
