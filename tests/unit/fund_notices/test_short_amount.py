"""A month's total of a large hospital fits the notice's table cell."""

from __future__ import annotations

from streams.fund.notices.texts import amount, short_amount


def test_billions_are_shortened_in_table_cells_only() -> None:
    assert short_amount("total_cost", 53_765_312_551, "vi") == "53,77 tỷ ₫"
    assert short_amount("total_cost", 53_765_312_551, "en") == "53.77 bn ₫"
    assert amount("total_cost", 53_765_312_551, "vi") == "53.765.312.551 ₫"
    # below a billion, and anything not money, reads as before
    assert short_amount("cost_per_visit", 1_532_998, "vi") == amount("cost_per_visit",
                                                                      1_532_998, "vi")
    assert short_amount("visits", 2_000_000_000, "en") == amount("visits", 2_000_000_000, "en")
