"""Structured log fields can never crash a logging call, and the tests log as production does."""

from __future__ import annotations

import io
import logging

from flask import Flask

from app.logs import KeyValueFormatter, fields

# Every attribute LogRecord owns: passed as plain `extra=` keys each would raise KeyError.
RESERVED = sorted(set(vars(logging.makeLogRecord({}))) | {"message", "asctime"})


def test_fields_named_like_logrecord_attributes_are_logged_not_crashing() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("storeflow.test.fields")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("synced", extra=fields({name: 1 for name in RESERVED}, shop=7))
    finally:
        log.removeHandler(handler)

    line = stream.getvalue()
    assert line.startswith("INFO synced {")
    assert '"created": 1' in line and '"message": 1' in line and '"shop": 7' in line


def test_the_suite_runs_with_the_production_log_level(app: Flask) -> None:
    # Alembic's fileConfig (run by the migrations the fixtures apply) once lowered the root
    # logger to WARN for the whole session, hiding crashes that only INFO lines trigger.
    assert app.config["LOG_LEVEL"] == "INFO"
    assert logging.getLogger().getEffectiveLevel() == logging.INFO
