"""What each fund page shows, computed from the queries (the router only renders these).

Fund use is ``hi_cost``: what facilities claimed from the HI fund (T_BHTT); ``approved`` is what
the appraisal accepted. "Against last year" is the same calendar month a year earlier; peers
are the register's facilities of the same tier and kind in the same (old) province, or in the
whole country when the province has fewer than three, shown only as a median and a band.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from streams.fund.notices.compose import Anomaly
from streams.fund.notices.store import NoticeRow, NoticeStore
from streams.fund.notices.texts import grouped, percent
from streams.jurisdiction import Jurisdiction
from streams.web.fund.charts import MapCell, Series, bars, line_chart, tile_map
from streams.web.fund.queries import Facility, FundQueries, Sums, shift
from streams.web.fund.tiles import TILES, Tile, tile_of

MIN_PEERS = 3


def change(now: float, before: float) -> float | None:
    return now / before - 1 if before else None


def compact(value: float, lang: str) -> str:
    """Money for charts and tiles: ``1,2 tỷ ₫`` / ``1.2 bn ₫``."""
    for size, vi, en in ((1e9, "tỷ", "bn"), (1e6, "tr", "m")):
        if abs(value) >= size:
            return f"{grouped(value / size, lang, 1)} {en if lang == 'en' else vi} ₫"
    return f"{grouped(value, lang)} ₫"


def month_label(month: int) -> str:
    return f"{month % 100:02d}/{month // 100}"


def visible_codes(who: Jurisdiction) -> set[str] | None:
    """Old province codes the viewer may open (None: every one)."""
    if who.role == "central":
        return None
    return {who.scope[:2]}


def _trend(by_month: dict[int, Sums], month: int, lang: str, name: str,
           width: int = 680) -> str:
    """Fund use in the 12 months to ``month`` against the 12 before."""
    months = [shift(month, -11 + i) for i in range(12)]
    now = [by_month.get(m, Sums()).hi_cost or None for m in months]
    before = [by_month.get(shift(m, -12), Sums()).hi_cost or None for m in months]
    en = lang == "en"
    return line_chart([Series("this year" if en else "năm nay", "#c0392b", now),
                       Series("a year earlier" if en else "cùng kỳ năm trước", "#8a96a3",
                              before, dashed=True)],
                      [month_label(m) for m in months], lambda v: compact(v, lang), name=name,
                      width=width)


def notice_anomalies(store: NoticeStore, who: Jurisdiction, month: int) -> list[Anomaly]:
    return [a for a in store.month_anomalies(month) if who.covers(a.facility)]


def map_view(q: FundQueries, store: NoticeStore, who: Jurisdiction, month: int,
             lang: str) -> dict[str, Any]:
    sums = q.province_months(who, shift(month, -23), month)
    open_codes = visible_codes(who)
    flagged = [a for a in notice_anomalies(store, who, month) if a.level == "notice"]
    per_tile: dict[str, tuple[Sums, Sums, int]] = {}
    by_month: dict[int, Sums] = {}
    for (code, m), s in sums.items():
        by_month[m] = by_month.get(m, Sums()) + s
        t = tile_of(code)
        if t is None:
            continue
        now, before, n = per_tile.get(t.id, (Sums(), Sums(), 0))
        if m == month:
            now += s
        elif m == shift(month, -12):
            before += s
        per_tile[t.id] = (now, before, n)
    for a in flagged:
        t = tile_of(a.facility)
        if t is not None:
            now, before, n = per_tile.get(t.id, (Sums(), Sums(), 0))
            per_tile[t.id] = (now, before, n + 1)
    cells: list[MapCell] = []
    rows: list[dict[str, Any]] = []
    for t in TILES:
        now, before, n = per_tile.get(t.id, (Sums(), Sums(), 0))
        delta = change(now.hi_cost, before.hi_cost)
        allowed = open_codes is None or bool(open_codes & set(t.codes))
        label = percent(delta, lang).replace(" %", "%") if delta is not None else ""
        title = f"{t.name}: {compact(now.hi_cost, lang)} ({percent(delta, lang)})" \
            if allowed else t.name
        cells.append(MapCell(t, delta, label if allowed else "", title,
                             f"/fund/provinces/{t.id}?month={month}" if allowed else None))
        if allowed and (now.hi_cost or before.hi_cost):
            rows.append({"tile": t, "now": now.hi_cost, "before": before.hi_cost,
                         "change": delta, "notices": n, "approved": now.approved})
    rows.sort(key=lambda r: -(r["change"] if r["change"] is not None else -9))
    total_now = by_month.get(month, Sums())
    total_before = by_month.get(shift(month, -12), Sums())
    return {"map": tile_map(cells), "rows": rows, "month": month,
            "total": total_now, "total_before": total_before,
            "total_change": change(total_now.hi_cost, total_before.hi_cost),
            "notices": len(flagged), "trend": _trend(by_month, month, lang, "trend-country", 1000)}


def _peer_groups(q: FundQueries, facilities: list[Facility]
                 ) -> dict[tuple[str, int, str], list[str]]:
    groups: dict[tuple[str, int, str], list[str]] = {}
    for f in facilities:
        key = (f.province, f.tier, f.kind)
        if key in groups:
            continue
        local = q.register(None, codes=(f.province,), tier=f.tier, kind=f.kind)
        chosen = local if len(local) >= MIN_PEERS else q.register(None, tier=f.tier,
                                                                   kind=f.kind)
        groups[key] = [p.code for p in chosen]
    return groups


def province_view(q: FundQueries, store: NoticeStore, who: Jurisdiction, t: Tile,
                  month: int, lang: str) -> dict[str, Any]:
    open_codes = visible_codes(who)
    codes = tuple(c for c in t.codes if open_codes is None or c in open_codes)
    facilities = q.register(who, codes=codes) if codes else []
    sums = q.facility_months(who, shift(month, -23), month, codes=codes) if codes else {}
    flagged: dict[str, int] = {}
    for a in notice_anomalies(store, who, month):
        if a.level == "notice" and a.facility[:2] in codes:
            flagged[a.facility] = flagged.get(a.facility, 0) + 1
    groups = _peer_groups(q, facilities)
    peer_codes = tuple(sorted({c for g in groups.values() for c in g}))
    peer_sums = q.facility_months(Jurisdiction("central", "*"), month, month,
                                  facilities=peer_codes) if peer_codes else {}
    by_month: dict[int, Sums] = {}
    for (_, m), s in sums.items():
        by_month[m] = by_month.get(m, Sums()) + s
    rows: list[dict[str, Any]] = []
    for f in facilities:
        now, before = sums.get((f.code, month), Sums()), sums.get((f.code, shift(month, -12)),
                                                                  Sums())
        peers = [c for c in groups[(f.province, f.tier, f.kind)] if c != f.code]
        costs = [v for v in (peer_sums.get((c, month), Sums()).cost_per_visit for c in peers)
                 if v is not None]
        median = statistics.median(costs) if costs else None
        mine = now.cost_per_visit
        rows.append({"f": f, "now": now.hi_cost, "before": before.hi_cost,
                     "change": change(now.hi_cost, before.hi_cost), "visits": now.visits,
                     "cost_per_visit": mine, "peer_median": median, "peers": len(costs),
                     "vs_peers": change(mine, median) if mine and median else None,
                     "notices": flagged.get(f.code, 0)})
    rows.sort(key=lambda r: -(r["change"] if r["change"] is not None else -9))
    chart = bars([(r["f"].name, r["change"], f"/fund/facilities/{r['f'].code}?month={month}")
                  for r in rows], lambda v: percent(v, lang), name="province-bars")
    now_total = by_month.get(month, Sums())
    before_total = by_month.get(shift(month, -12), Sums())
    return {"tile": t, "codes": codes, "rows": rows, "bars": chart, "month": month,
            "hidden": [c for c in t.codes if c not in codes], "total": now_total,
            "total_change": change(now_total.hi_cost, before_total.hi_cost),
            "trend": _trend(by_month, month, lang, "trend-province")}


@dataclass(frozen=True)
class FacilityPage:
    facility: Facility
    context: dict[str, Any]


def _peer_band(q: FundQueries, f: Facility, month: int
               ) -> tuple[list[float | None], list[float], list[float], int]:
    """Per month of the 12 to ``month``: the peers' median cost per visit and their
    25th–75th percentile band."""
    group = _peer_groups(q, [f])[(f.province, f.tier, f.kind)]
    peers = tuple(c for c in group if c != f.code)
    first = shift(month, -11)
    sums = q.facility_months(Jurisdiction("central", "*"), first, month,
                             facilities=peers) if peers else {}
    medians: list[float | None] = []
    lows, highs = [], []
    for i in range(12):
        m = shift(first, i)
        costs = sorted(v for v in (sums.get((c, m), Sums()).cost_per_visit for c in peers)
                       if v is not None)
        if len(costs) >= 2:
            quart = statistics.quantiles(costs, n=4, method="inclusive")
            medians.append(statistics.median(costs))
            lows.append(quart[0])
            highs.append(quart[2])
        else:
            medians.append(costs[0] if costs else None)
            lows.append(costs[0] if costs else 0.0)
            highs.append(costs[0] if costs else 0.0)
    return medians, lows, highs, len(peers)


def facility_view(q: FundQueries, store: NoticeStore, who: Jurisdiction, f: Facility,
                  month: int, lang: str) -> dict[str, Any]:
    sums = q.facility_months(who, shift(month, -23), month, facilities=(f.code,))
    by_month = {m: s for (_, m), s in sums.items()}
    now, before = by_month.get(month, Sums()), by_month.get(shift(month, -12), Sums())
    medians, lows, highs, n_peers = _peer_band(q, f, month)
    months = [shift(month, -11 + i) for i in range(12)]
    en = lang == "en"
    own = [by_month.get(m, Sums()).cost_per_visit for m in months]
    peers_chart = line_chart(
        [Series("this facility" if en else "cơ sở", "#c0392b", own),
         Series("peers' median" if en else "trung vị nhóm", "#0b5cad", medians, dashed=True)],
        [month_label(m) for m in months], lambda v: compact(v, lang), band=(lows, highs),
        band_label=("peers 25–75 %" if en else "nhóm 25–75 %"), name="peers")
    anomalies = sorted((a for m in (month, shift(month, -1), shift(month, -2))
                        for a in store.month_anomalies(m, f.code)),
                       key=lambda a: (a.period_start, a.metric), reverse=True)
    unique = list({a.anomaly_id: a for a in reversed(anomalies)}.values())[::-1]
    notices: list[NoticeRow] = sorted(store.of_facilities([f.code]), key=lambda r: -r.month)
    cost_now = now.cost_per_visit
    return {"f": f, "month": month, "now": now, "before": before,
            "change": change(now.hi_cost, before.hi_cost),
            "trend": _trend(by_month, month, lang, "trend-facility"), "peers": peers_chart,
            "n_peers": n_peers, "cost_per_visit": cost_now,
            "vs_peers": change(cost_now, medians[-1]) if cost_now and medians[-1] else None,
            "anomalies": unique, "notices": notices, "claims": q.claims(f.code, month),
            "tile": tile_of(f.code)}
