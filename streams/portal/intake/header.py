"""XML1 (TONG_HOP) -> claim.avsc ``ClaimHeader`` and the person key.

The 4210 → 130 decisions are documented in ``streams.portal.intake.normalise``. Field requirements
follow what appraisal cannot do without (blocking) versus what has a schema default (finding).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from streams.portal.intake.values import RowReader

XML1_TAGS: dict[str, tuple[str, ...]] = {
    "ma_bn": ("MA_BN",), "ho_ten": ("HO_TEN",), "so_cccd": ("SO_CCCD",),
    "ngay_sinh": ("NGAY_SINH",), "gioi_tinh": ("GIOI_TINH",),
    "ma_the_bhyt": ("MA_THE_BHYT", "MA_THE"), "ma_dkbd": ("MA_DKBD",),
    "gt_the_tu": ("GT_THE_TU",), "gt_the_den": ("GT_THE_DEN",),
    "ngay_mien_cct": ("NGAY_MIEN_CCT", "MIEN_CUNG_CT"), "nam_nam_lien_tuc": ("NAM_NAM_LIEN_TUC",),
    "ma_benh_chinh": ("MA_BENH_CHINH", "MA_BENH"), "ma_benh_kt": ("MA_BENH_KT", "MA_BENHKHAC"),
    "ma_doituong_kcb": ("MA_DOITUONG_KCB",), "ma_loai_kcb": ("MA_LOAI_KCB",),
    "ma_noi_di": ("MA_NOI_DI", "MA_NOI_CHUYEN"), "giay_chuyen_tuyen": ("GIAY_CHUYEN_TUYEN",),
    "ngay_vao": ("NGAY_VAO",), "ngay_vao_noi_tru": ("NGAY_VAO_NOI_TRU",), "ngay_ra": ("NGAY_RA",),
    "ngay_ttoan": ("NGAY_TTOAN",), "so_ngay_dtri": ("SO_NGAY_DTRI",),
    "ket_qua_dtri": ("KET_QUA_DTRI",), "ma_loai_rv": ("MA_LOAI_RV", "TINH_TRANG_RV"),
    "ma_khoa": ("MA_KHOA",), "can_nang": ("CAN_NANG",),
    "t_thuoc": ("T_THUOC",), "t_vtyt": ("T_VTYT",),
    "t_tongchi_bv": ("T_TONGCHI_BV", "T_TONGCHI"), "t_tongchi_bh": ("T_TONGCHI_BH", "T_TONGCHI"),
    "t_bntt": ("T_BNTT",), "t_bncct": ("T_BNCCT",), "t_bhtt": ("T_BHTT",),
    "t_nguonkhac": ("T_NGUONKHAC",), "t_bhtt_gdv": ("T_BHTT_GDV",),
    "nam_qt": ("NAM_QT",), "thang_qt": ("THANG_QT",),
}
MONEY = ("t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bntt", "t_bncct", "t_bhtt",
         "t_nguonkhac", "t_bhtt_gdv")

CARD = re.compile(r"[A-Z]{2}[1-5]\d{2}\d{10}").fullmatch
_CATEGORY = re.compile(r"\d{1,2}(?:\.\d{1,2})?").fullmatch
_LEGACY_ROUTE = {"1": "1.1", "2": "2", "3": "3", "4": "1.2"}
_VISIT_TYPES = frozenset(f"{n:02d}" for n in range(1, 17))
_TRANSFERRED_OUT = (2, 5)


def header(r: RowReader, legacy: bool) -> tuple[dict[str, Any], str | None]:
    """The ClaimHeader dict and the person key (None when the person cannot be identified)."""
    h: dict[str, Any] = {"ma_bn": r.text("ma_bn", missing="P106")}
    if len(h["ma_bn"]) > 100:
        r.add("P131", "MA_BN", h["ma_bn"], len(h["ma_bn"]))
    h["ho_ten"] = r.text("ho_ten")
    h["so_cccd"] = r.opt_text("so_cccd")
    if h["so_cccd"] and len(h["so_cccd"]) > 15:
        r.add("P132", "SO_CCCD", h["so_cccd"])
    # 4210 wrote NGAY_SINH as 8 digits: legal there, a normalisation (P601) under 130.
    h["ngay_sinh"] = r.time("ngay_sinh", invalid="P108", missing="P107", date_ok=legacy)
    h["gioi_tinh"] = r.integer("gioi_tinh", invalid="P110", allowed=range(1, 4), missing="P109")
    person_key = _cards(r, h)
    h["ngay_mien_cct"] = _date(r, "ngay_mien_cct")
    h["nam_nam_lien_tuc"] = _date(r, "nam_nam_lien_tuc")
    h["ma_benh_chinh"] = r.text("ma_benh_chinh", missing="P115")
    if len(h["ma_benh_chinh"]) > 7:
        r.add("P116", r.raw("ma_benh_chinh")[0], h["ma_benh_chinh"])
    h["ma_benh_kt"] = r.text("ma_benh_kt")
    codes = [c for c in h["ma_benh_kt"].split(";") if c.strip()]
    if len(codes) > 12:
        r.add("P133", r.raw("ma_benh_kt")[0], h["ma_benh_kt"], len(codes))
    h["ma_doituong_kcb"] = _category(r)
    h["ma_loai_kcb"] = _visit_type(r, legacy)
    h["ngay_vao"] = r.time("ngay_vao", invalid="P112", missing="P111")
    h["ngay_vao_noi_tru"] = r.time("ngay_vao_noi_tru", invalid="P127")
    h["ngay_ra"] = r.time("ngay_ra", invalid="P114", missing="P113")
    h["ngay_ttoan"] = r.time("ngay_ttoan", invalid="P127")
    h["so_ngay_dtri"] = r.integer("so_ngay_dtri", invalid="P128", allowed=range(1000), default=0)
    h["ket_qua_dtri"] = r.integer("ket_qua_dtri", invalid="P121", allowed=range(1, 9),
                                  missing="P129", default=1)
    h["ma_loai_rv"] = r.integer("ma_loai_rv", invalid="P122", allowed=range(1, 6),
                                missing="P129", default=1)
    h["ma_noi_di"] = _referred_from(r, h["ma_loai_rv"])
    h["giay_chuyen_tuyen"] = r.opt_text("giay_chuyen_tuyen")
    h["ma_khoa"] = r.text("ma_khoa")
    h["can_nang"] = r.number("can_nang", invalid="P128", default=None)
    for name in MONEY:
        h[name] = r.number(name, invalid="P125", missing="P126")
        if h[name] is not None and h[name] < 0:  # -0 is 0
            tag, text = r.raw(name)
            r.add("P134", tag, text)
    _settlement(r, h)
    return h, person_key


def _date(r: RowReader, name: str) -> Any:
    tag, text = r.raw(name)
    return r.date_text(tag, text, invalid="P127")


def _cards(r: RowReader, h: dict[str, Any]) -> str | None:
    """Card list, first card's registration and validity, and the person key."""
    tag, text = r.raw("ma_the_bhyt")
    cards = _split(text.upper().replace(" ", ""))
    h["ma_the_bhyt"] = ";".join(cards) or None
    lists = {name: _split(r.raw(name)[1]) for name in ("ma_dkbd", "gt_the_tu", "gt_the_den")}
    if cards:
        off = [f"{r.tags[n][0]} lists {len(v)}" for n, v in lists.items()
               if v and len(v) != len(cards)]
        if off:
            r.add("P143", tag, len(cards), ", ".join(off))
    h["ma_dkbd"] = (lists["ma_dkbd"][0] if lists["ma_dkbd"] else "") or None
    for name in ("gt_the_tu", "gt_the_den"):
        first = lists[name][0] if lists[name] else ""
        h[name] = r.date_text(r.tags[name][0], first, invalid="P127")
    cccd: str | None = h["so_cccd"]
    if cards and CARD(cards[0]):
        return cards[0][-10:]
    if cards:
        r.add("P141" if cccd else "P140", tag, cards[0])
    elif not cccd:
        r.missing("P142", "ma_the_bhyt", tag)
    return cccd


def _split(text: str) -> list[str]:
    """A ';' list with positions kept (inner blanks stay, trailing blanks go)."""
    items = [item.strip() for item in text.split(";")] if text else []
    while items and not items[-1]:
        items.pop()
    return items


def _category(r: RowReader) -> str:
    tag, text = r.raw("ma_doituong_kcb")
    if not text:
        legacy = r.data.get("MA_LYDO_VVIEN", "")
        if not legacy:
            r.missing("P117", "ma_doituong_kcb", tag)
            return ""
        r.legacy_used = True
        mapped = _LEGACY_ROUTE.get(legacy)
        if mapped is None:
            r.add("P118", "MA_LYDO_VVIEN", legacy)
            return ""
        if legacy == "3":
            r.add("P150", "MA_LYDO_VVIEN", legacy, repr(mapped))
        return mapped
    if not _CATEGORY(text):
        r.add("P118", tag, text)
    return text


def _visit_type(r: RowReader, legacy: bool) -> str:
    tag, text = r.raw("ma_loai_kcb")
    if not text:
        r.add("P119", tag)
        return ""
    if len(text) == 1 and text.isascii() and text.isdigit():
        padded = "0" + text
        if not legacy:  # 4210 wrote the visit type as one digit
            r.add("P606", tag, text, repr(padded))
        text = padded
    if text not in _VISIT_TYPES:
        r.add("P120", tag, text)
    return text


def _referred_from(r: RowReader, discharge_type: int | None) -> str | None:
    tag, text = r.raw("ma_noi_di")
    if tag == "MA_NOI_CHUYEN" and discharge_type in _TRANSFERRED_OUT:
        return None  # the 4210 field named the destination of a transfer, not the origin
    return text or None


def _settlement(r: RowReader, h: dict[str, Any]) -> None:
    """NAM_QT/THANG_QT; when missing, taken from NGAY_TTOAN (else NGAY_RA) with P130."""
    source: tuple[str, datetime] | None = None
    if h["ngay_ttoan"] is not None:
        source = ("NGAY_TTOAN", h["ngay_ttoan"])
    elif h["ngay_ra"] is not None:
        source = ("NGAY_RA", h["ngay_ra"])
    for name, invalid, allowed in (("nam_qt", "P123", range(1990, 2101)),
                                   ("thang_qt", "P124", range(1, 13))):
        value = r.integer(name, invalid=invalid, allowed=allowed)
        tag, text = r.raw(name)
        if value is None and not text and source is not None:
            r.add("P130", tag, detail=source[0])
            value = source[1].year if name == "nam_qt" else source[1].month
        h[name] = value
