"""Helpers shared by the clinical, billing, staff and equipment rules (CL.., ST..), with the
one quantity epsilon.

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any, TypeVar

from rules.base import Params, Record

QUANTITY_EPS = 1e-9  # quantities are decimals with 3 places; compare with a little slack
GROUP = itemgetter("ma_nhom")  # C-level field access for the scans of every claim
QUANTITY = itemgetter("so_luong")
SERVICE_CODE = itemgetter("ma_dich_vu")

T = TypeVar("T")
_DERIVED: dict[str, tuple[Params, Any]] = {}


def derived(p: Params, name: str, build: Callable[[Mapping[str, Any]], T]) -> T:
    """``build(p.values)`` for the parameter version ``p``, kept until another version asks.

    For values a rule needs in another shape on every claim (a list as a frozenset): one slot
    per ``name`` (make it unique, e.g. "CL04.bed_groups"), valid while the same ``p`` object
    asks; ``p`` is held, so its identity cannot be reused by another object meanwhile.
    """
    cached = _DERIVED.get(name)
    if cached is not None and cached[0] is p:
        value: T = cached[1]
        return value
    value = build(p.values)
    _DERIVED[name] = (p, value)
    return value


def groups_of(key: str) -> Callable[[Mapping[str, Any]], frozenset[int]]:
    """A builder for :func:`derived`: the MA_NHOM list ``key`` of the parameters as a set."""

    def build(values: Mapping[str, Any]) -> frozenset[int]:
        return frozenset(values[key])

    return build


def initials(ranges: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Every first letter (either case) an ICD-10 category within ``ranges`` can start with:
    a diagnosis starting with another letter is in none of them (the common, fast case)."""
    out: set[str] = set()
    for first, last in ranges:
        for n in range(ord(first[0].upper()), ord(last[0].upper()) + 1):
            out.update((chr(n), chr(n).lower()))
    return frozenset(out)


def split_codes(text: str | None) -> list[str]:
    """The codes of a ``;``-separated field (MA_BAC_SI, NGUOI_THUC_HIEN, MA_MAY, MA_BENH_KT)."""
    if not text:
        return []
    if ";" not in text:
        stripped = text.strip()
        return [stripped] if stripped else []
    return [c.strip() for c in text.split(";") if c.strip()]


def line_day(line: Record) -> date:
    """The day a line was done: execution time when given, else order time."""
    done: datetime | None = line.get("ngay_th_yl")
    return (done or line["ngay_yl"]).date()


def billing_order(lines: Iterable[Record]) -> list[Record]:
    """Lines in the order they were ordered (NGAY_YL, then STT)."""
    return sorted(lines, key=lambda line: (line["ngay_yl"], line["stt"]))


def excess_from_end(lines: Sequence[Record], allowed: float) -> list[tuple[Record, float]]:
    """Units above ``allowed`` in ``lines`` (billing order), taken from the last line back.

    The latest units are the ones that do not fit: (line, excess units) per line concerned.
    """
    excess = sum(line["so_luong"] for line in lines) - allowed
    out: list[tuple[Record, float]] = []
    for line in reversed(lines):
        if excess <= QUANTITY_EPS:
            break
        units = min(line["so_luong"], excess)
        if units > QUANTITY_EPS:
            out.append((line, units))
            excess -= units
    out.reverse()
    return out


def unit_share(line: Record, units: float) -> float:
    """The fund's amount (T_BHTT) for ``units`` of the line's quantity."""
    quantity: float = line["so_luong"]
    if quantity <= units + QUANTITY_EPS or quantity <= 0:
        return float(line["t_bhtt"])
    return float(line["t_bhtt"]) * units / quantity


def has_list(catalog: object, kind: str, facility: str) -> bool:
    """True when ``catalog`` holds rows of ``kind`` for ``facility`` (CatalogIndex.has).

    A catalog without ``has`` (a test double) is treated as having no such list, so the
    optional STAFF / EQUIPMENT checks are skipped rather than failing every line.
    """
    has = getattr(catalog, "has", None)
    return bool(has(kind, facility)) if has is not None else False


def qty(value: float) -> str:
    """A quantity as text for hit inputs: no trailing zeros."""
    return f"{value:g}"


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600
