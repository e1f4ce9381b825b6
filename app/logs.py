"""Logging: one line per record with the structured fields (shop, delivery, run...)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

# Every structured field rides under this one attribute of the LogRecord. LogRecord refuses an
# `extra` key that names one of its own attributes (`created`, `message`, `name`, `args`...)
# with a KeyError that crashes the logging call; one namespaced attribute can never collide.
FIELDS_ATTRIBUTE = "storeflow_fields"


def fields(values: Mapping[str, Any] | None = None, /, **more: Any) -> dict[str, Any]:
    """The `extra=` for a log call: ``log.info("synced", extra=fields(shop=1, created=3))``."""
    return {FIELDS_ATTRIBUTE: {**(values or {}), **more}}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        values = getattr(record, FIELDS_ATTRIBUTE, None)
        if not values:
            return base
        return f"{base} {json.dumps(values, default=str, sort_keys=True)}"


def configure(level: str) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, KeyValueFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # rq's CLI installs its own handler; without this every worker line is printed twice.
    logging.getLogger("rq").propagate = False
