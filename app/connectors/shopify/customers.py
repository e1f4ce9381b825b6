"""A Shopify customer, as named by a checkout, order or customer payload, and their consent."""

from __future__ import annotations

from typing import Any

from app.connectors.fields import optional_id, parse_time
from app.events import types as ev

# Shopify's marketing consent states (CustomerEmailMarketingState / CustomerSmsMarketingState).
# "pending" is a double opt-in not yet confirmed: not consent yet, but not a refusal either.
_CONSENT_STATES: dict[str, bool | None] = {
    "subscribed": True,
    "not_subscribed": False,
    "unsubscribed": False,
    "redacted": False,
    "invalid": False,
    "pending": None,
}


def verify_consent(customer: dict[str, Any]) -> dict[str, Any]:
    """Our consent fields from a Shopify customer's email/SMS marketing consent blocks."""
    email = customer.get("email_marketing_consent") or {}
    sms = customer.get("sms_marketing_consent") or {}
    updated = parse_time(email.get("consent_updated_at")) or parse_time(
        sms.get("consent_updated_at")
    )
    email_state = _CONSENT_STATES.get(str(email.get("state", "")).lower())
    return {
        "email_consent": email_state,
        "sms_consent": _CONSENT_STATES.get(str(sms.get("state", "")).lower()),
        "consent_updated_at": updated,
        # The shop's own double opt-in (Shopify's setting) already had the shopper confirm.
        "email_opt_in_confirmed": email_state is True
        and str(email.get("opt_in_level", "")).lower() == "confirmed_opt_in",
    }


def contact(payload: dict[str, Any]) -> ev.Contact:
    """The shopper a checkout, order or customer payload names (fields may be null:
    without protected-customer-data approval Shopify sends no name, email or phone)."""
    customer = payload.get("customer") or {}
    address = payload.get("billing_address") or customer.get("default_address") or {}
    consent = verify_consent(customer)
    # An unticked checkout box is silence, not a withdrawal; only a tick adds information.
    for channel, box in (
        ("email", "buyer_accepts_marketing"),
        ("sms", "buyer_accepts_sms_marketing"),
    ):
        if consent[f"{channel}_consent"] is None and payload.get(box) is True:
            consent[f"{channel}_consent"] = True
    return ev.Contact(
        email=payload.get("email") or payload.get("contact_email") or customer.get("email"),
        phone=payload.get("phone") or customer.get("phone") or payload.get("sms_marketing_phone"),
        first_name=customer.get("first_name") or address.get("first_name") or "",
        last_name=customer.get("last_name") or address.get("last_name") or "",
        locale=payload.get("customer_locale") or payload.get("locale"),
        platform_customer_id=optional_id(
            customer.get("id") if customer else payload.get("customer_id")
        ),
        consent_source="shopify",
        **consent,
    )
