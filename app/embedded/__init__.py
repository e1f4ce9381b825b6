"""The merchant's page inside Shopify admin or WordPress admin: flows, results, previews.

``session`` signs the shop in (Shopify ID token, the plugin's ``wp_token``, or the development
shortcut); ``results`` computes the numbers with set-based queries; ``views`` serves the page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.embedded.views import bp

    app.register_blueprint(bp)
