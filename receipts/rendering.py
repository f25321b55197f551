"""The receipts' Jinja2 templates rendered to PDF (weasyprint, Noto Sans CJK), with a QR
code as a PNG of one pixel per module (crisp at any size, and read back by the tests)."""

from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from catalog.calendar import CHINA_TZ

HERE = Path(__file__).parent / "templates"
QR_BORDER = 4  # modules of quiet zone, as the standard asks
_env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]))


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_data_uri(url: str) -> str:
    """`url` as a QR code: a PNG data URI, one pixel per module."""
    return qr_code(url).png_data_uri(scale=1, border=QR_BORDER)


def china_day(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d") if value else "—"


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered to a PDF; nothing is fetched (images are data URIs)."""
    from weasyprint import HTML  # slow to import; only the PDFs need it

    html = _env.get_template(template).render(day=china_day, **context)
    return HTML(string=html, base_url=str(HERE)).write_pdf()
