"""Turn canonical events into rows: idempotent upserts that never go back in time.

Each upsert first makes sure the row exists (INSERT ... ON CONFLICT DO NOTHING), then locks it
(SELECT ... FOR UPDATE) and applies the event only if it is newer than what the row holds, so
two workers handling updates of one cart concurrently cannot interleave. Products go through
the catalog's one writer (``app.events.catalog``), a single statement per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.events import privacy
from app.events import types as ev
from app.events.catalog import upsert_products
from app.events.reactions import react, read_ahead_of_reactions, require_reactor
from app.events.visitors import link_visitor
from app.models import (
    Cart,
    Customer,
    Discount,
    FlowRun,
    Order,
    OrderLine,
    Product,
    Shop,
    ShopScope,
    cancel_runs,
    db,
    double_opt_in_required,
    utcnow,
)
from app.models.base import UTCDateTime
from app.models.batch import (
    forget_known,
    keep_locked,
    known,
    locked_row,
    memo,
    note_known,
    note_written,
    written,
)
from app.models.scope import shop_row_ids, shop_rows
from app.models.sql import insert_new_row, insert_new_rows

M = TypeVar("M")


def _lock_or_create(model: type[M], keys: dict[str, Any], defaults: dict[str, Any]) -> M:
    """The row of the shop's unique key (``keys``: the shop and one column), locked: held
    already by this batch's transaction, or inserted, or read ``FOR UPDATE``."""
    ((column, value),) = ((k, v) for k, v in keys.items() if k != "shop_id")
    session = db.session()
    row = locked_row(session, model, keys["shop_id"], column, value)
    if row is None:
        row = insert_new_row(model, {**keys, **defaults})
        if isinstance(row, Order):
            _note_inserted_order(session, row)
    if row is None:
        stmt = sa.select(model).filter_by(**keys).with_for_update()
        row = session.scalars(stmt).one()
    keep_locked(session, row, column)
    return row


def _note_inserted_order(session: Session, order: Order) -> None:
    # An order this transaction just inserted has no lines: its first need no DELETE.
    note_written(session, _lines_key(order), [])
    note_known(session, _inserted_key(order), True)


def inserted_by_batch(order: Order) -> bool:
    """Whether this batch's transaction inserted the order: no row stored before it names it
    (False when not known: outside a batch, or after a bulk change of orders forgot it)."""
    return bool(known(db.session(), _inserted_key(order)))


def _inserted_key(order: Order) -> tuple[Any, ...]:
    return (Order, order.shop_id, "inserted", order.id)


def _is_newer(incoming: datetime | None, stored: datetime | None) -> bool:
    return stored is None or (incoming is not None and incoming >= stored)


def upsert_customer(shop_id: int, contact: ev.Contact, at: datetime) -> Customer | None:
    """Find or create the customer a contact describes; None when it names nobody."""
    customer = lock_customer(shop_id, contact, at)
    if customer is not None:
        update_customer(customer, contact, at)
    return customer


def lock_customer(shop_id: int, contact: ev.Contact, at: datetime) -> Customer | None:
    """The customer a contact describes, locked: a new one inserted with the contact's details
    already, a stored one as it is (``update_customer`` applies the contact to it); None when
    the contact names nobody."""
    email = _email_of(contact)
    if not (contact.platform_customer_id or email):
        return None
    return _lock_customer(shop_id, contact, email, at)


def update_customer(customer: Customer, contact: ev.Contact, at: datetime) -> None:
    """Apply the contact to a customer ``lock_customer`` found (a redacted one stays erased)."""
    if customer.redacted_at is None:
        _update_customer(customer, contact, _email_of(contact), at)


def _email_of(contact: ev.Contact) -> str | None:
    return contact.email.strip().lower() if contact.email else None


def _update_customer(
    customer: Customer, contact: ev.Contact, email: str | None, at: datetime
) -> None:
    """What a contact changes on a stored (or new) customer: its platform id once known, its
    details when the contact is newer, and its consent (``_apply_consent``)."""
    if contact.platform_customer_id and not customer.platform_customer_id:
        customer.platform_customer_id = contact.platform_customer_id
    if _is_newer(at, customer.platform_updated_at):
        customer.platform_updated_at = at
        if email and customer.email != email:
            customer.email = email
        for attr in ("phone", "first_name", "last_name", "locale"):
            value = getattr(contact, attr)
            if value:
                setattr(customer, attr, value)
    _apply_consent(customer, contact, at)


def _new_customer(
    shop_id: int, contact: ev.Contact, email: str | None, at: datetime
) -> dict[str, Any]:
    """A new customer's row as the contact makes it: ``_update_customer`` applied to a row
    holding the columns' defaults, so that applying it again to the inserted row changes
    nothing and no UPDATE follows the INSERT. The row is built aside, never in the session."""
    table = Customer.__table__
    defaults = {
        column.key: column.default.arg
        for column in table.columns
        if column.default is not None and column.default.is_scalar
    }
    fresh = Customer(
        shop_id=shop_id, platform_customer_id=contact.platform_customer_id, email=email, **defaults
    )
    _update_customer(fresh, contact, email, at)
    values = {column.key: getattr(fresh, column.key) for column in table.columns}
    return {key: value for key, value in values.items() if value is not None}


def _lock_customer(
    shop_id: int, contact: ev.Contact, email: str | None, at: datetime
) -> Customer | None:
    """The customer of this platform id (else of this email), locked: held already by this
    batch's transaction, or inserted, or read ``FOR UPDATE``."""
    session, scope = db.session(), ShopScope(shop_id)
    platform_id = contact.platform_customer_id
    if platform_id:
        customer = locked_row(session, Customer, shop_id, "platform_customer_id", platform_id)
    else:
        customer = locked_row(session, Customer, shop_id, "email", email)
    if customer is None:
        customer = insert_new_row(Customer, _new_customer(shop_id, contact, email, at))
        if customer is not None:
            note_known(session, _customer_inserted_key(shop_id, customer.id), True)
    if customer is None and platform_id:
        customer = session.scalars(
            scope.select(Customer, Customer.platform_customer_id == platform_id).with_for_update()
        ).first()
    if customer is None and email:
        customer = session.scalars(
            scope.select(Customer, Customer.email == email).with_for_update()
        ).first()
    if customer is not None:
        keep_locked(session, customer, "platform_customer_id", "email")
    return customer


def customer_inserted_by_batch(shop_id: int, customer_id: int) -> bool:
    """Whether this batch's transaction inserted the customer: no row stored before it
    names it (False when not known: outside a batch, or after a bulk change forgot it)."""
    return bool(known(db.session(), _customer_inserted_key(shop_id, customer_id)))


def _customer_inserted_key(shop_id: int, customer_id: int) -> tuple[Any, ...]:
    return (Customer, shop_id, "inserted", customer_id)


def _granted_state(customer: Customer, channel: str, contact: ev.Contact) -> str:
    """What a "yes" from the platform makes of the customer's consent: a new email sign-up in
    a shop with double opt-in waits ("pending") for the shopper's own confirmation click,
    unless the platform already had the shopper confirm it."""
    if channel != "email" or customer.email_consent == "granted":
        return "granted"
    if contact.email_opt_in_confirmed:
        return "granted"
    return "pending" if double_opt_in_required(customer.shop_id) else "granted"


def _apply_consent(customer: Customer, contact: ev.Contact, at: datetime) -> None:
    when = contact.consent_updated_at or at
    for channel, given in (("email", contact.email_consent), ("sms", contact.sms_consent)):
        if given is None:
            continue
        stored_at = getattr(customer, f"{channel}_consent_at")
        if not _is_newer(when, stored_at):
            continue
        state = getattr(customer, f"{channel}_consent")
        refused = "withdrawn" if state == "granted" else "denied"
        new_state = _granted_state(customer, channel, contact) if given else refused
        if new_state != state:
            setattr(customer, f"{channel}_consent", new_state)
            setattr(customer, f"{channel}_consent_at", when)
            setattr(customer, f"{channel}_consent_source", contact.consent_source or "platform")


def apply_cart_updated(event: ev.CartUpdated) -> None:
    customer = upsert_customer(event.shop_id, event.customer, event.updated_at)
    _link_browser(event.shop_id, event.visitor_id, customer)
    # A new cart is inserted holding the update already: setting the same values again below
    # changes nothing, so no UPDATE follows the INSERT.
    cart = _lock_or_create(
        Cart,
        {"shop_id": event.shop_id, "cart_key": event.cart_key},
        _updated_cart(event, customer, None),
    )
    if not _is_newer(event.updated_at, cart.platform_updated_at):
        return
    for attr, value in _updated_cart(event, customer, cart).items():
        setattr(cart, attr, value)
    if cart.status == "active" and _ordered(event.shop_id, cart.cart_key):
        # The order came first (deliveries are not ordered): the cart was bought, not left.
        cart.status = "converted"


def _updated_cart(
    event: ev.CartUpdated, customer: Customer | None, stored: Cart | None
) -> dict[str, Any]:
    """What the cart holds once this newer update is applied to ``stored`` (None: a new
    cart): the update's values, and the stored ones where the update says nothing."""
    status = stored.status if stored is not None else "active"
    if status == "expired" or (status == "active" and not event.items):
        status = "active" if event.items else "expired"
    values: dict[str, Any] = {
        "platform_updated_at": event.updated_at,
        "items": [item.as_row() for item in event.items],
        "total": event.total,
        "currency": event.currency,
        "restore_url": event.restore_url or (stored.restore_url if stored else None),
        "platform_cart_token": event.platform_cart_token
        or (stored.platform_cart_token if stored else None),
        "email": (event.customer.email or (stored.email if stored else None) or "").lower() or None,
        "phone": event.customer.phone or (stored.phone if stored else None),
        "status": status,
    }
    if customer is not None:
        values["customer_id"] = customer.id
    return values


_LIVE_ORDER_OF_CART = shop_row_ids(
    Order, Order.cart_key == sa.bindparam("cart_key"), Order.cancelled.is_(False)
)


# Several shops at once (a batch's carts), each cart matched within its own shop.
_LIVE_ORDERS_OF_CARTS = (
    sa.select(Order.shop_id, Order.cart_key)
    .where(
        sa.tuple_(Order.shop_id, Order.cart_key).in_(sa.bindparam("carts", expanding=True)),
        Order.cancelled.is_(False),
    )
    .distinct()
)


def _ordered(shop_id: int, cart_key: str) -> bool:
    """Whether a live order already names this cart."""
    found = known(db.session(), _live_order_key(shop_id, cart_key))
    if found is not None:
        return bool(found)
    return ShopScope(shop_id).has(_LIVE_ORDER_OF_CART, cart_key=cart_key)


def _live_order_key(shop_id: int, cart_key: str) -> tuple[Any, ...]:
    return (Order, shop_id, "live order of cart", cart_key)


def _read_live_orders(events: list[ev.Event]) -> None:
    """Whether a live order names each cart of these events, for ``_ordered``."""
    session = db.session()
    carts = {
        (event.shop_id, event.cart_key)
        for event in events
        if isinstance(event, ev.CartUpdated | ev.CheckoutContact) and event.cart_key
    }
    if memo(session) is None or not carts:
        return
    found = set(map(tuple, session.execute(_LIVE_ORDERS_OF_CARTS, {"carts": list(carts)})))
    for shop_id, cart_key in carts:
        note_known(session, _live_order_key(shop_id, cart_key), (shop_id, cart_key) in found)


def _note_order_of_cart(order: Order, previous_cart_key: str | None) -> None:
    """What the batch knows of the orders of the carts this order names, before and now."""
    session = db.session()
    for cart_key in {previous_cart_key, order.cart_key} - {None}:
        assert cart_key is not None
        forget_known(session, _live_order_key(order.shop_id, cart_key))
    if order.cart_key and not order.cancelled:
        note_known(session, _live_order_key(order.shop_id, order.cart_key), True)


def apply_checkout_contact(event: ev.CheckoutContact) -> None:
    customer = upsert_customer(event.shop_id, event.customer, event.updated_at)
    _link_browser(event.shop_id, event.visitor_id, customer)
    if event.cart_key is None:
        return
    cart = _lock_or_create(Cart, {"shop_id": event.shop_id, "cart_key": event.cart_key}, {})
    if not _is_newer(event.updated_at, cart.platform_updated_at):
        return  # an older checkout state: the contact the cart holds is newer
    cart.email = (event.customer.email or cart.email or "").lower() or None
    cart.phone = event.customer.phone or cart.phone
    if customer is not None:
        cart.customer_id = customer.id
    if cart.status == "active" and _ordered(event.shop_id, cart.cart_key):
        cart.status = "converted"


def _link_browser(shop_id: int, visitor_id: str | None, customer: Customer | None) -> None:
    """The browser that carried this cart belongs to this customer: its views join theirs."""
    if visitor_id is not None and customer is not None and customer.redacted_at is None:
        link_visitor(shop_id, visitor_id, customer.id)


def apply_cart_deleted(event: ev.CartDeleted) -> None:
    """The platform deleted the checkout: its cart ends, and so do the cart's runs."""
    scope = ShopScope(event.shop_id)
    carts = list(
        db.session.scalars(
            scope.select(
                Cart, Cart.platform_cart_token == event.platform_cart_token
            ).with_for_update()
        )
    )
    for cart in carts:
        if cart.status != "converted":
            cart.status = "deleted"
        cancel_runs(event.shop_id, "cart_deleted", FlowRun.subject_key == f"cart:{cart.cart_key}")


def _earliest(stored: datetime | None, incoming: datetime | None) -> datetime | None:
    """A one-way milestone: once reached it stays, at the earliest time anyone reported."""
    if stored is None or incoming is None:
        return stored or incoming
    return min(stored, incoming)


def _lock_order(shop_id: int, order_id: str, placed_at: datetime, currency: str | None) -> Order:
    # A refund or fulfilment may arrive before its order: the row is made with what is known
    # and the order's own event, newer than nothing, fills in the rest.
    defaults: dict[str, Any] = {"placed_at": placed_at}
    if currency:
        defaults["currency"] = currency
    return _lock_or_create(Order, {"shop_id": shop_id, "platform_order_id": order_id}, defaults)


def _apply_order(event: ev._OrderEvent) -> None:
    # The contact is applied to a stored customer last, with the totals the order changes:
    # one UPDATE of the customer, not one flushed with the order and another for the totals.
    customer = lock_customer(event.shop_id, event.customer, event.updated_at)
    # A new order is inserted holding the event already: setting the same values again below
    # changes nothing, so no UPDATE follows the INSERT.
    keys = {"shop_id": event.shop_id, "platform_order_id": event.order_id}
    new = {k: v for k, v in _updated_order(event, customer, None, True).items() if v is not None}
    order = _lock_or_create(Order, keys, new)
    newer = _is_newer(event.updated_at, order.platform_updated_at)
    previous_cart_key = order.cart_key
    for attr, value in _updated_order(event, customer, order, newer).items():
        setattr(order, attr, value)
    _note_order_of_cart(order, previous_cart_key)
    if newer:
        replace_order_lines(order)
    if not order.cancelled:
        for code in event.discount_codes:
            mark_discount_used(event.shop_id, code, event.created_at)
    if order.cart_key and not order.cancelled:
        _convert_cart(event.shop_id, order.cart_key)
    if customer is not None:
        db.session.flush()
        refresh_customer_totals(event.shop_id, customer.id)
        update_customer(customer, event.customer, event.updated_at)


def _convert_cart(shop_id: int, cart_key: str) -> None:
    """The cart an order names was bought. One the batch holds locked is changed in the
    session (nothing to write when it says so already); else an UPDATE finds it, if stored."""
    cart = locked_row(db.session(), Cart, shop_id, "cart_key", cart_key)
    if cart is not None:
        cart.status = "converted"
        return
    db.session.execute(
        ShopScope(shop_id)
        .update(Cart, Cart.cart_key == cart_key)
        .values(status="converted")
        .execution_options(synchronize_session="fetch")
    )


def _updated_order(
    event: ev._OrderEvent, customer: Customer | None, stored: Order | None, newer: bool
) -> dict[str, Any]:
    """What the order holds once this event is applied to ``stored`` (None: a new order, its
    columns' defaults): its one-way facts always, its details only when the event is newer."""
    paid_at, cancelled = (stored.paid_at, stored.cancelled) if stored else (None, False)
    # Payment and cancellation are one-way facts: a late "created" must not un-pay an order.
    values: dict[str, Any] = {
        "paid_at": _earliest(paid_at, event.paid_at),
        "cancelled": cancelled or isinstance(event, ev.OrderCancelled),
    }
    if newer:
        values |= {
            "platform_updated_at": event.updated_at,
            "order_number": event.order_number or (stored.order_number if stored else None),
            "cart_key": event.cart_key or (stored.cart_key if stored else None),
            "email": (event.customer.email or (stored.email if stored else None) or "").lower()
            or None,
            "items": [item.as_row() for item in event.items] or (stored.items if stored else []),
            "total": event.total,
            "currency": event.currency,
            "payment_method": event.payment_method,
            "is_cod": event.is_cod,
            "shipping_address": event.shipping_address
            or (stored.shipping_address if stored else {}),
            "placed_at": event.created_at,
        }
    if customer is not None:
        values["customer_id"] = customer.id
    return values


def apply_order_refunded(event: ev.OrderRefunded) -> None:
    order = _lock_order(event.shop_id, event.order_id, event.refunded_at, None)
    if event.refund_id in order.refunds:
        return
    order.refunds = {**order.refunds, event.refund_id: str(event.amount)}
    order.refunded = sum((Decimal(a) for a in order.refunds.values()), Decimal("0"))
    if order.customer_id is not None:
        db.session.flush()
        refresh_customer_totals(event.shop_id, order.customer_id)


def apply_order_fulfilled(event: ev.OrderFulfilled) -> None:
    order = _lock_order(event.shop_id, event.order_id, event.fulfilled_at, None)
    order.fulfilled_at = _earliest(order.fulfilled_at, event.fulfilled_at)


_CUSTOMER_TOTALS = shop_rows(
    Order, Order.customer_id == sa.bindparam("customer_id"), Order.cancelled.is_(False)
).with_only_columns(
    sa.func.count(Order.id),
    sa.func.coalesce(sa.func.sum(Order.total - Order.refunded), 0),
    sa.func.min(Order.placed_at),
    sa.func.max(Order.placed_at),
)


def refresh_customer_totals(shop_id: int, customer_id: int) -> None:
    """Recompute order stats from the orders themselves, so replays cannot double-count
    (spend is net of refunds; cancelled orders count for nothing)."""
    scope = ShopScope(shop_id)
    count, spent, first, last = tuple(scope.run(_CUSTOMER_TOTALS, customer_id=customer_id).one())
    customer = scope.get(Customer, customer_id)
    if customer is None:
        return
    customer.order_count = count
    customer.total_spent = Decimal(spent)
    customer.first_order_at = _aware(first)
    customer.last_order_at = _aware(last)


def _aware(value: Any) -> datetime | None:
    # Aggregates bypass the column type on SQLite and come back as naive values or strings.
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, db.session.get_bind().dialect)


def apply_customer_updated(event: ev.CustomerUpdated) -> None:
    customer = upsert_customer(event.shop_id, event.customer, event.updated_at)
    if customer is None or customer.platform_updated_at != event.updated_at:
        return
    if event.address is not None:
        customer.address = event.address
    if event.birthday is not None:
        customer.birthday = event.birthday


def apply_product_changed(event: ev.ProductChanged) -> None:
    upsert_products(event.shop_id, [event])


def apply_product_deleted(event: ev.ProductDeleted) -> None:
    db.session.execute(
        ShopScope(event.shop_id)
        .update(Product, Product.platform_product_id == event.product_id)
        .values(status="deleted", in_stock=False)
    )


def apply_discount_redeemed(event: ev.DiscountRedeemed) -> None:
    mark_discount_used(event.shop_id, event.code, event.used_at)


def mark_discount_used(shop_id: int, code: str, at: datetime) -> None:
    """Mark our code used; the merchant's own codes are not in our table and are left alone."""
    # WooCommerce lower-cases coupon codes; ours are issued upper-case.
    db.session.execute(
        ShopScope(shop_id)
        .update(Discount, sa.func.lower(Discount.code) == code.lower(), Discount.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )


def apply_app_uninstalled(event: ev.AppUninstalled) -> None:
    """Stop everything for the shop at once. Its credentials are left to the platform's
    ``disconnect`` (called by whoever applied this), which may need them to take our webhooks
    out of the store before it forgets them."""
    shop = db.session.get(Shop, event.shop_id, with_for_update=True)
    if shop is None:
        return
    shop.status = "uninstalled"
    shop.uninstalled_at = utcnow()
    cancel_runs(event.shop_id, reason="shop_uninstalled")


def replace_order_lines(order: Order) -> None:
    """Mirror ``order.items`` into ``order_lines``, the table the recommendation model reads.

    In a batch, an order's next event with the same lines (an order's "created" and "paid"
    come in one delivery) leaves the lines this transaction wrote as they are, and an order
    it inserted gets its first lines without a DELETE."""
    db.session.flush()
    lines = [
        {
            "shop_id": order.shop_id,
            "order_id": order.id,
            "platform_product_id": str(item["product_id"]),
            "platform_variant_id": item.get("variant_id"),
            "quantity": int(item.get("quantity") or 1),
            "unit_price": Decimal(str(item.get("unit_price") or 0)),
            "placed_at": order.placed_at,
        }
        for item in order.items
        if item.get("product_id")
    ]
    session, key = db.session(), _lines_key(order)
    known = written(session, key)  # None: what the order has is not known
    if lines == known:
        return
    if known != []:
        session.execute(ShopScope(order.shop_id).delete(OrderLine, OrderLine.order_id == order.id))
    if lines:
        session.execute(_INSERT_LINES, lines)
    note_written(session, key, lines)


# A Core INSERT built once, the lines as parameters: the ORM's bulk insert built, hashed and
# ran its own statement per order for rows nobody loads.
_INSERT_LINES = sa.insert(OrderLine.__table__)


def _lines_key(order: Order) -> tuple[Any, ...]:
    return (OrderLine, order.shop_id, "order", order.id)


APPLIERS: dict[type[ev.Event], Callable[[Any], None]] = {
    ev.CartUpdated: apply_cart_updated,
    ev.CartDeleted: apply_cart_deleted,
    ev.CheckoutContact: apply_checkout_contact,
    ev.OrderCreated: _apply_order,
    ev.OrderPaid: _apply_order,
    ev.OrderCancelled: _apply_order,
    ev.OrderRefunded: apply_order_refunded,
    ev.OrderFulfilled: apply_order_fulfilled,
    ev.CustomerUpdated: apply_customer_updated,
    ev.ProductChanged: apply_product_changed,
    ev.ProductDeleted: apply_product_deleted,
    ev.DiscountRedeemed: apply_discount_redeemed,
    ev.AppUninstalled: apply_app_uninstalled,
    ev.CustomerRedact: privacy.apply_customer_redact,
    ev.CustomerDeleted: privacy.apply_customer_deleted,
    ev.ShopRedact: privacy.apply_shop_redact,
    ev.CustomerDataRequest: privacy.apply_customer_data_request,
}


def without_repeats(events: list[ev.Event]) -> list[ev.Event]:
    """One delivery's events, less those that only repeat the event just before them:

    - a checkout contact repeating the cart update before it (a Shopify checkout is both: the
      same cart, contact, visitor and time). Applying the update stored that contact on the
      cart and the customer and let the flows see the cart (every flow reacts to the two
      alike); the contact would upsert and enroll it all again;
    - an "order paid" repeating the "order created" before it, field for field (Shopify's
      orders/create of a paid order is both, each with the payment time). Applying "created"
      stored the order as paid, and every reaction decides on the stored order, not on the
      event's name (attribution, labels, the flows' stop rules and triggers treat the two
      alike); "paid" would apply and react to the same again, changing nothing."""
    kept: list[ev.Event] = []
    for event in events:
        previous = kept[-1] if kept else None
        if _repeats(event, previous):
            continue
        kept.append(event)
    return kept


def _repeats(event: ev.Event, previous: ev.Event | None) -> bool:
    if isinstance(event, ev.CheckoutContact) and isinstance(previous, ev.CartUpdated):
        return (previous.shop_id, previous.cart_key, previous.customer) == (
            event.shop_id,
            event.cart_key,
            event.customer,
        ) and (previous.visitor_id, previous.updated_at) == (event.visitor_id, event.updated_at)
    if type(event) is ev.OrderPaid and type(previous) is ev.OrderCreated:
        return vars(event) == vars(previous)
    return False


def read_ahead(events: list[ev.Event]) -> None:
    """In a batch (``app.models.batch``): what applying these events and reacting to them will
    ask the database, read at once for all of them instead of once per event."""
    _read_live_orders(events)
    read_ahead_of_reactions(events)


# A shop's events in a batch whose new customers and carts may be inserted ahead: these only
# find their own rows by their own keys. With anything else in the shop's part of the batch (an
# erasure, an uninstall, a consent or catalog change) its events go one by one as they come.
_CREATE_AHEAD_IN = (
    ev.CartUpdated,
    ev.CheckoutContact,
    ev.OrderCreated,
    ev.OrderPaid,
    ev.OrderCancelled,
    ev.OrderRefunded,
    ev.OrderFulfilled,
)


def create_ahead(events: list[ev.Event]) -> None:
    """In a batch: the customers, carts and orders these events (as they will be applied, in
    order) are the first to name, inserted at once, one INSERT of many rows each, instead of
    one INSERT per event as it comes. Each row holds what its event would have inserted
    (``_new_customer``, ``_updated_cart``, ``_updated_order``), and is kept locked by its keys,
    so the event finds it (``locked_row``) where it would have inserted it, and changes nothing.

    Only keys no earlier event of the batch names are inserted: a customer whose platform id
    and email are both new to the batch; a cart whose key is, named first by its own update;
    an order whose key is, named first by its created, paid or cancelled event, whose cart is
    new to the batch too; the cart's or order's customer new to the batch (inserted here) or
    none. So no event before the one that inserts a row
    can meet it through a key, and what each event finds by its keys is what it found when
    rows were inserted one by one. A row that the database holds already (a conflict) is left
    to its event, which then finds the stored one as before; a customer's new keys that
    collide with a row inserted ahead fail the batch, which then goes one delivery at a time."""
    session = db.session()
    if memo(session) is None:
        return
    left_alone = {event.shop_id for event in events if not isinstance(event, _CREATE_AHEAD_IN)}
    customers: list[dict[str, Any]] = []
    carts: list[tuple[ev.CartUpdated, tuple[Any, ...] | None]] = []  # (event, customer key)
    orders: list[tuple[ev._OrderEvent, tuple[Any, ...] | None]] = []
    claimed: set[tuple[Any, ...]] = set()
    for event in events:
        if event.shop_id in left_alone:
            continue
        applied = _contact_applied(event)
        keys = _customer_keys(event.shop_id, applied[0]) if applied is not None else []
        fresh = bool(keys) and not claimed.intersection(keys)
        if fresh and applied is not None:
            contact, at = applied
            customers.append(_new_customer(event.shop_id, contact, _email_of(contact), at))
        claimed.update(keys)
        owner = keys[0] if keys else None  # the customer the event's row names, if any
        fresh_owner = fresh or not keys
        cart_key = getattr(event, "cart_key", None)
        cart = (event.shop_id, "cart_key", cart_key) if cart_key else None
        fresh_cart = cart is None or cart not in claimed
        if cart is not None:
            claimed.add(cart)
        if isinstance(event, ev.CartUpdated) and cart is not None and fresh_cart and fresh_owner:
            carts.append((event, owner))
        order_id = getattr(event, "order_id", None)
        order = (event.shop_id, "platform_order_id", order_id) if order_id else None
        if (
            isinstance(event, _ORDER_APPLIED)
            and order not in claimed
            and fresh_cart
            and fresh_owner
        ):
            orders.append((event, owner))
        if order is not None:
            claimed.add(order)
    inserted: dict[tuple[Any, ...], Customer] = {}
    for new in insert_new_rows(Customer, customers):
        keep_locked(session, new, "platform_customer_id", "email")
        note_known(session, _customer_inserted_key(new.shop_id, new.id), True)
        for key in _customer_keys(new.shop_id, new):
            inserted[key] = new
    rows = []
    for event, customer_key in carts:
        owner_row = inserted.get(customer_key) if customer_key is not None else None
        if customer_key is None or owner_row is not None:
            values = _updated_cart(event, owner_row, None)
            rows.append({"shop_id": event.shop_id, "cart_key": event.cart_key, **values})
    for new_cart in insert_new_rows(Cart, rows):
        keep_locked(session, new_cart, "cart_key")
    rows = []
    for order_event, customer_key in orders:
        owner_row = inserted.get(customer_key) if customer_key is not None else None
        if customer_key is None or owner_row is not None:
            values = _updated_order(order_event, owner_row, None, True)
            named = {"shop_id": order_event.shop_id, "platform_order_id": order_event.order_id}
            rows.append({**named, **{k: v for k, v in values.items() if v is not None}})
    for new_order in insert_new_rows(Order, rows):
        _note_inserted_order(session, new_order)
        keep_locked(session, new_order, "platform_order_id")


def _contact_applied(event: ev.Event) -> tuple[ev.Contact, datetime] | None:
    """The contact whose customer applying the event finds or inserts (``upsert_customer``,
    ``lock_customer``), with the event's time; None when it names none."""
    if isinstance(event, _WITH_CUSTOMER):
        return event.customer, event.updated_at
    return None


# The order events that store the order itself (``_apply_order``): they may insert it.
_ORDER_APPLIED = (ev.OrderCreated, ev.OrderPaid, ev.OrderCancelled)
_WITH_CUSTOMER = (
    ev.CartUpdated,
    ev.CheckoutContact,
    ev.OrderCreated,
    ev.OrderPaid,
    ev.OrderCancelled,
)


def _customer_keys(shop_id: int, person: ev.Contact | Customer) -> list[tuple[Any, ...]]:
    """The unique keys a contact (or a stored customer) has, the one it is looked up by first:
    its platform id, else its email."""
    email = _email_of(person) if isinstance(person, ev.Contact) else person.email
    keys = [
        (shop_id, "platform_customer_id", person.platform_customer_id),
        (shop_id, "email", email),
    ]
    return [key for key in keys if key[2]]


def apply(event: ev.Event) -> None:
    """Store what the event says, then let the flows react to it.

    Runs inside the caller's transaction; the caller commits.
    """
    require_reactor()
    applier = APPLIERS.get(type(event))
    if applier is not None:
        applier(event)
    react(event)
