"""What keeps the support admin apart from the rest of the service: its own session cookie
and its own security headers.

The merchant pages live in other sites' iframes and the Shopify install keeps a state in the
shared Flask session; the admin, which can read every shop, must not share that cookie or be
framed. Under ``/admin`` the session is a different cookie (own name, own signing salt, path
``/admin``, ``SameSite=Strict``, ``HttpOnly``, ``Secure`` under https), and every response
carries a CSP with a per-request script nonce (Flask-Admin's inline scripts carry it),
``frame-ancestors 'none'``, ``X-Frame-Options: DENY`` and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import secrets

from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

PREFIX = "/admin"
COOKIE_NAME = "storeflow_admin"
SIGNING_SALT = "storeflow-admin-session"


def is_admin_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with the admin's own cookie under ``/admin``."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not is_admin_request() or not app.secret_key:
            return super().get_signing_serializer(app)
        return URLSafeTimedSerializer(
            app.secret_key,
            salt=SIGNING_SALT,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No cookie, nothing to verify: the webhooks and the collector never send one, and
        # building the signing serializer was a tenth of their request's CPU.
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE_NAME if is_admin_request() else super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        return PREFIX if is_admin_request() else super().get_cookie_path(app)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "Strict" if is_admin_request() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        if is_admin_request():
            return request.scheme == "https" or app.config["PUBLIC_URL"].startswith("https://")
        return super().get_cookie_secure(app)

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True if is_admin_request() else super().get_cookie_httponly(app)


def csp_nonce() -> str:
    """This request's script nonce (Flask-Admin puts it on its inline scripts)."""
    nonce = g.get("admin_csp_nonce")
    if nonce is None:
        nonce = g.admin_csp_nonce = secrets.token_urlsafe(16)
    return str(nonce)


def _headers(response: Response) -> Response:
    if not is_admin_request():
        return response
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{csp_nonce()}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(_headers)
