"""The merchant's page inside Shopify admin or WordPress admin: flows, results, previews.

``session`` signs the shop in (Shopify ID token, the plugin's ``wp_token``, or the development
shortcut); ``results`` computes the numbers with set-based queries; ``views`` serves the page.
"""

from __future__ import annotations

from flask import Flask

from app.web.embedded.views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config["PUBLIC_URL"].startswith("https://"):
        # The page is framed by another site (Shopify admin, the WordPress admin): browsers
        # send our cookie there only if it is SameSite=None and Secure, and Chrome's
        # third-party cookie blocking spares it only when Partitioned (CHIPS). Over plain
        # http (make run) Secure would drop the cookie, so development keeps the defaults.
        app.config.update(
            SESSION_COOKIE_SAMESITE="None",
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_PARTITIONED=True,
        )
