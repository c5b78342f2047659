"""The settlement ledger on the REAL ClickHouse (18.16 here): a simulated quarter of decisions
written with the sink's row builders, closed per facility and compared with sums computed
independently in SQL from the decision rows; a decision revised after the quarter closed lands
as an adjustment in the next quarter and the closed one is never rewritten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from clickhouse_driver import Client

from streams.bench.settle_data import decision, hit, simulate, store
from streams.clickhouse.db import connect, insert_rows, migrate
from streams.settings import Settings
from streams.settle import funding
from streams.settle.close import close_period
from streams.settle.ledger import SETTLEMENT_COLUMNS, LedgerError
from streams.settle.periods import Period

pytestmark = pytest.mark.clickhouse
FACILITIES = ("01001", "01002", "79001")
Q1, Q2 = Period.parse("quarter", "2025-Q1"), Period.parse("quarter", "2025-Q2")
CLOSE_Q1 = datetime(2025, 4, 3, 2, 0, tzinfo=UTC)
CLOSE_Q2 = datetime(2025, 7, 2, 2, 0, tzinfo=UTC)

# Independent of streams/settle: each claim's latest version, the appraiser's REVIEW cuts of
# that version's current revision, summed per facility by ClickHouse.
_EXPECTED = """
SELECT facility, count(), sum(req), sumIf(appr, outcome != 'WARN'),
       sum(rej) - sum(least(rej, cut)), sum(least(rej, cut)), sumIf(appr, outcome = 'WARN')
FROM (
    SELECT facility, claim_id, outcome, req, appr, rej, cut FROM (
        SELECT facility, claim_id, max(version) AS v, argMax(revision, version) AS r,
               argMax(outcome, version) AS outcome, argMax(requested, version) AS req,
               argMax(approved, version) AS appr, argMax(rejected, version) AS rej
        FROM decisions FINAL
        WHERE service_date >= %(s)s AND service_date <= %(e)s GROUP BY facility, claim_id
    ) ANY LEFT JOIN (
        SELECT facility, claim_id, version AS v, revision AS r, sum(amount) AS cut
        FROM rule_hits FINAL WHERE code = 'REVIEW' GROUP BY facility, claim_id, version, revision
    ) USING (facility, claim_id, v, r)
)
GROUP BY facility ORDER BY facility
"""
_FIGURES = ("claims", "requested", "approved", "rejected_rule", "rejected_review",
            "under_review")


def _settlement(client: Client, facility: str, period: Period) -> dict[str, Any]:
    rows = client.execute("SELECT " + ", ".join(SETTLEMENT_COLUMNS) + " FROM settlements "
                          "FINAL WHERE facility = %(f)s AND period_kind = %(k)s AND "
                          "period = %(p)s", {"f": facility, "k": period.kind, "p": period.label})
    assert len(rows) == 1, (facility, period, rows)
    return dict(zip(SETTLEMENT_COLUMNS, rows[0], strict=True))


def _funding(client: Client) -> None:
    now = datetime(2025, 1, 2, tzinfo=UTC)
    advances: list[dict[str, Any]] = [
                {"facility": "01001", "paid_on": "2025-01-15", "amount": 30_000_000,
                 "reference": "UNC 0015/2025"},
                {"facility": "01001", "paid_on": "2025-02-14", "amount": "12500000.50",
                 "reference": "UNC 0102/2025"},
                {"facility": "79001", "paid_on": "2025-04-10", "amount": 9_000_000,
                 "reference": "UNC 0330/2025"}]
    rows = [funding.advance_row(a, "ke toan", now) for a in advances]
    insert_rows(client, "advances", funding.ADVANCE_COLUMNS, rows + rows[:1])  # twice: one
    policy = [funding.policy_row({"percent": 80, "valid_from": "2025-01-01",
                                  "reference": "QĐ 01/2025"}, "central", now),
              funding.policy_row({"percent": "90", "valid_from": "2025-04-01",
                                  "reference": "QĐ 77/2025"}, "central", now)]
    insert_rows(client, "settlement_params", funding.PARAM_COLUMNS, policy)


def test_a_quarter_settles_to_the_independent_sums_and_late_revisions_adjust(
        isolated: Settings) -> None:
    migrate(isolated, progress=lambda _m: None)
    client = connect(isolated)
    q1 = list(simulate(FACILITIES, 60, Q1.start, Q1.end, seed=3))
    store(client, q1, CLOSE_Q1 - timedelta(days=1))
    store(client, q1[:50], CLOSE_Q1 - timedelta(hours=1))  # a replayed sink batch collapses
    _funding(client)

    with pytest.raises(LedgerError, match="2025-Q2 ends on 2025-06-30"):
        close_period(client, Q2, now=CLOSE_Q1)
    seen: list[tuple[int, int]] = []
    done = close_period(client, Q1, now=CLOSE_Q1, progress=lambda d, t: seen.append((d, t)))
    assert sorted(s.facility for s in done.settlements) == list(FACILITIES)
    assert seen[-1] == (3, 3)
    expected = client.execute(_EXPECTED, {"s": Q1.start, "e": Q1.end})
    assert [r[0] for r in expected] == list(FACILITIES)
    for facility, *sums in expected:
        got = _settlement(client, facility, Q1)
        assert tuple(got[k] for k in _FIGURES) == tuple(sums), facility
        assert got["requested"] == (got["approved"] + got["rejected_rule"]
                                    + got["rejected_review"] + got["under_review"])
        assert got["adjustment_claims"] == 0 and got["advance_percent"] == Decimal("80")
    first = _settlement(client, "01001", Q1)
    assert first["advances"] == Decimal("42500000.50") and first["advance_count"] == 2
    assert first["balance"] == first["approved"] - first["advances"]
    assert first["rejected_review"] > 0 and first["under_review"] > 0  # the mix has both

    # After Q1 closed: an appraiser settles a waiting claim, another cuts an accepted one, and
    # a Q1 claim is decided for the first time. Q2 has its own claims.
    by_claim = {(d["facility"], d["claim_id"]): d for d in q1}  # latest revision last
    latest = [d for d in by_claim.values() if d["facility"] == "01001" and d["version"] == 1]
    waiting = next(d for d in latest if d["outcome"] == "WARN")
    accepted = next(d for d in latest if d["outcome"] == "ACCEPT")
    late_at = CLOSE_Q1 + timedelta(days=5)
    store(client, [
        {**waiting, "revision": waiting["revision"] + 1, "outcome": "ACCEPT",
         "reviewed_by": "lan", "review_id": "a" * 32, "decided_at": late_at},
        decision("01001", accepted["claim_id"], accepted["service_date"], "PARTIAL_REJECT",
                 accepted["requested"], 10_000.0, [hit("REVIEW", 10_000.0)], revision=2,
                 reviewed_by="minh", decided_at=late_at),
        decision("01001", "01001_202503_late", date(2025, 3, 30), "ACCEPT", 777_000.0,
                 decided_at=late_at),
        *simulate(FACILITIES, 30, Q2.start, Q2.end, seed=4)], late_at)

    with pytest.raises(LedgerError, match="close 2025-Q3 first"):
        close_period(client, Period.parse("quarter", "2025-Q4"),
                     now=datetime(2026, 1, 5, tzinfo=UTC))
    assert close_period(client, Q1, now=CLOSE_Q2).skipped == list(FACILITIES)
    with pytest.raises(LedgerError, match="2024-Q4: a later quarter is already closed"):
        close_period(client, Period.parse("quarter", "2024-Q4"), FACILITIES, now=CLOSE_Q2)
    assert _settlement(client, "01001", Q1) == first  # never rewritten

    close_period(client, Q2, now=CLOSE_Q2)
    second = _settlement(client, "01001", Q2)
    adjustments = client.execute(
        "SELECT claim_id, origin_period, requested, approved, rejected_review, under_review "
        "FROM settlement_entries FINAL WHERE period = '2025-Q2' AND entry = 'adjustment' "
        "ORDER BY claim_id")
    w = Decimal(str(waiting["approved"]))
    assert sorted(adjustments) == sorted([
        (waiting["claim_id"], "2025-Q1", Decimal(0), w, Decimal(0), -w),
        (accepted["claim_id"], "2025-Q1", Decimal(0), Decimal("-10000"), Decimal("10000"),
         Decimal(0)),
        ("01001_202503_late", "2025-Q1", Decimal("777000"), Decimal("777000"), Decimal(0),
         Decimal(0))])
    assert second["adjustment_claims"] == 3
    assert second["adjustment_approved"] == w - Decimal("10000") + Decimal("777000")
    assert second["balance"] == second["approved"] + second["adjustment_approved"]
    # The policy version in force at Q2's start (90 %) of what Q1 paid.
    assert second["advance_percent"] == Decimal("90")
    assert second["advance_ceiling"] == (first["approved"] * Decimal("0.9")).quantize(
        Decimal("0.01"))
    for facility in ("01002", "79001"):
        assert _settlement(client, facility, Q2)["adjustment_claims"] == 0
    assert _settlement(client, "79001", Q2)["advances"] == Decimal("9000000")
    # Q2's own figures equal the independent sums too.
    for facility, *sums in client.execute(_EXPECTED, {"s": Q2.start, "e": Q2.end}):
        got = _settlement(client, facility, Q2)
        assert tuple(got[k] for k in _FIGURES) == tuple(sums), facility
    # Chain sums: every claim's entries add up to its latest state.
    total = client.execute("SELECT sum(approved) FROM settlement_entries FINAL WHERE "
                           "facility = '01001' AND period_kind = 'quarter'")[0][0]
    assert total == first["approved"] + second["approved"] + second["adjustment_approved"]
