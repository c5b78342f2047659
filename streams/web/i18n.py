"""The web app's words in Vietnamese (default) and English, and VND money and time formats.

The page's language is a cookie (``hv_lang``) set by the switch in the header. Labels live here
as one table so a missing translation is a test failure, not a blank on a page.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

LANGS = ("vi", "en")
LANG_COOKIE = "hv_lang"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

TEXT: dict[str, tuple[str, str]] = {
    "app": ("Giám định BHYT", "HI claim appraisal"),
    "nav.queue": ("Hàng đợi cảnh báo", "Warning queue"),
    "nav.quality": ("Chất lượng quy tắc", "Rule quality"),
    "nav.ops": ("Vận hành", "Operations"),
    "ops.title": ("Giám sát vận hành", "Operations"),
    "ops.window": ("Khoảng thời gian", "Window"),
    "ops.empty": ("Chưa có số liệu trong khoảng thời gian này.", "No data in this window."),
    "ops.down": ("Không truy vấn được Prometheus", "Prometheus did not answer"),
    "ops.updated": ("Cập nhật lúc", "Updated"),
    "signin": ("Đăng nhập", "Sign in"),
    "signout": ("Đăng xuất", "Sign out"),
    "user": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "signin.bad": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "signin.expired": ("Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.",
                       "Your session has expired; please sign in again."),
    "role.district": ("Giám định viên cấp huyện", "District appraiser"),
    "role.province": ("Giám định viên cấp tỉnh", "Province appraiser"),
    "role.central": ("Giám định viên trung ương", "Central appraiser"),
    "queue.title": ("Hồ sơ cần giám định", "Claims to review"),
    "queue.count": ("hồ sơ", "claims"),
    "queue.at_stake": ("Số tiền cần xem xét", "Amount at stake"),
    "queue.empty": ("Không có hồ sơ nào khớp bộ lọc.", "No claim matches the filters."),
    "queue.live": ("Trực tuyến", "Live"),
    "queue.offline": ("Mất kết nối — đang kết nối lại…", "Disconnected — reconnecting…"),
    "queue.keys": ("Phím: j/k hoặc ↑/↓ chọn, Enter mở, / lọc", "Keys: j/k or ↑/↓ select, "
                   "Enter opens, / filters"),
    "queue.more": ("Đang hiện {shown} trên {total} hồ sơ; thu hẹp bộ lọc để xem thêm.",
                   "Showing {shown} of {total} claims; narrow the filters to see more."),
    "f.province": ("Tỉnh", "Province"),
    "f.district": ("Huyện", "District"),
    "f.facility": ("Cơ sở KCB", "Facility"),
    "f.rule": ("Quy tắc", "Rule"),
    "f.severity": ("Mức độ", "Severity"),
    "f.outcome": ("Kết quả", "Outcome"),
    "f.status": ("Trạng thái", "Status"),
    "f.age": ("Tuổi hồ sơ", "Age"),
    "f.all": ("Tất cả", "All"),
    "f.open": ("Chưa xử lý xong", "Not done"),
    "age.1h": ("< 1 giờ", "< 1 hour"),
    "age.1d": ("< 1 ngày", "< 1 day"),
    "age.7d": ("< 7 ngày", "< 7 days"),
    "age.old": ("≥ 7 ngày", "≥ 7 days"),
    "col.received": ("Nhận lúc", "Received"),
    "col.facility": ("Cơ sở", "Facility"),
    "col.claim": ("Mã hồ sơ (MA_LK)", "Claim (MA_LK)"),
    "col.rules": ("Cảnh báo", "Warnings"),
    "col.outcome": ("Kết quả tự động", "Automatic outcome"),
    "col.requested": ("Đề nghị thanh toán", "Claimed"),
    "col.at_stake": ("Cần xem xét", "At stake"),
    "col.status": ("Trạng thái", "Status"),
    "taken_by": ("Đang xử lý: {who}", "Taken by {who}"),
    "status.open": ("Chờ giám định", "To review"),
    "status.requested": ("Chờ giải trình", "Awaiting explanation"),
    "status.answered": ("Đã giải trình", "Explained"),
    "status.overdue": ("Quá hạn giải trình", "Explanation overdue"),
    "status.resolved": ("Đã xử lý", "Done"),
    "outcome.ACCEPT": ("Chấp nhận", "Accepted"),
    "outcome.WARN": ("Cảnh báo", "Warning"),
    "outcome.PARTIAL_REJECT": ("Từ chối một phần", "Partly rejected"),
    "outcome.REJECT": ("Từ chối", "Rejected"),
    "sev.WARNING": ("Cảnh báo", "Warning"),
    "sev.PARTIAL": ("Xuất toán một phần", "Partial"),
    "sev.REJECT": ("Từ chối hồ sơ", "Reject claim"),
    "claim.back": ("← Hàng đợi", "← Queue"),
    "claim.version": ("lần gửi", "version"),
    "claim.revision": ("lần quyết định", "revision"),
    "claim.patient": ("Người bệnh", "Patient"),
    "claim.card": ("Thẻ BHYT", "HI card"),
    "claim.stay": ("Thời gian điều trị", "Stay"),
    "claim.diagnosis": ("Chẩn đoán chính", "Main diagnosis"),
    "claim.kind": ("Hình thức KCB", "Type of visit"),
    "claim.total": ("Tổng chi phí", "Total cost"),
    "claim.hi_claimed": ("BHYT đề nghị (T_BHTT)", "HI claimed (T_BHTT)"),
    "claim.copay": ("Người bệnh cùng chi trả", "Patient co-payment"),
    "claim.approved": ("Chấp nhận", "Approved"),
    "claim.rejected": ("Từ chối", "Rejected"),
    "claim.not_stored": ("Hồ sơ chưa được lưu vào kho dữ liệu; tải lại sau giây lát.",
                         "The claim is not in the store yet; reload in a moment."),
    "store.problem": ("Không đọc được kho dữ liệu (ClickHouse); một phần thông tin chưa hiển thị.",
                      "The data store (ClickHouse) could not be read; part of this page is "
                      "missing."),
    "claim.findings": ("Kết quả kiểm tra tự động", "Automatic findings"),
    "claim.drugs": ("Thuốc (XML2)", "Drugs (XML2)"),
    "claim.services": ("Dịch vụ kỹ thuật và vật tư (XML3)", "Services and supplies (XML3)"),
    "claim.visits": ("6 lần khám gần nhất", "Last 6 visits"),
    "claim.revisions": ("Các lần quyết định", "Decision revisions"),
    "claim.trail": ("Nhật ký giám định", "Review trail"),
    "claim.no_visits": ("Không có lần khám khác.", "No other visits."),
    "claim.automatic": ("tự động", "automatic"),
    "claim.pending": ("chờ xử lý", "pending"),
    "claim.settled": ("đã xử lý", "settled"),
    "claim.cleared": ("đã loại (báo sai)", "cleared (false positive)"),
    "claim.threshold": ("Ngưỡng", "Threshold"),
    "claim.legal": ("Căn cứ", "Legal basis"),
    "claim.line": ("Dòng", "Line"),
    "claim.reject_amount": ("Từ chối (₫)", "Reject (₫)"),
    "col.stt": ("STT", "No."),
    "col.code": ("Mã", "Code"),
    "col.name": ("Tên", "Name"),
    "col.qty": ("SL", "Qty"),
    "col.price": ("Đơn giá", "Unit price"),
    "col.hi_amount": ("BHYT trả", "HI pays"),
    "col.date": ("Ngày", "Date"),
    "col.who": ("Người thực hiện", "By"),
    "col.action": ("Thao tác", "Action"),
    "col.note": ("Ghi chú", "Note"),
    "col.finding": ("Nội dung", "Finding"),
    "act.title": ("Quyết định giám định", "Appraisal decision"),
    "act.note": ("Ghi chú (bắt buộc)", "Note (required)"),
    "act.CONFIRM": ("Đồng ý kết quả tự động", "Confirm automatic decision"),
    "act.REJECT_LINES": ("Từ chối các dòng đã chọn", "Reject selected lines"),
    "act.REJECT_CLAIM": ("Từ chối cả hồ sơ", "Reject the claim"),
    "act.CLEAR_HITS": ("Loại cảnh báo đã chọn (báo sai)", "Clear selected findings (false "
                       "positive)"),
    "act.REQUEST_EXPLANATION": ("Yêu cầu cơ sở giải trình", "Ask the facility to explain"),
    "act.EXPLAIN": ("Cơ sở giải trình", "Facility's explanation"),
    "act.EXPIRE": ("Hết hạn giải trình", "Explanation expired"),
    "act.UNLOCK": ("Mở khóa để gửi thay thế", "Unlock for replacement"),
    "act.due_days": ("Hạn trả lời (ngày)", "Answer within (days)"),
    "act.proposal": ("Nếu không giải trình", "If not explained"),
    "act.sent": ("Đã ghi nhận. Quyết định mới sẽ hiện trong giây lát.",
                 "Recorded. The new decision will show in a moment."),
    "act.taken_other": ("{who} đang xử lý hồ sơ này.", "{who} has this claim open."),
    "act.decide_after": ("Quyết định sau giải trình", "Decide after the explanation"),
    "expl.request": ("Yêu cầu giải trình", "Request for explanation"),
    "expl.due": ("Hạn", "Due"),
    "expl.answer": ("Trả lời của cơ sở", "The facility's answer"),
    "expl.none": ("Cơ sở chưa trả lời.", "No answer yet."),
    "expl.attachments": ("Tài liệu kèm theo", "Attachments"),
    "q.title": ("Chất lượng quy tắc theo kết quả giám định", "Rule quality from the reviews"),
    "q.intro": ("Mỗi cảnh báo được giám định viên xử lý: đồng ý, loại (báo sai) hoặc thay đổi "
                "kết quả. Tỷ lệ báo sai cao là căn cứ để điều chỉnh hoặc bỏ quy tắc.",
                "Each warning an appraiser settled: confirmed, cleared (false positive) or "
                "changed. A high false-positive share is the evidence to tune or retire a rule."),
    "q.reviewed": ("Đã xử lý", "Reviewed"),
    "q.confirmed": ("Đồng ý", "Confirmed"),
    "q.cleared": ("Báo sai", "Cleared"),
    "q.changed": ("Thay đổi", "Changed"),
    "q.share": ("Tỷ lệ báo sai", "False-positive share"),
    "q.amount": ("Số tiền liên quan", "Amount involved"),
    "q.none": ("Chưa có kết quả giám định nào.", "No reviews yet."),
    # --- fund-use pages (streams/web/fund/) ---------------------------------------------------
    "nav.fund": ("Quỹ BHYT", "HI fund"),
    "nav.anomalies": ("Bất thường", "Anomalies"),
    "fund.tab.map": ("Bản đồ", "Map"),
    "nav.notices": ("Thông báo", "Notices"),
    "fund.title": ("Sử dụng quỹ BHYT theo tỉnh", "HI fund use by province"),
    "fund.month": ("Tháng", "Month"),
    "fund.used": ("Quỹ BHYT đề nghị thanh toán", "Claimed from the HI fund"),
    "fund.vs_year": ("so với cùng tháng năm trước", "against the same month last year"),
    "fund.approved": ("Đã chấp nhận", "Approved"),
    "fund.flagged": ("Chỉ tiêu ở mức thông báo", "Indicators at notice level"),
    "fund.no_data": ("Chưa có số liệu sử dụng quỹ.", "No fund-use figures yet."),
    "fund.legend": ("Thay đổi so với cùng tháng năm trước", "Change against the same month "
                    "last year"),
    "fund.tiles": ("Mỗi ô là một tỉnh/thành phố (34 đơn vị sau sắp xếp năm 2025), đặt gần "
                   "đúng vị trí địa lý. Ô xám: ngoài phạm vi của bạn.",
                   "One square per province (the 34 since the 2025 merger), at its "
                   "approximate place. Grey squares: outside your jurisdiction."),
    "fund.col.province": ("Tỉnh/thành phố", "Province"),
    "fund.col.now": ("Tháng này", "This month"),
    "fund.col.before": ("Cùng kỳ năm trước", "A year earlier"),
    "fund.col.change": ("Thay đổi", "Change"),
    "fund.col.flags": ("Bất thường", "Anomalies"),
    "fund.col.indicators": ("Số chỉ tiêu", "Indicators"),
    "fund.trend": ("Quỹ BHYT 12 tháng gần nhất so với cùng kỳ năm trước",
                   "HI fund use, the last 12 months against the year before"),
    "fund.back": ("← Bản đồ", "← Map"),
    "fund.parts": ("Gồm các tỉnh cũ (mã)", "Made of the former provinces (codes)"),
    "fund.hidden": ("ngoài phạm vi của bạn", "outside your jurisdiction"),
    "fund.no_figures": ("chưa có số liệu", "no figures"),
    "fund.facilities": ("Các cơ sở KCB", "Facilities"),
    "fund.col.facility": ("Cơ sở KCB", "Facility"),
    "fund.col.tier": ("Hạng", "Tier"),
    "fund.col.visits": ("Lượt KCB", "Visits"),
    "fund.col.cpv": ("Chi phí/lượt", "Cost per visit"),
    "fund.col.vs_peers": ("So với nhóm", "Against peers"),
    "fund.bars": ("Thay đổi quỹ BHYT so với cùng kỳ, theo cơ sở",
                  "Change in HI fund use against a year earlier, per facility"),
    "fund.peers": ("Chi phí bình quân một lượt so với các cơ sở cùng hạng, cùng loại",
                   "Cost per visit against facilities of the same tier and kind"),
    "fund.n_peers": ("{n} cơ sở cùng nhóm", "{n} peers"),
    "fund.anomalies": ("Chỉ tiêu bất thường (3 tháng gần nhất)", "Anomalies (last 3 months)"),
    "fund.no_anomalies": ("Không có chỉ tiêu bất thường trong 3 tháng gần nhất.",
                          "No anomaly in the last 3 months."),
    "fund.level.notice": ("Thông báo", "Notice"),
    "fund.level.watch": ("Theo dõi", "Watch"),
    "fund.col.metric": ("Chỉ tiêu", "Indicator"),
    "fund.col.period": ("Kỳ", "Period"),
    "fund.col.observed": ("Thực tế", "Observed"),
    "fund.col.expected": ("Dự kiến", "Expected"),
    "fund.col.band": ("Ngưỡng nhóm", "Peers' band"),
    "fund.col.percentile": ("Vị trí trong nhóm", "Peer percentile"),
    "fund.col.excess": ("Chi phí vượt", "Excess cost"),
    "fund.col.level": ("Mức", "Level"),
    "fund.notices": ("Thông báo đã gửi cơ sở", "Notices sent to the facility"),
    "fund.col.month": ("Tháng", "Month"),
    "fund.col.status": ("Trạng thái", "Status"),
    "fund.col.followup": ("Kết quả tháng sau", "The month after"),
    "fund.no_notices": ("Chưa gửi thông báo nào.", "No notice sent."),
    "fund.claims": ("Hồ sơ tháng {m}: 50 hồ sơ đề nghị BHYT cao nhất",
                    "Claims of {m}: the 50 largest HI amounts"),
    "fund.no_claims": ("Không có hồ sơ trong tháng.", "No claim in the month."),
    "fund.col.claim": ("Mã hồ sơ (MA_LK)", "Claim (MA_LK)"),
    "fund.col.stay": ("Vào – ra", "In – out"),
    "fund.col.diagnosis": ("Chẩn đoán", "Diagnosis"),
    "fund.col.total": ("Tổng chi phí", "Total cost"),
    "fund.col.hi": ("BHYT đề nghị", "HI claimed"),
    "fund.col.outcome": ("Kết quả", "Outcome"),
    "fund.open_claim": ("Xem", "Open"),
    "fund.inpatient": ("Nội trú", "Inpatient"),
    "fund.outpatient": ("Ngoại trú", "Outpatient"),
    "fund.tier.1": ("Trung ương", "Central"),
    "fund.tier.2": ("Tỉnh", "Provincial"),
    "fund.tier.3": ("Huyện", "District"),
    "fund.tier.4": ("Xã", "Commune"),
    "fund.kind.public_hospital": ("Bệnh viện công", "Public hospital"),
    "fund.kind.private_hospital": ("Bệnh viện tư", "Private hospital"),
    "fund.kind.clinic": ("Phòng khám", "Clinic"),
    "fund.kind.health_station": ("Trạm y tế", "Health station"),
    "anomalies.title": ("Cơ sở có chỉ tiêu tăng bất thường", "Facilities with unusual rises"),
    "anomalies.all": ("Gồm cả mức theo dõi", "Include the watch level"),
    "anomalies.none": ("Không có chỉ tiêu bất thường trong tháng.", "No anomaly this month."),
    "anomalies.more": ("Biểu đồ cho {n} dòng đầu.", "Charts for the first {n} rows."),
    "notices.title": ("Theo dõi thông báo và kết quả điều chỉnh",
                      "Notices and what the facilities did"),
    "notices.none": ("Chưa có thông báo nào.", "No notice yet."),
    "notices.all": ("Tất cả các tháng", "All months"),
    "notices.issued_at": ("Phát hành", "Issued"),
    "notices.pdf": ("Tải PDF qua cổng tiếp nhận", "PDF on the portal"),
}


def text(key: str, lang: str, **values: object) -> str:
    vi, en = TEXT[key]
    out = en if lang == "en" else vi
    return out.format(**values) if values else out


def lang_of(cookie: str | None) -> str:
    return cookie if cookie in LANGS else "vi"


def money(value: float | Decimal | str | None, lang: str) -> str:
    """VND, whole dong: ``1.234.567 ₫`` (Vietnamese grouping) or ``1,234,567 ₫``."""
    if value is None or value == "":
        return ""
    amount = round(Decimal(str(value)))
    grouped = f"{amount:,}"
    return (grouped.replace(",", ".") if lang == "vi" else grouped) + " ₫"


def local_time(value: datetime | None) -> str:
    """An instant as the agency reads it: Vietnam time, to the minute."""
    if value is None:
        return ""
    if value.tzinfo is None:
        return value.strftime("%d/%m/%Y %H:%M")
    return value.astimezone(ZONE).strftime("%d/%m/%Y %H:%M")
