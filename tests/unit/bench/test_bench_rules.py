"""``hireview bench rules`` figures are measured, not made up: they follow the input."""

from __future__ import annotations

from streams.bench.rules import mix_figures


def test_mix_figures_measure_the_simulated_claims() -> None:
    small = mix_figures(60, seed=3)
    assert small["claims"] == 60.0
    assert 1.0 < small["lines_per_claim"] < 60.0
    assert small["us_per_claim"] > 0.0
    # per line = per claim / lines per claim (rounded separately)
    assert abs(small["us_per_line"] * small["lines_per_claim"] - small["us_per_claim"]) < (
        0.02 * small["us_per_claim"] + 0.5)
