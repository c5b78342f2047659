"""Load and check the versioned rule parameters (``rules/params.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from rules.base import MODES, Params, RuleMeta

PARAMS_FILE = Path(__file__).with_name("params.yaml")
ParamTable = dict[str, tuple[Params, ...]]


class ParamsError(ValueError):
    """The parameter file is malformed or does not fit the rules."""


def read_params(path: Path = PARAMS_FILE) -> ParamTable:
    """Parse the parameter file into versions per rule code, sorted by start date."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of rule code -> list of versions")
    table: ParamTable = {}
    for code, versions in raw.items():
        if not isinstance(versions, list) or not versions:
            raise ParamsError(f"{path}: {code}: expected a non-empty list of versions")
        parsed = [_version(f"{path}: {code}[{i}]", v) for i, v in enumerate(versions)]
        table[str(code)] = tuple(sorted(parsed, key=lambda p: p.effective_from))
    return table


def _version(where: str, raw: Any) -> Params:
    if not isinstance(raw, dict):
        raise ParamsError(f"{where}: expected a mapping with version, effective_from, params")
    unknown = set(raw) - {"version", "effective_from", "effective_to", "params", "mode",
                          "facility_modes"}
    if unknown:
        raise ParamsError(f"{where}: unknown keys {sorted(unknown)}")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise ParamsError(f"{where}.version: expected a non-empty string, got {version!r}")
    start, end = raw.get("effective_from"), raw.get("effective_to")
    if not isinstance(start, date):
        raise ParamsError(f"{where}.effective_from: expected a date YYYY-MM-DD, got {start!r}")
    if end is not None and not isinstance(end, date):
        raise ParamsError(f"{where}.effective_to: expected a date or null, got {end!r}")
    if end is not None and end < start:
        raise ParamsError(f"{where}: effective_to {end} is before effective_from {start}")
    values = raw.get("params") or {}
    if not isinstance(values, dict):
        raise ParamsError(f"{where}.params: expected a mapping, got {values!r}")
    mode = raw.get("mode", "enforce")
    if mode not in MODES:
        raise ParamsError(f"{where}.mode: expected one of {', '.join(MODES)}, got {mode!r}")
    facilities = raw.get("facility_modes") or {}
    if not isinstance(facilities, dict):
        raise ParamsError(f"{where}.facility_modes: expected a mapping MA_CSKCB -> mode")
    for facility, fmode in facilities.items():
        if not isinstance(facility, str):  # YAML reads 01001 as a number: codes must be quoted
            raise ParamsError(f"{where}.facility_modes: facility code {facility!r} must be a "
                              f"quoted string, e.g. '01001'")
        if fmode not in MODES:
            raise ParamsError(f"{where}.facility_modes.{facility}: expected one of "
                              f"{', '.join(MODES)}, got {fmode!r}")
    return Params(version, start, end, values, mode,
                  {str(f): str(m) for f, m in facilities.items()})


def apply_overrides(
    table: ParamTable, overrides: Mapping[str, Mapping[str, Any]] | None
) -> ParamTable:
    """Overlay deployment values (e.g. from Settings) onto every version of the named rules.

    A version whose values the override changes gets a ``+local`` id suffix, so a decision
    shows it was not made with the published parameters; an override equal to the published
    values changes nothing (the worker may always pass its settings).
    """
    if not overrides:
        return table
    out = dict(table)
    for code, values in overrides.items():
        if code not in table:
            raise ParamsError(f"override for unknown rule code {code!r}")
        out[code] = tuple(
            p if all(p.values.get(k) == v for k, v in values.items())
            else Params(f"{p.version}+local", p.effective_from, p.effective_to,
                        {**p.values, **values}, p.mode, p.facility_modes)
            for p in table[code]
        )
    return out


def check_against(meta: RuleMeta, versions: Sequence[Params]) -> None:
    """Versions of one rule: declared keys present, no overlap, no gap over the rule's life."""
    code = meta.code
    if not versions:
        raise ParamsError(f"{code}: no parameter versions in params.yaml")
    for p in versions:
        missing = [k for k in meta.param_names if k not in p.values]
        if missing:
            raise ParamsError(f"{code}: version {p.version} lacks parameters {missing}")
        extra = [k for k in p.values if k not in meta.param_names]
        if extra:
            raise ParamsError(f"{code}: version {p.version} has undeclared parameters {extra}")
    if versions[0].effective_from > meta.effective_from:
        raise ParamsError(
            f"{code}: rule in force from {meta.effective_from} but first parameter version "
            f"{versions[0].version} starts {versions[0].effective_from}"
        )
    for before, after in zip(versions, versions[1:], strict=False):
        if before.effective_to is None or before.effective_to + timedelta(days=1) != (
            after.effective_from
        ):
            raise ParamsError(
                f"{code}: versions {before.version} (to {before.effective_to}) and "
                f"{after.version} (from {after.effective_from}) overlap or leave a gap"
            )
    last_end = versions[-1].effective_to
    if last_end is not None and (meta.effective_to is None or last_end < meta.effective_to):
        raise ParamsError(
            f"{code}: last parameter version {versions[-1].version} ends {last_end} "
            f"before the rule does ({meta.effective_to or 'open'})"
        )


def in_force(versions: Sequence[Params], on: date) -> Params | None:
    for p in reversed(versions):
        if p.in_force(on):
            return p
    return None
