"""A notice as HTML (Jinja) and PDF (WeasyPrint), in Vietnamese or English.

The PDF embeds DejaVu Sans (Debian's fonts-dejavu, found by fontconfig): it has every Vietnamese
diacritic, so the document reads the same on any machine. Each finding carries a small SVG
gauge — the peers' band, the facility's expected level and the observed value on one scale —
because "how far above the others" is seen faster than read.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from streams.fund.notices import texts
from streams.fund.notices.compose import Anomaly, Notice

LANGS = ("vi", "en")
_HERE = Path(__file__).parent
_env: Environment | None = None


def _environment() -> Environment:
    global _env  # built on first use: no work at import time
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(_HERE / "templates")),
                           autoescape=select_autoescape(["html"]))
    return _env


def gauge(a: Anomaly, width: int = 150, height: int = 22) -> str:
    """Inline SVG: grey band peer_low..peer_high, blue tick at expected, red dot at observed."""
    values = [v for v in (a.peer_low, a.peer_high, a.expected, a.observed) if v == v]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad

    def x(v: float) -> float:
        return round(4 + (v - low) / (high - low) * (width - 8), 1)

    mid = height / 2
    band_width = max(x(a.peer_high) - x(a.peer_low), 1)
    band = (f'<rect x="{x(a.peer_low)}" y="{mid - 4}" width="{band_width}" height="8" rx="2" '
            'fill="#c9d1db"/>')
    tick = (f'<rect x="{x(a.expected) - 1}" y="{mid - 8}" width="2.5" height="16" '
            f'fill="#0b5cad"/>')
    dot = f'<circle cx="{x(a.observed)}" cy="{mid}" r="5" fill="#b42318"/>'
    axis = (f'<line x1="4" y1="{mid}" x2="{width - 4}" y2="{mid}" stroke="#8a96a3" '
            'stroke-width="0.6"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{axis}{band}{tick}{dot}</svg>')


def _context(notice: Notice, lang: str, issued_at: datetime) -> dict[str, Any]:
    def period(a: Anomaly) -> str:
        return f"{a.period_start:%d/%m/%Y} –\u00a0{a.period_end:%d/%m/%Y}"

    def explanation(a: Anomaly) -> str:
        return a.explanation_en if lang == "en" else a.explanation_vi

    return {
        "n": notice, "lang": lang, "w": lambda key, **v: texts.word(key, lang, **v),
        "metric": lambda m: texts.metric_name(m, lang),
        "amount": lambda m, v: texts.amount(m, v, lang),
        "short": lambda m, v: texts.short_amount(m, v, lang),
        "money": lambda v: texts.grouped(v, lang) + " ₫",
        "percent": lambda f: texts.percent(f, lang),
        "pct": lambda p: texts.grouped(p, lang, 0),
        "followup": lambda s: texts.pick(texts.FOLLOWUP_NAMES[s], lang),
        "month": texts.month_label(notice.month, lang),
        "prev_month": (texts.month_label(notice.previous.month, lang)
                       if notice.previous else ""),
        "period": period, "explanation": explanation, "gauge": gauge,
        "issued": issued_at.strftime("%d/%m/%Y"),
    }


def render_html(notice: Notice, lang: str, issued_at: datetime) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGS)}")
    template = _environment().get_template("notice.html")
    return template.render(**_context(notice, lang, issued_at))


def render_pdf(notice: Notice, lang: str, issued_at: datetime) -> bytes:
    from weasyprint import HTML  # heavy (Pango, fonts): only where a PDF is made

    pdf: bytes = HTML(string=render_html(notice, lang, issued_at)).write_pdf()
    return pdf
