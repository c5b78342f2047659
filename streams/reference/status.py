"""Which reference data a process holds, and which is missing or stale, per kind and facility.

A fresh installation has no national lists, no facility lists and no cards: every claim then
gets CT01 ("not in catalog") and the deployer cannot tell why. The worker (its web page and
log), the portal (``GET /api/v1/health``) and both processes' metrics say it from this one
function instead.

- National lists (``facility`` ""): drugs, services and supplies must exist; staff and
  equipment lists are the facilities' own.
- Each known facility (the facility register, the facilities claims came from, the portal's
  keys): its approved drugs, services, supplies, staff and equipment lists.
- A list is ``missing`` with no rows, ``stale`` when it has rows but none valid today (every
  row has ended: the facility changed its list and did not send the new one), else ``ok``.
- Cards: ``missing`` when the registry holds none (CB01/CB08/CB09 then judge only what the
  claim says).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sized
from datetime import UTC, date, datetime
from typing import Any

from rules.reference import CatalogIndex
from streams.metrics import Metrics

NATIONAL_KINDS = ("DRUG", "SERVICE", "SUPPLY")
FACILITY_KINDS = ("DRUG", "SERVICE", "SUPPLY", "STAFF", "EQUIPMENT")
_NAMES = {"DRUG": "drugs", "SERVICE": "services", "SUPPLY": "supplies", "STAFF": "staff",
          "EQUIPMENT": "equipment"}


def _state(codes: int, valid: int) -> str:
    return "missing" if codes == 0 else "stale" if valid == 0 else "ok"


def reference_status(catalog: CatalogIndex, cards: int, facilities: Iterable[str],
                     on: date, max_listed: int = 200) -> dict[str, Any]:
    """The status document (JSON-ready). ``problems`` says in words what to load; per facility
    only those with a problem are listed (at most ``max_listed``; ``facilities_with_problems``
    counts them all)."""
    cover = catalog.coverage(on)
    national = {}
    problems = []
    for kind in NATIONAL_KINDS:
        codes, valid = cover.get((kind, ""), (0, 0))
        state = _state(codes, valid)
        national[_NAMES[kind]] = {"codes": codes, "valid_codes": valid, "state": state}
        if state != "ok":
            problems.append(f"national {_NAMES[kind]} list {state}: load it with "
                            f"`hireview catalogs load --kind {_NAMES[kind]} FILE`")
    known = sorted(set(facilities) | {owner for _kind, owner in cover if owner})
    listed: dict[str, dict[str, list[str]]] = {}
    missing_by_kind = dict.fromkeys(_NAMES.values(), 0)
    stale_by_kind = dict.fromkeys(_NAMES.values(), 0)
    troubled = 0
    for facility in known:
        found: dict[str, list[str]] = {"missing": [], "stale": []}
        for kind in FACILITY_KINDS:
            state = _state(*cover.get((kind, facility), (0, 0)))
            if state != "ok":
                found[state].append(_NAMES[kind])
                (missing_by_kind if state == "missing" else stale_by_kind)[_NAMES[kind]] += 1
        if found["missing"] or found["stale"]:
            troubled += 1
            if len(listed) < max_listed:
                listed[facility] = found
    for name in _NAMES.values():
        if missing_by_kind[name] or stale_by_kind[name]:
            problems.append(f"{missing_by_kind[name]} facilities without a {name} list, "
                            f"{stale_by_kind[name]} with a stale one")
    if cards == 0:
        problems.append("no HI cards loaded (hi.cards): card rules judge only the claim")
    return {
        "ok": not problems,
        "on": on.isoformat(),
        "national": national,
        "cards": {"cards": cards, "state": "missing" if cards == 0 else "ok"},
        "facilities_known": len(known),
        "facilities_with_problems": troubled,
        "facility_lists_missing": missing_by_kind,
        "facility_lists_stale": stale_by_kind,
        "facilities": listed,
        "problems": problems,
    }


class ReferenceWatch:
    """:func:`reference_status` of a live snapshot, recomputed at most every ``every`` seconds
    (it scans every catalog row), for the health endpoint, the metrics and the worker's log."""

    def __init__(self, catalog: CatalogIndex, cards: Sized,
                 facilities: Callable[[], Iterable[str]], every: float = 30.0) -> None:
        self._catalog, self._cards, self._facilities = catalog, cards, facilities
        self._every = every
        self._doc: dict[str, Any] | None = None
        self._at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with self._lock:
            now = time.monotonic()
            if self._doc is None or now - self._at >= self._every:
                self._doc = reference_status(self._catalog, len(self._cards),
                                             self._facilities(), datetime.now(UTC).date())
                self._at = now
            return self._doc

    def install(self, metrics: Metrics) -> None:
        """Gauges read from the latest status: lists per scope, kind and state; cards; ok."""
        def lists(scope: str, name: str, state: str) -> Callable[[], float]:
            def read() -> float:
                doc = self()
                if scope == "national":
                    return float(doc["national"][name]["state"] == state)
                if state == "ok":
                    return float(doc["facilities_known"] - doc["facility_lists_missing"][name]
                                 - doc["facility_lists_stale"][name])
                return float(doc[f"facility_lists_{state}"][name])
            return read

        for kind in NATIONAL_KINDS:
            for state in ("ok", "missing", "stale"):
                metrics.reference_lists.labels("national", _NAMES[kind], state).set_function(
                    lists("national", _NAMES[kind], state))
        for kind in FACILITY_KINDS:
            for state in ("ok", "missing", "stale"):
                metrics.reference_lists.labels("facility", _NAMES[kind], state).set_function(
                    lists("facility", _NAMES[kind], state))
        metrics.reference_ok.set_function(lambda: float(self()["ok"]))
