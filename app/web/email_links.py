"""Tracking and unsubscribe endpoints. No login: the signed token is the authority."""

from __future__ import annotations

import base64
from datetime import datetime

from flask import Blueprint, Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from app.emails import opt_in, tracking
from app.emails.rendering import render_page
from app.events import types as ev
from app.flows.dispatch import dispatch
from app.flows.engine import clock
from app.models import Customer, Shop, db
from app.pipeline.visitors import identified_landing

bp = Blueprint("email_tracking", __name__)
# The smallest transparent GIF; mail clients fetch it when the message is shown.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private", "X-Robots-Tag": "noindex"}


@bp.get("/t/o/<token>.gif")
def open_pixel(token: str) -> Response:
    try:
        tracking.record_open(token)
    except tracking.InvalidToken:
        abort(404)
    return Response(PIXEL, mimetype="image/gif", headers=NO_STORE)


@bp.get("/t/c/<token>")
def click(token: str) -> BaseResponse:
    try:
        click = tracking.record_click(token)
    except tracking.InvalidToken:
        abort(404)
    target = click.target
    shop = db.session.get(Shop, click.shop_id)
    if shop is not None:
        # The shopper came from our email: the storefront script may link this browser to
        # them (with the visitor's consent), so their anonymous views join their history.
        customer_id = tracking.message_customer(click.shop_id, click.message_id)
        target = identified_landing(shop, customer_id, target)
    response = redirect(target, code=302)
    response.headers.update(NO_STORE)
    return response


@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    """GET shows a confirmation (link scanners follow GETs, so GET changes nothing);
    POST unsubscribes: the page's button and RFC 8058 one-click both land here and get 200."""
    try:
        link = tracking.read_unsubscribe(token)
    except tracking.InvalidToken:
        abort(404)
    shop = db.session.get(Shop, link.shop_id)
    if shop is None:
        abort(404)
    done = request.method == "POST"
    if done:
        tracking.unsubscribe(link.shop_id, link.email, link.customer_id)
    page = render_page(
        "unsubscribe.html",
        link.locale,
        shop_name=shop.name or shop.domain,
        email=link.email,
        done=done,
    )
    return Response(page, status=200, mimetype="text/html", headers=NO_STORE)


@bp.route("/n/<token>", methods=["GET", "POST"])
def confirm_subscription(token: str) -> Response:
    """Double opt-in. GET shows the button (scanners follow GETs and must not sign anyone up);
    POST records the consent with its time, IP and source, and the welcome series starts."""
    now = clock.now()
    try:
        link = opt_in.read_confirmation(token, now)
        customer = opt_in.pending_customer(link)
    except opt_in.ExpiredConfirmation as expired:
        return _confirmation_page(None, expired.locale, "expired", 410)
    except opt_in.InvalidConfirmation:
        abort(404)
    shop = db.session.get(Shop, link.shop_id)
    if shop is None or shop.status != "active":
        abort(404)
    state = "ask"
    if request.method == "POST":
        try:
            customer, granted = opt_in.confirm(link, request.remote_addr, now)
        except opt_in.InvalidConfirmation:
            abort(404)
        if granted:
            dispatch(_signed_up(shop.id, customer, now))
        db.session.commit()
        state = "done"
    elif customer.email_consent == "granted":
        state = "done"
    return _confirmation_page(shop, link.locale, state, 200)


def _signed_up(shop_id: int, customer: Customer, now: datetime) -> ev.CustomerUpdated:
    """The confirmed sign-up as the flows see any consent change."""
    contact = ev.Contact(
        email=customer.email,
        platform_customer_id=customer.platform_customer_id,
        email_consent=True,
        consent_updated_at=now,
        consent_source=customer.email_consent_source,
    )
    return ev.CustomerUpdated(shop_id=shop_id, customer=contact, updated_at=now)


def _confirmation_page(shop: Shop | None, locale: str, state: str, status: int) -> Response:
    name = (shop.display_name if shop is not None else "") or ""
    page = render_page("confirm_subscription.html", locale, shop_name=name, state=state)
    return Response(page, status=status, mimetype="text/html", headers=NO_STORE)
