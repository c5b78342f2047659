"""The shared secret of the worker's internal history page (``GET /history/{person}``).

Visit histories are health data: besides binding loopback, the worker answers the page only to
a request carrying the secret (header ``X-Hireview-Secret``), which the portal's card lookup
sends. The secret is a file under the state dir, created with mode 0600 by whichever process
starts first (the worker or the portal), so a local user without access to the state dir
cannot read histories even over loopback. ``worker_history_secret`` overrides the file.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time

from streams.settings import Settings

HEADER = "X-Hireview-Secret"


def history_secret(settings: Settings) -> str:
    if settings.worker_history_secret:
        return settings.worker_history_secret.get_secret_value()
    path = settings.state_dir / "worker-history.secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting at once, one writes and both read the same
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # the other process may be between create and write
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.02)
    raise RuntimeError(f"{path}: the worker history secret file is empty")


def allowed(given: str | None, secret: str) -> bool:
    """Constant-time comparison of the request's header with the secret."""
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())
