"""``hireview notices --month YYYYMM [--facility CODE]``: issue the month's notices.

For each facility with a ``notice``-level anomaly overlapping the month: compose the notice
(with what became of its previous notice), write it as HTML and PDF in Vietnamese and English
under ``<notices_dir>/<YYYYMM>/``, and record it in ``notices``. Running a month again re-issues
only the notices whose anomalies changed (same notice id; a fetched or acknowledged notice keeps
its status otherwise). The notices of the month before get their follow-up recorded.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streams.fund.notices.compose import (
    Anomaly,
    NoticeInputError,
    Previous,
    compose,
    follow_ups,
    overall,
    parse_month,
    previous_month,
)
from streams.fund.notices.db import Db
from streams.fund.notices.render import LANGS, render_html, render_pdf
from streams.fund.notices.store import NoticeRow, NoticeStore
from streams.jurisdiction import FACILITY_CODE
from streams.progress import Progress


@dataclass
class Outcome:
    issued: int = 0
    unchanged: int = 0
    followups: int = 0
    files: int = 0


def _previous(store: NoticeStore, rows: list[NoticeRow]) -> dict[str, Previous]:
    latest: dict[str, NoticeRow] = {}
    for r in rows:
        if r.facility not in latest or r.month > latest[r.facility].month:
            latest[r.facility] = r
    ids = [i for r in latest.values() for i in r.anomaly_ids]
    by_id = {a.anomaly_id: a for a in store.anomalies(ids)}
    return {f: Previous(r.notice_id, r.month, tuple(by_id[i] for i in r.anomaly_ids
                                                    if i in by_id))
            for f, r in latest.items()}


def issue_month(db: Db, month: int, facility: str | None = None, out_dir: Path | None = None,
                show_progress: bool = True, now: datetime | None = None) -> Outcome:
    store = NoticeStore(db)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    anomalies = store.month_anomalies(month, facility)
    by_facility: dict[str, list[Anomaly]] = {}
    for a in anomalies:
        by_facility.setdefault(a.facility, []).append(a)
    flagged = sorted(f for f, rows in by_facility.items() if any(a.level == "notice"
                                                                 for a in rows))
    last_month = previous_month(month)
    earlier = [r for r in store.of_facilities(
        sorted(set(flagged) | set(by_facility) | ({facility} if facility else set())),
        before=month)]
    if facility is None:  # last month's notices of facilities quiet this month, too
        earlier += [r for r in store.of_month(last_month) if r.facility not in by_facility]
    previous = _previous(store, earlier)
    existing = {r.facility: r for r in store.of_facilities(flagged, month=month)}
    names = store.facility_names(flagged)
    out = Outcome()
    progress = Progress(len(flagged), "notices", "notices", enabled=show_progress)
    written: list[NoticeRow] = []
    for code in flagged:
        notice = compose(code, month, by_facility[code], previous.get(code), names.get(code, ""))
        assert notice is not None  # flagged: it has a notice-level anomaly in the month
        seen = existing.get(code)
        if seen is not None and list(seen.anomaly_ids) == notice.anomaly_ids:
            out.unchanged += 1
            issued = seen.issued_at
        else:
            # Re-issued (its anomalies changed): a version past any status change of the old.
            version = max(now, seen.updated_at + timedelta(seconds=1)) if seen else now
            written.append(NoticeRow(notice.notice_id, code, notice.province, month,
                                     tuple(notice.anomaly_ids), now, updated_at=version))
            out.issued += 1
            issued = now
        if out_dir is not None:
            folder = out_dir / str(month)
            folder.mkdir(parents=True, exist_ok=True)
            for lang in LANGS:
                (folder / f"{code}.{lang}.html").write_text(render_html(notice, lang, issued),
                                                            encoding="utf-8")
                (folder / f"{code}.{lang}.pdf").write_bytes(render_pdf(notice, lang, issued))
                out.files += 2
        progress.update()
    progress.close()
    store.write(written)
    # The follow-up of last month's notices, judged on this month's anomalies.
    for row in earlier:
        if row.month != last_month:
            continue
        prev = previous.get(row.facility)
        if prev is None or prev.notice_id != row.notice_id:
            continue
        result = overall([f.status for f in follow_ups(prev, by_facility.get(row.facility,
                                                                              []))])
        if result != row.followup:
            store.update(row, followup=result)
            out.followups += 1
    return out


def command(db_factory: object, args: argparse.Namespace, out_dir: Path) -> int:
    """The CLI body; ``db_factory()`` gives the database (kept lazy for ``--help``)."""
    try:
        month = parse_month(args.month)
        if args.facility and not FACILITY_CODE.fullmatch(args.facility):
            raise NoticeInputError(f"facility: {args.facility!r} is not a 5-character "
                                   "MA_CSKCB")
    except NoticeInputError as exc:
        print(f"hireview notices: {exc}", file=sys.stderr)
        return 2
    assert callable(db_factory)
    start = time.monotonic()
    done = issue_month(db_factory(), month, args.facility or None,
                       None if args.no_files else out_dir)
    print(f"notices {month}: {done.issued} issued, {done.unchanged} unchanged, "
          f"{done.followups} follow-ups recorded, {done.files} files in "
          f"{out_dir / str(month)} ({time.monotonic() - start:.1f} s)")
    return 0
