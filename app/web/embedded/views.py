"""Routes of the merchant page. Every row read or written belongs to the signed-in shop."""

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
from app.web.embedded.forms import (
    TestSendForm,
    declared_form,
    declared_values,
    setting_values,
    settings_form,
)
from app.web.embedded.page import page_context, page_flows
from app.web.embedded.shop_details import TEXT, ShopDetailsForm, save_details, switch_refused
from app.web.embedded.test_send import send_test_email_job

log = logging.getLogger(__name__)

bp = Blueprint("embedded", __name__, url_prefix="/embedded", static_folder="static")
LOCALES = ("en", "pl", "ro")


@bp.after_request
def _frame_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = auth.frame_ancestors(auth.proven_shop())
    # The page's address may carry its token (wp_token, dev_token): never send it onwards,
    # not even from the email previews' images; and keep proven pages out of caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@auth.login_required
def page() -> str:
    return _page(auth.current_shop())


@bp.get("/woocommerce")
@auth.login_required
def woocommerce_page() -> str:
    """The WordPress plugin's iframe: ``?wp_token=``, then the same page as ``/embedded/``."""
    return _page(auth.current_shop())


def _page(
    shop: Shop,
    bound_forms: dict[str, Any] | None = None,
    error: str | None = None,
    notices: tuple[tuple[str, str], ...] = (),
) -> str:
    """The whole page, carrying the token the next request must send (no cookie does it).

    A form post answers with the page itself (notice or error included), which the page's
    script swaps in: there is no session to flash a message across a redirect."""
    visit = auth.current_visit()
    return render_template(
        "embedded/page.html",
        **page_context(shop, bound_forms, error),
        notices=notices,
        page_auth=visit.carried or "",
        renewal_origin=auth.renewal_origin(visit),
    )


@bp.get("/dev-login/<int:shop_id>")
def dev_login(shop_id: int) -> BaseResponse:
    """Development only: open a shop's page without a platform around it, through a short
    signed token in the address that the page then carries on each request."""
    if current_app.config["STOREFLOW_ENV"] == "production":
        abort(404)
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        abort(404)
    return redirect(f"/embedded/?dev_token={auth.issue_dev_token(shop)}")


def _flow(key: str) -> Flow:
    flow = flow_for(key)
    if flow is None:
        abort(404)
    return flow


@bp.post("/flows/<key>")
@auth.login_required
def save_flow(key: str) -> str | tuple[str, int]:
    shop, flow = auth.current_shop(), _flow(key)
    if key not in page_flows():
        abort(404)
    form = settings_form(flow, {}, False, formdata=request.form)

    def store() -> None:
        before = {**settings_for(shop.id, flow), "enabled": is_enabled(shop.id, key)}
        values, enabled = setting_values(flow, form), bool(form["enabled"].data)
        save_settings(shop.id, flow, values, enabled=enabled)
        _audit(shop.id, "flow_settings", key, before, {**values, "enabled": enabled})

    return _submitted(shop, key, form, store, f"{key.replace('_', ' ').capitalize()}: saved")


@bp.post("/shipping")
@auth.login_required
def save_shipping() -> str | tuple[str, int]:
    """Courier label settings, from the same kind of declared-settings form as a flow's."""
    shop = auth.current_shop()
    form = declared_form(labels.STORAGE_KEY, labels.SHIPPING_SETTINGS, {}, False, request.form)

    def store() -> None:
        before = labels.load(shop.id)
        values = {**before.as_values(), **declared_values(labels.SHIPPING_SETTINGS, form)}
        labels.save(shop.id, labels.LabelSettings(enabled=bool(form["enabled"].data), **values))
        after = labels.load(shop.id)  # as stored: empty parts dropped
        old = {**before.as_values(), "enabled": before.enabled}
        new = {**after.as_values(), "enabled": after.enabled}
        _audit(shop.id, "shipping_settings", labels.STORAGE_KEY, old, new)

    return _submitted(shop, labels.STORAGE_KEY, form, store, "Courier labels: saved")


@bp.post("/shop-details")
@auth.login_required
def save_shop_details() -> str | tuple[str, int]:
    shop = auth.current_shop()
    form = ShopDetailsForm(formdata=request.form, prefix="details")
    saved = TEXT[_locale(shop.locale)]["saved"]
    return _submitted(shop, "details", form, lambda: save_details(shop, form), saved)


def _submitted(
    shop: Shop, key: str, form: Any, store: Callable[[], None], saved: str
) -> str | tuple[str, int]:
    """Store a valid form and say so; show a refused one back with the reason (400)."""
    error = "; ".join(_form_errors(form)) if not form.validate() else None
    if error is None:
        try:
            store()
            db.session.commit()
        except ShopDetailsMissing as exc:
            db.session.rollback()
            error = switch_refused(_locale(shop.locale), exc.missing)
        except (SettingError, ShopSettingsError) as exc:
            db.session.rollback()
            error = str(exc)
    if error is not None:
        return _page(shop, {key: form}, error), 400
    return _page(shop, notices=(("notice", saved),))


def _form_errors(form: Any) -> list[str]:
    return [f"{name}: {msg}" for name, msgs in form.errors.items() for msg in msgs]


def _audit(
    shop_id: int, action: str, subject: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    ShopScope(shop_id).add(
        AuditLog(actor="merchant", action=action, subject=subject, details=changed)
    )


def _email_step(flow: Flow, index: int) -> Step:
    if not 0 <= index < len(flow.steps) or flow.steps[index].channel != "email":
        abort(404)
    return flow.steps[index]


def _own(key: str, index: int) -> dict[str, str]:
    """The merchant's own text of this step in the page's language (the email editor's)."""
    shop = auth.current_shop()
    return stored_copy(shop.id, key, index, _locale(shop.locale))


def _locale(shop_locale: str) -> str:
    return shop_locale if shop_locale in LOCALES else "en"


@bp.get("/flows/<key>/steps/<int:index>/preview")
@auth.login_required
def preview(key: str, index: int) -> Response:
    shop, step = auth.current_shop(), _email_step(_flow(key), index)
    try:
        content = preview_email(shop.id, step.template, _locale(shop.locale), copy=_own(key, index))
    except TemplateContextError as exc:
        # e.g. no postal address yet: say what is missing instead of a broken frame.
        return Response(f"This email cannot be shown yet: {exc}", 422, mimetype="text/plain")
    return Response(content.html, mimetype="text/html")


@bp.post("/flows/<key>/steps/<int:index>/test")
@auth.login_required
def test_send(key: str, index: int) -> str | tuple[str, int]:
    shop, step = auth.current_shop(), _email_step(_flow(key), index)
    form = TestSendForm()
    if not form.validate():
        refused = "Test not sent: " + "; ".join(_form_errors(form))
        return _page(shop, notices=(("error", refused),)), 400
    try:  # refuse now, with the reason, what the worker could only fail on later
        preview_email(shop.id, step.template, _locale(shop.locale))
    except TemplateContextError as exc:
        return _page(shop, notices=(("error", f"Test not sent: {exc}"),)), 400
    to = form.to.data.strip()
    shop.merchant_contact = MerchantContact(email=to)  # remembered for the next test
    locale = _locale(shop.locale)
    queues.enqueue_after_commit(
        db.session(), send_test_email_job, shop.id, step.template, to, locale, _own(key, index)
    )
    db.session.commit()
    return _page(shop, notices=(("notice", f"A test of {step.template} is on its way to {to}"),))
