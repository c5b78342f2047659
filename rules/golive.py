"""Go-live modes: a deployment observes a rule, then warns with it, then enforces it.

Every parameter version carries a ``mode`` (``enforce`` by default) and ``facility_modes``,
exceptions per MA_CSKCB. A hit is always recorded; under ``warn`` a REJECT or PARTIAL rule acts
as a WARNING (manual review, the amount shows what enforcing would reject) and under
``observe`` it changes nothing. Modes are versioned like every parameter, so a re-appraisal of
last month's claims uses last month's modes, and the decision's hits say which mode applied.

A mode change is a new version from a start date, never an edit of a version decisions were
made with: :func:`stage` writes those versions, and ``hireview rules go-live`` writes the
deployment's parameter file with them (``settings.rules_params`` then points at it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import yaml

from rules.base import MODES, Params
from rules.params import ParamsError, ParamTable


def stage(table: ParamTable, codes: Iterable[str], mode: str, start: date,
          facilities: Iterable[str] = ()) -> ParamTable:
    """``table`` with rules ``codes`` in ``mode`` from ``start`` on: for every facility, or only
    for ``facilities`` (the others keep the mode they had). The version in force on ``start`` is
    closed the day before and continued by ``<CODE>@<start>`` with the same values; later
    versions take the mode as they are."""
    if mode not in MODES:
        raise ParamsError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    out = dict(table)
    chosen = list(facilities)
    for code in codes:
        if code not in table:
            raise ParamsError(f"rules: unknown rule code {code!r}")
        out[code] = _staged(code, table[code], mode, start, chosen)
    return out


def _staged(code: str, versions: tuple[Params, ...], mode: str, start: date,
            facilities: list[str]) -> tuple[Params, ...]:
    """The version in force on ``start`` split there, it and every later version in ``mode``."""

    def staged(p: Params) -> Params:
        if facilities:
            chosen = dict.fromkeys(facilities, mode)
            return replace(p, facility_modes={**p.facility_modes, **chosen})
        return replace(p, mode=mode, facility_modes={})

    out: list[Params] = []
    for p in versions:
        if p.effective_from >= start:
            out.append(staged(p))  # already a version of its own from that day on
        elif p.in_force(start):
            out.append(replace(p, effective_to=start - timedelta(days=1)))
            out.append(replace(staged(p), version=f"{code}@{start}", effective_from=start))
        else:
            out.append(p)
    return tuple(out)


def dump(table: ParamTable) -> str:
    """The parameter table as a ``params.yaml`` document (versions in date order)."""
    doc: dict[str, list[dict[str, Any]]] = {}
    for code in sorted(table):
        doc[code] = [_version(p) for p in sorted(table[code], key=lambda p: p.effective_from)]
    header = ("# Rule parameters written by `hireview rules go-live` (rules/golive.py): the\n"
              "# published versions plus go-live modes.\n"
              "# Point HIREVIEW_RULES_PARAMS at this file.\n")
    return header + yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


class _NoAliases(yaml.SafeDumper):
    """Every date written out in full (a shared date object would become an ``*id001`` alias)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _version(p: Params) -> dict[str, Any]:
    out: dict[str, Any] = {"version": p.version, "effective_from": p.effective_from,
                           "effective_to": p.effective_to, "params": dict(p.values)}
    if p.mode != "enforce":
        out["mode"] = p.mode
    if p.facility_modes:
        out["facility_modes"] = dict(p.facility_modes)
    return out


def modes_on(table: Mapping[str, tuple[Params, ...]], on: date) -> dict[str, dict[str, Any]]:
    """Per rule code the mode in force on ``on`` and its facility exceptions (for reports and
    the health endpoint); rules in ``enforce`` everywhere are left out."""
    out: dict[str, dict[str, Any]] = {}
    for code, versions in sorted(table.items()):
        p = next((v for v in versions if v.in_force(on)), None)
        if p is not None and p.staged:
            out[code] = {"mode": p.mode, "facilities": dict(p.facility_modes),
                         "version": p.version}
    return out
