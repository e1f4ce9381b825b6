"""Storeflow: marketing automation companion for WooCommerce and Shopify shops."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from app import config as settings
from app import logs
from app.models import db

migrate = Migrate()
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        config if config is not None else settings.load(instance_path=app.instance_path)
    )
    logs.configure(app.config["LOG_LEVEL"])

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)

    from app import cli
    from app.web import health, webhooks

    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    from app.web import woocommerce_connect

    app.register_blueprint(woocommerce_connect.bp)

    from app.web import shopify_app as shopify_views

    shopify_views.init_app(app)

    from app.web import email_links as email_views

    app.register_blueprint(email_views.bp)
    cli.init_app(app)
    from app.web import restore

    app.register_blueprint(restore.bp)

    from app import shipping as labels

    labels.init_app(app)
    from app.web import embedded

    embedded.init_app(app)
    from app.web import admin

    admin.init_app(app)
    if app.config["ENABLE_DEMO_CONNECTOR"]:
        from app.demo import cli as demo

        demo.init_app(app)
    return app
