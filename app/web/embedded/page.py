"""Everything the merchant pages show, gathered for one shop: home (checklist, flow cards,
chart), a flow's page (settings, emails, recent runs), the store page (couriers, catalog,
customers)."""

from __future__ import annotations

from typing import Any

from app.flows.engine.definition import Flow
from app.flows.engine.settings import is_enabled, settings_for
from app.flows.registry import FLOWS, flow_for
from app.insights.lift import lift
from app.insights.recs_choice import merchant_summary
from app.models import Shop, missing_for_marketing, utcnow
from app.shipping import settings as labels
from app.web.embedded.chart import revenue_chart
from app.web.embedded.flow_form import FlowForm, flow_form
from app.web.embedded.forms import TestSendForm, declared_form
from app.web.embedded.i18n import Words
from app.web.embedded.results import (
    FlowResults,
    consent_seen,
    flow_results,
    recent_runs,
    revenue_by_day,
    segment_counts,
)
from app.web.embedded.shop_details import details_context
from app.web.embedded.words import (
    DEFER_REASONS,
    END_REASONS,
    FLOW_DESCRIPTIONS,
    RUN_STATES,
    SEGMENT_NAMES,
    flow_name,
)

EMAILS_EDITOR = "/embedded/flows/{key}/emails"  # the per-step email editor (its own page)


def page_flows() -> list[str]:
    """The flows set up on this page: not one switched elsewhere (the shipping notice goes
    with the label settings, where Shopify's own notification is switched too)."""
    return sorted(flow.key for flow in FLOWS if flow.switch is None)


def lift_sentence(name: str, r: FlowResults, words: Words) -> str:
    """The lift over the holdout group in plain words, with how sure we are."""
    found = lift(r.enrolled, r.conversions, r.holdout_enrolled, r.holdout_conversions)
    if r.holdout_enrolled == 0:
        return words._("No test group yet, so we cannot tell what %(flow)s added.", flow=name)
    if found.verdict == "too_early":
        return words._(
            "Too early to tell how many orders %(flow)s added: the groups are still small or "
            "too close.",
            flow=name,
        )
    sure = (
        words._("we are very sure")
        if found.verdict == "very_sure"
        else words._("we are fairly sure")
    )
    if found.extra_orders >= 0:
        said = words.ngettext(
            "%(flow)s brought %(num)s more order than no emails would have",
            "%(flow)s brought %(num)s more orders than no emails would have",
            found.extra_orders,
            flow=name,
        )
    else:
        said = words.ngettext(
            "%(flow)s brought %(num)s fewer order than no emails would have",
            "%(flow)s brought %(num)s fewer orders than no emails would have",
            -found.extra_orders,
            flow=name,
        )
    return f"{said} — {sure}."


def checklist(shop: Shop, words: Words, any_on: bool) -> list[dict[str, Any]]:
    missing = missing_for_marketing(shop)
    sync = shop.sync_state
    synced = "done" in (sync.state, sync.status)
    items = [
        ("connected", words._("Store connected"), shop.status == "active", ""),
        ("catalog", words._("Products synced"), synced, "/embedded/store"),
        ("sender", words._("Sender name customers see"), "sender" not in missing, "#shop-details"),
        (
            "legal_address",
            words._("Postal address for the email footer (required by law)"),
            "legal_address" not in missing,
            "#shop-details",
        ),
        (
            "consent",
            words._("Customers can agree to emails at checkout"),
            consent_seen(shop.id),
            "",
        ),
        ("first_flow", words._("First flow switched on"), any_on, ""),
    ]
    return [{"key": k, "label": t, "done": d, "href": h} for k, t, d, h in items]


def history_sentences(shop: Shop, words: Words) -> list[str]:
    """What the merchant reads about the import of their past orders (a line or two)."""
    progress = shop.history_import
    num = progress.orders
    if progress.state == "done":
        said = [
            words.ngettext("%(num)s past order imported.", "%(num)s past orders imported.", num)
        ]
    elif progress.state == "failed":
        said = [words._("Importing your past orders failed; our support can see why.")]
    elif progress.is_running:
        said = [
            words.ngettext(
                "Importing your past orders: %(num)s order so far.",
                "Importing your past orders: %(num)s orders so far.",
                num,
            )
        ]
        if progress.error:
            said.append(words._("The last attempt was interrupted; we are trying again."))
    else:
        said = [words._("Your past orders have not been imported yet.")]
    if progress.limited_to_days:
        said.append(
            words._(
                "Shopify shares only the last %(days)s days of orders unless the app may read "
                "all orders.",
                days=progress.limited_to_days,
            )
        )
    return said


def home_context(shop: Shop, words: Words, details_form: Any = None) -> dict[str, Any]:
    keys = page_flows()
    now = utcnow()
    results = flow_results(shop.id, keys, now)
    cards = []
    for key in keys:
        r, name = results[key], words._(flow_name(key))
        cards.append(
            {
                "key": key,
                "name": name,
                "description": words._(FLOW_DESCRIPTIONS.get(key, "")),
                "enabled": is_enabled(shop.id, key),
                "results": r,
                "lift": lift_sentence(name, r, words),
            }
        )
    steps = checklist(shop, words, any(c["enabled"] for c in cards))
    by_day = revenue_by_day(shop.id, keys, now, words.zone)
    today = now.astimezone(words.zone).date()
    chart = revenue_chart([(words._(flow_name(k)), by_day[k]) for k in keys], today, words)
    return {
        "view": "home",
        "cards": cards,
        "checklist": steps,
        "checklist_done": all(step["done"] for step in steps),
        "chart": chart,
        "details": details_context(shop, words.locale, details_form),
    }


def run_rows(shop: Shop, flow: Flow, words: Words) -> list[dict[str, Any]]:
    rows = []
    for run in recent_runs(shop.id, flow.key):
        why = ""
        if run.state != "active" and run.end_reason:
            why = words._(END_REASONS.get(run.end_reason, run.end_reason))
        elif run.state == "active" and run.deferred:
            why = words._(DEFER_REASONS.get(run.deferred, run.deferred))
        state = words._(RUN_STATES.get(run.state, run.state))
        if run.held_out:
            state = words._("%(state)s (test group, no emails)", state=state)
        rows.append(
            {
                "who": run.who,
                "state": run.state,
                "state_text": state,
                "started": words.when(run.started_at),
                "next": words.when(run.next_step_at) if run.state == "active" else "",
                "why": why,
            }
        )
    return rows


def flow_context(
    shop: Shop, flow: Flow, words: Words, form: FlowForm | None = None
) -> dict[str, Any]:
    name = words._(flow_name(flow.key))
    r = flow_results(shop.id, [flow.key], utcnow())[flow.key]
    steps = [(i, step) for i, step in enumerate(flow.steps) if step.channel == "email"]
    return {
        "view": "flow",
        "flow": flow,
        "name": name,
        "description": words._(FLOW_DESCRIPTIONS.get(flow.key, "")),
        "form": form
        or flow_form(flow, settings_for(shop.id, flow), is_enabled(shop.id, flow.key), words),
        "results": r,
        "lift": lift_sentence(name, r, words),
        "runs": run_rows(shop, flow, words),
        "email_steps": steps,
        "emails_editor": EMAILS_EDITOR.format(key=flow.key),
        "test_form": TestSendForm(formdata=None, data={"to": shop.merchant_contact.email}),
        "details": details_context(shop, words.locale),
    }


def store_context(shop: Shop, words: Words, shipping_form: Any = None) -> dict[str, Any]:
    return {
        "view": "store",
        "shipping_form": shipping_form or _shipping_form(shop.id),
        "sync": shop.sync_state.shown(),
        "history": history_sentences(shop, words),
        "segments": segment_counts(shop.id),
        "suggestions": merchant_summary(shop, words.locale),
        "segment_names": SEGMENT_NAMES,
        "details": details_context(shop, words.locale),
    }


def _shipping_form(shop_id: int) -> Any:
    stored = labels.load(shop_id)
    return declared_form(
        labels.STORAGE_KEY, labels.SHIPPING_SETTINGS, stored.as_values(), stored.enabled
    )


def known_flow(key: str) -> Flow | None:
    return flow_for(key) if key in page_flows() else None
