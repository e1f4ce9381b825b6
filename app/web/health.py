"""``/healthz`` and the service's landing page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, render_template
from redis.exceptions import RedisError

from app.models import Shop, db
from app.pipeline import queues

bp = Blueprint("health", __name__)


def check() -> dict[str, str]:
    status = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        status["database"] = "ok"
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        status["database"] = f"down: {type(exc).__name__}"
    try:
        queues.redis_connection().ping()
        status["redis"] = "ok"
    except RedisError as exc:
        status["redis"] = f"down: {type(exc).__name__}"
    return status


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    status = check()
    healthy = all(v == "ok" for v in status.values())
    return jsonify({"healthy": healthy, **status}), 200 if healthy else 503


def lists_shops() -> bool:
    """The landing page lists every tenant's shop only where that is no secret: a development
    machine or a demo (never production, even with the demo switched on there)."""
    config = current_app.config
    return config["STOREFLOW_ENV"] != "production" and (
        config["STOREFLOW_ENV"] == "development" or bool(config["ENABLE_DEMO_CONNECTOR"])
    )


@bp.get("/")
def home() -> str:
    status = check()
    listed = lists_shops()
    shops = (
        db.session.scalars(sa.select(Shop).order_by(Shop.id)).all()
        if listed and status["database"] == "ok"
        else []
    )
    return render_template("home.html", status=status, shops=shops, lists_shops=listed)
