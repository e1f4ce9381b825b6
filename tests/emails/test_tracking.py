from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.emails import tracking
from app.models import AuditLog, Customer, FlowRun, Message, Shop, Suppression, db


@pytest.fixture()
def message(shop: Shop, customer: Customer, make_message: Callable[..., Message]) -> Message:
    return make_message(shop, customer)


def _path(url: str) -> str:
    assert url.startswith("http://storeflow.test/")
    return url[len("http://storeflow.test") :]


def _fresh(row: Any) -> Any:
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def test_open_pixel_records_the_first_open_only(client: FlaskClient, message: Message) -> None:
    url = tracking.open_pixel_url(message.shop_id, message.id)

    first = client.get(_path(url))
    opened_at = _fresh(message).opened_at
    second = client.get(_path(url))

    assert first.status_code == 200 and first.mimetype == "image/gif"
    assert first.data.startswith(b"GIF89a")
    assert opened_at is not None
    assert second.status_code == 200
    assert _fresh(message).opened_at == opened_at


def test_click_redirects_to_the_signed_target_and_records_once(
    client: FlaskClient, message: Message
) -> None:
    track = tracking.click_tracker(message.shop_id, message.id)
    url = track("https://demo.example/cart/restore?token=abc&x=1")

    first = client.get(_path(url))
    clicked_at = _fresh(message).clicked_at
    second = client.get(_path(url))

    assert first.status_code == 302
    assert first.headers["Location"] == "https://demo.example/cart/restore?token=abc&x=1"
    assert clicked_at is not None and _fresh(message).opened_at is not None
    assert second.status_code == 302 and _fresh(message).clicked_at == clicked_at


def test_tampered_tokens_are_refused_and_record_nothing(
    client: FlaskClient, message: Message
) -> None:
    click = _path(tracking.click_tracker(message.shop_id, message.id)("https://demo.example/"))
    pixel = _path(tracking.open_pixel_url(message.shop_id, message.id))
    unsubscribe = _path(tracking.unsubscribe_url(message.shop_id, "ola@example.com", "pl"))

    assert client.get(click[:-3] + "xyz").status_code == 404
    assert client.get(pixel.replace(".gif", "x.gif")).status_code == 404
    assert client.post(unsubscribe[:-2] + "zz").status_code == 404
    # A pixel token is not a click token, even though both are signed by us.
    assert client.get(pixel.replace("/t/o/", "/t/c/").removesuffix(".gif")).status_code == 404
    row = _fresh(message)
    assert row.opened_at is None and row.clicked_at is None
    assert db.session.scalars(sa.select(Suppression)).all() == []


def test_click_tracker_leaves_non_web_links_alone(app: Flask) -> None:
    assert tracking.click_tracker(1, 2)("mailto:shop@example.com") == "mailto:shop@example.com"


# Addresses the quick check answers and addresses it must leave to urlsplit.
ODD_LINKS = [
    "https://shop.example/products/1?a=1&b=2#top",
    "http://shop.example",
    "https://shop.example:8443/p",
    "HTTPS://shop.example/p",
    " https://shop.example/p",
    "https:///p",
    "https://?q",
    "https://#x",
    "https://",
    "https:shop.example",
    "https://shop.example/\tp",
    "https://sh\nop.example/p",
    "https://[::1]/p",
    "https://żabka.example/p",
    "https://shop.example/żabka",
    "ftp://shop.example/p",
    "mailto:shop@example.com",
    "//shop.example/p",
    "/relative/p",
    "",
]


@pytest.mark.parametrize("url", ODD_LINKS)
def test_web_link_check_agrees_with_urlsplit(url: str) -> None:
    parsed = urlsplit(url)

    assert tracking._is_web_url(url) == (parsed.scheme in ("http", "https") and bool(parsed.netloc))


def test_web_link_check_takes_shop_links_and_refuses_others() -> None:
    assert tracking._is_web_url("https://shop.example/products/1?a=1&b=2")
    assert tracking._is_web_url("HTTP://shop.example/p")
    assert not tracking._is_web_url("https:///p")
    assert not tracking._is_web_url("mailto:shop@example.com")


def test_unsubscribe_page_asks_first_in_the_shoppers_language(
    client: FlaskClient, shop: Shop, customer: Customer
) -> None:
    url = tracking.unsubscribe_url(shop.id, "ola@example.com", "pl", customer.id)

    page = client.get(_path(url))

    assert page.status_code == 200
    assert "Wypisać się z wiadomości od Test shop?" in page.text
    assert "Tak, wypisz mnie" in page.text
    assert _fresh(customer).email_consent == "granted"  # a GET (link scanner) changes nothing
    assert db.session.scalars(sa.select(Suppression)).all() == []


def test_one_click_unsubscribe_suppresses_and_cancels_marketing_runs(
    client: FlaskClient, shop: Shop, customer: Customer, make_run: Callable[..., FlowRun]
) -> None:
    cart_run = make_run(shop, customer, "abandoned_cart")
    winback_run = make_run(shop, customer, "reactivation")
    notice_run = make_run(shop, customer, "shipping_notice")
    url = tracking.unsubscribe_url(shop.id, "ola@example.com", "ro", customer.id)

    response = client.post(
        _path(url),
        data={"List-Unsubscribe": "One-Click"},
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Te-ai dezabonat" in response.text
    [suppression] = db.session.scalars(sa.select(Suppression)).all()
    assert (suppression.shop_id, suppression.channel, suppression.address) == (
        shop.id,
        "email",
        "ola@example.com",
    )
    assert suppression.reason == "unsubscribe"
    fresh = _fresh(customer)
    assert (fresh.email_consent, fresh.email_consent_source) == ("withdrawn", "unsubscribe")
    assert _fresh(cart_run).state == "cancelled" and _fresh(cart_run).end_reason == "unsubscribed"
    assert _fresh(winback_run).state == "cancelled"
    assert _fresh(notice_run).state == "active"  # shipping notices are not marketing
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["unsubscribed"]
    assert tracking.is_suppressed(shop.id, "OLA@example.com")


def test_unsubscribing_twice_keeps_one_suppression(
    client: FlaskClient, shop: Shop, customer: Customer
) -> None:
    url = _path(tracking.unsubscribe_url(shop.id, "Ola@Example.com", "en"))

    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200

    assert db.session.scalar(sa.select(sa.func.count(Suppression.id))) == 1
    assert _fresh(customer).email_consent == "withdrawn"
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["unsubscribed"]


def test_unsubscribe_of_one_shop_leaves_another_shops_customer_alone(
    client: FlaskClient, make_shop: Any, customer: Customer
) -> None:
    other = make_shop(n=2, name="Other shop")
    url = _path(tracking.unsubscribe_url(other.id, "ola@example.com", "en"))

    assert client.post(url).status_code == 200

    assert _fresh(customer).email_consent == "granted"
    assert db.session.scalars(sa.select(Suppression.shop_id)).all() == [other.id]
    assert not tracking.is_suppressed(customer.shop_id, "ola@example.com")


def test_unsubscribe_link_does_not_carry_the_address(
    app: Flask, shop: Shop, customer: Customer
) -> None:
    token = tracking.unsubscribe_url(shop.id, "ola@example.com", "pl", customer.id).rsplit("/")[-1]
    payload = token.split(".")[0]

    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"ola@example.com" not in decoded
    assert tracking.read_unsubscribe(token).email == "ola@example.com"


def test_unsubscribe_link_of_an_erased_customer_is_gone(
    client: FlaskClient, shop: Shop, customer: Customer
) -> None:
    url = _path(tracking.unsubscribe_url(shop.id, "ola@example.com", "pl", customer.id))
    customer.email = None
    db.session.commit()

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_list_unsubscribe_headers_follow_rfc_8058() -> None:
    assert tracking.list_unsubscribe_headers("https://s.test/u/T") == {
        "List-Unsubscribe": "<https://s.test/u/T>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
