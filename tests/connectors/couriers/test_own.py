from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A6

from app.connectors.couriers.base import Parcel
from app.connectors.couriers.own import OwnLabels
from app.connectors.couriers.own.numbers import check_digit, is_valid, tracking_number
from tests.support.couriers import make_request

THREE_PARCELS = (Parcel(Decimal("1")), Parcel(Decimal("2")), Parcel(Decimal("0.5")))


def test_check_digit_is_the_upu_s10_one():
    # UPU S10's own worked example: RR 47312482 9 GB.
    assert check_digit("47312482") == 9


def test_tracking_number_is_prefix_sequence_and_check_digit():
    number = tracking_number("sf", 473124820 // 10)
    assert number == "SF473124829"
    assert is_valid(number)


def test_a_mistyped_tracking_number_is_not_valid():
    assert not is_valid("SF473124820")
    assert not is_valid("SF47312482")


def test_bad_prefix_or_sequence_is_refused():
    with pytest.raises(ValueError):
        tracking_number("S1", 5)
    with pytest.raises(ValueError):
        tracking_number("SF", 0)


def test_pdf_has_one_a6_page_per_parcel_with_the_barcode_text():
    adapter = OwnLabels(prefix="SF", tracking_url="https://t.example/{number}")
    result = adapter.create_shipment(make_request(parcels=THREE_PARCELS, sequence=42))

    reader = PdfReader(io.BytesIO(result.label or b""))
    assert len(reader.pages) == 3
    for index, page in enumerate(reader.pages):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (round(A6[0]), round(A6[1]))
        text = page.extract_text()
        assert result.tracking_number in text
        assert f"Parcel {index + 1}/3" in text
        assert "Order 1001" in text
    assert result.tracking_url == f"https://t.example/{result.tracking_number}"


def test_pdf_prints_the_cod_amount_only_for_cod_orders():
    adapter = OwnLabels()
    cod = adapter.create_shipment(make_request(cod_amount=Decimal("189.5"), sequence=7))
    prepaid = adapter.create_shipment(make_request(sequence=8))

    assert "COD 189.50 PLN" in PdfReader(io.BytesIO(cod.label or b"")).pages[0].extract_text()
    assert "COD" not in PdfReader(io.BytesIO(prepaid.label or b"")).pages[0].extract_text()


def test_recipient_names_keep_their_polish_letters():
    result = OwnLabels().create_shipment(make_request(sequence=9))
    text = PdfReader(io.BytesIO(result.label or b"")).pages[0].extract_text()
    assert "Kraków" in text


def test_zpl_has_one_label_per_parcel_at_203_dpi():
    result = OwnLabels().create_shipment(
        make_request(parcels=THREE_PARCELS, label_format="ZPL", sequence=42)
    )
    zpl = (result.label or b"").decode()

    labels = [chunk for chunk in zpl.split("^XZ") if chunk.strip()]
    assert len(labels) == 3
    for label in labels:
        assert label.strip().startswith("^XA")
        assert "^PW840" in label  # 105 mm at 8 dots/mm
        assert f"^BCN,160,Y,N,N^FD{result.tracking_number}^FS" in label
    assert zpl.rstrip().endswith("^XZ")
    assert result.label_format == "ZPL"


def test_zpl_escapes_control_characters_in_names():
    from dataclasses import replace

    from tests.support.couriers import RECIPIENT

    request = make_request(recipient=replace(RECIPIENT, name="Ann ^XZ Evil"), label_format="ZPL")
    zpl = (OwnLabels().create_shipment(request).label or b"").decode()
    assert zpl.count("^XZ") == 1
