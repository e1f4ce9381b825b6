from __future__ import annotations

import io

from pypdf import PdfReader

from app.shipping.cli import label_links, print_labels


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


def test_label_settings_store_credentials_encrypted_and_never_show_them(app, shop):
    from app.shipping import settings as label_settings
    from app.shipping.cli import label_settings_command

    result = app.test_cli_runner().invoke(
        label_settings_command,
        [
            "--shop",
            shop.domain,
            "--courier",
            "inpost",
            "--trigger",
            "paid",
            "--enable",
            "--sender",
            "name=Sklep",
            "--sender",
            "city=Kraków",
            "--credential",
            "token=s3cr3t-token",
            "--credential",
            "organization_id=42",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "s3cr3t-token" not in result.output
    assert '"credentials": [\n    "organization_id",\n    "token"\n  ]' in result.output
    saved = label_settings.load(shop.id)
    assert (saved.enabled, saved.courier, saved.sender["city"]) == (True, "inpost", "Kraków")
    assert label_settings.courier_credentials(shop, "inpost")["token"] == "s3cr3t-token"


def test_label_settings_refuse_malformed_values(app, shop):
    from app.shipping.cli import label_settings_command

    result = app.test_cli_runner().invoke(
        label_settings_command, ["--shop", shop.domain, "--parcel", "weight_kg=heavy"]
    )
    assert result.exit_code != 0
    assert "invalid parcel defaults" in result.output


def test_label_links_prints_the_merchant_page_in_the_shops_admin(app, make_shop, labelled_shop):
    woo = make_shop(n=3, platform="woocommerce", domain="sklep.example")
    shopify = make_shop(n=4, platform="shopify", domain="sklep-ani.myshopify.com")
    runner = app.test_cli_runner()

    for shop, expected in (
        (woo, "https://sklep.example/wp-admin/admin.php?page=storeflow-dashboard"),
        (
            shopify,
            f"https://admin.shopify.com/store/sklep-ani/apps/{app.config['SHOPIFY_API_KEY']}",
        ),
    ):
        result = runner.invoke(label_links, ["--shop", shop.domain])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == expected
    # A shop whose admin frames no merchant page gets no link (no signed label link any more).
    refused = runner.invoke(label_links, ["--shop", labelled_shop.domain])
    assert refused.exit_code != 0 and "labels/shop" not in refused.output
