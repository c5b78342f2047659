"""Periods, the money split, Vietnamese number formats and the advance/policy input checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from streams.settle.amounts import Amounts
from streams.settle.funding import FundingError, advance_row, policy_row
from streams.settle.periods import Period, PeriodError
from streams.settle.render import num, vnd, vndate, vntime

NOW = datetime(2025, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "label", "start", "end", "text"), [
    ("month", "2025-02", date(2025, 2, 1), date(2025, 2, 28), "Tháng 02/2025"),
    ("month", "2024-12", date(2024, 12, 1), date(2024, 12, 31), "Tháng 12/2024"),
    ("quarter", "2025-Q1", date(2025, 1, 1), date(2025, 3, 31), "Quý I/2025"),
    ("quarter", "2025-Q4", date(2025, 10, 1), date(2025, 12, 31), "Quý IV/2025"),
    ("year", "2025", date(2025, 1, 1), date(2025, 12, 31), "Năm 2025"),
])
def test_periods_parse_with_their_bounds_and_names(kind: str, label: str, start: date,
                                                   end: date, text: str) -> None:
    p = Period.parse(kind, label)
    assert (p.start, p.end, p.vietnamese) == (start, end, text)
    assert p.next().previous() == p and Period.of(kind, end) == p
    assert p.inline == text[0].lower() + text[1:]


@pytest.mark.parametrize(("kind", "label", "words"), [
    ("quarter", "2025-Q5", "YYYY-Qn"), ("month", "2025-13", "YYYY-MM"),
    ("month", "2025/01", "YYYY-MM"), ("week", "2025-01", "period kind")])
def test_bad_periods_name_the_expected_form(kind: str, label: str, words: str) -> None:
    with pytest.raises(PeriodError, match=words):
        Period.parse(kind, label)


def test_the_split_keeps_requested_whole() -> None:
    cut = Amounts.of_decision("PARTIAL_REJECT", 1000, 700, 300, 120)
    assert (cut.approved, cut.rejected_rule, cut.rejected_review) == tuple(
        Decimal(x) for x in (700, 180, 120))
    waiting = Amounts.of_decision("WARN", 1000, 1000, 0, 0)
    assert (waiting.approved, waiting.under_review) == (Decimal(0), Decimal(1000))
    # a review cut recorded above the rejection (a cleared rule cut) is capped by it
    capped = Amounts.of_decision("REJECT", 500, 0, 500, 900)
    assert (capped.rejected_rule, capped.rejected_review) == (Decimal(0), Decimal(500))
    for a in (cut, waiting, capped):
        assert a.requested == a.approved + a.rejected + a.under_review
    assert (cut - cut).zero and (cut + waiting).requested == 2000


@pytest.mark.parametrize(("value", "signed", "text"), [
    (Decimal("1234567.5"), False, "1.234.567,50"), (0, False, "0"), (999, False, "999"),
    (Decimal("-150000"), True, "-150.000"), (Decimal("20000"), True, "+20.000"),
    (Decimal("0.05"), False, "0,05"), (Decimal("1000000000000.01"), False,
                                        "1.000.000.000.000,01")])
def test_money_is_written_the_vietnamese_way(value: object, signed: bool, text: str) -> None:
    assert vnd(value, signed=signed) == text


def test_counts_dates_and_times() -> None:
    assert num(1234) == "1.234" and vndate(date(2025, 3, 1)) == "01/03/2025"
    assert vntime(datetime(2025, 4, 2, 20, 30, tzinfo=UTC)) == "03:30 ngày 03/04/2025"


@pytest.mark.parametrize(("data", "field"), [
    ({"facility": "0100", "paid_on": "2025-01-01", "amount": 1, "reference": "x"}, "facility"),
    ({"facility": "01001", "paid_on": "01/01/2025", "amount": 1, "reference": "x"}, "paid_on"),
    ({"facility": "01001", "paid_on": "2025-01-01", "amount": -5, "reference": "x"}, "amount"),
    ({"facility": "01001", "paid_on": "2025-01-01", "amount": "NaN", "reference": "x"},
     "amount"),
    ({"facility": "01001", "paid_on": "2025-01-01", "amount": True, "reference": "x"},
     "amount"),
    ({"facility": "01001", "paid_on": "2025-01-01", "amount": 1, "reference": " "},
     "reference"),
])
def test_a_bad_advance_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(FundingError, match=f"^{field}:"):
        advance_row(data, "ke toan", NOW)


def test_an_advance_is_identified_by_its_reference() -> None:
    a = advance_row({"facility": "01001", "paid_on": "2025-01-15", "amount": "1000.5",
                     "reference": "UNC 1"}, "ke toan", NOW)
    b = advance_row({"facility": "01001", "paid_on": "2025-01-16", "amount": 9,
                     "reference": "UNC 1"}, "other", NOW)
    assert a["advance_id"] == b["advance_id"] and a["amount"] == Decimal("1000.50")
    assert a["province"] == "01"


def test_policy_versions_are_checked() -> None:
    row = policy_row({"percent": "80", "valid_from": "2025-01-01", "reference": "QĐ 1"}, "c",
                     NOW)
    assert row["value"] == Decimal("80.0000") and row["valid_from"] == date(2025, 1, 1)
    with pytest.raises(FundingError, match="^percent:"):
        policy_row({"percent": 120, "valid_from": "2025-01-01", "reference": "x"}, "c", NOW)
