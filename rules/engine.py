"""The rule engine: the catalogue loaded once, rules indexed by what they look at.

Hot path: per claim, the rules and parameter versions in force on the service date come from a
small cache (one dict lookup); claim rules run once; each line is visited once, its catalog
entry looked up once, and only the rules for its kind are called. The clean path allocates
nothing but the (empty) result list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from rules.base import (
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
)
from rules.context import Context
from rules.params import PARAMS_FILE, ParamTable, apply_overrides, check_against, in_force
from rules.params import read_params as _read_params

_PLAN_CACHE_MAX = 4096  # distinct service dates kept; a stream spans a few hundred at most


class _Plan(NamedTuple):
    claim: tuple[tuple[ClaimRule, Params], ...]
    drug: tuple[tuple[LineRule, Params], ...]
    service: tuple[tuple[LineRule, Params], ...]
    supply: tuple[tuple[LineRule, Params], ...]


class Engine:
    """An immutable rule catalogue with its parameters. Build with :meth:`load` or :meth:`build`."""

    def __init__(self, rules: Sequence[Rule], params: ParamTable, version: str) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.params: Mapping[str, tuple[Params, ...]] = params
        self.version = version
        self._plans: dict[date, _Plan] = {}
        self._by_code = {r.meta.code: r for r in self.rules}

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        params_path: Path = PARAMS_FILE,
    ) -> Engine:
        """The registered rules with the published parameters (plus deployment ``overrides``)."""
        from rules.registry import all_rules

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
        for rule in self.rules:
            p = in_force(self.params[rule.meta.code], on)
            if p is None or not rule.meta.in_force(on):
                continue
            if isinstance(rule, LineRule):
                for kind in rule.scope:
                    lines[kind].append((rule, p))
            else:
                claim.append((rule, p))
        return _Plan(
            tuple(claim), tuple(lines[DRUG]), tuple(lines[SERVICE]), tuple(lines[SUPPLY])
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
                if line["ma_nhom"] in SUPPLY_GROUPS:
                    kind, rules, code = SUPPLY, supply_rules, line["ma_vat_tu"] or ""
                else:
                    kind, rules, code = SERVICE, service_rules, line["ma_dich_vu"]
                if not rules:
                    continue
                entry = find(kind, facility, code, line["ngay_yl"].date())
                for line_rule, p in rules:
                    hit = line_rule.check(ctx, p, line, kind, entry)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def partner_hits(
        self, claim: Record, hits: Iterable[Hit], history: Sequence[Record]
    ) -> list[tuple[Record, Hit]]:
        """For each earlier claim XC02 found overlapping ``claim``: (its visit, the mirror hit).

        The worker amends those claims' decisions with the mirror hit (``decision.amend``).
        """
        from rules.catalogue import xc02_overlapping_stays as xc02

        mine = next((h for h in hits if h.code == xc02.CODE), None)
        if mine is None:
            return []
        p = in_force(self.params[xc02.CODE], claim["header"]["ngay_vao"].date())
        if p is None:
            return []
        return [
            (visit, xc02.hit_for_partner(visit, claim, mine.rule_version))
            for visit in xc02.overlap_partners(claim, history, p.values)
        ]

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
    return f"rules-{h.hexdigest()[:12]}"
