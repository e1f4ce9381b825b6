"""Canonical events: what connectors turn platform payloads into, and what flows see.

Events carry the platform's own time (``updated_at``/``created_at``); ``apply`` never lets an
older update overwrite newer state, and applying the same event twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Contact:
    email: str | None = None
    phone: str | None = None
    first_name: str = ""
    last_name: str = ""
    locale: str | None = None
    platform_customer_id: str | None = None
    # None means "the payload said nothing about consent"; we then keep what we know.
    email_consent: bool | None = None
    sms_consent: bool | None = None
    consent_updated_at: datetime | None = None
    consent_source: str | None = None
    # The platform itself confirmed the email sign-up with the shopper (Shopify's
    # ``opt_in_level: confirmed_opt_in``): our own double opt-in would only ask again.
    email_opt_in_confirmed: bool = False


@dataclass(frozen=True, kw_only=True)
class LineItem:
    product_id: str
    variant_id: str | None = None
    quantity: int = 1
    unit_price: Decimal = Decimal("0")
    title: str = ""
    variant_title: str = ""
    image_url: str | None = None
    url: str | None = None
    compare_at_price: Decimal | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "variant_id": self.variant_id,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "title": self.title,
            "variant_title": self.variant_title,
            "image_url": self.image_url,
            "url": self.url,
            "compare_at_price": None
            if self.compare_at_price is None
            else str(self.compare_at_price),
        }


@dataclass(frozen=True, kw_only=True)
class Event:
    shop_id: int


@dataclass(frozen=True, kw_only=True)
class CartUpdated(Event):
    cart_key: str
    customer: Contact
    items: tuple[LineItem, ...] = ()
    total: Decimal = Decimal("0")
    currency: str = "EUR"
    restore_url: str | None = None
    # Shopify's ``cart_token``, kept so that ``checkouts/delete`` (which names nothing else we
    # hold) finds the cart.
    platform_cart_token: str | None = None
    # The storefront visitor id the shopper's browser carries (WooCommerce plugin events), so
    # the views they made before anyone knew them join the customer.
    visitor_id: str | None = None
    updated_at: datetime

    @property
    def is_empty(self) -> bool:
        return not self.items


@dataclass(frozen=True, kw_only=True)
class CheckoutContact(Event):
    cart_key: str | None
    customer: Contact
    visitor_id: str | None = None
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class _OrderEvent(Event):
    order_id: str
    order_number: str | None = None
    cart_key: str | None = None
    customer: Contact
    items: tuple[LineItem, ...] = ()
    total: Decimal = Decimal("0")
    currency: str = "EUR"
    payment_method: str | None = None
    is_cod: bool = False
    shipping_address: dict[str, Any] = field(default_factory=dict)
    # Discount codes the order used: how we learn that a code we issued was redeemed.
    discount_codes: tuple[str, ...] = ()
    # Placed and paid are two facts: a cash-on-delivery order is placed (label, no more cart
    # reminders) long before it is paid (revenue). ``created_at`` is when it was placed.
    created_at: datetime
    paid_at: datetime | None = None  # None: the shop does not (yet) say it is paid
    updated_at: datetime

    @property
    def paid(self) -> bool:
        return self.paid_at is not None


@dataclass(frozen=True, kw_only=True)
class OrderCreated(_OrderEvent):
    """The order as it stands; its type says it was placed (and nothing more)."""


@dataclass(frozen=True, kw_only=True)
class OrderPaid(_OrderEvent):
    """The order as it stands, once the shop says it is paid (``paid_at`` set)."""


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(_OrderEvent):
    """The order as it stands, cancelled: no revenue, no label, no follow-up."""


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(Event):
    """One refund of an order (an order may have several). Keyed by the refund's own id, so the
    same refund seen twice (its webhook, then inside the updated order) counts once."""

    order_id: str
    refund_id: str
    amount: Decimal
    refunded_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderFulfilled(Event):
    """The shop sent (some of) the order: the clock of "after fulfilment" follow-ups."""

    order_id: str
    fulfilled_at: datetime


# What the order events are about, for the listeners that react to any of them.
ORDER_EVENTS = (OrderCreated, OrderPaid, OrderCancelled, OrderRefunded, OrderFulfilled)


@dataclass(frozen=True, kw_only=True)
class CartDeleted(Event):
    """The platform deleted the checkout: its cart is gone and nobody is reminded of it."""

    platform_cart_token: str


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(Event):
    customer: Contact
    address: dict[str, Any] | None = None
    birthday: date | None = None
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class CustomerIdle(Event):
    customer_id: int
    last_order_at: datetime
    days_idle: int


@dataclass(frozen=True, kw_only=True)
class ProductsBrowsed(Event):
    """A known customer looked at products again and again and went no further (no cart, no
    order); emitted by the browse scan (``app/insights/browsing.py``), not by a platform."""

    customer_id: int
    product_ids: tuple[str, ...]  # the platform's ids, most viewed first
    first_viewed_at: datetime
    last_viewed_at: datetime


@dataclass(frozen=True, kw_only=True)
class Offer:
    """Price and stock as the shop states them for something it sells. Both platforms say the
    same three things about stock, so one rule (``sellable``) reads them all."""

    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    stock: int | None = None  # units on hand; None: the shop does not count them
    sells_when_out: bool = False  # Shopify "continue selling", WooCommerce backorders

    @property
    def sellable(self) -> bool:
        return self.stock is None or self.stock > 0 or self.sells_when_out


@dataclass(frozen=True, kw_only=True)
class ProductVariant(Offer):
    id: str
    title: str = ""
    sku: str | None = None
    weight_grams: int | None = None  # None: the payload does not say (we keep what we know)
    image_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProductChanged(Event):
    """A product as the shop shows it. Every path that reports a product (webhook, bulk
    export, REST sync) fills the same facts; price and stock are derived from them here."""

    product_id: str
    title: str
    handle: str | None = None
    url: str | None = None  # the product page the shopper sees
    image_url: str | None = None
    category: str | None = None
    status: str = "active"
    # The product's own price and stock when the platform states them on the product
    # (WooCommerce rolls a variable product's variations up into it, on webhooks and REST
    # alike); without it the variants decide. Variants are listed only by some paths.
    offer: Offer | None = None
    cross_sell_ids: tuple[str, ...] = ()
    upsell_ids: tuple[str, ...] = ()
    variants: tuple[ProductVariant, ...] = ()
    updated_at: datetime

    @property
    def offers(self) -> tuple[Offer, ...]:
        return (self.offer,) if self.offer is not None else self.variants

    @property
    def in_stock(self) -> bool:
        """Something of it can be bought now: counted stock, uncounted, or oversold."""
        return any(offer.sellable for offer in self.offers)

    @property
    def price(self) -> Decimal | None:
        """The "from" price: the cheapest priced offer's."""
        return self._cheapest.price

    @property
    def compare_at_price(self) -> Decimal | None:
        """The cheapest offer's compare-at price, so "was/now" describe the same offer."""
        return self._cheapest.compare_at_price

    @property
    def _cheapest(self) -> Offer:
        priced = [offer for offer in self.offers if offer.price is not None]
        return min(priced, key=lambda offer: offer.price or 0, default=Offer())


@dataclass(frozen=True, kw_only=True)
class ProductDeleted(Event):
    product_id: str
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PriceChange:
    """One product's price, before and after (the platform's id); in an alert, the price of
    ``variant_id`` when the shopper chose one the catalog knows."""

    product_id: str
    old_price: Decimal
    new_price: Decimal
    variant_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CatalogChanged(Event):
    """What a catalog write changed that shoppers may want to hear of: products now cheaper
    than we held them, and products back on sale after being out of stock. Emitted by the
    catalog writer (``app/events/catalog.py``) once per batch, whichever path wrote it."""

    price_drops: tuple[PriceChange, ...] = ()
    restocked: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PriceDropped(Event):
    """Products a customer viewed or carted are cheaper than when they saw them; emitted by
    the alert job (``app/flows/watchers.py``), ``old_price`` being the price they saw."""

    customer_id: int
    drops: tuple[PriceChange, ...]


@dataclass(frozen=True, kw_only=True)
class BackInStock(Event):
    """Products a customer viewed or carted while out of stock can be bought again;
    ``variants``: (product id, variant id) of those where they chose a variant."""

    customer_id: int
    product_ids: tuple[str, ...]
    variants: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class DiscountRedeemed(Event):
    """A discount code the shop reports as used (ours are single-use: once is enough)."""

    code: str
    used_at: datetime


@dataclass(frozen=True, kw_only=True)
class AppUninstalled(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class CustomerRedact(Event):
    """Erase a person's data (Shopify ``customers/redact``, the WordPress eraser's
    ``customer.erase``)."""

    customer: Contact
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CustomerDeleted(Event):
    """The shop deleted the customer: they are erased like a redaction and never marketed to."""

    customer: Contact


@dataclass(frozen=True, kw_only=True)
class ShopRedact(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class CustomerDataRequest(Event):
    customer: Contact
    request_id: str | None = None
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BirthdayComing(Event):
    """A consenting customer's birthday is near; emitted by the birthday scan
    (``app/insights/birthdays.py``) once a year per customer, not by a platform."""

    customer_id: int
    birthday: date  # the day it is celebrated this time (28 February for a 29 February)
    send_at: datetime  # the shop's chosen hour, in the shop's timezone, on the day found


@dataclass(frozen=True, kw_only=True)
class ReplenishmentDue(Event):
    """A consenting customer's own gap since buying these products passed the products' usual
    gap between two purchases; emitted by the replenishment scan
    (``app/insights/replenishment.py``) once per purchase cycle, not by a platform."""

    customer_id: int
    product_ids: tuple[str, ...]  # the platform's ids, longest overdue first
    last_bought_at: datetime  # the newest of their last purchases of them
