from __future__ import annotations

import io

from pypdf import PdfReader

from app.models import Shipment, ShopScope, db
from app.shipping import settings as label_settings
from app.shipping.bulk import bulk_print, printable_orders


def pages(pdf: bytes | None) -> list:
    return list(PdfReader(io.BytesIO(pdf or b"")).pages)


def test_bulk_of_200_orders_gives_one_pdf_with_200_pages(labelled_shop, make_orders):
    order_ids = make_orders(200)

    result = bulk_print(labelled_shop.id, order_ids)

    assert result.failures == {}
    assert len(result.printed) == 200
    printed = pages(result.pdf)
    assert len(printed) == 200
    # In the order asked for, each page the label of its order.
    assert "Order #7000" in printed[0].extract_text()
    assert "Order #7199" in printed[199].extract_text()
    assert len(ShopScope(labelled_shop.id).all(Shipment)) == 200


def test_orders_without_a_shipment_get_one_and_printing_again_reuses_it(labelled_shop, make_orders):
    order_ids = make_orders(3)
    first = bulk_print(labelled_shop.id, order_ids)
    numbers = sorted(s.tracking_number for s in ShopScope(labelled_shop.id).all(Shipment))

    second = bulk_print(labelled_shop.id, order_ids)

    assert len(pages(first.pdf)) == len(pages(second.pdf)) == 3
    db.session.expire_all()
    again = sorted(s.tracking_number for s in ShopScope(labelled_shop.id).all(Shipment))
    assert again == numbers


def test_failures_are_listed_per_order_and_the_rest_still_print(labelled_shop, make_orders):
    good = make_orders(2)
    bad = make_orders(1, shipping_address={"first_name": "Ola"})
    cancelled = make_orders(1, cancelled=True)

    result = bulk_print(labelled_shop.id, [good[0], bad[0], cancelled[0], good[1], 999999])

    assert len(pages(result.pdf)) == 2
    assert result.printed == ["#7000", "#7001"]
    assert result.failures == {
        "#7002": "failed: shipping address incomplete: street, city, postal_code missing",
        "#7003": "order is cancelled",
        "id 999999": "no such order in this shop",
    }


def test_four_a6_labels_per_a4_sheet_with_a_start_offset(labelled_shop, make_orders):
    order_ids = make_orders(6)

    result = bulk_print(labelled_shop.id, order_ids, layout="a4x4", offset=3)

    sheets = pages(result.pdf)
    # One slot left on the first sheet, four on the second, one on the third.
    assert len(sheets) == 3
    assert all(
        [round(float(p.mediabox.width)), round(float(p.mediabox.height))] == [595, 842]
        for p in sheets
    )
    assert "#7000" in sheets[0].extract_text()
    assert all(f"#{n}" in sheets[1].extract_text() for n in range(7001, 7005))
    assert "#7005" in sheets[2].extract_text()


def test_zpl_labels_are_concatenated_into_one_file(labelled_shop, make_orders):
    settings = label_settings.load(labelled_shop.id)
    label_settings.save(
        labelled_shop.id,
        label_settings.LabelSettings(
            **{**settings.as_values(), "enabled": True, "label_format": "ZPL"}
        ),
    )
    db.session.commit()
    order_ids = make_orders(3)

    result = bulk_print(labelled_shop.id, order_ids)

    assert result.pdf is None
    text = (result.zpl or b"").decode()
    assert text.count("^XA") == text.count("^XZ") == 3


def test_printable_orders_are_the_paid_not_cancelled_ones(labelled_shop, make_orders):
    paid = make_orders(2)
    make_orders(1, paid_at=None)
    make_orders(1, cancelled=True)
    assert printable_orders(labelled_shop.id) == paid


def test_cash_on_delivery_orders_are_printable_once_placed_though_not_yet_paid(
    labelled_shop, make_orders
):
    paid = make_orders(1)
    cod = make_orders(1, paid_at=None, is_cod=True, payment_method="cod")
    make_orders(1, paid_at=None)  # a card order not paid yet waits
    make_orders(1, paid_at=None, is_cod=True, cancelled=True)
    assert printable_orders(labelled_shop.id) == paid + cod


def test_assembling_without_creating_names_orders_with_no_or_a_failed_shipment(
    labelled_shop, make_orders
):
    shipped = make_orders(1)
    bulk_print(labelled_shop.id, shipped)
    failed = make_orders(1, shipping_address={"first_name": "Ola"})
    bulk_print(labelled_shop.id, failed)
    never = make_orders(1)

    result = bulk_print(labelled_shop.id, [never[0], failed[0], shipped[0]], create_missing=False)

    assert result.printed == ["#7000"]
    assert len(pages(result.pdf)) == 1
    assert result.failures == {
        "#7002": "no shipment yet",
        "#7001": "failed: shipping address incomplete: street, city, postal_code missing",
    }
    # Nothing was created for the order that had no shipment.
    assert len(ShopScope(labelled_shop.id).all(Shipment)) == 2
