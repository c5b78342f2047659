"""Rule cases as data: load ``rules/catalogue/*.yml`` into ready-to-run claims and contexts.

A case file holds ``rule: CODE`` and ``cases:``, each case with ``name``, ``expect`` (``pass`` or
``fail``), an optional ``expect_amount``, ``claim`` (a patch deep-merged onto the base claim of
``_base_case.yml``), and optional ``catalog`` / ``cards`` rows (added to the base ones; a row with
the same key replaces the base row), ``history`` visits (replace the base history), ``note`` and
``other_hits`` (codes of other rules the case is known to trigger; by default a case triggers no
other rule), and ``schedule`` (a practitioner's shifts at other facilities, for XC03). A top-level
``fixtures`` mapping may hold YAML anchors shared by several cases.

Patch semantics: mappings merge key by key; a list is replaced, except when the patch is a
mapping of positions, e.g. ``drugs: {0: {don_gia: 1600}}`` patches the first drug line.

Time formats in YAML: ``"YYYY-MM-DD HH:MM"`` is a naive local (Vietnam) datetime, as the XML
times are; a trailing ``Z`` (``"2025-03-01 04:00 Z"``) makes it an aware UTC datetime
(``submitted_at``); ``YYYY-MM-DD`` is a date.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from rules.context import Context
from rules.reference import CardIndex, CatalogIndex

Record = dict[str, Any]
CATALOGUE_DIR = Path(__file__).with_name("catalogue")
BASE_FILE = CATALOGUE_DIR / "_base_case.yml"
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?) ?Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CATALOG_DEFAULTS: Record = {"facility": "", "name": "", "unit": "", "tt_thau": None,
                             "valid_to": None}
_CARD_DEFAULTS: Record = {"citizen_id": None, "five_year_date": None, "replaced_by": None}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
_VISIT_DEFAULTS: Record = {"version": 1, "content_hash": "earlier", "inpatient": False,
                           "kind": "01", "diagnosis": "J00", "outcome": 1, "copay": 0.0,
                           "status": "closed", "decision": None}


class CaseError(ValueError):
    """A case file is malformed."""


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    expect: str  # "pass" or "fail"
    expect_amount: float | None
    claim: Record
    catalog: list[Record]
    cards: list[Record]
    history: list[Record]
    source: Path
    other_hits: frozenset[str] = frozenset()  # codes the case also triggers (default: none)
    note: str = ""
    given: Record | None = None  # the case's own claim/catalog/cards/history, for documentation
    schedule: tuple[Record, ...] = ()  # practitioners' shifts at other facilities (XC03)

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"

    def context(self) -> Context:
        """A context over fresh catalog and card indexes (the worker's) holding this case's rows."""
        catalog, cards = CatalogIndex(), CardIndex()
        for entry in self.catalog:
            catalog.put(entry)
        for card in self.cards:
            cards.put(card)
        return Context(claim=self.claim, catalog=catalog, cards=cards, history=self.history,
                       schedule=self.schedule)


def convert(value: Any) -> Any:
    """Turn the YAML time strings described above into datetimes and dates, recursively."""
    if isinstance(value, dict):
        return {k: convert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [convert(v) for v in value]
    if isinstance(value, str):
        if _LOCAL.match(value):
            return datetime.fromisoformat(value)
        m = _UTC.match(value)
        if m:
            return datetime.fromisoformat(m.group(1)).replace(tzinfo=UTC)
        if _DATE.match(value):
            return date.fromisoformat(value)
    return value


def deep_merge(base: Any, patch: Any, where: str = "claim") -> Any:
    """``base`` with ``patch`` applied (neither is modified)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = deep_merge(base.get(key), value, f"{where}.{key}") if key in base else value
        return out
    if isinstance(base, list) and isinstance(patch, dict):
        out_list = list(base)
        for index, value in patch.items():
            if not isinstance(index, int) or not 0 <= index < len(base):
                raise CaseError(
                    f"{where}: list patch position {index!r} is not in 0..{len(base) - 1}"
                )
            out_list[index] = deep_merge(base[index], value, f"{where}[{index}]")
        return out_list
    return copy.deepcopy(patch)


def _read(path: Path) -> Record:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CaseError(f"{path}: expected a mapping at the top")
    converted: Record = convert(raw)
    return converted


def base() -> Record:
    """The base fixture: ``claim``, ``catalog``, ``cards``, ``history`` (fresh copies)."""
    raw = _read(BASE_FILE)
    return {
        "claim": raw["claim"],
        "catalog": [{**_CATALOG_DEFAULTS, **row} for row in raw.get("catalog") or []],
        "cards": [{**_CARD_DEFAULTS, **row} for row in raw.get("cards") or []],
        "history": [{**_VISIT_DEFAULTS, **v} for v in raw.get("history") or []],
    }


def base_case() -> Case:
    fixture = base()
    return Case("BASE", "clean", "pass", None, fixture["claim"], fixture["catalog"],
                fixture["cards"], fixture["history"], BASE_FILE)


def case_files() -> list[Path]:
    return sorted(p for p in CATALOGUE_DIR.glob("*.yml") if not p.name.startswith("_"))


def load_cases(path: Path) -> list[Case]:
    raw = _read(path)
    unknown = set(raw) - {"rule", "cases", "fixtures"}
    if unknown:
        raise CaseError(f"{path}: unknown top-level keys {sorted(unknown)}")
    code = raw.get("rule")
    if not isinstance(code, str):
        raise CaseError(f"{path}: 'rule' must name the rule code")
    entries = raw.get("cases")
    if not isinstance(entries, list) or not entries:
        raise CaseError(f"{path}: 'cases' must be a non-empty list")
    fixture = base()
    return [_case(path, code, i, entry, fixture) for i, entry in enumerate(entries)]


def _case(path: Path, code: str, i: int, entry: Any, fixture: Record) -> Case:
    where = f"{path.name}: cases[{i}]"
    if not isinstance(entry, dict):
        raise CaseError(f"{where}: expected a mapping")
    unknown = set(entry) - {"name", "expect", "expect_amount", "claim", "catalog", "cards",
                            "history", "schedule", "note", "other_hits"}
    if unknown:
        raise CaseError(f"{where}: unknown keys {sorted(unknown)}")
    name, expect = entry.get("name"), entry.get("expect")
    if not isinstance(name, str) or not name:
        raise CaseError(f"{where}.name: expected a non-empty string")
    if expect not in ("pass", "fail"):
        raise CaseError(f"{where}.expect: expected 'pass' or 'fail', got {expect!r}")
    amount = entry.get("expect_amount")
    if amount is not None and not isinstance(amount, int | float):
        raise CaseError(f"{where}.expect_amount: expected a number, got {amount!r}")
    others = entry.get("other_hits") or []
    if not isinstance(others, list) or not all(isinstance(c, str) for c in others):
        raise CaseError(f"{where}.other_hits: expected a list of rule codes")
    patch = entry.get("claim") or {}
    claim = deep_merge(fixture["claim"], patch, f"{where}.claim")
    catalog = _overlay(fixture["catalog"], entry.get("catalog"), _CATALOG_DEFAULTS,
                       ("kind", "facility", "code", "valid_from"))
    cards = _overlay(fixture["cards"], entry.get("cards"), _CARD_DEFAULTS, ("card_no",))
    history = entry.get("history")
    visits = fixture["history"] if history is None else [{**_VISIT_DEFAULTS, **v} for v in history]
    return Case(code, name, expect, None if amount is None else float(amount), claim, catalog,
                cards, visits, path, frozenset(others), str(entry.get("note") or ""),
                {k: entry[k] for k in ("claim", "catalog", "cards", "history", "schedule")
                 if entry.get(k)},
                tuple(_shift(s) for s in entry.get("schedule") or ()))


def _shift(raw: Record) -> Record:
    """A schedule row of a case: intervals as ``[start, end]`` pairs of local times."""
    intervals = [(s, e) for s, e in raw["intervals"]]
    return {"version": 1, "person_key": "0000000000", "amount": 0.0, "lines": [1],
            **raw, "intervals": intervals}


def _overlay(
    rows: list[Record], extra: Any, defaults: Record, key: tuple[str, ...]
) -> list[Record]:
    if not extra:
        return rows
    full = [{**defaults, **row} for row in extra]
    replaced = {tuple(r.get(k) for k in key) for r in full}
    return [r for r in rows if tuple(r.get(k) for k in key) not in replaced] + full


def all_cases() -> list[Case]:
    return [case for path in case_files() for case in load_cases(path)]


def cases_for(code: str) -> list[Case]:
    return [case for case in all_cases() if case.code == code]
