"""The flows' notion of "now", in one place so tests can run a sequence on a simulated clock."""

from __future__ import annotations

from datetime import datetime

from app.models import utcnow


def now() -> datetime:
    return utcnow()
