"""The notice's words in Vietnamese and English, metric names and units, number formats.

One table, as the web app's i18n: a missing translation is a test failure, not a blank. The web
app's fund pages use the same metric names so a facility reads the same words in both.
"""

from __future__ import annotations

# metric -> (Vietnamese name, English name, unit kind)
METRIC_NAMES: dict[str, tuple[str, str, str]] = {
    "cost_per_visit": ("Chi phí bình quân một lượt KCB", "Cost per visit", "money"),
    "visits": ("Số lượt khám chữa bệnh", "Visits", "count"),
    "admissions": ("Số lượt điều trị nội trú", "Inpatient admissions", "count"),
    "length_of_stay": ("Số ngày điều trị bình quân", "Average length of stay", "days"),
    "drug_share": ("Tỷ trọng chi phí thuốc", "Drug share of cost", "share"),
    "supply_share": ("Tỷ trọng chi phí vật tư y tế", "Medical supply share of cost", "share"),
    "service_share": ("Tỷ trọng chi phí dịch vụ kỹ thuật", "Service share of cost", "share"),
    "total_cost": ("Tổng chi phí KCB", "Total cost", "money"),
    "hi_cost": ("Chi phí đề nghị quỹ BHYT thanh toán", "Cost claimed from the HI fund", "money"),
    "referrals_out": ("Số lượt chuyển tuyến đi", "Referrals out", "count"),
}

FOLLOWUP_NAMES: dict[str, tuple[str, str]] = {
    "adjusted": ("Đã điều chỉnh", "Adjusted"),
    "partly_adjusted": ("Điều chỉnh một phần", "Partly adjusted"),
    "not_adjusted": ("Chưa điều chỉnh", "Not adjusted"),
    "": ("Chưa đánh giá", "Not assessed yet"),
}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    "issued": ("Đã phát hành", "Issued"),
    "fetched": ("Cơ sở đã nhận", "Fetched by the facility"),
    "acknowledged": ("Cơ sở đã xác nhận", "Acknowledged"),
}

NOTICE_TEXT: dict[str, tuple[str, str]] = {
    "agency": ("BẢO HIỂM XÃ HỘI VIỆT NAM", "VIETNAM SOCIAL SECURITY"),
    "title": ("THÔNG BÁO", "NOTICE"),
    "subtitle": ("Chi phí khám chữa bệnh BHYT tăng bất thường — tháng {month}",
                 "Unusual rise in health-insurance costs — {month}"),
    "to": ("Kính gửi", "To"),
    "code": ("Mã cơ sở", "Facility code"),
    "province": ("Tỉnh/thành phố (mã)", "Province (code)"),
    "intro": ("Qua phân tích dữ liệu đề nghị thanh toán chi phí khám chữa bệnh BHYT, cơ quan "
              "BHXH nhận thấy các chỉ tiêu dưới đây của cơ sở tăng cao bất thường so với chính "
              "cơ sở các kỳ trước và so với các cơ sở cùng hạng, cùng loại trong tỉnh. Đề nghị "
              "cơ sở tự kiểm tra, rà soát và điều chỉnh; kết quả sẽ được theo dõi trong tháng "
              "tiếp theo.",
              "Our analysis of the facility's health-insurance claims found the indicators "
              "below unusually high, both against the facility's own past and against "
              "facilities of the same tier and kind in the province. Please inspect and "
              "adjust; the result will be followed up next month."),
    "summary": ("{n} chỉ tiêu vượt ngưỡng; chi phí vượt mức dự kiến ước tính {excess}.",
                "{n} indicator(s) above the limits; estimated cost above expectation {excess}."),
    "findings": ("Các chỉ tiêu tăng bất thường", "Indicators with an unusual rise"),
    "col.metric": ("Chỉ tiêu", "Indicator"),
    "col.period": ("Kỳ", "Period"),
    "col.observed": ("Thực tế", "Observed"),
    "col.expected": ("Dự kiến (của cơ sở)", "Expected (own baseline)"),
    "col.rise": ("Tăng", "Rise"),
    "col.band": ("Ngưỡng các cơ sở cùng nhóm", "Peers' band"),
    "col.percentile": ("Vị trí trong nhóm", "Peer percentile"),
    "col.excess": ("Chi phí vượt", "Excess cost"),
    "col.picture": ("So với nhóm", "Against peers"),
    "legend": ("Vạch xám: ngưỡng các cơ sở cùng nhóm; vạch xanh: mức dự kiến của cơ sở; "
               "chấm đỏ: thực tế.",
               "Grey bar: peers' band; blue tick: the facility's expected level; red dot: "
               "observed."),
    "percentile": ("cao hơn {p}% cơ sở cùng nhóm", "above {p}% of peers"),
    "since": ("Kết quả điều chỉnh sau thông báo tháng {month}",
              "What happened since the notice of {month}"),
    "since.first": ("Các thông báo trước", "Earlier notices"),
    "since.none": ("Đây là thông báo đầu tiên gửi cơ sở.",
                   "This is the first notice to the facility."),
    "col.then": ("Khi thông báo", "At the notice"),
    "col.now": ("Tháng này", "This month"),
    "col.result": ("Kết quả", "Result"),
    "now.within": ("trong ngưỡng", "within the band"),
    "overall": ("Đánh giá chung: {status}.", "Overall: {status}."),
    "asks": ("Đề nghị cơ sở", "What the facility is asked to do"),
    "ask1": ("Rà soát các hồ sơ đề nghị thanh toán trong kỳ nêu trên, đối chiếu với chỉ định "
             "chuyên môn và quy định hiện hành.",
             "Review the claims of the periods above against the clinical indications and "
             "the rules in force."),
    "ask2": ("Điều chỉnh các hồ sơ chưa phù hợp và gửi lại dữ liệu qua cổng tiếp nhận.",
             "Correct the claims that do not comply and send them again through the portal."),
    "ask3": ("Xác nhận đã nhận thông báo trên cổng tiếp nhận (POST /api/v1/notices/{id}/"
             "acknowledge).",
             "Acknowledge this notice on the portal (POST /api/v1/notices/{id}/acknowledge)."),
    "footer": ("Mã thông báo {id} · phát hành {issued} · thông báo được lập tự động từ dữ liệu "
               "giám định; số liệu là ước tính thống kê, không phải quyết định xuất toán.",
               "Notice {id} · issued {issued} · produced automatically from the appraisal "
               "data; the figures are statistical estimates, not a decision to reject costs."),
    "why": ("Giải thích", "Explanation"),
}


def word(key: str, lang: str, **values: object) -> str:
    vi, en = NOTICE_TEXT[key]
    out = en if lang == "en" else vi
    return out.format(**values) if values else out


def pick(pair: tuple[str, str] | tuple[str, str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def metric_name(metric: str, lang: str) -> str:
    names = METRIC_NAMES.get(metric)
    return pick(names, lang) if names else metric


def grouped(value: float, lang: str, decimals: int = 0) -> str:
    """``1.234.567,5`` in Vietnamese, ``1,234,567.5`` in English."""
    text = f"{value:,.{decimals}f}"
    if lang != "en":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def amount(metric: str, value: float, lang: str) -> str:
    """A metric's value with its unit, as people read it."""
    kind = METRIC_NAMES.get(metric, ("", "", "count"))[2]
    if kind == "money":
        return grouped(value, lang) + " ₫"
    if kind == "share":
        return grouped(value * 100, lang, 1) + " %"
    if kind == "days":
        return grouped(value, lang, 1) + (" days" if lang == "en" else " ngày")
    return grouped(value, lang, 0 if abs(value) >= 100 else 1)


def short_amount(metric: str, value: float, lang: str) -> str:
    """``amount`` for a table cell: a month's total cost of a hospital runs to tens of
    billions, which in full (53.765.312.551 ₫) does not fit a column, so from a billion on it
    reads 53,77 tỷ ₫ / 53.77 bn ₫. The explanations below the table keep the full figure."""
    kind = METRIC_NAMES.get(metric, ("", "", "count"))[2]
    if kind == "money" and abs(value) >= 1e9:
        return grouped(value / 1e9, lang, 2) + (" bn ₫" if lang == "en" else " tỷ ₫")
    return amount(metric, value, lang)


def percent(fraction: float | None, lang: str, signed: bool = True) -> str:
    if fraction is None:
        return "–"
    sign = "+" if signed and fraction > 0 else ("−" if fraction < 0 else "")
    return sign + grouped(abs(fraction) * 100, lang, 1) + " %"


def month_label(month: int, lang: str) -> str:
    return f"{month % 100:02d}/{month // 100}"
