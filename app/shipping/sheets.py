"""Putting labels on paper: one merged PDF, four A6 labels per A4 sheet, or one ZPL stream."""

from __future__ import annotations

import io

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from reportlab.lib.pagesizes import A4

SHEET_W, SHEET_H = A4
SLOT_W, SLOT_H = SHEET_W / 2, SHEET_H / 2
# Top-left, top-right, bottom-left, bottom-right: the order people peel labels off a sheet.
SLOTS = ((0.0, SLOT_H), (SLOT_W, SLOT_H), (0.0, 0.0), (SLOT_W, 0.0))
LAYOUTS = ("a6", "a4x4")


def _pages(labels: list[bytes]) -> list[PageObject]:
    return [page for data in labels for page in PdfReader(io.BytesIO(data)).pages]


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge(labels: list[bytes]) -> bytes:
    """All label pages, in order, in one PDF."""
    if len(labels) == 1:
        return labels[0]
    writer = PdfWriter()
    for page in _pages(labels):
        writer.add_page(page)
    return _bytes(writer)


def four_up(labels: list[bytes], offset: int = 0) -> bytes:
    """Four labels per A4 sheet; ``offset`` skips slots already used on the first sheet."""
    if not 0 <= offset < len(SLOTS):
        raise ValueError(f"start offset must be 0-{len(SLOTS) - 1}, got {offset}")
    writer = PdfWriter()
    sheet: PageObject | None = None
    position = offset
    for page in _pages(labels):
        if sheet is None or position == len(SLOTS):
            sheet = writer.add_blank_page(SHEET_W, SHEET_H)
            position = position % len(SLOTS)
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        scale = min(SLOT_W / width, SLOT_H / height)
        x, y = SLOTS[position]
        top = y + SLOT_H - height * scale  # keep labels at the top of their slot
        sheet.merge_transformed_page(page, Transformation().scale(scale).translate(x, top))
        position += 1
    return _bytes(writer)


def layout_pdf(labels: list[bytes], layout: str = "a6", offset: int = 0) -> bytes:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    return four_up(labels, offset) if layout == "a4x4" else merge(labels)


def concat_zpl(labels: list[bytes]) -> bytes:
    """ZPL is plain text, one ^XA..^XZ per label: a bulk file is the labels one after another."""
    return b"".join(label if label.endswith(b"\n") else label + b"\n" for label in labels)
