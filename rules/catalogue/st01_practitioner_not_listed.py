"""ST01: the practitioner of a line is not in the facility's staff list, or acts outside scope.

Why:
    The fund pays for care ordered and performed by practitioners the facility has registered
    with the social-security agency, within the scope of their practising licence
    (TT 12/2026/TT-BTC Art. 10(1)(g); Law 15/2023/QH15 on medical examination and treatment;
    scope appendices of TT 32/2023/TT-BYT). Orders by unregistered staff, by a practitioner
    before their registration starts or after it ends, or outside their scope (a nurse
    prescribing, a physician reading imaging without that scope) are not payable.

Anti-pattern:
    Requiring a staff list the facility has never sent: every line of every claim would be
    rejected. Or checking only the ordering doctor and ignoring the performers, or checking the
    practitioner against today's list instead of the one valid on the day of the line.

Best practice:
    Apply the rule to facilities that have a STAFF list (``require_list: false``: skip when the
    catalog has no STAFF row for the facility, CatalogIndex.has). For every line check each
    MA_BAC_SI and, on XML3, each NGUOI_THUC_HIEN (``;``-separated) against the list valid on the
    line's day (order day for the orderer, execution day for performers); when the entry has a
    ``scope`` attribute (``;``-separated MA_NHOM), the line's MA_NHOM must be in it, except for
    ``scope_exempt_groups`` (supplies follow the service they are used in). One hit per line for
    its T_BHTT, naming every problem. Empty codes are a completeness check, not this rule's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._clinical import has_list, line_day, split_codes
from rules.context import Context

META = RuleMeta(
    code="ST01",
    name="staff.practitioner_not_listed_or_out_of_scope",
    title="Practitioner not in the facility's staff list on the day, or outside their scope",
    family="staff",
    severity=Severity.PARTIAL,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(g); Law 15/2023/QH15 on medical examination and "
        "treatment (practising licence and scope); TT 32/2023/TT-BYT scope appendices; "
        "QĐ 130/QĐ-BYT XML2/XML3 MA_BAC_SI, NGUOI_THUC_HIEN"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("require_list", "scope_exempt_groups"),
)

STAFF = "STAFF"
_ROLES = {"XML2": ("ma_bac_si",), "XML3": ("ma_bac_si", "nguoi_thuc_hien")}


def scope_of(entry: Record) -> frozenset[str]:
    """MA_NHOM codes of the entry's ``scope`` attribute; empty when none are given."""
    text = (entry.get("attributes") or {}).get("scope") or ""
    return frozenset(c for c in split_codes(text) if c.isdigit())


class _Lookup:
    """Staff entries and their scopes looked up once per (code, day) within one claim: one
    practitioner signs most lines of a claim, so the search and the parsing of the scope (the
    bulk of this rule's cost) are done once, not once per line."""

    def __init__(self, ctx: Context, facility: str) -> None:
        self.find = ctx.catalog.find
        self.facility = facility
        self.entries: dict[tuple[str, date], Record | None] = {}
        self.scopes: dict[tuple[str, date], frozenset[str]] = {}

    def entry(self, code: str, on: date) -> Record | None:
        key = (code, on)
        if key not in self.entries:
            self.entries[key] = self.find(STAFF, self.facility, code, on)
        return self.entries[key]

    def scope(self, code: str, on: date, entry: Record) -> frozenset[str]:
        """``scope_of(entry)`` for the entry of (code, on)."""
        key = (code, on)
        scope = self.scopes.get(key)
        if scope is None:
            scope = self.scopes[key] = scope_of(entry)
        return scope


class PractitionerNotListed(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        facility = claim["facility"]
        if not p.values["require_list"] and not has_list(ctx.catalog, STAFF, facility):
            return NO_HITS
        lookup = _Lookup(ctx, facility)
        exempt = p.values["scope_exempt_groups"]
        hits: list[Hit] = []
        for table, lines in (("XML2", claim["drugs"]), ("XML3", claim["services"])):
            for line in lines:
                problems = self._problems(lookup, line, table, line["ma_nhom"] not in exempt)
                if problems:
                    hits.append(self._hit(p, table, line, problems))
        return hits

    @staticmethod
    def _problems(
        lookup: _Lookup, line: Record, table: str, check_scope: bool
    ) -> list[tuple[str, str]]:
        """What is wrong with the line's practitioners, as (English, Vietnamese) phrases."""
        problems = []
        group = str(line["ma_nhom"])
        for role in _ROLES[table]:
            on = line["ngay_yl"].date() if role == "ma_bac_si" else line_day(line)
            for code in split_codes(line[role]):
                entry = lookup.entry(code, on)
                if entry is None:
                    who = f"{role.upper()} {code}"
                    problems.append((f"{who} is not in the staff list on {on}",
                                     f"{who} không có trong danh sách nhân sự của cơ sở ngày {on}"))
                    continue
                scope = lookup.scope(code, on, entry) if check_scope else frozenset()
                if scope and group not in scope:
                    who, allowed = f"{role.upper()} {code}", ";".join(sorted(scope, key=int))
                    problems.append((
                        f"{who} may not order or perform MA_NHOM {group} (scope {allowed})",
                        f"{who} không được chỉ định hoặc thực hiện MA_NHOM {group} (phạm vi hành "
                        f"nghề {allowed})",
                    ))
        return problems

    @staticmethod
    def _hit(p: Params, table: str, line: Record, problems: list[tuple[str, str]]) -> Hit:
        listed = "; ".join(en for en, _ in problems)
        inputs = {
            "ma_bac_si": line["ma_bac_si"],
            "nguoi_thuc_hien": line.get("nguoi_thuc_hien") or "",
            "ma_nhom": str(line["ma_nhom"]),
            "ngay_yl": line["ngay_yl"].isoformat(sep=" "),
            "problems": listed,
            "line_t_bhtt": money(line["t_bhtt"]),
        }
        message = f"{table} line {line['stt']}: {listed}."
        message_vi = f"{table} dòng {line['stt']}: {'; '.join(vi for _, vi in problems)}."
        return META.hit(p, message, amount=line["t_bhtt"], inputs=inputs, table=table,
                        line=line["stt"], message_vi=message_vi)
