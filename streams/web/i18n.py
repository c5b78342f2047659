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
