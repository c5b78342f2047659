"""Synthetic GIAMDINHHS envelopes for the portal tests: invented people, never real data.

A ``ClaimSpec`` holds one claim's tables as XML tag -> text rows (XML1 one row, XML2/XML3 lines,
XML4/XML5 rows); tests mutate those dicts and ``envelope()`` writes the bytes. Money is
consistent (header totals = sums of the lines, line splits add up), so a clean claim has no
finding at all. ``to_4210`` rewrites a claim with the legacy 4210 tag names.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

FACILITY = "79001"
START = datetime(2025, 3, 3, 8, 0)
# Table -> (root, wrapper, row element) as in QĐ 130.
LAYOUT = {
    "XML2": ("CHITIEU_CHITIET_THUOC", "DSACH_CHI_TIET_THUOC", "CHI_TIET_THUOC"),
    "XML3": ("CHITIEU_CHITIET_DVKT_VTYT", "DSACH_CHI_TIET_DVKT", "CHI_TIET_DVKT"),
    "XML4": ("CHITIEU_CHITIET_DICHVUCANLAMSANG", "DSACH_CHI_TIET_CLS", "CHI_TIET_CLS"),
    "XML5": ("CHITIEU_CHITIET_DIENBIENLAMSANG", "DSACH_CHI_TIET_DIEN_BIEN_BENH",
             "CHI_TIET_DIEN_BIEN_BENH"),
}
Row = dict[str, str]


@dataclass
class ClaimSpec:
    xml1: Row
    xml2: list[Row] = field(default_factory=list)
    xml3: list[Row] = field(default_factory=list)
    xml4: list[Row] = field(default_factory=list)
    xml5: list[Row] = field(default_factory=list)
    omit: set[str] = field(default_factory=set)  # tables not written
    raw: dict[str, str] = field(default_factory=dict)  # table -> NOIDUNGFILE text as is
    extra: list[tuple[str, bytes]] = field(default_factory=list)  # more FILEHOSO (kind, doc)

    def rows(self, table: str) -> list[Row]:
        return {"XML1": [self.xml1], "XML2": self.xml2, "XML3": self.xml3, "XML4": self.xml4,
                "XML5": self.xml5}[table]

    def copy(self) -> ClaimSpec:
        return copy.deepcopy(self)


def _t(moment: datetime) -> str:
    return f"{moment:%Y%m%d%H%M}"


def _m(value: float) -> str:
    return f"{value:.2f}"


def _split(bv: float, muc_huong: float = 80.0) -> dict[str, str]:
    bhtt = round(bv * muc_huong / 100, 2)
    return {"THANH_TIEN_BV": _m(bv), "THANH_TIEN_BH": _m(bv), "TYLE_TT_BH": "100",
            "MUC_HUONG": f"{muc_huong:g}", "T_NGUONKHAC": "0", "T_BNTT": "0",
            "T_BNCCT": _m(bv - bhtt), "T_BHTT": _m(bhtt)}


def drug(ma_lk: str, stt: int, when: datetime, qty: float = 10, price: float = 350.0) -> Row:
    return {"MA_LK": ma_lk, "STT": str(stt), "MA_THUOC": f"40.{100 + stt % 50}", "MA_NHOM": "4",
            "TEN_THUOC": f"Thuốc thử {stt}", "DON_VI_TINH": "Viên",
            "TT_THAU": "215/QĐ-SYT;G1;N4;2024", "PHAM_VI": "1", "SO_LUONG": f"{qty:g}",
            "DON_GIA": f"{price:g}", **_split(qty * price), "MA_KHOA": "K01",
            "MA_BAC_SI": "000001/HCM-CCHN", "NGAY_YL": _t(when), "NGAY_TH_YL": _t(when),
            "MA_PTTT": "1"}


def service(ma_lk: str, stt: int, when: datetime, group: int, price: float,
            qty: float = 1) -> Row:
    row = {"MA_LK": ma_lk, "STT": str(stt), "MA_DICH_VU": f"23.{stt:04d}.1494",
           "MA_NHOM": str(group), "TEN_DICH_VU": f"Dịch vụ thử {stt}", "DON_VI_TINH": "Lần",
           "PHAM_VI": "1", "SO_LUONG": f"{qty:g}", "DON_GIA_BV": f"{price:g}",
           "DON_GIA_BH": f"{price:g}", "TYLE_TT_DV": "100", **_split(qty * price),
           "MA_KHOA": "K01", "MA_BAC_SI": "000001/HCM-CCHN", "NGUOI_THUC_HIEN": "000002/HCM-CCHN",
           "NGAY_YL": _t(when), "NGAY_TH_YL": _t(when), "NGAY_KQ": _t(when + timedelta(hours=1)),
           "MA_PTTT": "1"}
    if group in (10, 11):
        row.update(MA_DICH_VU="", MA_VAT_TU=f"N03.01.{stt:03d}", TEN_VAT_TU=f"Vật tư thử {stt}",
                   TT_THAU="215/QĐ-SYT;G1;N1;2024", NGAY_KQ="")
    if group == 1:
        row["MA_MAY"] = "XN.1.79001.1"
    return row


def claim(n: int = 1, *, drugs: int = 3, services: int = 3, inpatient: bool = False,
          start: datetime = START) -> ClaimSpec:
    """Claim ``n`` of a synthetic person; services cycle consultation, lab test, supply."""
    ma_lk = f"{FACILITY}_{start:%Y_%m}_BN{n:06d}_01"
    arrive = start + timedelta(minutes=17 * n)
    leave = arrive + (timedelta(days=5) if inpatient else timedelta(hours=2))
    xml2 = [drug(ma_lk, i, arrive + timedelta(minutes=30)) for i in range(1, drugs + 1)]
    kinds = ((15, 250000.0) if inpatient else (13, 45000.0), (1, 30000.0), (10, 12000.0))
    xml3 = [service(ma_lk, i, arrive + timedelta(minutes=20), *kinds[(i - 1) % 3])
            for i in range(1, services + 1)]
    lines = xml2 + xml3

    def total(key: str, rows: list[Row] = lines) -> str:
        return _m(sum(float(r[key]) for r in rows))

    xml1 = {
        "MA_LK": ma_lk, "STT": "1", "MA_BN": f"BN{n:06d}", "HO_TEN": f"Người Thử {n}",
        "SO_CCCD": f"0790{n:08d}", "NGAY_SINH": "198504120000", "GIOI_TINH": str(1 + n % 2),
        "MA_THE_BHYT": f"DN479{9900000000 + n}", "MA_DKBD": FACILITY, "GT_THE_TU": "20250101",
        "GT_THE_DEN": "20251231", "NGAY_MIEN_CCT": "", "NAM_NAM_LIEN_TUC": "20220101",
        "CHAN_DOAN_RV": "Viêm họng cấp", "MA_BENH_CHINH": "J02.9", "MA_BENH_KT": "I10",
        "MA_DOITUONG_KCB": "1.1", "MA_LOAI_KCB": "03" if inpatient else "01",
        "MA_NOI_DI": "", "GIAY_CHUYEN_TUYEN": "", "NGAY_VAO": _t(arrive),
        "NGAY_VAO_NOI_TRU": _t(arrive) if inpatient else "", "NGAY_RA": _t(leave),
        "NGAY_TTOAN": _t(leave + timedelta(minutes=30)),
        "SO_NGAY_DTRI": "6" if inpatient else "0", "KET_QUA_DTRI": "1", "MA_LOAI_RV": "1",
        "MA_KHOA": "K01", "CAN_NANG": "62.5",
        "T_THUOC": total("THANH_TIEN_BV", xml2),
        "T_VTYT": total("THANH_TIEN_BV", [r for r in xml3 if r["MA_NHOM"] == "10"]),
        "T_TONGCHI_BV": total("THANH_TIEN_BV"), "T_TONGCHI_BH": total("THANH_TIEN_BH"),
        "T_BNTT": total("T_BNTT"), "T_BNCCT": total("T_BNCCT"), "T_BHTT": total("T_BHTT"),
        "T_NGUONKHAC": total("T_NGUONKHAC"), "T_BHTT_GDV": total("T_BHTT"),
        "NAM_QT": f"{leave:%Y}", "THANG_QT": str(leave.month), "MA_CSKCB": FACILITY,
    }
    xml4 = [{"MA_LK": ma_lk, "STT": "1", "MA_DICH_VU": "23.0001.1494", "MA_CHI_SO": "GLU",
             "GIA_TRI": "5.4", "NGAY_KQ": _t(arrive + timedelta(hours=1))}]
    xml5 = [{"MA_LK": ma_lk, "STT": "1", "DIEN_BIEN_LS": "Sốt nhẹ", "THOI_DIEM_DBLS": _t(arrive)}]
    return ClaimSpec(xml1, xml2, xml3, xml4, xml5 if inpatient else [])


_XML1_4210 = {"MA_THE_BHYT": "MA_THE", "NGAY_MIEN_CCT": "MIEN_CUNG_CT",
              "CHAN_DOAN_RV": "TEN_BENH", "MA_BENH_CHINH": "MA_BENH",
              "MA_BENH_KT": "MA_BENHKHAC", "MA_LOAI_RV": "TINH_TRANG_RV"}
_ROUTE_4210 = {"1.1": "1", "2": "2", "3.3": "3", "1.2": "4"}


def to_4210(spec: ClaimSpec) -> ClaimSpec:
    """The same claim with 4210 tag names (visit dates are the caller's: 4210 ended 2024-07-01)."""
    out = spec.copy()
    x1 = {_XML1_4210.get(k, k): v for k, v in out.xml1.items()}
    x1["MA_LYDO_VVIEN"] = _ROUTE_4210[x1.pop("MA_DOITUONG_KCB")]
    x1["T_TONGCHI"] = x1.pop("T_TONGCHI_BH")
    del x1["T_TONGCHI_BV"]
    x1["NGAY_SINH"] = x1["NGAY_SINH"][:8]
    x1["MA_LOAI_KCB"] = str(int(x1["MA_LOAI_KCB"]))
    out.xml1 = x1
    for rows, prices in ((out.xml2, ()), (out.xml3, ("DON_GIA_BV", "DON_GIA_BH"))):
        for i, row in enumerate(rows):
            new = {k: v for k, v in row.items()
                   if k not in ("THANH_TIEN_BV", "THANH_TIEN_BH", "TYLE_TT_BH", "TYLE_TT_DV",
                                "NGAY_TH_YL", "NGUOI_THUC_HIEN", "MA_MAY") + prices}
            new.update(THANH_TIEN=row["THANH_TIEN_BH"], TYLE_TT=row["TYLE_TT_BH"])
            if prices:
                new["DON_GIA"] = row["DON_GIA_BH"]
            rows[i] = new
    return out


def table_document(kind: str, rows: list[Row], *, ns: str | None = None, bom: bool = False,
                   declaration: bool = True) -> bytes:
    """One table as its own XML document (XML1 with several records gets a wrapper)."""
    xmlns = f' xmlns="{ns}"' if ns else ""
    if kind == "XML1":
        records = "".join(f"<TONG_HOP>{_fields(r)}</TONG_HOP>" for r in rows)
        body = (f"<TONG_HOP{xmlns}>{_fields(rows[0])}</TONG_HOP>" if len(rows) == 1
                else f"<DSACH_TONG_HOP{xmlns}>{records}</DSACH_TONG_HOP>")
    else:
        root, wrapper, row_tag = LAYOUT[kind]
        items = "".join(f"<{row_tag}>{_fields(r)}</{row_tag}>" for r in rows)
        body = f"<{root}{xmlns}><{wrapper}>{items}</{wrapper}></{root}>"
    head = '<?xml version="1.0" encoding="utf-8"?>\n' if declaration else ""
    data = (head + body).encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def _fields(row: Row) -> str:
    parts = []
    for tag, value in row.items():
        text = f"<![CDATA[{value}]]>" if tag in ("HO_TEN", "CHAN_DOAN_RV", "TEN_BENH") \
            else escape(value)
        parts.append(f"<{tag}>{text}</{tag}>")
    return "".join(parts)


def envelope(claims: list[ClaimSpec], *, facility: str = FACILITY, mode: str = "base64",
             bom: bool = False, ns: str | None = None, count: str | None = None,
             created: str = "20250306") -> bytes:
    """The GIAMDINHHS envelope. ``mode``: "base64" tables, "plain" child XML or "text"
    (escaped XML text); ``bom``/``ns`` go into every table document; ``ns`` also on the
    envelope."""
    hosos = []
    for spec in claims:
        files = []
        for kind in ("XML1", "XML2", "XML3", "XML4", "XML5"):
            rows = spec.rows(kind)
            if kind in spec.omit or (kind != "XML1" and not rows):
                continue
            if kind in spec.raw:
                content = spec.raw[kind]
            else:
                doc = table_document(kind, rows, ns=ns, bom=bom, declaration=mode != "plain")
                content = _content(doc, mode)
            files.append((kind, content))
        files += [(kind, base64.b64encode(doc).decode()) for kind, doc in spec.extra]
        hosos.append("<HOSO>" + "".join(
            f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>{content}</NOIDUNGFILE>"
            "</FILEHOSO>" for kind, content in files) + "</HOSO>")
    xmlns = f' xmlns="{ns}"' if ns else ""
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<GIAMDINHHS{xmlns}>'
        f"<THONGTINDONVI><MACSKCB>{facility}</MACSKCB></THONGTINDONVI>"
        f"<THONGTINHOSO><NGAYLAP>{created}</NGAYLAP>"
        f"<SOLUONGHOSO>{len(claims) if count is None else count}</SOLUONGHOSO>"
        f"<DANHSACHHOSO>{''.join(hosos)}</DANHSACHHOSO></THONGTINHOSO>"
        "<CHUKYDONVI></CHUKYDONVI></GIAMDINHHS>"
    )
    return text.encode("utf-8")


def _content(doc: bytes, mode: str) -> str:
    if mode == "base64":
        return base64.b64encode(doc).decode()
    text = doc.decode("utf-8").lstrip("\ufeff")
    return text if mode == "plain" else escape(text)


def measure(rounds: float = 2.0) -> dict[str, dict[str, float]]:
    """Parse+normalise time of an outpatient (6 lines) and a heavy inpatient (800 lines)
    envelope: ``python -m tests.unit.portal.portal_fixtures`` (best of a few timed runs)."""
    import time

    from streams.portal.intake import parse_envelope

    cases = {"outpatient_6_lines": envelope([claim(1)]),
             "inpatient_800_lines": envelope([claim(2, drugs=500, services=300, inpatient=True)])}
    out = {}
    for name, data in cases.items():
        assert parse_envelope(data, max_bytes=len(data)).claims[0].accepted
        best = float("inf")
        for _ in range(5):
            n, started = 0, time.perf_counter()
            while time.perf_counter() - started < rounds / 5:
                parse_envelope(data, max_bytes=len(data))
                n += 1
            best = min(best, (time.perf_counter() - started) / n)
        out[name] = {"bytes": len(data), "seconds": best, "per_second": 1 / best,
                     "mb_per_second": len(data) / best / 1e6}
    return out


if __name__ == "__main__":
    for case, figures in measure().items():
        print(f"{case}: {figures['bytes']} bytes, {figures['seconds'] * 1e6:.0f} µs, "
              f"{figures['per_second']:.0f}/s, {figures['mb_per_second']:.1f} MB/s")
