"""Reports as HTML and PDF (WeasyPrint), with their two empty signature fields.

The HTML templates (``templates/``) follow the agency's forms: masthead, title, period, the
figures, and two signature blocks (preparer, head). Each block holds an empty box with an id;
after layout, WeasyPrint gives the position of those ids on the last page, and pyHanko adds a
signature field of the box's size there. Both fields exist from generation on, so the two later
signatures only fill fields (pyHanko's "form filling" changes), which keeps the first valid
after the second (docs/settlement.md).

Numbers are written the Vietnamese way: ``1.234.567`` (dot thousands), ``1.234.567,50``;
dates ``31/03/2025``. The text uses DejaVu, which has every Vietnamese diacritic.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
FIELDS = ("preparer", "head")  # signing order
_PX_TO_PT = 0.75  # CSS px (1/96 in) to PDF points (1/72 in)
OUTCOMES = {"ACCEPT": "Chấp nhận", "PARTIAL_REJECT": "Từ chối một phần", "REJECT": "Từ chối",
            "WARN": "Đang giám định"}


def vnd(value: Any, signed: bool = False) -> str:
    """``1234567.5`` → ``1.234.567,50``; whole amounts without decimals; ``signed`` puts a + on
    positive adjustments."""
    amount = Decimal(str(value or 0)).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    whole, cents = divmod(abs(amount), 1)
    text = f"{int(whole):,}".replace(",", ".")
    if cents:
        text += "," + f"{cents:.2f}"[2:]
    return sign + text


def num(value: Any) -> str:
    return f"{int(value or 0):,}".replace(",", ".")


def pct(value: Any) -> str:
    return vnd(Decimal(str(value or 0))).rstrip() + "%" if value else "0%"


def vndate(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def vntime(value: datetime) -> str:
    """An instant (UTC) in Vietnam's time, as the forms write it."""
    local = (value.replace(tzinfo=None) if value.tzinfo else value) + timedelta(hours=7)
    return local.strftime("%H:%M ngày %d/%m/%Y")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vnd=vnd, num=num, pct=pct, vndate=vndate, vntime=vntime,
                       outcome=lambda o: OUTCOMES.get(o, o))
    return env


def render_html(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(f"{template}.html").render(**context)


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` with the two empty signature fields on the last page."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(TEMPLATES)).render()
    last = document.pages[-1]
    height_pt = last.height * _PX_TO_PT
    pdf = document.write_pdf()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name in FIELDS:
        x1, y1, x2, y2 = last.anchors[f"sig-{name}"]  # CSS px from the top left
        box = (round(x1 * _PX_TO_PT), round(height_pt - y2 * _PX_TO_PT),
               round(x2 * _PX_TO_PT), round(height_pt - y1 * _PX_TO_PT))
        append_signature_field(writer, SigFieldSpec(sig_field_name=name,
                                                    on_page=len(document.pages) - 1, box=box))
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
