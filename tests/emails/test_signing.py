from __future__ import annotations

import pytest
from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer

from app.emails import tracking
from app.emails.signing import LinkSigner, link_signer

PAYLOADS = [
    [7, 1001],
    [7, 1001, "https://demo.example/products/linen-shirt?variant=42"],
    [7, None, "ola@example.com", "pl"],
    {"s": 7, "k": "cart-abc", "d": "BACK-K7Q2ZP", "x": 1_900_000_000},
    {"s": 7, "k": 'koszyk-żółw-ș\u2028"\\', "d": None, "x": 2**63, "f": True, "n": [1.5, -0.0]},
    # Repetitive enough that itsdangerous zlib-compresses it (the token starts with ".").
    [7, 1001, "https://demo.example/" + "products/" * 20],
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_tokens_are_byte_for_byte_those_of_itsdangerous(payload: object) -> None:
    reference = URLSafeSerializer("s3cret", salt="storeflow.click")

    token = LinkSigner("s3cret", "storeflow.click").dumps(payload)

    assert token == reference.dumps(payload)
    assert reference.loads(token) == payload


def test_a_payload_json_cannot_carry_is_refused_as_itsdangerous_refuses_it() -> None:
    with pytest.raises(TypeError):
        URLSafeSerializer("s3cret", salt="storeflow.click").dumps([7, {1, 2}])
    with pytest.raises(TypeError):
        LinkSigner("s3cret", "storeflow.click").dumps([7, {1, 2}])


def test_a_compressible_payload_is_compressed_as_before() -> None:
    token = LinkSigner("s3cret", "storeflow.click").dumps(PAYLOADS[-1])

    assert token.startswith(".")


def test_a_token_of_another_purpose_or_secret_is_refused() -> None:
    token = LinkSigner("s3cret", "storeflow.open").dumps([7, 1001])

    assert LinkSigner("s3cret", "storeflow.open").loads(token) == [7, 1001]
    with pytest.raises(BadSignature):
        LinkSigner("s3cret", "storeflow.unsubscribe").loads(token)
    with pytest.raises(BadSignature):
        LinkSigner("other", "storeflow.open").loads(token)


def test_a_new_secret_key_signs_with_the_new_key(app: Flask) -> None:
    before = link_signer("storeflow.open").dumps([7, 1001])
    app.config["SECRET_KEY"] = "rotated-" + app.config["SECRET_KEY"]
    try:
        after = link_signer("storeflow.open").dumps([7, 1001])
        assert after != before
        assert URLSafeSerializer(app.config["SECRET_KEY"], salt="storeflow.open").loads(after)
    finally:
        app.config["SECRET_KEY"] = app.config["SECRET_KEY"].removeprefix("rotated-")


def test_click_tracker_signs_a_target_once_and_leaves_mailto_alone(app: Flask) -> None:
    click_url = tracking.click_tracker(7, 1001)

    first = click_url("https://demo.example/products/1")
    again = click_url("https://demo.example/products/1")
    other = click_url("https://demo.example/products/2")

    assert first == again and first != other
    token = first.rsplit("/", 1)[-1]
    reference = URLSafeSerializer(app.config["SECRET_KEY"], salt="storeflow.click")
    assert reference.loads(token) == [7, 1001, "https://demo.example/products/1"]
    assert click_url("mailto:shop@example.com") == "mailto:shop@example.com"
