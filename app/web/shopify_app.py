"""Shopify HTTP routes: the app home (install), the authorization-code install, and the
minimal embedded page that shows the shop's status and catalog sync progress.

Every request from the Shopify admin is verified by ``shopifyapp`` (ID token in the query on a
document load, ``Authorization: Bearer`` on background requests); its suggested response is
sent as is when verification fails (302 to the patch page, or 401 with the retry header).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from shopify_app import RequestInput
from werkzeug.wrappers import Response as BaseResponse

from app.connectors.shopify import auth, install
from app.models import Shop, db
from app.pipeline.ingest import find_shop

log = logging.getLogger(__name__)
PATCH_PATH = "/shopify/patch-id-token"
bp = Blueprint("shopify", __name__)


def _request_input() -> RequestInput:
    return {
        "method": request.method,
        "headers": dict(request.headers),
        "url": request.url,
        # Admin requests are proven by their ID token, never by a body: shopifyapp would parse
        # any body as JSON (up to 8 MB, for unsigned requests too) just to redact its log copy.
        "body": "",
    }


def _respond(res: Any, body: str | None = None) -> Response:
    return Response(body if body is not None else res.body, status=res.status, headers=res.headers)


def verified_admin_request() -> tuple[Any, Response | None]:
    """The library's verification of an admin request, and the failure response if any."""
    result = auth.app_client().verify_app_home_req(_request_input(), PATCH_PATH)
    if not result.ok or result.id_token is None:
        log.info("shopify admin request refused: %s", result.log.code)
        return result, _respond(result.response)
    return result, None


def shop_domain_of(result: Any) -> str:
    domain = urlparse(str(result.id_token.claims.get("dest", ""))).hostname or ""
    if not auth.is_shop_domain(domain):
        abort(400, "the ID token names no myshopify.com shop")
    return domain


@bp.get("/shopify")
def app_home() -> BaseResponse:
    """Where Shopify opens the app: install on first load, then go to the embedded page."""
    result, refused = verified_admin_request()
    if refused is not None:
        return refused
    try:
        install.install_with_id_token(shop_domain_of(result), result.id_token)
    except auth.AuthError as exc:
        db.session.rollback()
        log.warning("shopify install failed: %s", exc)
        if exc.code == "invalid_subject_token" and result.invalid_token_response is not None:
            return _respond(result.invalid_token_response)  # stale ID token: get a fresh one
        abort(502, "Shopify refused to issue an access token; the error is in our logs")
    # The merchant page proves the shop with this same ID token on its first load, then with
    # a fresh one from App Bridge on every request.
    target = f"/embedded/?{request.query_string.decode()}"
    response = redirect(target)
    response.headers.update(result.response.headers)
    return response


@bp.get(PATCH_PATH)
def patch_id_token() -> BaseResponse:
    """App Bridge page that fetches a fresh ID token and reloads the original URL."""
    return _respond(auth.app_client().app_home_patch_id_token(_request_input()).response)


@bp.get("/embedded/shopify")
def embedded_page() -> BaseResponse:
    result, refused = verified_admin_request()
    if refused is not None:
        return refused
    shop = find_shop("shopify", shop_domain_of(result))
    if shop is None:
        return redirect(f"/shopify?{request.query_string.decode()}")
    html = render_template(
        "shopify/embedded.html",
        shop=shop,
        sync=shop.sync_state.shown(),
        api_key=current_app.config["SHOPIFY_API_KEY"],
    )
    # The CSP frame-ancestors header limits framing to this shop's admin.
    return _respond(result.response, html)


@bp.get("/embedded/shopify/status")
def embedded_status() -> BaseResponse:
    """Background fetch (Bearer ID token) that the page can poll for sync progress."""
    result, refused = verified_admin_request()
    if refused is not None:
        return refused
    shop: Shop | None = find_shop("shopify", shop_domain_of(result))
    if shop is None:
        abort(404)
    return jsonify({"status": shop.status, "sync": shop.sync_state.shown() or None})


@bp.get("/shopify/install")
def oauth_start() -> BaseResponse:
    """Authorization-code install (from outside the admin): check the link, ask for consent."""
    params = request.args.to_dict()
    domain = params.get("shop", "")
    if not auth.is_shop_domain(domain) or not auth.verify_query_hmac(params):
        abort(400, "invalid install link")
    state = secrets.token_urlsafe(24)
    session["shopify_oauth_state"] = state
    return redirect(install.authorize_url(domain, state))


@bp.get(install.CALLBACK_PATH)
def oauth_callback() -> BaseResponse:
    params = request.args.to_dict()
    domain = params.get("shop", "")
    expected = session.pop("shopify_oauth_state", None)
    if not auth.is_shop_domain(domain) or not auth.verify_query_hmac(params):
        abort(400, "invalid callback")
    if not expected or not secrets.compare_digest(expected, params.get("state", "")):
        abort(403, "state does not match this browser's install")
    try:
        target = install.install_with_code(domain, params.get("code", ""))
    except auth.AuthError as exc:
        db.session.rollback()
        log.warning("shopify authorization code refused: %s", exc)
        abort(502, "Shopify refused the authorization code")
    return redirect(target)
