"""A one-line progress bar on stderr for long detector runs (redrawn at most 5 times a
second), with the rate in facility-days per second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, label: str, out: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total, self.label, self.done = total, label, 0
        self._out, self._enabled = out or sys.stderr, enabled
        self.started = time.monotonic()
        self._drawn, self._shown = 0.0, -1

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self._enabled and now - self._drawn >= 0.2:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._shown = self.done
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(share * 30)
        rate = self.done / max(now - self.started, 1e-9)
        self._out.write(f"\r{self.label} [{bar:<30}] {self.done:,}/{self.total:,} "
                        f"({share:.0%}) {rate:,.0f} rows/s")
        self._out.flush()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        if self._enabled:
            if self._shown != self.done:
                self._draw(time.monotonic())
            self._out.write("\n")
            self._out.flush()
