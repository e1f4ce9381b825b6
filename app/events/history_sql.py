"""The statements of the set-based history import (``app.events.history``), PostgreSQL only.

One chunk is COPYed into three temporary tables (dropped at commit), then: customers are
inserted where nobody of that id or email exists, each shopper is resolved to their customer
(platform id first, then email), platform ids are linked, orders are upserted with their lines
in one statement, and then each customer touched is updated once: names and consent the way
``events.apply.upsert_customer`` updates them, order totals recomputed from their orders.
Every statement names the shop: nothing here can reach another shop's rows.
"""

from __future__ import annotations

CONTACT_COLUMNS = (
    "key, pid, email, phone, first_name, last_name, locale, at, email_consent, sms_consent, "
    "consent_at, consent_source, confirmed"
)
ORDER_COLUMNS = (
    "platform_order_id, contact_key, order_number, email, cart_key, items, total, currency, "
    "cancelled, payment_method, is_cod, shipping_address, placed_at, paid_at, fulfilled_at, "
    "refunds, platform_updated_at"
)
LINE_COLUMNS = "platform_order_id, product_id, variant_id, quantity, unit_price"

STAGING = (
    """CREATE TEMP TABLE IF NOT EXISTS history_contacts (
        key text PRIMARY KEY, pid text, email text, phone text, first_name text,
        last_name text, locale text, at timestamptz, email_consent boolean,
        sms_consent boolean, consent_at timestamptz, consent_source text, confirmed boolean,
        customer_id integer
    ) ON COMMIT DROP""",
    """CREATE TEMP TABLE IF NOT EXISTS history_orders (
        platform_order_id text PRIMARY KEY, contact_key text, order_number text, email text,
        cart_key text, items json, total numeric, currency text, cancelled boolean,
        payment_method text, is_cod boolean, shipping_address jsonb, placed_at timestamptz,
        paid_at timestamptz, fulfilled_at timestamptz, refunds jsonb,
        platform_updated_at timestamptz
    ) ON COMMIT DROP""",
    """CREATE TEMP TABLE IF NOT EXISTS history_lines (
        platform_order_id text, product_id text, variant_id text, quantity integer,
        unit_price numeric
    ) ON COMMIT DROP""",
    """CREATE TEMP TABLE IF NOT EXISTS history_customers (
        customer_id integer PRIMARY KEY, pid text, email text, phone text, first_name text,
        last_name text, locale text, at timestamptz, email_consent boolean,
        sms_consent boolean, consent_at timestamptz, consent_source text, confirmed boolean
    ) ON COMMIT DROP""",
    "TRUNCATE history_contacts, history_orders, history_lines, history_customers",
)

INSERT_CUSTOMERS = """
INSERT INTO customers (shop_id, platform_customer_id, email, first_name, last_name, address,
    email_consent, sms_consent, order_count, total_spent, created_at, updated_at)
SELECT :shop, h.pid, h.email, '', '', '{}'::jsonb, 'unknown', 'unknown', 0, 0, now(), now()
FROM history_contacts h
ORDER BY h.at
ON CONFLICT DO NOTHING
"""

RESOLVE_CUSTOMERS = """
UPDATE history_contacts h SET customer_id = coalesce(
    (SELECT c.id FROM customers c WHERE c.shop_id = :shop AND c.platform_customer_id = h.pid),
    (SELECT c.id FROM customers c WHERE c.shop_id = :shop AND c.email = h.email))
"""

# One row per customer (two shoppers of the chunk may be one customer: a guest's email and
# the platform's id), the newest first; keyed and analysed so the updates below look each
# customer up by its id, whatever the planner believes of a shop's freshly imported rows.
COLLECT_CUSTOMERS = (
    """INSERT INTO history_customers
    SELECT DISTINCT ON (customer_id) customer_id, pid, email, phone, first_name, last_name,
        locale, at, email_consent, sms_consent, consent_at, consent_source, confirmed
    FROM history_contacts WHERE customer_id IS NOT NULL ORDER BY customer_id, at DESC""",
    "ANALYZE history_customers",
)

# A customer first known by email (a guest order) takes the platform id an order names.
LINK_PLATFORM_IDS = """
UPDATE customers c SET platform_customer_id = h.pid, updated_at = now()
FROM history_customers h
WHERE c.shop_id = :shop AND c.id = h.customer_id AND h.pid IS NOT NULL
  AND c.platform_customer_id IS NULL
  AND c.redacted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM customers o
                  WHERE o.shop_id = :shop AND o.platform_customer_id = h.pid)
"""


def _consent(channel: str) -> str:
    """SET clauses of one channel's consent, as ``apply._apply_consent`` decides it: only a
    newer statement counts; a "yes" to email waits for the shopper's confirmation in a double
    opt-in shop unless the platform confirmed it; a "no" after a "yes" is a withdrawal."""
    state, at, source = f"c.{channel}_consent", f"c.{channel}_consent_at", f"{channel}_consent"
    when = "coalesce(h.consent_at, h.at)"
    applies = (
        f"(c.redacted_at IS NULL AND h.{channel}_consent IS NOT NULL "
        f"AND ({at} IS NULL OR {when} >= {at}))"
    )
    granted = (
        f"CASE WHEN {state} = 'granted' OR h.confirmed OR NOT :double_opt_in "
        "THEN 'granted' ELSE 'pending' END"
        if channel == "email"
        else "'granted'"
    )
    refused = f"CASE WHEN {state} = 'granted' THEN 'withdrawn' ELSE 'denied' END"
    new = f"(CASE WHEN h.{channel}_consent THEN {granted} ELSE {refused} END)"
    changes = f"({applies} AND {new} <> {state})"
    return (
        f"{source} = CASE WHEN {changes} THEN {new} ELSE {state} END,\n"
        f"    {source}_at = CASE WHEN {changes} THEN {when} ELSE {at} END,\n"
        f"    {source}_source = CASE WHEN {changes} "
        f"THEN coalesce(h.consent_source, 'platform') ELSE c.{source}_source END"
    )


# A redacted customer is never written to again (their order totals still follow the orders).
_NEWER_CUSTOMER = (
    "(c.redacted_at IS NULL AND (c.platform_updated_at IS NULL OR h.at >= c.platform_updated_at))"
)


def _field(name: str) -> str:
    return (
        f"{name} = CASE WHEN {_NEWER_CUSTOMER} AND coalesce(h.{name}, '') <> '' "
        f"THEN h.{name} ELSE c.{name} END"
    )


# Run after the orders are written: one update per customer, with what the chunk says of them
# and the order totals ``apply.refresh_customer_totals`` computes, from their orders.
UPDATE_CUSTOMERS = f"""
UPDATE customers c SET
    platform_updated_at = CASE WHEN {_NEWER_CUSTOMER} THEN h.at ELSE c.platform_updated_at END,
    email = CASE WHEN {_NEWER_CUSTOMER} AND h.email IS NOT NULL
                  AND h.email IS DISTINCT FROM c.email
                  AND NOT EXISTS (SELECT 1 FROM customers o
                                  WHERE o.shop_id = :shop AND o.email = h.email)
             THEN h.email ELSE c.email END,
    {_field("phone")},
    {_field("first_name")},
    {_field("last_name")},
    {_field("locale")},
    {_consent("email")},
    {_consent("sms")},
    order_count = s.n, total_spent = s.spent, first_order_at = s.first, last_order_at = s.last,
    updated_at = now()
FROM history_customers h
JOIN (SELECT ids.customer_id, count(o.id) AS n,
             coalesce(sum(o.total - o.refunded), 0) AS spent,
             min(o.placed_at) AS first, max(o.placed_at) AS last
      FROM history_customers ids
      LEFT JOIN orders o ON o.shop_id = :shop AND o.customer_id = ids.customer_id
                         AND NOT o.cancelled
      GROUP BY ids.customer_id) s ON s.customer_id = h.customer_id
WHERE c.shop_id = :shop AND c.id = h.customer_id
"""

_NEWER_ORDER = (
    "(orders.platform_updated_at IS NULL "
    "OR excluded.platform_updated_at >= orders.platform_updated_at)"
)


def _newer(name: str, value: str | None = None) -> str:
    return (
        f"{name} = CASE WHEN {_NEWER_ORDER} THEN {value or f'excluded.{name}'} "
        f"ELSE orders.{name} END"
    )


def _refunded(refunds: str) -> str:
    return f"(SELECT coalesce(sum(value::numeric), 0) FROM jsonb_each_text({refunds}))"


# Orders, then the lines of each order whose stored state is now this import's (a new order,
# or a newer state of one held): its old lines go and the imported ones come, as
# ``apply.replace_order_lines`` does. A refund already held keeps its first amount.
UPSERT_ORDERS_AND_LINES = f"""
WITH written AS (
    INSERT INTO orders (shop_id, platform_order_id, order_number, customer_id, email,
        cart_key, items, total, currency, cancelled, payment_method, is_cod, shipping_address,
        placed_at, paid_at, fulfilled_at, refunds, refunded, platform_updated_at, created_at,
        updated_at)
    SELECT :shop, o.platform_order_id, o.order_number, h.customer_id, o.email, o.cart_key,
        coalesce(o.items, '[]'::json), o.total, o.currency, o.cancelled, o.payment_method,
        o.is_cod, coalesce(o.shipping_address, '{{}}'::jsonb), o.placed_at, o.paid_at,
        o.fulfilled_at, o.refunds, {_refunded("o.refunds")}, o.platform_updated_at, now(), now()
    FROM history_orders o LEFT JOIN history_contacts h ON h.key = o.contact_key
    ON CONFLICT (shop_id, platform_order_id) DO UPDATE SET
        customer_id = coalesce(excluded.customer_id, orders.customer_id),
        paid_at = least(orders.paid_at, excluded.paid_at),
        fulfilled_at = least(orders.fulfilled_at, excluded.fulfilled_at),
        cancelled = orders.cancelled OR excluded.cancelled,
        refunds = excluded.refunds || orders.refunds,
        refunded = {_refunded("excluded.refunds || orders.refunds")},
        {_newer("order_number", "coalesce(excluded.order_number, orders.order_number)")},
        {_newer("cart_key", "coalesce(excluded.cart_key, orders.cart_key)")},
        {_newer("email", "coalesce(excluded.email, orders.email)")},
        items = CASE WHEN {_NEWER_ORDER} AND json_array_length(excluded.items) > 0
                THEN excluded.items ELSE orders.items END,
        {_newer("total")},
        {_newer("currency")},
        {_newer("payment_method")},
        {_newer("is_cod")},
        shipping_address = CASE WHEN {_NEWER_ORDER} AND excluded.shipping_address <> '{{}}'
                           THEN excluded.shipping_address ELSE orders.shipping_address END,
        {_newer("placed_at")},
        {_newer("platform_updated_at")},
        updated_at = now()
    RETURNING id, platform_order_id, placed_at, platform_updated_at, (xmax = 0) AS inserted
),
fresh AS (
    SELECT w.* FROM written w JOIN history_orders o ON o.platform_order_id = w.platform_order_id
    WHERE w.platform_updated_at = o.platform_updated_at AND o.items IS NOT NULL
),
cleared AS (
    DELETE FROM order_lines l USING fresh f
    WHERE l.shop_id = :shop AND l.order_id = f.id AND NOT f.inserted
)
INSERT INTO order_lines (shop_id, order_id, platform_product_id, platform_variant_id, quantity,
    unit_price, placed_at)
SELECT :shop, f.id, l.product_id, l.variant_id, l.quantity, l.unit_price, f.placed_at
FROM history_lines l JOIN fresh f ON f.platform_order_id = l.platform_order_id
"""
