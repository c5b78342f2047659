"""``hireview simulate --envelopes DIR [--shapes ...] [--lines N]``: simulated claims written
as GIAMDINHHS envelope files (one facility per file, at most ``per_file`` claims each) instead
of published, optionally in real exporters' shapes (``streams.sim.exporters``). Invented people
only."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from streams.sim.envelopes import heavy_inpatient, write_envelope
from streams.sim.exporters import check_shapes
from streams.sim.generate import generate


def write_envelope_files(directory: Path, *, claims: int, seed: int, violations: float,
                         shapes: Collection[str] = (), per_file: int = 100, lines: int = 0,
                         say: Callable[[str], None] = print) -> list[Path]:
    """Write the first version of each simulated claim, grouped by facility; returns the
    files written. ``lines``: inpatient claims grown to at least that many lines (the large
    inpatient files whose totals pass 10^7 VND, where Java exporters switch to ``1.2E7``)."""
    check_shapes(shapes)
    if per_file < 1:
        raise ValueError(f"per_file: {per_file}; at least 1 claim per envelope")
    by_facility: dict[str, list[dict[str, Any]]] = {}
    for sim in generate(claims, seed=seed, violations=violations).claims:
        record = sim.claim
        if record["version"] != 1:  # a resubmission is another envelope, another day
            continue
        if lines and record["header"]["ma_loai_kcb"] == "03":
            record = heavy_inpatient(record, lines)
        by_facility.setdefault(record["facility"], []).append(record)
    directory.mkdir(parents=True, exist_ok=True)
    tag = "-".join(sorted(shapes)) or "plain"
    written = []
    for facility, records in sorted(by_facility.items()):
        for start in range(0, len(records), per_file):
            part = records[start:start + per_file]
            path = directory / f"{facility}-{tag}-{start // per_file + 1:03d}.xml"
            path.write_bytes(write_envelope(part, shapes=shapes))
            written.append(path)
    say(f"wrote {len(written)} envelope(s), {sum(len(r) for r in by_facility.values())} "
        f"claim(s), shapes {tag}, into {directory}")
    return written
