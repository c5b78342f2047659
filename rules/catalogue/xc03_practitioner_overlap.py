"""XC03: the same practitioner performed services at two facilities at overlapping times.

Why:
    A practitioner may be registered at more than one facility, but cannot be in two of them at
    once. Services billed under one practitioner code at two facilities in overlapping hours mean
    that at least one of them was performed by someone else (often unlicensed staff) or not at
    all — a pattern the agency lists among the signs of fraudulent claims (TT 12/2026/TT-BTC
    Art. 10(1)(g): practitioner's working time; TT 39/2024/TT-BYT Art. 4b).

Anti-pattern:
    Looking for the overlap inside one person's claims: the two claims belong to different
    patients, so person-keyed state never sees both. Or flagging a practitioner seeing several
    patients at once in one facility, which is normal work.

Best practice:
    Re-key the claim's service lines by practitioner (``shifts``), keep each practitioner's recent
    shifts in a table keyed by practitioner, and when a new shift overlaps a shift at another
    facility by more than a tolerance, warn on *both* claims (the earlier one by an amendment).
    A line's interval runs from execution (NGAY_TH_YL, else NGAY_YL) to the result (NGAY_KQ), or
    for ``min_minutes`` when there is no later result time. Supplies are not work and are left
    out; drugs carry only the prescriber.

In the claim agent this rule has no schedule to look at (``ctx.schedule`` is empty) and finds
nothing: it is the shift rule (``rules.cross_claim``) whose shifts the practitioner stage files
and whose overlaps it asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from rules.base import NO_HITS, SUPPLY_GROUPS, Hit, Params, Record, RuleMeta, Severity, money
from rules.context import Context
from rules.cross_claim import ShiftRule

CODE = "XC03"
META = RuleMeta(
    code=CODE,
    name="cross_claim.practitioner_in_two_places",
    title="Practitioner performed services at two facilities at overlapping times",
    family="cross_claim",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 10(1)(g); TT 39/2024/TT-BYT Art. 4b; NĐ 90/2026/NĐ-CP Art. 95"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("min_minutes", "tolerance_minutes", "keep_days"),
)


def extract_shifts(claim: Record, params: Mapping[str, Any]) -> list[Record]:
    """One shift per practitioner of the claim: merged work intervals and the amount at stake."""
    least = timedelta(minutes=params["min_minutes"])
    work: dict[str, list[tuple[datetime, datetime, float, int]]] = {}
    for line in claim["services"]:
        if line["ma_nhom"] in SUPPLY_GROUPS:
            continue
        start = line["ngay_th_yl"] or line["ngay_yl"]
        result = line["ngay_kq"]
        end = result if result is not None and result > start + least else start + least
        for who in (line["nguoi_thuc_hien"] or line["ma_bac_si"]).split(";"):
            who = who.strip()
            if who:
                work.setdefault(who, []).append((start, end, line["t_bhtt"], line["stt"]))
    out = []
    for who, items in sorted(work.items()):
        items.sort()
        merged: list[list[datetime]] = []
        for start, end, _, _ in items:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out.append({
            "practitioner": who,
            "facility": claim["facility"],
            "claim_id": claim["claim_id"],
            "version": claim["version"],
            "person_key": claim["person_key"],
            "service_date": claim["header"]["ngay_vao"].date(),
            "intervals": [(s, e) for s, e in merged],
            "amount": round(sum(i[2] for i in items), 2),
            "lines": sorted({i[3] for i in items}),
        })
    return out


def overlap(a: Record, b: Record, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """The first overlap of two shifts at different facilities longer than the tolerance."""
    if a["facility"] == b["facility"] or a["practitioner"] != b["practitioner"]:
        return None
    tolerance = timedelta(minutes=params["tolerance_minutes"])
    for s1, e1 in a["intervals"]:
        for s2, e2 in b["intervals"]:
            start, end = max(s1, s2), min(e1, e2)
            if end - start > tolerance:
                return start, end
    return None


def hit_for(mine: Record, other: Record, window: tuple[datetime, datetime], p: Params) -> Hit:
    """The warning on ``mine``'s claim naming ``other``'s claim."""
    start, end = window
    who, there = mine["practitioner"], other["facility"]
    inputs = {
        "practitioner": who,
        "lines": ",".join(str(n) for n in mine["lines"]),
        "other_facility": there,
        "other_claim_id": other["claim_id"],
        "other_version": str(other["version"]),
        "overlap_from": start.isoformat(sep=" "),
        "overlap_to": end.isoformat(sep=" "),
        "amount": money(mine["amount"]),
    }
    span = f"{start:%Y-%m-%d %H:%M} → {end:%H:%M}"
    tolerance = p.values["tolerance_minutes"]
    return META.hit(
        p,
        f"Practitioner {who} performed services here and at facility {there} "
        f"(claim {other['claim_id']}) at the same time, {span}.",
        message_vi=(
            f"Người hành nghề {who} thực hiện dịch vụ tại đây và tại cơ sở {there} "
            f"(hồ sơ {other['claim_id']}) trong cùng thời gian {span}."
        ),
        threshold=f"overlap > {tolerance} min",
        amount=mine["amount"],
        inputs=inputs,
        table="XML3",
        line=mine["lines"][0] if len(mine["lines"]) == 1 else None,
    )


def find_overlaps(
    mine: Record, schedule: Sequence[Record], p: Params
) -> list[tuple[Record, Hit, Hit]]:
    """For each earlier shift in ``schedule`` overlapping ``mine``: (it, hit on mine, hit on it)."""
    found = []
    for other in schedule:
        window = overlap(mine, other, p.values)
        if window is not None:
            found.append((other, hit_for(mine, other, window, p), hit_for(other, mine, window, p)))
    return found


class PractitionerOverlap(ShiftRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        if not ctx.schedule:
            return NO_HITS
        hits = []
        for mine in extract_shifts(ctx.claim, p.values):
            same = [s for s in ctx.schedule if s["practitioner"] == mine["practitioner"]]
            hits += [h for _, h, _ in find_overlaps(mine, same, p)]
        return hits

    def shifts(self, claim: Record, p: Params) -> list[Record]:
        return extract_shifts(claim, p.values)

    def overlaps(
        self, shift: Record, schedule: Sequence[Record], p: Params
    ) -> list[tuple[Record, Hit, Hit]]:
        return find_overlaps(shift, schedule, p)

    def keep_days(self, p: Params) -> float:
        return float(p.values["keep_days"])
