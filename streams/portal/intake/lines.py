"""XML2 (drug) and XML3 (service/supply) rows -> claim.avsc ``DrugLine`` / ``ServiceLine``.

4210 rows had one ``DON_GIA``, ``TYLE_TT`` and ``THANH_TIEN``; QĐ 130 split them into facility
(BV) and fund (BH) amounts. 4210's THANH_TIEN already applied TYLE_TT (VSS blocking error 3:
THANH_TIEN = SO_LUONG × DON_GIA × TYLE) and its header T_TONGCHI is the sum of those amounts, so
the one 4210 amount fills both THANH_TIEN_BV and THANH_TIEN_BH (and DON_GIA both unit prices,
TYLE_TT the HI ratio): the header-vs-lines identities of the 4210 file then still hold in the
130 shape. 4210 had no TYLE_TT_DV; it stays 100 without a finding.
"""

from __future__ import annotations

from typing import Any

from streams.portal.intake.values import RowReader, read_group, read_int

DRUG_GROUPS = frozenset({4, 5, 6, 7, 17})  # 5/6 are retired 4210-era drug groups, still sent
SERVICE_GROUPS = frozenset({1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19})
SUPPLY_GROUPS = frozenset({10, 11})
# Blood (7) and blood products (17): the standard lists them in XML2 (T_THUOC counts them), but
# several exporters write them in XML3 with the blood price list's code in MA_DICH_VU. Accepted
# there with P317 (docs/claim-standard.md, "Blood in the services table").
BLOOD_GROUPS = frozenset({7, 17})
_CODES_123 = frozenset({1, 2, 3})
_ANAESTHESIA = frozenset({1, 2, 3, 4})

XML2_TAGS: dict[str, tuple[str, ...]] = {
    "stt": ("STT",), "ma_thuoc": ("MA_THUOC",), "ma_nhom": ("MA_NHOM",),
    "ten_thuoc": ("TEN_THUOC",), "don_vi_tinh": ("DON_VI_TINH",), "tt_thau": ("TT_THAU",),
    "pham_vi": ("PHAM_VI",), "so_luong": ("SO_LUONG",), "don_gia": ("DON_GIA",),
    "tyle_tt_bh": ("TYLE_TT_BH", "TYLE_TT"), "thanh_tien_bv": ("THANH_TIEN_BV", "THANH_TIEN"),
    "thanh_tien_bh": ("THANH_TIEN_BH", "THANH_TIEN"), "muc_huong": ("MUC_HUONG",),
    "t_nguonkhac": ("T_NGUONKHAC",), "t_bntt": ("T_BNTT",), "t_bncct": ("T_BNCCT",),
    "t_bhtt": ("T_BHTT",), "ma_khoa": ("MA_KHOA",), "ma_bac_si": ("MA_BAC_SI",),
    "ma_dich_vu": ("MA_DICH_VU",), "ngay_yl": ("NGAY_YL",), "ngay_th_yl": ("NGAY_TH_YL",),
    "ma_pttt": ("MA_PTTT",),
}

XML3_TAGS: dict[str, tuple[str, ...]] = {
    "stt": ("STT",), "ma_dich_vu": ("MA_DICH_VU",), "ma_vat_tu": ("MA_VAT_TU",),
    "ma_nhom": ("MA_NHOM",), "ten": ("TEN_DICH_VU",), "don_vi_tinh": ("DON_VI_TINH",),
    "pham_vi": ("PHAM_VI",), "so_luong": ("SO_LUONG",), "don_gia_bv": ("DON_GIA_BV", "DON_GIA"),
    "don_gia_bh": ("DON_GIA_BH", "DON_GIA"), "tt_thau": ("TT_THAU",),
    "tyle_tt_dv": ("TYLE_TT_DV",), "tyle_tt_bh": ("TYLE_TT_BH", "TYLE_TT"),
    "thanh_tien_bv": ("THANH_TIEN_BV", "THANH_TIEN"),
    "thanh_tien_bh": ("THANH_TIEN_BH", "THANH_TIEN"), "t_trantt": ("T_TRANTT",),
    "muc_huong": ("MUC_HUONG",), "t_nguonkhac": ("T_NGUONKHAC",), "t_bntt": ("T_BNTT",),
    "t_bncct": ("T_BNCCT",), "t_bhtt": ("T_BHTT",), "ma_khoa": ("MA_KHOA",),
    "ma_giuong": ("MA_GIUONG",), "ma_bac_si": ("MA_BAC_SI",),
    "nguoi_thuc_hien": ("NGUOI_THUC_HIEN",), "ngay_yl": ("NGAY_YL",),
    "ngay_th_yl": ("NGAY_TH_YL",), "ngay_kq": ("NGAY_KQ",), "ma_pttt": ("MA_PTTT",),
    "pp_vo_cam": ("PP_VO_CAM",), "ma_may": ("MA_MAY",),
}

# Line money and ratios: (field, default when missing).
_SPLIT = (("tyle_tt_bh", 100.0), ("thanh_tien_bv", 0.0), ("thanh_tien_bh", 0.0),
          ("muc_huong", 100.0), ("t_nguonkhac", 0.0), ("t_bntt", 0.0), ("t_bncct", 0.0),
          ("t_bhtt", 0.0))


Benefit = tuple[float, str]  # a line's MUC_HUONG when it has none, and the finding's words
NO_BENEFIT: Benefit = (100.0, "100 (no benefit level known: no header MUC_HUONG, no card)")


def _stt(r: RowReader, position: int, code: str) -> int:
    tag, text = r.raw("stt")
    value = read_int(text) if text else None
    if value is None or value < 0:
        r.add(code, tag, text, f"row position {position}")
        return position
    return value


def _group(r: RowReader, allowed: frozenset[int], missing: str, invalid: str) -> int | None:
    tag, text = r.raw("ma_nhom")
    value, textual = read_group(text) if text else (None, False)
    if value is None:
        if text:
            r.add(missing, tag, text)
        else:
            r.missing(missing, "ma_nhom", tag)
        return None
    if textual:
        r.add("P607", tag, text, value)
    if value not in allowed:
        r.add(invalid, tag, text)
    return value


def _money(r: RowReader, line: dict[str, Any], invalid: str, missing: str,
           benefit: Benefit) -> None:
    for name, default in _SPLIT:
        if name == "muc_huong":  # not 100 % silently: the claim's benefit level, said so
            line[name] = r.number(name, invalid=invalid, missing=missing, default=benefit[0],
                                  missing_detail=benefit[1])
        else:
            line[name] = r.number(name, invalid=invalid, missing=missing, default=default)


def drug_line(r: RowReader, position: int, benefit: Benefit = NO_BENEFIT) -> dict[str, Any]:
    line: dict[str, Any] = {
        "stt": _stt(r, position, "P212"),
        "ma_thuoc": r.text("ma_thuoc", missing="P201"),
        "ma_nhom": _group(r, DRUG_GROUPS, "P202", "P203"),
        "ten_thuoc": r.text("ten_thuoc"),
        "don_vi_tinh": r.text("don_vi_tinh"),
        "tt_thau": r.opt_text("tt_thau"),
        "pham_vi": r.integer("pham_vi", invalid="P209", allowed=_CODES_123, default=1),
        "so_luong": r.number("so_luong", invalid="P208", missing="P204", default=None),
        "don_gia": r.number("don_gia", invalid="P208", missing="P205", default=None),
    }
    _money(r, line, "P208", "P211", benefit)
    line["ma_khoa"] = r.text("ma_khoa")
    line["ma_bac_si"] = r.text("ma_bac_si")
    line["ma_dich_vu"] = r.opt_text("ma_dich_vu")
    line["ngay_yl"] = r.time("ngay_yl", invalid="P207", missing="P206")
    line["ngay_th_yl"] = r.time("ngay_th_yl", invalid="P213")
    line["ma_pttt"] = r.integer("ma_pttt", invalid="P210", allowed=_CODES_123, default=1)
    return line


def service_line(r: RowReader, position: int, legacy: bool,
                 benefit: Benefit = NO_BENEFIT) -> dict[str, Any]:
    stt = _stt(r, position, "P313")
    code = r.text("ma_dich_vu")
    supply = r.opt_text("ma_vat_tu")
    if not code and not supply:
        r.missing("P301", "ma_dich_vu", "MA_DICH_VU")
    group = _group(r, SERVICE_GROUPS | BLOOD_GROUPS, "P302", "P303")
    if group in BLOOD_GROUPS:
        r.add("P317", r.raw("ma_nhom")[0], group, repr(code or supply or ""))
    if group in SUPPLY_GROUPS and not supply:
        r.add("P316", "MA_VAT_TU", group)
    name = r.data.get("TEN_VAT_TU", "") if group in SUPPLY_GROUPS else ""
    line: dict[str, Any] = {
        "stt": stt,
        "ma_dich_vu": code,
        "ma_vat_tu": supply,
        "ma_nhom": group,
        "ten": name or r.text("ten"),
        "don_vi_tinh": r.text("don_vi_tinh"),
        "pham_vi": r.integer("pham_vi", invalid="P310", allowed=_CODES_123, default=1),
        "so_luong": r.number("so_luong", invalid="P309", missing="P304", default=None),
        "don_gia_bv": r.number("don_gia_bv", invalid="P309", missing="P305", default=None),
        "don_gia_bh": r.number("don_gia_bh", invalid="P309", missing="P306", default=None),
        "tt_thau": r.opt_text("tt_thau"),
        "tyle_tt_dv": r.number("tyle_tt_dv", invalid="P309", default=100.0,
                               missing=None if legacy else "P312"),
    }
    _money(r, line, "P309", "P312", benefit)
    line["t_trantt"] = r.number("t_trantt", invalid="P315", default=None)
    line["ma_khoa"] = r.text("ma_khoa")
    line["ma_giuong"] = r.opt_text("ma_giuong")
    line["ma_bac_si"] = r.text("ma_bac_si")
    line["nguoi_thuc_hien"] = r.text("nguoi_thuc_hien")
    line["ngay_yl"] = r.time("ngay_yl", invalid="P308", missing="P307")
    line["ngay_th_yl"] = r.time("ngay_th_yl", invalid="P314")
    line["ngay_kq"] = r.time("ngay_kq", invalid="P314")
    line["ma_pttt"] = r.integer("ma_pttt", invalid="P311", allowed=_CODES_123, default=1)
    # "0" is what many HIS send for "no anaesthesia" on rows that are not surgery.
    anaesthesia = r.integer("pp_vo_cam", invalid="P315", allowed=_ANAESTHESIA | {0})
    line["pp_vo_cam"] = anaesthesia or None
    line["ma_may"] = r.opt_text("ma_may")
    return line
