"""The own label as an A6 PDF, one page per parcel, with a Code128 barcode."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from functools import cache

import reportlab
from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.connectors.couriers.own.content import LabelContent

# Polish and Romanian names (ł, ș, ț) are outside the PDF base fonts' encoding: use a TTF.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    os.path.join(os.path.dirname(str(reportlab.__file__)), "fonts", "Vera.ttf"),
)
WIDTH, HEIGHT = A6
# Binary (not ASCII85) compressed streams: smaller labels, and faster to write and to merge.
rl_config.useA85 = 0


@cache
def _font() -> str:
    for path in _FONT_CANDIDATES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("LabelSans", path))
            return "LabelSans"
    return "Helvetica"


def render_pdf(content: LabelContent) -> bytes:
    return render_many([content])


def render_many(contents: Sequence[LabelContent]) -> bytes:
    """Many labels in one document: the font is embedded once, which makes bulk print fast."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A6, pageCompression=1)
    canvas.setTitle(f"Label {contents[0].tracking_number}" if len(contents) == 1 else "Labels")
    for content in contents:
        for index in range(content.parcel_count):
            _draw_page(canvas, content, index)
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_page(canvas: Canvas, content: LabelContent, index: int) -> None:
    font = _font()
    margin = 6 * mm
    y = HEIGHT - margin - 3 * mm
    canvas.setFont(font, 7)
    canvas.drawString(margin, y, "FROM")
    for line in content.address_lines(content.sender):
        y -= 3.2 * mm
        canvas.drawString(margin, y, line[:60])
    y -= 6 * mm
    canvas.setFont(font, 8)
    canvas.drawString(margin, y, "TO")
    canvas.setFont(font, 11)
    for line in content.address_lines(content.recipient):
        y -= 4.6 * mm
        canvas.drawString(margin, y, line[:40])
    if content.pickup_point:
        y -= 5 * mm
        canvas.drawString(margin, y, f"Pickup point: {content.pickup_point}")
    y -= 7 * mm
    canvas.setFont(font, 9)
    canvas.drawString(margin, y, f"Order {content.order_reference}")
    canvas.drawRightString(WIDTH - margin, y, content.parcel_line(index))
    cod = content.cod_line()
    if cod:
        y -= 6 * mm
        canvas.setFont(font, 13)
        canvas.drawString(margin, y, cod)
    _draw_barcode(canvas, content.tracking_number, font)


def _draw_barcode(canvas: Canvas, number: str, font: str) -> None:
    barcode = Code128(number, barHeight=18 * mm, barWidth=0.33 * mm, quiet=False)
    x = (WIDTH - barcode.width) / 2
    barcode.drawOn(canvas, x, 14 * mm)
    canvas.setFont(font, 12)
    canvas.drawCentredString(WIDTH / 2, 8 * mm, number)
