"""Tracking and unsubscribe endpoints. No login: the signed token is the authority."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from app.emails import tracking
from app.emails.rendering import render_page
from app.models import Shop, db

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
        target = tracking.record_click(token)
    except tracking.InvalidToken:
        abort(404)
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
