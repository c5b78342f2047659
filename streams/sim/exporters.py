"""What real hospital exporters write that the plain envelope writer does not: shapes seen in
files sent to a fresh installation (issue 10), reproduced on synthetic claims (never real data).

``apply_shapes(record, tables, shapes)`` rewrites one claim's record and table rows; the envelope
writer (``streams.sim.envelopes.write_envelope(..., shapes=...)``) calls it. Shapes:

- ``scientific``: numbers from 10^7 up as Java's ``Double.toString`` writes them (``1.2E7``);
  the portal reads them unchanged with P608.
- ``empty``: every optional tag written empty instead of left out, and the header's and lines'
  ``T_NGUONKHAC`` (0) as empty tags; the portal says "present but empty" (P126/P211/P312).
- ``blood``: one unit of red cells (MA_NHOM 7) billed in XML3, as several exporters do, the
  header totals grown by it (T_THUOC left as the drug table's sum); P317.
- ``no-muc-huong``: lines without MUC_HUONG; the portal takes the card's benefit level (P211,
  P312 say so).
- ``decimal-comma``: every decimal number with a comma (``12,50``): one P604 per value, the
  flood of findings the grouped answer is for.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

SHAPES = ("scientific", "empty", "blood", "no-muc-huong", "decimal-comma")
Row = dict[str, str]

_NUMBER_TAGS = frozenset({
    "T_THUOC", "T_VTYT", "T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNTT", "T_BNCCT", "T_BHTT",
    "T_NGUONKHAC", "T_BHTT_GDV", "SO_LUONG", "DON_GIA", "DON_GIA_BV", "DON_GIA_BH",
    "THANH_TIEN_BV", "THANH_TIEN_BH", "T_TRANTT", "CAN_NANG"})
# Optional tags exporters write empty (a schema's every tag, filled or not).
_OPTIONAL = {"XML1": ("NGAY_VAO_NOI_TRU", "MA_NOI_DI", "GIAY_CHUYEN_TUYEN", "NGAY_MIEN_CCT",
                      "SO_CCCD", "CAN_NANG", "MA_BENH_KT"),
             "XML2": ("MA_DICH_VU", "NGAY_TH_YL"),
             "XML3": ("MA_VAT_TU", "MA_GIUONG", "T_TRANTT", "PP_VO_CAM", "MA_MAY", "NGAY_KQ")}
BLOOD_CODE = "BLOOD.HC.350"  # made up: a unit of red cells from the blood price list
BLOOD_PRICE = 1_150_000.0


def check_shapes(shapes: Collection[str]) -> None:
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        raise ValueError(f"shapes: unknown {unknown}; known: {', '.join(SHAPES)}")


def java_double(value: float) -> str:
    """``value`` as Java's ``Double.toString``: scientific from 10^7 up (``1.2E7``)."""
    if abs(value) < 1e7:
        return repr(value)
    d = Decimal(repr(value)).normalize()
    digits = "".join(map(str, d.as_tuple().digits))
    return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:] or '0'}E{d.adjusted()}"


def with_blood(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with one unit of red cells as an XML3 row (MA_NHOM 7); totals follow."""
    if not record["services"]:
        return record
    template = record["services"][0]
    share = template["muc_huong"]
    fund = round(BLOOD_PRICE * share / 100, 2)
    row = {**template, "stt": max(s["stt"] for s in record["services"]) + 1, "ma_nhom": 7,
           "ma_dich_vu": BLOOD_CODE, "ma_vat_tu": None, "ten": "Khối hồng cầu 350 ml",
           "don_vi_tinh": "Túi", "so_luong": 1.0, "don_gia_bv": BLOOD_PRICE,
           "don_gia_bh": BLOOD_PRICE, "tt_thau": None, "tyle_tt_dv": 100.0, "tyle_tt_bh": 100.0,
           "thanh_tien_bv": BLOOD_PRICE, "thanh_tien_bh": BLOOD_PRICE, "t_trantt": None,
           "t_nguonkhac": 0.0, "t_bntt": 0.0, "t_bncct": round(BLOOD_PRICE - fund, 2),
           "t_bhtt": fund, "ma_giuong": None, "nguoi_thuc_hien": "", "ngay_kq": None,
           "pp_vo_cam": None, "ma_may": None}
    head = dict(record["header"])
    for name, add in (("t_tongchi_bv", BLOOD_PRICE), ("t_tongchi_bh", BLOOD_PRICE),
                      ("t_bncct", row["t_bncct"]), ("t_bhtt", fund)):
        head[name] = round(head[name] + add, 2)
    if head["t_bhtt_gdv"] and row["ma_pttt"] == 1:
        head["t_bhtt_gdv"] = round(head["t_bhtt_gdv"] + fund, 2)
    return {**record, "header": head, "services": [*record["services"], row]}


def _numbers(row: Row, write: Any) -> None:
    for tag, text in row.items():
        if tag in _NUMBER_TAGS and text:
            row[tag] = write(float(text))


def _comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def apply_shapes(tables: dict[str, list[Row]], shapes: Collection[str]) -> None:
    """Rewrite one claim's table rows (tag -> text) in place, shape by shape."""
    for table, rows in tables.items():
        for row in rows:
            if "empty" in shapes:
                for tag in _OPTIONAL.get(table, ()):
                    row.setdefault(tag, "")
                if table in ("XML1", "XML2", "XML3") and row.get("T_NGUONKHAC") in ("0", "0.0"):
                    row["T_NGUONKHAC"] = ""
            if "no-muc-huong" in shapes and table in ("XML2", "XML3"):
                row.pop("MUC_HUONG", None)
            if "scientific" in shapes:
                _numbers(row, java_double)
            elif "decimal-comma" in shapes:
                _numbers(row, _comma)
