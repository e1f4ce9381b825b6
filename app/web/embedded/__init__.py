"""The merchant's page inside Shopify admin or WordPress admin: flows, results, previews.

``session`` proves the shop on every request (Shopify ID token, the plugin's ``wp_token``, or
the development token; never a cookie); ``results`` computes the numbers with set-based
queries; ``views`` serves the page; ``static/page.js`` sends each form post and preview fetch
with the token.
"""

from __future__ import annotations

from flask import Flask

# The page's blueprint, with the email editor's routes (app.web.embedded.emails) added to it.
from app.web.embedded.customers import customers_page
from app.web.embedded.emails import bp
from app.web.embedded.labels import labels_page

# labels_page, customers_page: the Labels and Customers tabs' routes join the blueprint
__all__ = ["bp", "customers_page", "labels_page"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
