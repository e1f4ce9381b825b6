"""The merchant's alert rules and where alerts go: checked before anything is stored."""

from __future__ import annotations

from decimal import Decimal

from app.insights.alert_delivery import check_webhook_url, webhook_secret
from app.insights.alerts import FINDERS, watched_product
from app.models import AlertRule, Shop, ShopScope, db
from app.models.shop_settings import ShopSettingsError, StaffAlertSettings
from app.outbound import PrivateAddressError


class RuleError(ValueError):
    """A rule or an alert destination the merchant cannot have; ``code`` names why (the
    merchant page has words for each)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def add_rule(
    shop_id: int,
    kind: str,
    *,
    threshold: Decimal | None = None,
    target: str | None = None,
    period_days: int = 7,
) -> AlertRule:
    """A new enabled rule, checked first; RuleError before anything is written."""
    if kind not in FINDERS:
        raise RuleError("kind", kind)
    if kind in ("score_above", "score_below") and not (
        threshold is not None and threshold == int(threshold) and 1 <= threshold <= 100
    ):
        raise RuleError("score_level")
    if kind == "cart_abandoned" and not (threshold is not None and threshold > 0):
        raise RuleError("cart_amount")
    if kind == "page_viewed":
        target = (target or "").strip()
        if not target or watched_product(shop_id, target) is None:
            raise RuleError("unknown_product", target)
    if not 1 <= period_days <= 365:
        raise RuleError("period")
    return ShopScope(shop_id).add(
        AlertRule(
            kind=kind,
            threshold=threshold if kind != "page_viewed" else None,
            target=target if kind == "page_viewed" else None,
            period_days=period_days,
            enabled=True,
        )
    )


def remove_rule(shop_id: int, rule_id: int) -> bool:
    """Delete one of the shop's rules (its past alerts go with it)."""
    rule = ShopScope(shop_id).get(AlertRule, rule_id)
    if rule is None:
        return False
    db.session.delete(rule)
    return True


def save_destinations(shop: Shop, emails: list[str], webhook_url: str) -> None:
    """Where alerts go; the webhook URL must be public (checked now and before each POST).
    The first webhook URL makes the shop's signing secret. The caller commits."""
    url = webhook_url.strip()
    if url:
        try:
            url = check_webhook_url(url)
        except PrivateAddressError as exc:
            raise RuleError("webhook_address", str(exc)) from None
        webhook_secret(shop, create=True)
    try:
        shop.staff_alerts = StaffAlertSettings(
            emails=tuple(e.strip() for e in emails if e.strip()), webhook_url=url
        )
    except ShopSettingsError as exc:
        raise RuleError("staff_email", str(exc)) from None
