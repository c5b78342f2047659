"""ST02: a test or imaging line without a registered machine (MA_MAY) allowed for it.

Why:
    Lab tests, imaging and functional tests (MA_NHOM 1, 2, 3) are paid only when done on
    equipment the facility has declared to the social-security agency; QĐ 130 (as amended by
    QĐ 4750) makes MA_MAY mandatory on those lines, and automatic appraisal checks the equipment
    and its working time (TT 12/2026/TT-BTC Art. 10(1)(g)). A missing or unknown machine hides
    outsourced or never-performed tests; a machine that cannot perform the service billed (an
    X-ray unit for an ultrasound) points to the same.

Anti-pattern:
    Requiring an equipment list the facility has never sent (every test of every claim would be
    rejected), checking the machine against today's list rather than the one valid on the day of
    the test, or applying the requirement to claims sent in the old 4210 format, whose XML3 had
    no MA_MAY.

Best practice:
    For lines of ``groups``: MA_MAY must be present (always, except for ``skip_standards``).
    When the facility has an EQUIPMENT list (``require_list: false``: skip the list checks when
    CatalogIndex.has finds none), each machine code (``;``-separated) must be in it on the
    line's day, and when the machine's ``services`` attribute is given, the line's MA_DICH_VU
    must be among them. One hit per line for its T_BHTT. Lines whose service is not in the
    catalog at all are CT01's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter

from rules.base import NO_HITS, SERVICE, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.catalogue._clinical import derived, groups_of, has_list, line_day, split_codes
from rules.context import Context

META = RuleMeta(
    code="ST02",
    name="staff.machine_missing_or_not_registered",
    title="Machine code (MA_MAY) missing, not registered on the day, or not for this service",
    family="staff",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML3 MA_MAY (required for MA_NHOM 1, 2, 3); "
        "TT 12/2026/TT-BTC Art. 10(1)(g)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("groups", "require_list", "skip_standards"),
)

EQUIPMENT = "EQUIPMENT"
_MACHINE = itemgetter("ma_may")
_TESTS = groups_of("groups")


_EMPTY = (("MA_MAY is empty", "MA_MAY để trống"),)


def _machine_problems(
    ctx: Context, facility: str, line: Record, machines: list[str]
) -> list[tuple[str, str]]:
    """What is wrong with the line's machines, as (English, Vietnamese) phrases."""
    on = line_day(line)
    service = line["ma_dich_vu"]
    problems = []
    for machine in machines:
        entry = ctx.catalog.find(EQUIPMENT, facility, machine, on)
        if entry is None:
            problems.append((f"machine {machine} is not registered on {on}",
                             f"máy {machine} chưa được đăng ký vào ngày {on}"))
            continue
        allowed = split_codes((entry.get("attributes") or {}).get("services"))
        if allowed and service not in allowed:
            problems.append((f"machine {machine} is not registered for service {service}",
                             f"máy {machine} không được đăng ký cho dịch vụ {service}"))
    return problems


class MachineCode(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        groups = derived(p, "ST02.groups", _TESTS)
        tests = [line for line in claim["services"] if line["ma_nhom"] in groups]
        if not tests:
            return NO_HITS
        facility = claim["facility"]
        listed = p.values["require_list"] or has_list(ctx.catalog, EQUIPMENT, facility)
        if not listed and all(map(_MACHINE, tests)):
            return NO_HITS  # every machine code present, no list to check them against
        hits: list[Hit] = []
        problems: Sequence[tuple[str, str]]
        for line in tests:
            machines = split_codes(line["ma_may"])
            if not machines:
                if claim["source_standard"] in p.values["skip_standards"]:
                    continue
                problems = _EMPTY
            else:
                if not listed:
                    continue
                problems = _machine_problems(ctx, facility, line, machines)
                if not problems:
                    continue
            if ctx.catalog.find(SERVICE, facility, line["ma_dich_vu"], line["ngay_yl"].date()) \
                    is None:
                continue  # the whole line is CT01's
            found = "; ".join(en for en, _ in problems)
            inputs = {
                "ma_dich_vu": line["ma_dich_vu"],
                "ma_nhom": str(line["ma_nhom"]),
                "ma_may": line["ma_may"] or "",
                "day": line_day(line).isoformat(),
                "problems": found,
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            stt, code = line["stt"], line["ma_dich_vu"]
            message = f"XML3 line {stt} ({code}): {found}."
            message_vi = f"XML3 dòng {stt} ({code}): {'; '.join(vi for _, vi in problems)}."
            hits.append(META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                                 table="XML3", line=line["stt"], message_vi=message_vi))
        return hits
