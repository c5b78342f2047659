"""The one progress bar of long commands (replay, detect, notices, settle, their benches): a line
on stderr redrawn at most 5 times a second, with the count, the share and the rate."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``update(n)`` as work is done, ``close()`` at the end; or call it with ``(done, total)``
    when the worker reports both (it closes itself when ``done`` reaches ``total``)."""

    def __init__(self, total: int, label: str, unit: str = "rows", out: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total, self.label, self.unit, self.done = total, label, unit, 0
        self._out, self._enabled = out or sys.stderr, enabled
        self.started = time.monotonic()
        self._drawn, self._shown, self._closed = 0.0, -1, False

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self._enabled and now - self._drawn >= 0.2:
            self._drawn = now
            self._draw(now)

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        self.update(done - self.done)
        if done >= total:
            self.close()

    def _draw(self, now: float) -> None:
        self._shown = self.done
        share = self.done / self.total if self.total else 1.0
        rate = self.done / max(now - self.started, 1e-9)
        self._out.write(f"\r{self.label} [{'#' * int(share * 30):<30}] {self.done:,}/"
                        f"{self.total:,} ({share:.0%}) {rate:,.{1 if rate < 10 else 0}f} "
                        f"{self.unit}/s")
        self._out.flush()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        if self._enabled and not self._closed:
            if self._shown != self.done:
                self._draw(time.monotonic())
            self._out.write(f" {self.seconds:.1f} s\n")
            self._out.flush()
        self._closed = True
