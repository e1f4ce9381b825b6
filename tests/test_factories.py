"""The root factories build on each other and take keyword overrides, in every test folder."""

from __future__ import annotations


def test_cart_is_left_by_the_customer_of_the_shop(shop, customer, cart):
    assert (customer.shop_id, cart.shop_id) == (shop.id, shop.id)
    assert (cart.customer_id, cart.email) == (customer.id, "ola@example.com")


def test_factories_take_overrides_and_default_to_their_parent_fixture(
    make_shop, make_customer, make_cart, shop
):
    other = make_shop(n=2, platform="shopify")
    bob = make_customer(other, email="bob@example.com", email_consent="withdrawn")
    assert (bob.shop_id, bob.email_consent) == (other.id, "withdrawn")
    assert make_cart(bob, cart_key="c-9").shop_id == other.id
    assert make_customer(email="eve@example.com").shop_id == shop.id  # the `shop` fixture
    assert make_cart().email == "ola@example.com"  # no customer given: the `customer` fixture's


def test_runner_runs_storeflow_commands(runner):
    result = runner.invoke(args=["storeflow", "--help"])
    assert result.exit_code == 0 and "print-labels" in result.output
