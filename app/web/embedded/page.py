"""Everything the merchant page shows, gathered for one shop."""

from __future__ import annotations

from typing import Any

from app.emails.i18n import resolve_locale
from app.flows.engine.settings import is_enabled, settings_for
from app.flows.registry import FLOWS, flow_for
from app.insights.recs_choice import merchant_summary
from app.models import Shop, utcnow
from app.shipping import settings as labels
from app.web.embedded.forms import TestSendForm, declared_form, settings_form
from app.web.embedded.results import flow_results, segment_counts
from app.web.embedded.shop_details import details_context


def page_flows() -> list[str]:
    """The flows set up on this page: not one switched elsewhere (the shipping notice goes
    with the label settings, where Shopify's own notification is switched too)."""
    return sorted(flow.key for flow in FLOWS if flow.switch is None)


def page_context(
    shop: Shop, bound_forms: dict[str, Any] | None = None, error: str | None = None
) -> dict[str, Any]:
    """``bound_forms`` holds a refused submission (by flow key, ``details`` or the courier
    settings' key), shown back with what the merchant typed."""
    bound_forms = bound_forms or {}
    keys = page_flows()
    results = flow_results(shop.id, keys, utcnow())
    flows = []
    for flow in (flow_for(key) for key in keys):
        assert flow is not None
        key = flow.key
        form = bound_forms.get(key) or settings_form(
            flow, settings_for(shop.id, flow), is_enabled(shop.id, key)
        )
        steps = [(i, step) for i, step in enumerate(flow.steps) if step.channel == "email"]
        flows.append({"key": key, "form": form, "results": results[key], "email_steps": steps})
    return {
        "shop": shop,
        "flows": flows,
        "error": error,
        "details": details_context(shop, resolve_locale(shop.locale), bound_forms.get("details")),
        "shipping_form": bound_forms.get(labels.STORAGE_KEY) or _shipping_form(shop.id),
        "sync": shop.sync_state.shown(),
        "segments": segment_counts(shop.id),
        "suggestions": merchant_summary(shop, resolve_locale(shop.locale)),
        "test_form": TestSendForm(formdata=None, data={"to": shop.merchant_contact.email}),
    }


def _shipping_form(shop_id: int) -> Any:
    stored = labels.load(shop_id)
    return declared_form(
        labels.STORAGE_KEY, labels.SHIPPING_SETTINGS, stored.as_values(), stored.enabled
    )
