"""The merchant page's Customers tab (``/embedded/customers``): how many customers are in each
lifecycle stage and how they moved this month (from the stage-change rows of the month, in the
shop's timezone), how the engagement score is made, and the staff alerts: where they go
(staff addresses, an optional signed webhook) and the rules.

Every form answers with the page (notice or error included), like the other tabs.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from flask import request

from app.insights.alert_delivery import SIGNATURE_HEADER, webhook_secret
from app.insights.alert_rules import RuleError, add_rule, remove_rule, save_destinations
from app.insights.engagement import stage_counts, stage_moves, weights_for
from app.models import ALERT_KINDS, STAGES, AlertRule, Shop, ShopScope, StaffAlert, db, utcnow
from app.web.embedded import session as auth
from app.web.embedded.flow_form import typed_number
from app.web.embedded.i18n import Words, words_for
from app.web.embedded.shop_details import details_context
from app.web.embedded.views import Notices, _audit, _render, bp
from app.web.embedded.words import ALERT_KINDS as KIND_WORDS
from app.web.embedded.words import RULE_ERRORS, STAGE_NAMES, STAGE_RULES, WEIGHT_WORDS


def month_start(words: Words, now: datetime) -> datetime:
    """The first moment of this month in the shop's timezone."""
    local = now.astimezone(words.zone)
    return datetime.combine(local.date().replace(day=1), time.min, tzinfo=words.zone)


def _rule_rows(shop: Shop, words: Words) -> list[dict[str, Any]]:
    rows = []
    for rule in ShopScope(shop.id).all(AlertRule):
        if rule.kind in ("score_above", "score_below"):
            value = words.number(int(rule.threshold or 0))
        elif rule.kind == "cart_abandoned":
            value = words.money(rule.threshold or 0)
        else:
            value = rule.target or ""
        rows.append(
            {
                "id": rule.id,
                "kind": rule.kind,
                "what": words._(KIND_WORDS[rule.kind]),
                "value": value,
                "period": words.ngettext(
                    "at most once per customer in %(num)s day",
                    "at most once per customer in %(num)s days",
                    rule.period_days,
                ),
            }
        )
    return sorted(rows, key=lambda r: r["id"])


def _waiting(shop: Shop) -> int:
    """Alerts nobody was told of because the merchant has not said where they go."""
    where = shop.staff_alerts
    if where.emails or where.webhook_url:
        return 0
    return int(
        db.session.scalar(
            ShopScope(shop.id)
            .select(StaffAlert, StaffAlert.notified_at.is_(None))
            .with_only_columns(sa.func.count())
        )
        or 0
    )


def customers_context(shop: Shop, words: Words, typed: dict[str, str] | None = None) -> dict:
    counts = stage_counts(shop.id)
    moves = stage_moves(shop.id, month_start(words, utcnow()))
    weights = weights_for(shop)
    where = shop.staff_alerts
    return {
        "view": "customers",
        "details": details_context(shop, words.locale),
        "stages": [
            (s, words._(STAGE_NAMES[s]), counts[s], words._(STAGE_RULES[s])) for s in STAGES
        ],
        "total": sum(counts.values()),
        "moves": [
            (
                words._(STAGE_NAMES[a]) if a else words._("first scored"),
                words._(STAGE_NAMES[b]),
                n,
            )
            for a, b, n in moves
        ],
        "weights": [(w.key, w.points, words._(WEIGHT_WORDS[w.key])) for w in weights],
        "weights_total": sum(w.points for w in weights),
        "tracks_views": any(w.key == "views" for w in weights),
        "staff_emails": ", ".join(where.emails),
        "webhook_url": where.webhook_url,
        "secret": webhook_secret(shop) if where.webhook_url else "",
        "signature_header": SIGNATURE_HEADER,
        "rules": _rule_rows(shop, words),
        "kinds": [(k, words._(KIND_WORDS[k])) for k in ALERT_KINDS],
        "typed": typed or {},
        "waiting": _waiting(shop),
    }


def _page(shop: Shop, notices: Notices = (), typed: dict[str, str] | None = None) -> str:
    words = words_for(shop)
    return _render(shop, words, "customers", customers_context(shop, words, typed), notices)


def _refused(shop: Shop, exc: RuleError, typed: dict[str, str]) -> tuple[str, int]:
    db.session.rollback()
    words = words_for(shop)
    why = words._(RULE_ERRORS.get(exc.code, exc.code))
    return _page(shop, (("error", words._("Not saved: %(why)s", why=why)),), typed), 400


@bp.get("/customers")
@auth.login_required
def customers_page() -> str:
    return _page(auth.current_shop())


@bp.post("/customers/alerts")
@auth.login_required
def save_alert_destinations() -> str | tuple[str, int]:
    shop = auth.current_shop()
    typed = {k: request.form.get(k, "") for k in ("emails", "webhook_url")}
    emails = [e for e in typed["emails"].replace(";", ",").replace("\n", ",").split(",")]
    before = shop.staff_alerts.to_json()
    try:
        save_destinations(shop, emails, typed["webhook_url"])
    except RuleError as exc:
        return _refused(shop, exc, typed)
    _audit(shop.id, "alert_destinations", "staff_alerts", before, shop.staff_alerts.to_json())
    db.session.commit()
    return _page(shop, (("notice", words_for(shop)._("Alert addresses saved")),))


@bp.post("/customers/rules")
@auth.login_required
def add_alert_rule() -> str | tuple[str, int]:
    shop = auth.current_shop()
    typed = {k: request.form.get(k, "") for k in ("kind", "threshold", "target", "period_days")}
    period = typed_number(typed["period_days"] or "7")
    try:
        if period is None or period != int(period):
            raise RuleError("period")
        rule = add_rule(
            shop.id,
            typed["kind"],
            threshold=typed_number(typed["threshold"]),
            target=typed["target"],
            period_days=int(period),
        )
        db.session.flush()
    except RuleError as exc:
        return _refused(shop, exc, typed)
    _audit(shop.id, "alert_rule_added", f"rule:{rule.id}", {}, {"kind": rule.kind})
    db.session.commit()
    return _page(shop, (("notice", words_for(shop)._("Alert rule added")),))


@bp.post("/customers/rules/<int:rule_id>/delete")
@auth.login_required
def delete_alert_rule(rule_id: int) -> str | tuple[str, int]:
    shop = auth.current_shop()
    words = words_for(shop)
    if not remove_rule(shop.id, rule_id):
        return _page(shop, (("error", words._("That alert rule no longer exists")),)), 404
    _audit(shop.id, "alert_rule_removed", f"rule:{rule_id}", {}, {})
    db.session.commit()
    return _page(shop, (("notice", words._("Alert rule removed")),))
