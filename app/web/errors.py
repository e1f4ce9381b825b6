"""Answers for failures that are ours, not the client's.

Database down: every route answers 503 with ``Retry-After`` (JSON, or plain text to a browser)
instead of Flask's HTML 500 page. Shopify and WooCommerce retry a 503 delivery, so nothing a
platform sends is lost while PostgreSQL is away.
"""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request

from app.logs import fields as log_fields
from app.models import db
from app.models.sql import UNREACHABLE

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
# The database unreachable (``sql.UNREACHABLE``); a programming error (bad SQL, a constraint)
# stays a 500.
DATABASE_DOWN = UNREACHABLE
MESSAGE = "database unavailable; try again later"


def database_unavailable(exc: Exception) -> Response:
    # The connection is gone; the teardown discards the session anyway.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    log.error(
        "database unavailable: %s",
        type(exc).__name__,
        extra=log_fields(path=request.path, method=request.method),
    )
    if request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html":
        response = Response(MESSAGE + "\n", status=503, mimetype="text/plain")
    else:
        response = jsonify({"status": 503, "message": MESSAGE})
        response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, database_unavailable)
