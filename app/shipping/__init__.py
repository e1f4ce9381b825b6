"""Courier labels: shipments, printable labels, bulk print, tracking pages.

``init_app`` registers the blueprint and the ``flask storeflow`` label commands.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.cli import storeflow
    from app.shipping.cli import COMMANDS
    from app.web.labels import bp

    app.register_blueprint(bp)
    for command in COMMANDS:
        storeflow.add_command(command)
