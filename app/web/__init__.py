"""Every Flask blueprint: webhooks, health, restore links, email tracking, the platforms'
connect/install views, the merchant's embedded page and the support admin."""

from __future__ import annotations

from flask import Flask

from app.web import (
    admin,
    collect,
    email_links,
    embedded,
    errors,
    fastpath,
    health,
    labels,
    restore,
    shopify_app,
    webhooks,
    woocommerce_connect,
)


def init_app(app: Flask) -> None:
    for blueprint in (
        health.bp,
        webhooks.bp,
        collect.bp,
        woocommerce_connect.bp,
        shopify_app.bp,
        email_links.bp,
        restore.bp,
        labels.bp,
    ):
        app.register_blueprint(blueprint)
    embedded.init_app(app)
    errors.init_app(app)
    admin.init_app(app)
    fastpath.install(app)
