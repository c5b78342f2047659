"""Two signature fields at generation, signing order, and what verification catches — on a small
rendered report with a CA made in the test."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from streams.bench.testca import ThrowawayCA, make_ca
from streams.settle.render import render_html, render_pdf
from streams.settle.signing import SigningError, load_signers, sign
from streams.settle.verify import load_roots, verify


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def report() -> bytes:
    zero: dict[str, Any] = {k: 0 for k in (
        "claims", "requested", "approved", "rejected_rule", "rejected_review", "under_review",
        "reviewed_claims", "adjustment_claims")}
    return render_pdf(render_html("appraisal", {
        "title": "Thông báo <kết quả>", "period_text": "Tháng 01/2025",
        "period_inline": "tháng 01/2025", "subject": "Cơ sở KCB 01001", "facility": "01001",
        "issued": date(2025, 2, 3), "report_id": "r1", "page_size": "A4", "agency": "BHXH",
        "s": zero, "closed_at": datetime(2025, 2, 2), "adjustments": [], "rejected": []}))


def _fields(pdf: bytes) -> list[tuple[str, bool, list[float]]]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    out = []
    for name, value, ref in enumerate_sig_fields(reader):
        rect = [float(x) for x in ref.get_object()["/Rect"]]
        out.append((name, value is not None, rect))
    return out


def test_both_fields_exist_empty_inside_the_page(report: bytes) -> None:
    fields = _fields(report)
    assert [(n, filled) for n, filled, _ in fields] == [("preparer", False), ("head", False)]
    (_, _, left), (_, _, right) = fields
    for x1, y1, x2, y2 in (left, right):
        assert 0 < x1 < x2 < 595 and 0 < y1 < y2 < 842 and x2 - x1 > 100 and y2 - y1 > 40
    assert left[2] < right[0]  # side by side, not overlapping


def test_order_twice_and_tampering(report: bytes, ca: ThrowawayCA, tmp_path: Path) -> None:
    signers, roots = load_signers(ca.signers), load_roots(ca.root)
    with pytest.raises(SigningError, match="preparer must sign first"):
        sign(report, "head", signers["head"], tmp_path)
    with pytest.raises(SigningError, match="not one of"):
        sign(report, "clerk", signers["head"], tmp_path)
    once = sign(report, "preparer", signers["preparer"], tmp_path)
    assert once.startswith(report)  # an incremental update: the first bytes untouched
    with pytest.raises(SigningError, match="already signed"):
        sign(once, "preparer", signers["preparer"], tmp_path)
    twice = sign(once, "head", signers["head"], tmp_path)
    assert twice.startswith(once)
    result = verify(twice, roots)
    assert result.ok, result
    assert [s.field for s in result.signatures] == ["preparer", "head"]
    assert "Nguyễn Thị Lan" in result.signatures[0].signer

    appended = verify(twice + b"\n% a comment added later\n", roots)
    assert not appended.ok and any("added after" in p for s in appended.signatures
                                   for p in s.problems)
    garbage = verify(b"%PDF-1.7 nothing here", roots)
    assert not garbage.ok and garbage.problems[0].startswith("not a readable PDF")
    assert not verify(twice, load_roots(ca.other_root)).ok


def test_signers_file_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="does not exist"):
        load_signers(tmp_path / "none.yaml")
    (tmp_path / "s.yaml").write_text("clerk: {key: a, cert: b}\n")
    with pytest.raises(SigningError, match="'clerk' is not a signature field"):
        load_signers(tmp_path / "s.yaml")
