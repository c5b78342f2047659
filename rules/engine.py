"""The rule engine: the catalogue loaded once, rules indexed by what they look at.

Hot path: per claim, the rules and parameter versions in force on the service date come from a
small cache (one dict lookup); claim rules run once; each line is visited once, its catalog
entry looked up once, and only the rules for its kind are called. The clean path allocates
nothing but the (empty) result list.

The engine names no rule: what cross-claim rules need from the worker (partners in the
history, practitioners' shifts, the inpatient flag) it learns from ``rules.cross_claim``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from rules.base import (
    BLOOD_GROUPS,
    DRUG,
    LINE_KINDS,
    SERVICE,
    SUPPLY,
    SUPPLY_GROUPS,
    ClaimRule,
    Hit,
    LineRule,
    Params,
    Record,
    Rule,
    RuleInputError,
    as_drug_line,
)
from rules.context import Context
from rules.cross_claim import (
    DEFAULT_INPATIENT_TYPES,
    InpatientTypes,
    PairRule,
    PartnerRule,
    ShiftRule,
)
from rules.params import PARAMS_FILE, ParamTable, apply_overrides, check_against, in_force
from rules.params import read_params as _read_params
from rules.registry import all_rules

_PLAN_CACHE_MAX = 4096  # distinct service dates kept; a stream spans a few hundred at most


class _Plan(NamedTuple):
    claim: tuple[tuple[ClaimRule, Params], ...]
    drug: tuple[tuple[LineRule, Params], ...]
    service: tuple[tuple[LineRule, Params], ...]
    supply: tuple[tuple[LineRule, Params], ...]
    partners: tuple[tuple[PartnerRule, Params], ...]
    shifts: tuple[ShiftRule, Params] | None
    inpatient_types: Collection[str]
    staged: Mapping[str, Params]  # codes whose version runs some facility not in enforce


class Engine:
    """An immutable rule catalogue with its parameters. Build with :meth:`load` or :meth:`build`."""

    def __init__(self, rules: Sequence[Rule], params: ParamTable, version: str) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.params: Mapping[str, tuple[Params, ...]] = params
        self.version = version
        self._plans: dict[date, _Plan] = {}
        self._by_code = {r.meta.code: r for r in self.rules}
        # Codes whose hits other claims add to a decision: a re-appraisal carries them over.
        self.partner_codes = frozenset(r.meta.code for r in self.rules
                                       if isinstance(r, PartnerRule | ShiftRule))
        # Codes that judge pairs of claims: a later claim judged again leaves their hits alone.
        self.pair_codes = frozenset(r.meta.code for r in self.rules if isinstance(r, PairRule))

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        params_path: Path = PARAMS_FILE,
    ) -> Engine:
        """The registered rules with the published parameters (plus deployment ``overrides``)."""
        table = apply_overrides(_read_params(params_path), overrides)
        return cls.build(all_rules(), table)

    @classmethod
    def build(cls, rules: Sequence[Rule], params: Mapping[str, Sequence[Params]]) -> Engine:
        """Check rules against their parameters and fingerprint the catalogue."""
        seen: set[str] = set()
        for rule in rules:
            code = rule.meta.code
            if code in seen:
                raise ValueError(f"rule code {code} registered twice")
            seen.add(code)
            if isinstance(rule, LineRule):
                bad = [k for k in rule.scope if k not in LINE_KINDS]
                if bad or not rule.scope:
                    raise ValueError(f"{code}: line rule scope {rule.scope} must be line kinds")
            check_against(rule.meta, params.get(code, ()))
        for capability in (ShiftRule, InpatientTypes):  # one owner per piece of stored state
            owners = [r.meta.code for r in rules if isinstance(r, capability)]
            if len(owners) > 1:
                raise ValueError(f"rules {owners} are all {capability.__name__}; one at most")
        unused = sorted(set(params) - seen)
        if unused:
            raise ValueError(f"params.yaml has parameters for unknown rule codes {unused}")
        table: ParamTable = {c: tuple(params[c]) for c in sorted(seen)}
        return cls(rules, table, _fingerprint(rules, table))

    # --- per claim --------------------------------------------------------------------------
    def plan(self, on: date) -> _Plan:
        """Rules in force on service date ``on`` with their parameter version (cached)."""
        plan = self._plans.get(on)
        if plan is None:
            plan = self._make_plan(on)
            if len(self._plans) >= _PLAN_CACHE_MAX:
                self._plans.clear()
            self._plans[on] = plan
        return plan

    def _make_plan(self, on: date) -> _Plan:
        claim: list[tuple[ClaimRule, Params]] = []
        lines: dict[str, list[tuple[LineRule, Params]]] = {k: [] for k in LINE_KINDS}
        partners: list[tuple[PartnerRule, Params]] = []
        shifts: tuple[ShiftRule, Params] | None = None
        inpatient: Collection[str] = DEFAULT_INPATIENT_TYPES
        staged: dict[str, Params] = {}
        for rule in self.rules:
            p = in_force(self.params[rule.meta.code], on)
            if p is None or not rule.meta.in_force(on):
                continue
            if p.staged:
                staged[rule.meta.code] = p
            if isinstance(rule, LineRule):
                for kind in rule.scope:
                    lines[kind].append((rule, p))
            else:
                claim.append((rule, p))
            if isinstance(rule, PartnerRule):
                partners.append((rule, p))
            if isinstance(rule, ShiftRule):
                shifts = (rule, p)
            if isinstance(rule, InpatientTypes):
                inpatient = rule.inpatient_types(p)
        return _Plan(
            tuple(claim), tuple(lines[DRUG]), tuple(lines[SERVICE]), tuple(lines[SUPPLY]),
            tuple(partners), shifts, inpatient, staged,
        )

    def evaluate(self, ctx: Context) -> list[Hit]:
        """All hits for ``ctx.claim``; an empty list for a clean claim."""
        claim = ctx.claim
        try:
            return self._evaluate(ctx, claim)
        except (KeyError, AttributeError, TypeError) as exc:
            where = f"{claim.get('facility')}/{claim.get('claim_id')}/v{claim.get('version')}"
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise RuleInputError(f"claim {where}: cannot apply rules: {detail}") from exc

    def _evaluate(self, ctx: Context, claim: Record) -> list[Hit]:
        plan = self.plan(claim["header"]["ngay_vao"].date())
        hits = self._hits(ctx, claim, plan)
        if plan.staged and hits:
            return _staged(hits, plan.staged, claim["facility"])
        return hits

    def _hits(self, ctx: Context, claim: Record, plan: _Plan) -> list[Hit]:
        hits: list[Hit] = []
        for claim_rule, p in plan.claim:
            found = claim_rule.check(ctx, p)
            if found:
                hits.extend(found)
        facility = claim["facility"]
        find = ctx.catalog.find
        drug_rules = plan.drug
        if drug_rules:
            for line in claim["drugs"]:
                entry = find(DRUG, facility, line["ma_thuoc"], line["ngay_yl"].date())
                for line_rule, p in drug_rules:
                    hit = line_rule.check(ctx, p, line, DRUG, entry)
                    if hit is not None:
                        hits.append(hit)
        service_rules, supply_rules = plan.service, plan.supply
        if service_rules or supply_rules:
            for line in claim["services"]:
                group = line["ma_nhom"]
                if group in SUPPLY_GROUPS:
                    kind, rules, code = SUPPLY, supply_rules, line["ma_vat_tu"] or ""
                elif group in BLOOD_GROUPS:
                    continue  # a drug line in the services table: _blood_in_services
                else:
                    kind, rules, code = SERVICE, service_rules, line["ma_dich_vu"]
                if not rules:
                    continue
                entry = find(kind, facility, code, line["ngay_yl"].date())
                for line_rule, p in rules:
                    hit = line_rule.check(ctx, p, line, kind, entry)
                    if hit is not None:
                        hits.append(hit)
        if drug_rules:
            hits.extend(self._blood_in_services(ctx, claim, drug_rules))
        return hits

    @staticmethod
    def _blood_in_services(
        ctx: Context, claim: Record, drug_rules: tuple[tuple[LineRule, Params], ...]
    ) -> list[Hit]:
        """Blood rows written in XML3 (``rules.base.BLOOD_GROUPS``) judged as the drug lines
        they are; each hit still points at the XML3 row it is about."""
        hits: list[Hit] = []
        for row in claim["services"]:
            if row["ma_nhom"] not in BLOOD_GROUPS:
                continue
            line = as_drug_line(row)
            entry = ctx.catalog.find(DRUG, claim["facility"], line["ma_thuoc"],
                                     line["ngay_yl"].date())
            for line_rule, p in drug_rules:
                hit = line_rule.check(ctx, p, line, DRUG, entry)
                if hit is not None:
                    hits.append(replace(hit, table="XML3"))
        return hits

    # --- what cross-claim rules need (rules.cross_claim) ----------------------------------
    def partner_hits(
        self, claim: Record, hits: Iterable[Hit], history: Sequence[Record]
    ) -> list[tuple[Record, Hit]]:
        """For each earlier claim of ``history`` that a partner rule's hit in ``hits`` also
        concerns: (its visit, the hit to add to its decision, ``decision.amend``)."""
        partners = self.plan(claim["header"]["ngay_vao"].date()).partners
        if not partners:
            return []
        hits = tuple(hits)
        out: list[tuple[Record, Hit]] = []
        for rule, p in partners:
            mine = next((h for h in hits if h.code == rule.meta.code), None)
            if mine is not None:  # each earlier claim's hit under its own facility's mode
                found = rule.partner_hits(claim, mine, history, p)
                out += [(visit, hit.staged(p.mode_for(visit["facility"])))
                        for visit, hit in found] if p.staged else found
        return out

    def shift_rule(self, on: date) -> tuple[ShiftRule, Params] | None:
        """The rule judging practitioners' schedules on service date ``on``, with its
        parameters (None when no such rule is in force)."""
        return self.plan(on).shifts

    def shifts(self, claim: Record) -> list[Record]:
        """The claim's shifts for the practitioner stage (none when no rule needs them)."""
        found = self.shift_rule(claim["header"]["ngay_vao"].date())
        return found[0].shifts(claim, found[1]) if found is not None else []

    def inpatient_types(self, on: date) -> Collection[str]:
        """The MA_LOAI_KCB codes the history's ``inpatient`` flag must use for a visit of
        service date ``on``: those of the rule that judges the flag, else the standard's."""
        return self.plan(on).inpatient_types

    def params_for(self, code: str, on: date) -> Params | None:
        """The parameter version of rule ``code`` in force on ``on`` (None when not in force)."""
        if not self.rule(code).meta.in_force(on):
            return None
        return in_force(self.params[code], on)

    def rule(self, code: str) -> Rule:
        rule = self._by_code.get(code)
        if rule is not None:
            return rule
        known = ", ".join(r.meta.code for r in self.rules)
        raise LookupError(f"unknown rule code {code!r}; known codes: {known}")


def _staged(hits: list[Hit], staged: Mapping[str, Params], facility: str) -> list[Hit]:
    """The hits under the go-live mode each rule's version gives ``facility``."""
    out = []
    for hit in hits:
        p = staged.get(hit.code)
        out.append(hit if p is None else hit.staged(p.mode_for(facility)))
    return out


def _fingerprint(rules: Sequence[Rule], params: ParamTable) -> str:
    """Stable id of the catalogue: rule identities plus every parameter version."""
    h = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.meta.code):
        m = rule.meta
        h.update(
            f"{m.code}|{m.name}|{m.severity}|{m.effective_from}|{m.effective_to}|"
            f"{','.join(rule.scope)}\n".encode()
        )
        for p in params.get(m.code, ()):
            values = sorted((k, repr(v)) for k, v in p.values.items())
            h.update(f"  {p.version}|{p.effective_from}|{p.effective_to}|{values}\n".encode())
            if p.staged:  # only then, so published fingerprints stay what they were
                h.update(f"  mode={p.mode}|{sorted(p.facility_modes.items())}\n".encode())
    return f"rules-{h.hexdigest()[:12]}"
