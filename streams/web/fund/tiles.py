"""The province tile grid: one square per province at its approximate place in Vietnam.

Why a tile grid and not the real boundaries: every province gets the same area, so a small
province with a large rise is as visible as a large one (on a true map the Mekong delta's
provinces and the Red River delta's are specks beside the Central Highlands), the SVG is a few
kilobytes drawn on the server with no geometry package or tile server, and it survives the
boundary changes below without new shapes.

Province codes that changed: on 1 July 2025 Vietnam merged its 63 provinces into 34. Facility
codes (MA_CSKCB) keep the old 2-digit province code in their first two digits, and the
analytics (``facility_day.province``, ``province_day``) carry that old code too. The map draws
the 34 current provinces; ``TILES`` below is the one table that says which old codes each tile
covers, so an old code is counted in the tile of the province it now belongs to, and a tile's
figures are the sum of its old codes. Jurisdiction stays on the old codes (a province account
with scope 74 sees the Bình Dương part of the Hồ Chí Minh City tile only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    id: str  # stable slug used in URLs
    name: str  # Vietnamese name (the English page uses the same proper names)
    short: str  # 2-4 letters drawn inside the square
    col: int
    row: int
    codes: tuple[str, ...]  # the old (pre-2025) province codes it covers


# id, name, label, column, row, old codes. Columns run west → east, rows north → south.
TILES: tuple[Tile, ...] = (
    Tile("lai-chau", "Lai Châu", "LCh", 1, 0, ("12",)),
    Tile("lao-cai", "Lào Cai", "LCa", 2, 0, ("15", "10")),
    Tile("tuyen-quang", "Tuyên Quang", "TQ", 3, 0, ("08", "02")),
    Tile("cao-bang", "Cao Bằng", "CB", 4, 0, ("04",)),
    Tile("dien-bien", "Điện Biên", "ĐB", 0, 1, ("11",)),
    Tile("son-la", "Sơn La", "SL", 1, 1, ("14",)),
    Tile("phu-tho", "Phú Thọ", "PT", 2, 1, ("25", "26", "17")),
    Tile("thai-nguyen", "Thái Nguyên", "TN", 3, 1, ("19", "06")),
    Tile("lang-son", "Lạng Sơn", "LS", 4, 1, ("20",)),
    Tile("ha-noi", "Hà Nội", "HN", 2, 2, ("01",)),
    Tile("bac-ninh", "Bắc Ninh", "BN", 3, 2, ("24", "27")),
    Tile("quang-ninh", "Quảng Ninh", "QN", 4, 2, ("22",)),
    Tile("ninh-binh", "Ninh Bình", "NB", 2, 3, ("37", "35", "36")),
    Tile("hung-yen", "Hưng Yên", "HY", 3, 3, ("33", "34")),
    Tile("hai-phong", "Hải Phòng", "HP", 4, 3, ("31", "30")),
    Tile("thanh-hoa", "Thanh Hóa", "TH", 2, 4, ("38",)),
    Tile("nghe-an", "Nghệ An", "NA", 2, 5, ("40",)),
    Tile("ha-tinh", "Hà Tĩnh", "HT", 3, 6, ("42",)),
    Tile("quang-tri", "Quảng Trị", "QT", 3, 7, ("44", "45")),
    Tile("hue", "Huế", "Huế", 4, 8, ("46",)),
    Tile("da-nang", "Đà Nẵng", "ĐN", 4, 9, ("48", "49")),
    Tile("quang-ngai", "Quảng Ngãi", "QNg", 4, 10, ("51", "62")),
    Tile("gia-lai", "Gia Lai", "GL", 4, 11, ("52", "64")),
    Tile("dak-lak", "Đắk Lắk", "ĐL", 4, 12, ("66", "54")),
    Tile("lam-dong", "Lâm Đồng", "LĐ", 3, 13, ("68", "67", "60")),
    Tile("khanh-hoa", "Khánh Hòa", "KH", 4, 13, ("56", "58")),
    Tile("tay-ninh", "Tây Ninh", "TNi", 1, 14, ("80", "72")),
    Tile("dong-nai", "Đồng Nai", "ĐNa", 2, 14, ("75", "70")),
    Tile("an-giang", "An Giang", "AG", 0, 15, ("91", "89")),
    Tile("dong-thap", "Đồng Tháp", "ĐT", 1, 15, ("82", "87")),
    Tile("ho-chi-minh", "TP Hồ Chí Minh", "HCM", 2, 15, ("79", "74", "77")),
    Tile("can-tho", "Cần Thơ", "CT", 1, 16, ("92", "93", "94")),
    Tile("vinh-long", "Vĩnh Long", "VL", 2, 16, ("86", "83", "84")),
    Tile("ca-mau", "Cà Mau", "CM", 1, 17, ("96", "95")),
)

# Old province names, for the province page's list of the parts a tile is made of.
OLD_NAMES: dict[str, str] = {
    "01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang",
    "10": "Lào Cai", "11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái",
    "17": "Hòa Bình", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh",
    "24": "Bắc Giang", "25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh", "30": "Hải Dương",
    "31": "Hải Phòng", "33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định",
    "37": "Ninh Bình", "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình",
    "45": "Quảng Trị", "46": "Thừa Thiên Huế", "48": "Đà Nẵng", "49": "Quảng Nam",
    "51": "Quảng Ngãi", "52": "Bình Định", "54": "Phú Yên", "56": "Khánh Hòa",
    "58": "Ninh Thuận", "60": "Bình Thuận", "62": "Kon Tum", "64": "Gia Lai", "66": "Đắk Lắk",
    "67": "Đắk Nông", "68": "Lâm Đồng", "70": "Bình Phước", "72": "Tây Ninh",
    "74": "Bình Dương", "75": "Đồng Nai", "77": "Bà Rịa – Vũng Tàu", "79": "TP Hồ Chí Minh",
    "80": "Long An", "82": "Tiền Giang", "83": "Bến Tre", "84": "Trà Vinh", "86": "Vĩnh Long",
    "87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang", "92": "Cần Thơ",
    "93": "Hậu Giang", "94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}

_BY_ID = {t.id: t for t in TILES}
_BY_CODE = {code: t for t in TILES for code in t.codes}


def tile(tile_id: str) -> Tile | None:
    return _BY_ID.get(tile_id)


def tile_of(code: str) -> Tile | None:
    """The tile an old (or unchanged) province code is counted in; None for an unknown one."""
    return _BY_CODE.get(code[:2])
