"""The vocabulary every rule shares: severities, rule metadata, hits, and the two rule shapes.

A rule is a plain class with a ``meta`` (what it is and why), a ``scope`` (``("claim",)`` or the
line kinds it looks at) and a pure ``check`` of a :class:`rules.context.Context`. Parameters come
from ``rules/params.yaml`` and are handed in as :class:`Params`, already resolved for the claim's
service date. A rule that needs more than one claim says so through ``rules.cross_claim``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from rules.context import Context
from rules.context import Record as Record  # re-exported: the vocabulary every rule imports

CLAIM = "claim"
DRUG, SERVICE, SUPPLY = "DRUG", "SERVICE", "SUPPLY"
LINE_KINDS = (DRUG, SERVICE, SUPPLY)
SUPPLY_GROUPS = frozenset({10, 11})  # services rows with these MA_NHOM are medical supplies
# Blood (7) and blood products (17) belong to the drug table; an exporter that writes them in
# XML3 (the portal accepts it, P317) still has them judged as drug lines: same catalog (the drug
# list, where blood is listed), same price field, same rules as in XML2.
BLOOD_GROUPS = frozenset({7, 17})
TABLE_OF_KIND = {DRUG: "XML2", SERVICE: "XML3", SUPPLY: "XML3"}
# A line kind in Vietnamese, as the first words of a message ("Thuốc 40.17 ...").
KIND_VI = {DRUG: "Thuốc", SERVICE: "Dịch vụ kỹ thuật", SUPPLY: "Vật tư y tế"}
NO_HITS: tuple[Hit, ...] = ()


class Severity(StrEnum):
    REJECT = "REJECT"  # the whole claim
    PARTIAL = "PARTIAL"  # an amount on one line
    WARNING = "WARNING"  # manual review, no money moved automatically


ENFORCE, WARN, OBSERVE = "enforce", "warn", "observe"
MODES = (ENFORCE, WARN, OBSERVE)  # go-live modes of a rule version (rules/params.yaml)


class RuleInputError(ValueError):
    """A claim field a rule needs is missing or has the wrong type."""


@dataclass(frozen=True)
class Params:
    """One version of a rule's parameters, in force from ``effective_from`` to ``effective_to``."""

    version: str
    effective_from: date
    effective_to: date | None
    values: Mapping[str, Any] = field(default_factory=dict)
    # Go-live mode of the rule while this version is in force, and per facility (MA_CSKCB)
    # exceptions to it: a deployment observes, then warns, then enforces (docs/rules.md).
    mode: str = ENFORCE
    facility_modes: Mapping[str, str] = field(default_factory=dict)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def mode_for(self, facility: str) -> str:
        return self.facility_modes.get(facility, self.mode)

    @property
    def staged(self) -> bool:
        """True when some facility does not run the rule in ``enforce``."""
        return self.mode != ENFORCE or any(m != ENFORCE for m in self.facility_modes.values())


@dataclass(frozen=True)
class Hit:
    """One finding; the fields are those of the Avro ``RuleHit`` record (decision.avsc)."""

    code: str
    rule_version: str
    severity: Severity
    title: str
    message: str
    legal_basis: str
    table: str = "XML1"
    line: int | None = None
    amount: float = 0.0
    inputs: dict[str, str] = field(default_factory=dict)
    message_vi: str = ""  # the same explanation in Vietnamese (``message`` is English)
    threshold: str | None = None  # the limit the input was judged against, as text
    mode: str = ENFORCE  # the rule's go-live mode for this claim (see ``staged``)

    def staged(self, mode: str) -> Hit:
        """This hit under go-live ``mode``: ``warn`` turns a REJECT or PARTIAL into a WARNING
        (the amount still shows what enforcing would reject); ``observe`` only records it."""
        if mode == ENFORCE:
            return self
        severity = Severity.WARNING if mode == WARN else self.severity
        return replace(self, severity=severity, mode=mode)

    def to_record(self) -> Record:
        return {
            "code": self.code,
            "rule_version": self.rule_version,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "legal_basis": self.legal_basis,
            "table": self.table,
            "line": self.line,
            "amount": self.amount,
            "inputs": dict(self.inputs),
            "message_vi": self.message_vi,
            "threshold": self.threshold,
            "mode": self.mode,
        }


@dataclass(frozen=True)
class RuleMeta:
    """What a rule is: stable code (never reused), dotted name, severity, basis, life span."""

    code: str
    name: str
    title: str
    family: str
    severity: Severity
    legal_basis: str
    effective_from: date
    effective_to: date | None = None
    param_names: tuple[str, ...] = ()  # keys every params version must provide

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def hit(
        self,
        p: Params,
        message: str,
        *,
        amount: float,
        inputs: dict[str, str],
        table: str = "XML1",
        line: int | None = None,
        message_vi: str = "",
        threshold: str | None = None,
    ) -> Hit:
        """A hit of this rule; code, title, severity and basis come from the metadata.

        ``message`` is English, ``message_vi`` Vietnamese; ``threshold`` the limit applied.
        """
        return Hit(
            code=self.code,
            rule_version=p.version,
            severity=self.severity,
            title=self.title,
            message=message,
            legal_basis=self.legal_basis,
            table=table,
            line=line,
            amount=round(float(amount), 2),
            inputs=inputs,
            message_vi=message_vi,
            threshold=threshold,
        )


class ClaimRule:
    """A rule looked at once per claim."""

    meta: RuleMeta
    scope: tuple[str, ...] = (CLAIM,)

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        raise NotImplementedError


class LineRule:
    """A rule looked at once per drug/service/supply line of the kinds in ``scope``.

    ``entry`` is the catalog entry of the line valid on the line's date (``None`` when there is
    none); the engine looks it up once per line so rules do not repeat the search.
    """

    meta: RuleMeta
    scope: tuple[str, ...] = LINE_KINDS

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        raise NotImplementedError


Rule = ClaimRule | LineRule


def line_kind(service_row: Record) -> str:
    """Kind of an XML3 (``services``) row: SUPPLY for MA_NHOM 10/11, DRUG for blood (7, 17),
    else SERVICE."""
    group = service_row["ma_nhom"]
    if group in SUPPLY_GROUPS:
        return SUPPLY
    return DRUG if group in BLOOD_GROUPS else SERVICE


def as_drug_line(service_row: Record) -> Record:
    """A blood row of XML3 in the shape drug rules read: its code (MA_DICH_VU, else MA_VAT_TU)
    as ``ma_thuoc`` and the fund's unit price as ``don_gia``; every other field as sent."""
    code = service_row["ma_dich_vu"] or service_row["ma_vat_tu"] or ""
    return {**service_row, "ma_thuoc": code, "don_gia": service_row["don_gia_bh"]}


def money(value: float) -> str:
    """Money as text for hit inputs: 2 decimals, no exponent."""
    return f"{value:.2f}"
