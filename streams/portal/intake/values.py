"""Reading one table row's text values into typed values, recording each deviation as a finding.

A ``RowReader`` wraps one row (XML tag -> stripped text) of one table. Each field is asked for by
its claim.avsc name; ``tags`` maps that name to the XML tag names that may carry it, the QĐ 130
name first and legacy 4210 names after (``legacy_used`` tells whether one was needed).

Formats follow QĐ 130/4750 (docs/claim-standard.md, "Value formats"): times ``yyyyMMddHHmm``,
dates ``yyyyMMdd``, numbers with ``.`` as the decimal separator. Dirty but unambiguous input is
normalised with a finding (decimal commas, grouping, 8-digit times, seconds, zero-filled birth
month/day); anything else is invalid and the caller's ``invalid`` code says how bad that is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from streams.portal.errors import Finding, finding

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)").fullmatch
# Java's Double.toString writes 1.2E7 from 10^7 up: a mantissa with '.' decimals and a short
# exponent is unambiguous. A decimal comma or grouping next to an exponent is not (P125 & co).
_SCIENTIFIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d{1,3}").fullmatch
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{3})+").fullmatch  # 1.234.567 / 1,234,567
_INT = re.compile(r"[+-]?\d{1,9}").fullmatch
_GROUP_TEXT = re.compile(r"[^\W\d_]+\.?\s*(\d{1,2})").fullmatch  # "Nhóm 1", "Nhom1", "N.4"
_SPACES = str.maketrans("", "", " \u00a0\u202f\t")
_MAX_NUMBER = 1e15  # "num 15": the widest numeric field of the standard
_YEARS = (1900, 2100)


class Bad(ValueError):
    """A value that cannot be read; the message says what was expected."""


class RowReader:
    __slots__ = ("data", "tags", "table", "row", "findings", "legacy_used")

    def __init__(self, data: Mapping[str, str], tags: Mapping[str, tuple[str, ...]], table: str,
                 row: int | None, findings: list[Finding]) -> None:
        self.data = data
        self.tags = tags
        self.table = table
        self.row = row
        self.findings = findings
        self.legacy_used = False

    # --- plumbing ----------------------------------------------------------------------------
    def raw(self, name: str) -> tuple[str, str]:
        """(tag, text) of field ``name``: the first of its tags that has a value, else ("", "")."""
        tags = self.tags[name]
        text = self.data.get(tags[0])
        if text:
            return tags[0], text
        for tag in tags[1:]:
            text = self.data.get(tag)
            if text:
                self.legacy_used = True
                return tag, text
        return tags[0], ""

    def add(self, code: str, field: str, value: object = "", detail: object = "") -> None:
        self.findings.append(finding(code, table=self.table, row=self.row, field=field,
                                     value=value, detail=detail))

    def present(self, name: str) -> bool:
        """Is one of the field's tags in the row (perhaps empty)? Empty is not missing."""
        return any(tag in self.data for tag in self.tags[name])

    def missing(self, code: str, name: str, field: str, detail: object = "") -> None:
        """A "required" finding for field ``name``, saying "empty" when its tag was sent."""
        self.findings.append(finding(code, table=self.table, row=self.row, field=field,
                                     detail=detail, empty=self.present(name)))

    # --- typed fields --------------------------------------------------------------------------
    def text(self, name: str, *, missing: str | None = None) -> str:
        text = self.data.get(self.tags[name][0])
        if text:  # fast path: the QĐ 130 tag is there
            return text
        tag, text = self.raw(name)
        if not text and missing:
            self.missing(missing, name, tag)
        return text

    def opt_text(self, name: str) -> str | None:
        return self.raw(name)[1] or None

    def number(self, name: str, *, invalid: str, missing: str | None = None,
               default: float | None = 0.0, missing_detail: str | None = None) -> float | None:
        """``missing_detail``: what the finding says was taken (default: ``default``)."""
        tags = self.tags[name]
        text = self.data.get(tags[0])
        if text:
            digits = text.replace(".", "", 1)
            if len(digits) <= 15 and digits.isdigit() and digits.isascii():
                return float(text)  # fast path: plain digits, within range by their count
            tag = tags[0]
        else:
            tag, text = self.raw(name)
        if not text:
            if missing:
                self.missing(missing, name, tag,
                             default if missing_detail is None else missing_detail)
            return default
        try:
            return read_number(text, tag, self)
        except Bad as bad:
            self.add(invalid, tag, text, bad)
            return default

    def integer(self, name: str, *, invalid: str, allowed: frozenset[int] | range | None = None,
                missing: str | None = None, default: int | None = None) -> int | None:
        tag, text = self.raw(name)
        if not text:
            if missing:
                self.missing(missing, name, tag)
            return default
        value = read_int(text)
        if value is None or (allowed is not None and value not in allowed):
            self.add(invalid, tag, text, "not a whole number" if value is None else "not allowed")
            return default
        return value

    def time(self, name: str, *, invalid: str, missing: str | None = None,
             date_ok: bool = False) -> datetime | None:
        tag, text = self.raw(name)
        if not text:
            if missing:
                self.missing(missing, name, tag)
            return None
        if len(text) == 12 and text.isdigit() and text.isascii():
            try:  # fast path: the C parser of ISO basic format; odd values take the slow path
                value = datetime.fromisoformat(f"{text[:8]}T{text[8:]}")
                if _YEARS[0] <= value.year <= _YEARS[1]:
                    return value
            except ValueError:
                pass
        try:
            return read_time(text, tag, self, date_ok)
        except Bad as bad:
            self.add(invalid, tag, text, bad)
            return None

    def date_text(self, tag: str, text: str, *, invalid: str) -> date | None:
        """A ``yyyyMMdd`` date given as text (one entry of a ';' list, for instance)."""
        if not text:
            return None
        try:
            return read_date(text, tag, self)
        except Bad as bad:
            self.add(invalid, tag, text, bad)
            return None


# --- scalar readers ------------------------------------------------------------------------------
def read_number(text: str, tag: str, reader: RowReader | None) -> float:
    """A finite number; decimal commas, digit grouping and spaces are normalised with P604,
    scientific notation (``1.2E7``) with P608. NaN, Infinity and overflow are refused."""
    digits = text.replace(".", "", 1)  # plain digits need no regex: the common case first
    if (digits.isdigit() and digits.isascii()) or _PLAIN(text):
        value = float(text)
    elif _SCIENTIFIC(text):
        value = float(text)  # finite or inf (1E999): the range check below refuses inf
        if abs(value) <= _MAX_NUMBER and reader is not None:
            reader.add("P608", tag, text, _plain_text(value))
    else:
        value = _dirty_number(text)
        if abs(value) <= _MAX_NUMBER and reader is not None:
            reader.add("P604", tag, text, repr(value))
    if abs(value) > _MAX_NUMBER:  # also catches inf from 400 digits; NaN cannot be written
        raise Bad(f"out of range (at most {_MAX_NUMBER:.0e})")
    return value


def _plain_text(value: float) -> str:
    """A number as plain decimal text (no exponent), as the standard writes it."""
    return format(Decimal(repr(value)), "f")  # repr: the shortest text of the same float


def _dirty_number(text: str) -> float:
    compact = text.translate(_SPACES)
    if _GROUPED(compact) and not (compact.count(",") == 1 and compact.count(".") == 0):
        return float(compact.replace(",", "").replace(".", ""))
    if "," in compact and "." in compact:  # the last separator is the decimal one
        if compact.rfind(",") > compact.rfind("."):
            compact = compact.replace(".", "").replace(",", ".")
        else:
            compact = compact.replace(",", "")
    elif compact.count(",") == 1:  # a lone comma is a decimal comma (the locale's habit)
        compact = compact.replace(",", ".")
    if not _PLAIN(compact):
        raise Bad("expected digits with '.' as the decimal separator")
    return float(compact)


def read_int(text: str) -> int | None:
    if len(text) <= 9 and text.isdigit() and text.isascii():
        return int(text)
    return int(text) if _INT(text) else None


def read_group(text: str) -> tuple[int | None, bool]:
    """MA_NHOM: (number, was_textual). "Nhóm 1" -> (1, True); "undefined" -> (None, False)."""
    value = read_int(text)
    if value is not None:
        return value, False
    match = _GROUP_TEXT(text)
    return (int(match.group(1)), True) if match else (None, False)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def read_time(text: str, tag: str, reader: RowReader | None, date_ok: bool = False) -> datetime:
    """``yyyyMMddHHmm``; 8 digits (P601 unless ``date_ok``) and 14 digits (P602) are normalised.

    NGAY_SINH may zero-fill an unknown month or day (QĐ 130): they become 01 with P605.
    """
    if not _digits(text) or len(text) not in (8, 12, 14):
        raise Bad("expected 12 digits yyyyMMddHHmm")
    year, month, day = int(text[0:4]), int(text[4:6]), int(text[6:8])
    unknown = tag == "NGAY_SINH" and (month == 0 or day == 0)
    if unknown:
        month, day = month or 1, day or 1
    hour, minute = (int(text[8:10]), int(text[10:12])) if len(text) > 8 else (0, 0)
    if len(text) == 14 and int(text[12:14]) > 59:
        raise Bad(f"second {text[12:14]} out of range")
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise Bad(f"year {year} outside {_YEARS[0]}-{_YEARS[1]}")
    try:
        value = datetime(year, month, day, hour, minute)
    except ValueError as exc:
        raise Bad(str(exc)) from None
    if reader is not None:  # normalisations are reported only for values that were kept
        if len(text) == 8 and not date_ok:
            reader.add("P601", tag, text)
        elif len(text) == 14:
            reader.add("P602", tag, text)
        if unknown:
            reader.add("P605", tag, text, f"{value:%Y-%m-%d}")
    return value


def read_date(text: str, tag: str, reader: RowReader | None) -> date:
    """``yyyyMMdd``; a 12- or 14-digit time is cut to its date with P603."""
    if not _digits(text) or len(text) not in (8, 12, 14):
        raise Bad("expected 8 digits yyyyMMdd")
    year = int(text[0:4])
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise Bad(f"year {year} outside {_YEARS[0]}-{_YEARS[1]}")
    try:
        value = date(year, int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise Bad(str(exc)) from None
    if len(text) > 8 and reader is not None:
        reader.add("P603", tag, text)
    return value


def as_text(value: Any) -> str:
    """A JSON scalar as the text an XML file would carry (numbers exactly, via repr)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    return ""
