"""The own label in ZPL II for 203 dpi thermal printers (8 dots per mm), one ^XA..^XZ per parcel."""

from __future__ import annotations

from app.connectors.couriers.own.content import LabelContent

DOTS_PER_MM = 8  # 203 dpi
WIDTH_DOTS = 105 * DOTS_PER_MM  # A6
HEIGHT_DOTS = 148 * DOTS_PER_MM


def _field(x: int, y: int, size: int, text: str) -> str:
    # ^FH lets us escape the ZPL control characters ^ and ~ that may occur in names.
    safe = text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")
    return f"^FO{x},{y}^A0N,{size},{size}^FH^FD{safe}^FS"


def render_zpl(content: LabelContent) -> str:
    return "".join(_label(content, index) for index in range(content.parcel_count))


def _label(content: LabelContent, index: int) -> str:
    parts = ["^XA", "^CI28", f"^PW{WIDTH_DOTS}", f"^LL{HEIGHT_DOTS}"]
    y = 40
    parts.append(_field(48, y, 22, "FROM"))
    for line in content.address_lines(content.sender):
        y += 26
        parts.append(_field(48, y, 22, line[:60]))
    y += 50
    parts.append(_field(48, y, 26, "TO"))
    for line in content.address_lines(content.recipient):
        y += 40
        parts.append(_field(48, y, 36, line[:40]))
    if content.pickup_point:
        y += 44
        parts.append(_field(48, y, 32, f"Pickup point: {content.pickup_point}"))
    y += 60
    parts.append(_field(48, y, 30, f"Order {content.order_reference}"))
    parts.append(_field(560, y, 30, content.parcel_line(index)))
    cod = content.cod_line()
    if cod:
        y += 50
        parts.append(_field(48, y, 44, cod))
    parts.append(f"^FO80,{HEIGHT_DOTS - 300}^BY3^BCN,160,Y,N,N^FD{content.tracking_number}^FS")
    parts.append("^XZ")
    return "\n".join(parts) + "\n"
