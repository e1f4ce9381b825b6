"""Routes of the merchant pages. Every row read or written belongs to the signed-in shop.

Pages: home (``/embedded/``: setup checklist, one card per flow, revenue chart), a flow's
page (``/embedded/flows/<key>``: settings, emails, recent runs) and the store page
(``/embedded/store``: couriers, catalog sync, customer segments). A form post answers with
the page it came from (notice or error included), which ``page.js`` swaps in: there is no
session to flash a message across a redirect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app.emails import TemplateContextError
from app.emails.overrides import stored_copy
from app.emails.preview import preview_email
from app.flows.engine.definition import Flow, SettingError, Step
from app.flows.engine.settings import (
    ShopDetailsMissing,
    is_enabled,
    save_settings,
    settings_for,
)
from app.flows.registry import flow_for
from app.models import AuditLog, Shop, ShopScope, db
from app.models.shop_settings import MerchantContact, ShopSettingsError
from app.pipeline import queues
from app.shipping import settings as labels
from app.web.embedded import session as auth
from app.web.embedded.flow_form import FlowForm, posted_form
from app.web.embedded.forms import TestSendForm, declared_form, declared_values
from app.web.embedded.i18n import Words, words_for
from app.web.embedded.page import flow_context, home_context, known_flow, store_context
from app.web.embedded.shop_details import ShopDetailsForm, save_details, switch_refused
from app.web.embedded.test_send import (
    PageAnswer,
    minutes,
    send_test_email_job,
    wait_before_test_send,
)
from app.web.embedded.words import RULES, flow_name

log = logging.getLogger(__name__)

bp = Blueprint("embedded", __name__, url_prefix="/embedded", static_folder="static")
LOCALES = ("en", "pl", "ro")
Notices = tuple[tuple[str, str], ...]


@bp.after_request
def _frame_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = auth.frame_ancestors(auth.proven_shop())
    # The page's address may carry its token (wp_token, dev_token): never send it onwards,
    # not even from the email previews' images; and keep proven pages out of caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Authorization, X-Storeflow-Locale"
    return response


def _render(
    shop: Shop, words: Words, template: str, context: dict[str, Any], notices: Notices = ()
) -> str:
    """A page, carrying the token (and language) the next request must send: no cookie does."""
    visit = auth.current_visit()
    return render_template(
        f"embedded/{template}.html",
        **context,
        shop=shop,
        w=words,
        _=words._,
        ngettext=words.ngettext,
        notices=notices,
        page_auth=visit.carried or "",
        renewal_origin=auth.renewal_origin(visit),
    )


def _home(shop: Shop, notices: Notices = (), details_form: Any = None) -> str:
    words = words_for(shop)
    return _render(shop, words, "home", home_context(shop, words, details_form), notices)


def _flow_page(shop: Shop, flow: Flow, notices: Notices = (), form: FlowForm | None = None) -> str:
    words = words_for(shop)
    return _render(shop, words, "flow", flow_context(shop, flow, words, form), notices)


def _store_page(shop: Shop, notices: Notices = (), shipping_form: Any = None) -> str:
    words = words_for(shop)
    return _render(shop, words, "store", store_context(shop, words, shipping_form), notices)


@bp.get("/")
@auth.login_required
def page() -> str:
    return _home(auth.current_shop())


@bp.get("/woocommerce")
@auth.login_required
def woocommerce_page() -> str:
    """The WordPress plugin's iframe: ``?wp_token=``, then the same page as ``/embedded/``."""
    return _home(auth.current_shop())


@bp.get("/dev-login/<int:shop_id>")
def dev_login(shop_id: int) -> BaseResponse:
    """Development only: open a shop's page without a platform around it, through a short
    signed token in the address that the page then carries on each request."""
    if current_app.config["STOREFLOW_ENV"] == "production":
        abort(404)
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        abort(404)
    locale = request.args.get("locale", "")
    suffix = f"&locale={locale}" if locale in LOCALES else ""
    return redirect(f"/embedded/?dev_token={auth.issue_dev_token(shop)}{suffix}")


def _flow(key: str) -> Flow:
    flow = known_flow(key)
    if flow is None:
        abort(404)
    return flow


@bp.get("/flows/<key>")
@auth.login_required
def flow_page(key: str) -> str:
    return _flow_page(auth.current_shop(), _flow(key))


@bp.get("/store")
@auth.login_required
def store_page() -> str:
    return _store_page(auth.current_shop())


def _refusal(words: Words, exc: Exception) -> str:
    if isinstance(exc, ShopDetailsMissing):
        return switch_refused(words.locale, exc.missing)
    return "; ".join(words._(part) if part in RULES else part for part in str(exc).split("; "))


def _store_flow(shop: Shop, flow: Flow, values: dict[str, Any], enabled: bool) -> None:
    before = {**settings_for(shop.id, flow), "enabled": is_enabled(shop.id, flow.key)}
    save_settings(shop.id, flow, values, enabled=enabled)
    _audit(shop.id, "flow_settings", flow.key, before, {**values, "enabled": enabled})


def _commit(store: Callable[[], None], words: Words) -> str | None:
    """Run ``store`` and commit; the refusal in the merchant's words, nothing stored."""
    try:
        store()
        db.session.commit()
    except (SettingError, ShopSettingsError) as exc:
        db.session.rollback()
        return _refusal(words, exc)
    return None


@bp.post("/flows/<key>")
@auth.login_required
def save_flow(key: str) -> str | tuple[str, int]:
    """The flow page's settings form (values typed in hours, days, percent)."""
    shop, flow = auth.current_shop(), _flow(key)
    words = words_for(shop)
    form = posted_form(flow, request.form, words)
    name = words._(flow_name(key))
    if form.errors:
        error = words._("Not saved: check the fields marked below.")
        return _flow_page(shop, flow, (("error", error),), form), 400
    refused = _commit(lambda: _store_flow(shop, flow, form.values, form.enabled), words)
    if refused is not None:
        error = words._("Not saved: %(why)s", why=refused)
        return _flow_page(shop, flow, (("error", error),), form), 400
    return _flow_page(shop, flow, (("notice", words._("%(flow)s: saved", flow=name)),))


@bp.post("/flows/<key>/switch")
@auth.login_required
def switch_flow(key: str) -> str | tuple[str, int]:
    """A home card's on/off switch: only ``enabled`` changes."""
    shop, flow = auth.current_shop(), _flow(key)
    words = words_for(shop)
    enabled, name = request.form.get("enabled") == "1", words._(flow_name(key))
    refused = _commit(lambda: _store_flow(shop, flow, {}, enabled), words)
    if refused is not None:
        return _home(shop, (("error", f"{name}: {refused}"),)), 400
    said = (
        words._("%(flow)s is on", flow=name) if enabled else words._("%(flow)s is off", flow=name)
    )
    return _home(shop, (("notice", said),))


@bp.post("/shipping")
@auth.login_required
def save_shipping() -> str | tuple[str, int]:
    """Courier label settings, from the same kind of declared-settings form as before."""
    shop = auth.current_shop()
    words = words_for(shop)
    form = declared_form(labels.STORAGE_KEY, labels.SHIPPING_SETTINGS, {}, False, request.form)

    def store() -> None:
        before = labels.load(shop.id)
        values = {**before.as_values(), **declared_values(labels.SHIPPING_SETTINGS, form)}
        labels.save(shop.id, labels.LabelSettings(enabled=bool(form["enabled"].data), **values))
        after = labels.load(shop.id)  # as stored: empty parts dropped
        old = {**before.as_values(), "enabled": before.enabled}
        new = {**after.as_values(), "enabled": after.enabled}
        _audit(shop.id, "shipping_settings", labels.STORAGE_KEY, old, new)

    refused = "; ".join(_form_errors(form)) if not form.validate() else _commit(store, words)
    if refused is not None:
        error = words._("Not saved: %(why)s", why=refused)
        return _store_page(shop, (("error", error),), form), 400
    return _store_page(shop, (("notice", words._("Courier labels: saved")),))


@bp.post("/shop-details")
@auth.login_required
def save_shop_details() -> str | tuple[str, int]:
    shop = auth.current_shop()
    words = words_for(shop)
    form = ShopDetailsForm(formdata=request.form, prefix="details")
    refused = "; ".join(_form_errors(form)) if not form.validate() else None
    if refused is None:
        refused = _commit(lambda: save_details(shop, form), words)
    if refused is not None:
        error = words._("Not saved: %(why)s", why=refused)
        return _home(shop, (("error", error),), form), 400
    return _home(shop, (("notice", words._("Shop details saved")),))


def _form_errors(form: Any) -> list[str]:
    return [f"{name}: {msg}" for name, msgs in form.errors.items() for msg in msgs]


def _audit(
    shop_id: int, action: str, subject: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    ShopScope(shop_id).add(
        AuditLog(actor="merchant", action=action, subject=subject, details=changed)
    )


def _any_flow(key: str) -> Flow:
    """Any flow's emails may be previewed and tested (the shipping notice's too)."""
    flow = flow_for(key)
    if flow is None:
        abort(404)
    return flow


def _email_step(flow: Flow, index: int) -> Step:
    if not 0 <= index < len(flow.steps) or flow.steps[index].channel != "email":
        abort(404)
    return flow.steps[index]


def _own(key: str, index: int) -> dict[str, str]:
    """The merchant's own text of this step in the page's language (the email editor's)."""
    shop = auth.current_shop()
    return stored_copy(shop.id, key, index, _locale(shop.locale))


def _locale(shop_locale: str) -> str:
    """The emails' language: the shop's (what its customers read), not the admin's."""
    return shop_locale if shop_locale in LOCALES else "en"


@bp.get("/flows/<key>/steps/<int:index>/preview")
@auth.login_required
def preview(key: str, index: int) -> Response:
    shop, step = auth.current_shop(), _email_step(_any_flow(key), index)
    try:
        content = preview_email(shop.id, step.template, _locale(shop.locale), copy=_own(key, index))
    except TemplateContextError as exc:
        # e.g. no postal address yet: say what is missing instead of a broken frame.
        said = words_for(shop)._("This email cannot be shown yet")
        return Response(f"{said}: {exc}", 422, mimetype="text/plain")
    return Response(content.html, mimetype="text/html")


@bp.post("/flows/<key>/steps/<int:index>/test")
@auth.login_required
def test_send(key: str, index: int) -> PageAnswer:
    shop, flow = auth.current_shop(), _any_flow(key)
    step = _email_step(flow, index)
    words = words_for(shop)
    form = TestSendForm()
    if not form.validate():
        refused = words._("Test not sent: that is not an email address.")
        return _flow_page(shop, flow, (("error", refused),)), 400
    try:  # refuse now, with the reason, what the worker could only fail on later
        preview_email(shop.id, step.template, _locale(shop.locale))
    except TemplateContextError as exc:
        refused = words._("Test not sent: %(why)s", why=str(exc))
        return _flow_page(shop, flow, (("error", refused),)), 400
    wait = wait_before_test_send(shop.id)
    if wait is not None:
        why = words._("too many test emails; try again in %(minutes)s min.", minutes=minutes(wait))
        refused = words._("Test not sent: %(why)s", why=why)
        return _flow_page(shop, flow, (("error", refused),)), 429, {"Retry-After": str(wait)}
    to = form.to.data.strip()
    shop.merchant_contact = MerchantContact(email=to)  # remembered for the next test
    locale = _locale(shop.locale)
    queues.enqueue_after_commit(
        db.session(), send_test_email_job, shop.id, step.template, to, locale, _own(key, index)
    )
    db.session.commit()
    said = words._("A test email is on its way to %(to)s", to=to)
    return _flow_page(shop, flow, (("notice", said),))
