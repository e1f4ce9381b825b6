"""Storeflow: marketing automation companion for WooCommerce and Shopify shops."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli, connectors, logs, web
from app import config as settings
from app.demo import cli as demo_cli
from app.demo.platform import PLATFORM as DEMO_PLATFORM
from app.events.reactions import react_with
from app.flows.dispatch import dispatch, read_ahead
from app.models import db
from app.pipeline import deferred_wake, view_buffer

migrate = Migrate()
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        config if config is not None else settings.load(instance_path=app.instance_path)
    )
    logs.configure(app.config["LOG_LEVEL"])
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    view_buffer.init_app(app)
    deferred_wake.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)

    # The demo (its platform, pages and commands) is registered only where it is enabled.
    demo_enabled = bool(app.config["ENABLE_DEMO_CONNECTOR"])
    connectors.init_app(app, *((DEMO_PLATFORM,) if demo_enabled else ()))
    web.init_app(app)
    cli.init_app(app)
    if demo_enabled:
        demo_cli.init_app(app)
    # Events are stored by app.events and reacted to by the flows, which sit above them.
    react_with(dispatch, read_ahead)
    return app
