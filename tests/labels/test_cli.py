from __future__ import annotations

import io

from pypdf import PdfReader

from app.demo import seed
from app.labels.cli import demo_pay_order, label_links, print_labels
from app.models import Shipment, ShopScope


def test_print_labels_writes_one_pdf_and_names_failed_orders(
    app, labelled_shop, make_orders, tmp_path
):
    make_orders(2)
    make_orders(1, shipping_address={"name": "Ola"})
    out = tmp_path / "batch"

    result = app.test_cli_runner().invoke(
        print_labels, ["--shop", labelled_shop.domain, "--out", str(out)]
    )

    assert result.exit_code == 1  # a failure is never silent
    assert "2 order(s) printed" in result.output
    assert "FAILED #7002: failed: shipping address incomplete" in result.output
    assert len(PdfReader(io.BytesIO((tmp_path / "batch.pdf").read_bytes())).pages) == 2


def test_print_labels_for_chosen_orders_only(app, labelled_shop, make_orders, tmp_path):
    make_orders(3)
    out = tmp_path / "two"

    result = app.test_cli_runner().invoke(
        print_labels,
        ["--shop", labelled_shop.domain, "--order", "#7002", "--order", "7000", "--out", str(out)],
    )

    assert result.exit_code == 0, result.output
    pages = PdfReader(io.BytesIO((tmp_path / "two.pdf").read_bytes())).pages
    assert ["#7002" in pages[0].extract_text(), "#7000" in pages[1].extract_text()] == [True, True]


def test_unknown_shop_or_order_is_a_clear_error(app, labelled_shop):
    runner = app.test_cli_runner()
    assert "no shop with domain" in runner.invoke(print_labels, ["--shop", "nope"]).output
    result = runner.invoke(print_labels, ["--shop", labelled_shop.domain, "--order", "404"])
    assert "no order '404'" in result.output


def test_demo_paying_an_order_gives_a_label_and_a_shipping_email(
    app, run_jobs, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_URL", f"file://{tmp_path}/outbox")
    shop = seed()
    runner = app.test_cli_runner()

    paid = runner.invoke(demo_pay_order, ["--number", "1001"])
    run_jobs()

    assert "order/paid 1001 -> HTTP 200" in paid.output
    assert "labels: http://storeflow.test/labels/shop/" in paid.output
    [shipment] = ShopScope(shop.id).all(Shipment)
    assert shipment.status == "created" and shipment.tracking_number.startswith("DB")
    [email] = list((tmp_path / "outbox").glob("*.eml"))
    assert shipment.tracking_number in email.read_text()
    assert (
        "http://storeflow.test/labels/shop/"
        in runner.invoke(label_links, ["--shop", shop.domain]).output
    )
