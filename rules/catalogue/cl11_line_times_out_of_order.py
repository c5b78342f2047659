"""CL11: order, execution and result times out of order or outside the visit.

Why:
    Every drug, service and supply is ordered (NGAY_YL), then given or performed (NGAY_TH_YL),
    then, for tests, reported (NGAY_KQ), and all of it happens during the visit: NGAY_VAO ≤
    NGAY_YL ≤ NGAY_TH_YL ≤ NGAY_KQ ≤ NGAY_RA (QĐ 130 as amended by QĐ 4750, XML2/XML3 field
    notes; the portal checks the same). A line outside the visit was not part of it; a result
    before its order was written after the fact. Both are grounds to refuse the line.

Anti-pattern:
    Checking only the order time, comparing dates instead of times (a test ordered at 23:50 and
    reported at 00:20 is in order), or treating an empty execution or result time as an error
    (drugs have no result; outpatient drugs often have no execution time).

Best practice:
    Per line, check the chain with the times that are present, each against the previous one
    present and all within [NGAY_VAO, NGAY_RA] widened by ``tolerance_minutes``; one hit per
    line naming every broken link, for the line's T_BHTT. When NGAY_RA is before NGAY_VAO the
    visit window itself is wrong: that is TM01's, and this rule does not pile on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from rules.base import NO_HITS, ClaimRule, Hit, Params, Record, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="CL11",
    name="clinical.line_times_out_of_order",
    title="Order/execution/result times out of order or outside the visit",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2/XML3 NGAY_YL, NGAY_TH_YL, NGAY_KQ "
        "(NGAY_VAO ≤ NGAY_YL ≤ NGAY_TH_YL ≤ NGAY_KQ ≤ NGAY_RA)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("tolerance_minutes",),
)


def _broken(line: Record, lo: datetime, hi: datetime) -> list[tuple[str, str]]:
    """The broken links of one line's time chain, as short phrases (English, Vietnamese)."""
    out = []
    ordered = line["ngay_yl"]
    if ordered < lo:
        out.append(("NGAY_YL before NGAY_VAO", "NGAY_YL trước NGAY_VAO"))
    if ordered > hi:
        out.append(("NGAY_YL after NGAY_RA", "NGAY_YL sau NGAY_RA"))
    previous, previous_name = ordered, "NGAY_YL"
    for name in ("ngay_th_yl", "ngay_kq"):
        at = line.get(name)
        if at is None:
            continue
        field = name.upper()
        if at < previous:
            out.append((f"{field} before {previous_name}", f"{field} trước {previous_name}"))
        if at > hi:
            out.append((f"{field} after NGAY_RA", f"{field} sau NGAY_RA"))
        previous, previous_name = at, field
    return out


def _time(value: datetime | None) -> str:
    return value.isoformat(sep=" ") if value is not None else ""


class LineTimesOutOfOrder(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        header = claim["header"]
        lo, hi = header["ngay_vao"], header["ngay_ra"]
        if hi < lo:
            return NO_HITS
        tolerance = p.values["tolerance_minutes"]
        if tolerance:
            lo, hi = lo - timedelta(minutes=tolerance), hi + timedelta(minutes=tolerance)
        bad: list[tuple[str, Record]] = []
        # One chained comparison per line (hot path); a missing time stands in for the one
        # before it (datetimes are always truthy, so ``or`` picks the previous one for None).
        for line in claim["drugs"]:
            ordered = line["ngay_yl"]
            if not lo <= ordered <= (line["ngay_th_yl"] or ordered) <= hi:
                bad.append(("XML2", line))
        for line in claim["services"]:
            ordered = line["ngay_yl"]
            done = line["ngay_th_yl"] or ordered
            if not lo <= ordered <= done <= (line["ngay_kq"] or done) <= hi:
                bad.append(("XML3", line))
        if not bad:
            return NO_HITS
        threshold = f"NGAY_VAO ≤ NGAY_YL ≤ NGAY_TH_YL ≤ NGAY_KQ ≤ NGAY_RA (±{tolerance} min)"
        hits: list[Hit] = []
        for table, line in bad:
            broken = _broken(line, lo, hi)
            problems = "; ".join(en for en, _ in broken)
            inputs = {
                "ngay_vao": header["ngay_vao"].isoformat(sep=" "),
                "ngay_ra": header["ngay_ra"].isoformat(sep=" "),
                "ngay_yl": _time(line["ngay_yl"]),
                "ngay_th_yl": _time(line.get("ngay_th_yl")),
                "ngay_kq": _time(line.get("ngay_kq")),
                "tolerance_minutes": str(tolerance),
                "problems": problems,
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            code = line["ma_thuoc"] if table == "XML2" else line["ma_dich_vu"] or line["ma_vat_tu"]
            message = f"{table} line {line['stt']} ({code}): {problems}."
            problems_vi = "; ".join(vi for _, vi in broken)
            message_vi = f"{table} dòng {line['stt']} ({code}): {problems_vi}."
            hits.append(META.hit(p, message, amount=line["t_bhtt"], inputs=inputs, table=table,
                                 line=line["stt"], message_vi=message_vi, threshold=threshold))
        return hits
