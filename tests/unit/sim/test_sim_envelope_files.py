"""``hireview simulate --envelopes DIR --shapes ...``: envelope files in real exporters' shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.cli import main
from streams.portal.intake import parse_envelope
from streams.sim.files import write_envelope_files


def test_files_per_facility_in_the_shapes_asked(tmp_path: Path) -> None:
    paths = write_envelope_files(tmp_path, claims=12, seed=5, violations=0.0,
                                 shapes=["blood", "empty"], say=lambda _m: None)
    assert paths and all(p.name.endswith("-blood-empty-001.xml") for p in paths)
    codes = set()
    for path in paths:
        envelope = parse_envelope(path.read_bytes(), max_bytes=1 << 26)
        assert all(c.accepted for c in envelope.claims)
        assert len({c.claim_key[0] for c in envelope.claims}) == 1  # one facility per file
        codes |= {f.code for c in envelope.claims for f in c.findings}
    assert {"P317", "P126"} <= codes


def test_unknown_shape_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    with pytest.raises(ValueError, match="unknown \\['round'\\]"):
        write_envelope_files(tmp_path, claims=2, seed=1, violations=0.0, shapes=["round"])
    assert main(["simulate", "--envelopes", str(tmp_path), "--shapes", "round"]) == 2
    assert "known: scientific, empty" in capsys.readouterr().err
