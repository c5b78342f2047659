"""Bounds on one request's content, so a hostile body costs a bounded amount of work.

The body size is bounded before anything is read (``portal_max_body_mb``); inside it, a body
could still be 10^6 keys in one object, 10^5 lines in one claim or a 10,000-deep nest, each
cheap to send and expensive to normalise and answer. ``Limits`` holds the bounds (from the
settings ``portal_max_*``); the readers raise ``OverLimit`` naming the field and the limit,
answered 413 (too many of something) or 422 (a shape no claim has) for the whole request.

``Budget`` is the time bound: the readers call ``check()`` between claims, so a request whose
claims together take longer than ``portal_parse_seconds`` is refused instead of holding a
parse thread for minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from streams.portal.intake.xmlsafe import PortalInputError

__all__ = ["Budget", "Limits", "OverLimit", "check_json"]


@dataclass(frozen=True)
class Limits:
    claims: int = 1000
    keys: int = 200
    string: int = 4096
    depth: int = 16
    lines: int = 5000
    findings: int = 1000
    seconds: float = 20.0
    values: int = 400_000

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(claims=settings.portal_max_claims, keys=settings.portal_max_keys,
                   string=settings.portal_max_string, depth=settings.portal_max_depth,
                   lines=settings.portal_max_lines, findings=settings.portal_max_findings,
                   seconds=settings.portal_parse_seconds, values=settings.portal_max_values)

    def budget(self) -> Budget:
        return Budget(self.seconds)


class OverLimit(PortalInputError):
    """A bound exceeded: ``status`` 413 (too many/much) or 422, ``field`` where, ``limit``."""

    def __init__(self, status: int, reason: str, field: str, limit: int | float,
                 found: object) -> None:
        super().__init__(f"{field}: {found}; the limit is {limit:g}" if isinstance(limit, float)
                         else f"{field}: {found}; the limit is {limit}")
        self.status, self.reason, self.field, self.limit = status, reason, field, limit


class Budget:
    """A deadline for one request's parsing; ``check`` raises ``OverLimit`` once it passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds

    def check(self, where: str = "body") -> None:
        if time.monotonic() > self._deadline:
            raise OverLimit(422, "too_costly", where, self.seconds,
                            "reading took longer than the time budget (seconds)")


def check_json(data: Any, limits: Limits) -> None:
    """Walk a decoded JSON body (iteratively: no recursion to exhaust) and raise ``OverLimit``
    at the first object with too many keys, string too long, nesting too deep."""
    stack: list[tuple[Any, str, int]] = [(data, "$", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if len(value) > limits.string:
                raise OverLimit(413, "string_too_long", path, limits.string,
                                f"{len(value)} characters")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > limits.depth:
            raise OverLimit(422, "too_deep", path, limits.depth, f"nested {depth} levels deep")
        if isinstance(value, dict):
            if len(value) > limits.keys:
                raise OverLimit(413, "too_many_keys", path, limits.keys, f"{len(value)} keys")
            for key, item in value.items():
                if len(key) > limits.string:
                    raise OverLimit(413, "string_too_long", f"{path} (a key)", limits.string,
                                    f"{len(key)} characters")
                stack.append((item, f"{path}.{key[:40]}", depth + 1))
        else:
            # Lists inside a claim are its lines; the top list is claims (checked by caller).
            if depth > 1 and len(value) > limits.lines:
                raise OverLimit(413, "too_many_lines", path, limits.lines,
                                f"{len(value)} items")
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
