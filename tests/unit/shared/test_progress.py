"""The one progress bar (streams/progress.py): count, share, rate, a final line."""

from __future__ import annotations

import io

from streams.progress import Progress


def test_updates_end_with_the_full_count_and_a_newline() -> None:
    out = io.StringIO()
    bar = Progress(250, "replay", "claims", out=out)
    for _ in range(250):
        bar.update()
    bar.close()
    bar.close()  # a second close writes nothing
    text = out.getvalue()
    assert "replay [" in text and "250/250 (100%)" in text and "claims/s" in text
    assert text.endswith(" s\n") and text.count("\n") == 1


def test_called_with_done_and_total_closes_itself() -> None:
    out = io.StringIO()
    bar = Progress(0, "settle 2025-Q1", "facilities", out=out)
    bar(3, 10)
    bar(10, 10)
    assert "10/10 (100%)" in out.getvalue() and out.getvalue().endswith(" s\n")


def test_disabled_writes_nothing() -> None:
    out = io.StringIO()
    bar = Progress(5, "x", out=out, enabled=False)
    bar.update(5)
    bar.close()
    assert out.getvalue() == "" and bar.done == 5
