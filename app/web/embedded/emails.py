"""The merchant's own emails: per flow step and language, the subject, preheader, heading,
body and button, with a live preview, a test send and a way back to our text; and the brand
(logo, colour, sender, postal address) once per shop.

Every request proves its shop (``session``); nothing here reads or writes another shop's
rows. Answers to posts are the whole page, which ``static/page.js`` swaps in; the live
preview is fetched by ``static/emails.js`` with the same proof.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from flask import Response, abort, render_template, request
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp

from app.emails import TemplateContextError
from app.emails.i18n import LOCALES, resolve_locale
from app.emails.merchant_copy import variables_for
from app.emails.overrides import CopyRefused, check_copy, editable_copy, reset_copy, save_copy
from app.emails.preview import preview_email
from app.flows.engine.definition import Flow, Step
from app.flows.registry import flow_for
from app.logs import fields as log_fields
from app.models import EDITABLE_FIELDS, AuditLog, Shop, ShopScope, db
from app.models.shop_settings import Branding, MerchantContact, ShopSettingsError
from app.pipeline import queues
from app.web.embedded import session as auth
from app.web.embedded.emails_text import (
    BRAND_LABELS,
    FIELD_LABELS,
    FLOW_NAMES,
    LANGUAGES,
    VARIABLE_LABELS,
    Gettext,
    gettext_for,
    refusal,
)
from app.web.embedded.forms import TestSendForm
from app.web.embedded.page import page_flows
from app.web.embedded.shop_details import ShopDetailsForm, save_details
from app.web.embedded.test_send import (
    PageAnswer,
    minutes,
    send_test_email_job,
    wait_before_test_send,
)
from app.web.embedded.views import bp

log = logging.getLogger(__name__)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class BrandForm(ShopDetailsForm):
    """The shop details (postal address, sender name) and how every email looks."""

    logo_url = StringField(
        validators=[Optional(), Length(max=500), Regexp(r"^https?://\S+$", message="https")]
    )
    primary_color = StringField(validators=[Optional(), Regexp(r"^#[0-9a-fA-F]{6}$")])
    sender_email = StringField(validators=[Optional(), Length(max=320), Regexp(_EMAIL)])


@dataclass(frozen=True)
class Editing:
    """Which email of which flow, in which language, is on the page."""

    flow: Flow
    index: int
    locale: str

    @property
    def step(self) -> Step:
        return self.flow.steps[self.index]

    @property
    def number(self) -> int:
        return [i for i, _step in _email_steps(self.flow)].index(self.index) + 1


def _email_steps(flow: Flow) -> list[tuple[int, Step]]:
    return [(i, step) for i, step in enumerate(flow.steps) if step.channel == "email"]


def _editing(key: str, step: Any, locale: Any, shop: Shop) -> Editing:
    flow = flow_for(key)
    if flow is None or key not in page_flows():
        abort(404)
    indexes = [i for i, _step in _email_steps(flow)]
    try:
        index = int(step) if step not in (None, "") else indexes[0]
    except ValueError:
        abort(404)
    if index not in indexes:
        abort(404)
    chosen = locale if locale in LOCALES else resolve_locale(shop.locale)
    return Editing(flow, index, chosen)


def _ui() -> Gettext:
    return gettext_for(resolve_locale(auth.current_shop().locale))


@bp.get("/flows/<key>/emails")
@auth.login_required
def emails_page(key: str) -> str:
    shop = auth.current_shop()
    editing = _editing(key, request.args.get("step"), request.args.get("locale"), shop)
    return _render(shop, editing)


@bp.post("/flows/<key>/emails/open")
@auth.login_required
def open_email(key: str) -> str:
    """Another step or language, answered as the whole page (the post carries the proof)."""
    shop = auth.current_shop()
    return _render(shop, _editing(key, request.form.get("step"), request.form.get("locale"), shop))


@bp.post("/flows/<key>/emails")
@auth.login_required
def save_email(key: str) -> PageAnswer:
    shop = auth.current_shop()
    editing = _editing(key, request.form.get("step"), request.form.get("locale"), shop)
    action = request.form.get("do", "save")
    texts = {field: request.form.get(field, "") for field in EDITABLE_FIELDS}
    if action == "reset":
        reset_copy(shop.id, key, editing.index, editing.locale)
        _audit(shop, editing, "email_copy_reset", {})
        db.session.commit()
        _ = _ui()
        return _render(shop, editing, notices=(("notice", _("Back to our text.")),))
    if action == "test":
        return _test(shop, editing, texts)
    try:
        stored = save_copy(
            shop.id, key, editing.index, editing.step.template, editing.locale, texts
        )
    except CopyRefused as refused:
        db.session.rollback()
        return _render(shop, editing, texts, _refusals(editing, refused), refused=refused), 400
    _audit(shop, editing, "email_copy", {field: stored.get(field) for field in EDITABLE_FIELDS})
    db.session.commit()
    log.info("merchant email text saved", extra=log_fields(shop=shop.id, flow=key))
    _ = _ui()
    saved = _("Saved: your customers get this text from now on.")
    return _render(shop, editing, notices=(("notice", saved),))


def _test(shop: Shop, editing: Editing, texts: dict[str, str]) -> PageAnswer:
    """The email as it stands in the editor (saved or not), to the merchant, by a worker."""
    _ = _ui()
    form = TestSendForm()
    try:
        checked = check_copy(editing.step.template, texts)
    except CopyRefused as refused:
        return _render(shop, editing, texts, _refusals(editing, refused), refused=refused), 400
    if not form.validate():
        problem = _("Test not sent: %(reason)s", reason=_("not an email address"))
        return _render(shop, editing, texts, (("error", problem),)), 400
    try:  # refuse now, with the reason, what the worker could only fail on later
        preview_email(shop.id, editing.step.template, editing.locale, copy=checked)
    except TemplateContextError as exc:
        return _render(shop, editing, texts, (("error", _missing(_, exc)),)), 400
    wait = wait_before_test_send(shop.id)
    if wait is not None:
        why = _("too many test emails; try again in %(minutes)s min.", minutes=minutes(wait))
        problem = _("Test not sent: %(reason)s", reason=why)
        return _render(shop, editing, texts, (("error", problem),)), 429, {"Retry-After": str(wait)}
    to = form.to.data.strip()
    shop.merchant_contact = MerchantContact(email=to)
    queues.enqueue_after_commit(
        db.session(),
        send_test_email_job,
        shop.id,
        editing.step.template,
        to,
        editing.locale,
        checked,
    )
    db.session.commit()
    return _render(shop, editing, texts, (("notice", _("A test is on its way to %(to)s", to=to)),))


@bp.post("/flows/<key>/emails/preview")
@auth.login_required
def preview_draft(key: str) -> Response:
    """The email with the text as typed: HTML, or the reasons it cannot be shown (422)."""
    shop = auth.current_shop()
    editing = _editing(key, request.form.get("step"), request.form.get("locale"), shop)
    texts = {field: request.form.get(field, "") for field in EDITABLE_FIELDS}
    try:
        checked = check_copy(editing.step.template, texts)
        content = preview_email(shop.id, editing.step.template, editing.locale, copy=checked)
    except CopyRefused as refused:
        reasons = "\n".join(message for _kind, message in _refusals(editing, refused))
        return Response(reasons, 422, mimetype="text/plain")
    except TemplateContextError as exc:
        return Response(_missing(_ui(), exc), 422, mimetype="text/plain")
    # The inbox line above the preview (headers are Latin-1: the words go percent-encoded).
    headers = {
        "X-Email-Subject": quote(content.subject),
        "X-Email-Preheader": quote(content.preheader),
    }
    return Response(content.html, mimetype="text/html", headers=headers)


@bp.post("/flows/<key>/emails/brand")
@auth.login_required
def save_brand(key: str) -> str | tuple[str, int]:
    shop = auth.current_shop()
    editing = _editing(key, request.form.get("step"), request.form.get("locale"), shop)
    _ = _ui()
    form = BrandForm(formdata=request.form, prefix="brand")
    if not form.validate():
        wrong = ", ".join(_label(_, name) for name in form.errors)
        return _render(
            shop,
            editing,
            brand=form,
            notices=(("error", _("Not saved: check %(fields)s", fields=wrong)),),
        ), 400
    try:
        shop.branding = Branding(
            logo_url=form.logo_url.data.strip() or None,
            primary_color=form.primary_color.data.strip() or None,
        )
        shop.sender = replace(shop.sender, email=form.sender_email.data.strip())
        save_details(shop, form)
    except ShopSettingsError as exc:
        db.session.rollback()
        return _render(shop, editing, brand=form, notices=(("error", str(exc)),)), 400
    db.session.commit()
    return _render(shop, editing, notices=(("notice", _("Brand saved")),))


def _label(_: Gettext, name: str) -> str:
    return _(BRAND_LABELS.get(name, name))


def _refusals(editing: Editing, refused: CopyRefused) -> tuple[tuple[str, str], ...]:
    _ = _ui()
    allowed = variables_for(editing.step.template)
    return tuple(("error", refusal(_, error, allowed)) for error in refused.errors)


def _missing(_: Gettext, exc: TemplateContextError) -> str:
    return _("This email cannot be shown yet: %(reason)s", reason=str(exc))


def _audit(shop: Shop, editing: Editing, action: str, details: dict[str, Any]) -> None:
    subject = f"{editing.flow.key}:{editing.index}:{editing.locale}"
    ShopScope(shop.id).add(
        AuditLog(actor="merchant", action=action, subject=subject, details=details)
    )


def _brand_form(shop: Shop) -> BrandForm:
    data = {
        "address": shop.legal_address.text,
        "sender_name": shop.sender.name,
        "sender_email": shop.sender.email,
        "logo_url": shop.branding.logo_url or "",
        "primary_color": shop.branding.primary_color or "",
    }
    return BrandForm(formdata=None, data=data, prefix="brand")


def _render(
    shop: Shop,
    editing: Editing,
    texts: dict[str, str] | None = None,
    notices: tuple[tuple[str, str], ...] = (),
    brand: BrandForm | None = None,
    refused: CopyRefused | None = None,
) -> str:
    """The page: the texts as typed when refused (the refused fields marked), else as stored
    (or our default)."""
    ui_locale = resolve_locale(shop.locale)
    key, index = editing.flow.key, editing.index
    if texts is None:
        texts = editable_copy(shop.id, key, index, editing.step.template, editing.locale)
    visit = auth.current_visit()
    brand_form = brand or _brand_form(shop)
    _ = gettext_for(ui_locale)
    for name, field in brand_form._fields.items():
        field.label.text = _label(_, name)
    return render_template(
        "embedded/emails.html",
        _=_,
        shop=shop,
        ui_locale=ui_locale,
        editing=editing,
        flow_name=_(FLOW_NAMES[key]),
        steps=_email_steps(editing.flow),
        languages=LANGUAGES,
        fields=[(field, _(FIELD_LABELS[field]), texts.get(field, "")) for field in EDITABLE_FIELDS],
        invalid={error.field for error in refused.errors} if refused else set(),
        variables=[
            (name, _(VARIABLE_LABELS[name])) for name in variables_for(editing.step.template)
        ],
        notices=notices,
        brand=brand_form,
        test_to=shop.merchant_contact.email or "",
        back_url=_home_url(visit),
        page_auth=visit.carried or "",
        renewal_origin=auth.renewal_origin(visit),
    )


def _home_url(visit: auth.Visit) -> str:
    """The flows page, reached with this page's proof (a link sends no header)."""
    scheme, _, token = (visit.carried or "").partition(" ")
    if scheme == "Dev":
        return f"/embedded/?dev_token={token}"
    if scheme == "WordPress":
        return f"/embedded/woocommerce?wp_token={token}"
    return f"/embedded/?shop={visit.shop.domain}&embedded=1"


__all__ = ["bp"]
