"""Courier labels: shipments, printable labels, bulk print, tracking pages.

``init_app`` registers the blueprint; ``cli.py`` holds the ``flask storeflow`` label commands.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.web.labels import bp

    app.register_blueprint(bp)
